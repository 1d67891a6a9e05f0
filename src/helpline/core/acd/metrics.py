"""Real-time queue-card figures (DESIGN §3) as reducers over the core's events.

A :class:`QueueMetrics` folds the events of one queue; :class:`MetricsBoard` routes events
to one per queue. Figures follow the metric dictionary:

* **handled**: contacts connected to an agent (``ContactAccepted``);
* **abandoned**: the customer left while queued or offered (callbacks excluded: a callback
  request is counted apart); **expired**: left by the queue's timeout or exit;
* **wait**: queued -> connected or -> left; **handle time**: connected -> end of wrap-up;
  **average handle time** = total handle time / contacts whose wrap-up ended;
* **service level (X s)**: answered within X s / contacts that left the queue (answered,
  abandoned, expired or callback requested);
* **total today**: contacts that entered the queue today (a callback taking a caller's
  place is not a new contact). Call :meth:`QueueMetrics.reset_day` at midnight.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpline.core.acd.events import (
    AgentQueueLoggedIn,
    AgentQueueLoggedOut,
    AgentStatusChanged,
    CallbackRequested,
    ContactAbandoned,
    ContactAccepted,
    ContactExpired,
    ContactOffered,
    ContactQueued,
    ContactRequeued,
    Event,
    OfferCancelled,
    OfferDeclined,
    OfferTimedOut,
    WrapUpEnded,
    WrapUpStarted,
)
from helpline.core.acd.model import AgentStatus


@dataclass(frozen=True, slots=True)
class CallQueueCard:
    queue_id: str
    waiting: int
    agents_logged_in: int
    agents_ready: int
    longest_wait: float  # seconds, 0 when nobody waits
    average_handle_time: float | None
    average_wait: float | None  # of answered contacts
    total_today: int
    handled: int
    abandoned: int
    expired: int
    callbacks_requested: int
    service_level: float | None
    service_level_seconds: float


@dataclass(frozen=True, slots=True)
class ChatQueueCard:
    queue_id: str
    waiting: int
    active: int  # chats connected to an agent now
    agents_logged_in: int
    longest_wait: float
    average_handle_time: float | None
    total_today: int
    handled: int
    abandoned: int
    expired: int


@dataclass(frozen=True, slots=True)
class CampaignCard:
    queue_id: str
    dialed_today: int
    waiting_for_agent: int
    connected: int  # handled
    in_progress: int
    not_answered: int  # offers missed or declined by agents (answer timeout)
    expired: int
    agents_logged_in: int
    average_handle_time: float | None


class QueueMetrics:
    """Reducer of one queue's events."""

    __slots__ = (
        "_agent_status",
        "_agents",
        "_in_progress",
        "_waiting",
        "abandoned",
        "answered_in_target",
        "callbacks_requested",
        "expired",
        "handle_count",
        "handle_total",
        "handled",
        "left",
        "missed_offers",
        "queue_id",
        "service_level_seconds",
        "total_today",
        "wait_total",
    )

    def __init__(self, queue_id: str, service_level_seconds: float = 20.0) -> None:
        self.queue_id = queue_id
        self.service_level_seconds = service_level_seconds
        self._waiting: dict[str, float] = {}  # contact id -> queued_at
        self._in_progress: set[str] = set()
        self._agents: set[str] = set()
        self._agent_status: dict[str, AgentStatus] = {}
        self.reset_day()

    def reset_day(self) -> None:
        self.total_today = 0
        self.handled = 0
        self.abandoned = 0
        self.expired = 0
        self.callbacks_requested = 0
        self.left = 0
        self.answered_in_target = 0
        self.handle_total = 0.0
        self.handle_count = 0
        self.wait_total = 0.0
        self.missed_offers = 0

    def apply(self, event: Event) -> None:
        if isinstance(event, AgentStatusChanged):
            self._agent_status[event.agent_id] = event.status
            return
        if getattr(event, "queue_id", None) != self.queue_id:
            return
        if isinstance(event, ContactQueued):
            self.total_today += 1
            self._waiting[event.contact_id] = event.queued_at
        elif isinstance(event, ContactRequeued):
            self._waiting[event.contact_id] = event.queued_at
        elif isinstance(event, ContactOffered):
            self._waiting.pop(event.contact_id, None)
        elif isinstance(event, ContactAccepted):
            self._waiting.pop(event.contact_id, None)
            self._in_progress.add(event.contact_id)
            self.handled += 1
            self.left += 1
            self.wait_total += event.wait
            if event.wait <= self.service_level_seconds:
                self.answered_in_target += 1
        elif isinstance(event, WrapUpStarted):
            self._in_progress.discard(event.contact_id)
        elif isinstance(event, WrapUpEnded):
            self._in_progress.discard(event.contact_id)
            self.handle_total += event.handle
            self.handle_count += 1
        elif isinstance(event, ContactAbandoned):
            self._waiting.pop(event.contact_id, None)
            self.abandoned += 1
            self.left += 1
        elif isinstance(event, ContactExpired):
            self._waiting.pop(event.contact_id, None)
            self.expired += 1
            self.left += 1
        elif isinstance(event, CallbackRequested):
            self._waiting.pop(event.contact_id, None)
            self._waiting[event.callback_contact_id] = event.at - event.wait
            self.callbacks_requested += 1
            self.left += 1
        elif isinstance(event, OfferTimedOut | OfferDeclined):
            self.missed_offers += 1
        elif isinstance(event, OfferCancelled):
            pass
        elif isinstance(event, AgentQueueLoggedIn):
            self._agents.add(event.agent_id)
        elif isinstance(event, AgentQueueLoggedOut):
            self._agents.discard(event.agent_id)

    # -- figures --------------------------------------------------------------------------

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def longest_wait(self, now: float) -> float:
        return max(0.0, now - min(self._waiting.values())) if self._waiting else 0.0

    def average_handle_time(self) -> float | None:
        return self.handle_total / self.handle_count if self.handle_count else None

    def service_level(self) -> float | None:
        return self.answered_in_target / self.left if self.left else None

    def agents_ready(self) -> int:
        ready = AgentStatus.READY
        return sum(1 for a in self._agents if self._agent_status.get(a) is ready)

    def call_card(self, now: float) -> CallQueueCard:
        return CallQueueCard(
            self.queue_id,
            self.waiting,
            len(self._agents),
            self.agents_ready(),
            self.longest_wait(now),
            self.average_handle_time(),
            self.wait_total / self.handled if self.handled else None,
            self.total_today,
            self.handled,
            self.abandoned,
            self.expired,
            self.callbacks_requested,
            self.service_level(),
            self.service_level_seconds,
        )

    def chat_card(self, now: float) -> ChatQueueCard:
        return ChatQueueCard(
            self.queue_id,
            self.waiting,
            len(self._in_progress),
            len(self._agents),
            self.longest_wait(now),
            self.average_handle_time(),
            self.total_today,
            self.handled,
            self.abandoned,
            self.expired,
        )

    def campaign_card(self, now: float) -> CampaignCard:
        return CampaignCard(
            self.queue_id,
            self.total_today,
            self.waiting,
            self.handled,
            len(self._in_progress),
            self.missed_offers,
            self.expired,
            len(self._agents),
            self.average_handle_time(),
        )


class MetricsBoard:
    """One :class:`QueueMetrics` per queue, fed with every event of the router."""

    def __init__(self, service_levels: dict[str, float] | None = None) -> None:
        self._service_levels = dict(service_levels or {})
        self.queues: dict[str, QueueMetrics] = {}
        self._statuses: dict[str, AgentStatusChanged] = {}  # latest per agent

    def queue(self, queue_id: str) -> QueueMetrics:
        metrics = self.queues.get(queue_id)
        if metrics is None:
            metrics = QueueMetrics(queue_id, self._service_levels.get(queue_id, 20.0))
            self.queues[queue_id] = metrics
            for status in self._statuses.values():  # replay agent statuses seen so far
                metrics.apply(status)
        return metrics

    def apply(self, event: Event) -> None:
        if isinstance(event, AgentStatusChanged):
            self._statuses[event.agent_id] = event
            for metrics in self.queues.values():
                metrics.apply(event)
            return
        queue_id = getattr(event, "queue_id", None)
        if isinstance(queue_id, str):
            self.queue(queue_id).apply(event)

    def apply_all(self, events: list[Event]) -> None:
        for event in events:
            self.apply(event)

    def reset_day(self) -> None:
        for metrics in self.queues.values():
            metrics.reset_day()

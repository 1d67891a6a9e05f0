"""Discrete-event simulation of a contact center on a virtual clock.

It drives the real :class:`~helpline.core.acd.router.Router` (the same code as live):
Poisson arrivals per queue, handle times drawn from a distribution (exponential, fixed or
lognormal), customers with exponential patience who abandon when it runs out, agents with
queue memberships and skills, queue priorities, wrap-up (the queue's ``wrap_up_seconds``).
Simulated agents accept every offer after ``answer_delay`` seconds.

Measurement: contacts that arrive in ``[warmup, duration)`` are counted; arrivals stop at
``duration`` and the run continues until every contact has ended. Occupancy is measured
over ``[warmup, duration)``: handle time (connected -> end of wrap-up) / agent time
(every simulated agent is logged in and ready for the whole run); a chat counts
``1 / chat_capacity`` of its handle time. A queue's occupancy is that of the agents who
are members of it (all their work, whatever the queue), the overall one that of all
agents. *P(wait)*: share of the contacts that left the queue which were not offered to an
agent the moment they arrived.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import Any

from helpline.core.acd.events import (
    ContactAbandoned,
    ContactAccepted,
    ContactExpired,
    ContactOffered,
    Event,
    OfferCancelled,
    OfferDeclined,
    OfferTimedOut,
    WrapUpEnded,
)
from helpline.core.acd.model import AgentConfig, ContactKind, NewContact, QueueConfig, QueueKind
from helpline.core.acd.router import Router

DISTRIBUTIONS = ("exponential", "fixed", "lognormal")


@dataclass(frozen=True, slots=True)
class HandleTime:
    """Talk time (wrap-up comes from the queue). ``lognormal``: ``mean`` is the mean of
    the distribution and ``sigma`` the standard deviation of its logarithm."""

    distribution: str = "exponential"
    mean: float = 180.0
    sigma: float = 0.5

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}")
        if self.mean <= 0 or self.sigma < 0:
            raise ValueError("mean must be > 0 and sigma >= 0")

    def draw(self, rng: random.Random) -> float:
        if self.distribution == "exponential":
            return rng.expovariate(1.0 / self.mean)
        if self.distribution == "fixed":
            return self.mean
        mu = math.log(self.mean) - self.sigma * self.sigma / 2.0
        return rng.lognormvariate(mu, self.sigma)


@dataclass(frozen=True, slots=True)
class SimQueue:
    config: QueueConfig
    arrivals_per_hour: float
    handle_time: HandleTime = field(default_factory=HandleTime)
    patience_mean: float | None = None  # seconds; None: callers never abandon


@dataclass(frozen=True, slots=True)
class SimAgentGroup:
    name: str
    count: int
    queues: tuple[str, ...]
    skills: dict[str, int] = field(default_factory=dict)
    chat_capacity: int = 1


@dataclass(frozen=True, slots=True)
class SimulationSpec:
    queues: tuple[SimQueue, ...]
    agents: tuple[SimAgentGroup, ...]
    duration: float = 8 * 3600.0
    warmup: float = 0.0
    seed: int = 1
    answer_delay: float = 0.0

    def __post_init__(self) -> None:
        if self.duration <= 0 or not 0 <= self.warmup < self.duration:
            raise ValueError("need duration > 0 and 0 <= warmup < duration")
        if self.answer_delay < 0:
            raise ValueError("answer_delay must be >= 0")
        ids = [q.config.queue_id for q in self.queues]
        if len(set(ids)) != len(ids):
            raise ValueError("queue ids must be unique")
        for group in self.agents:
            for queue_id in group.queues:
                if queue_id not in ids:
                    raise ValueError(f"agent group {group.name!r}: unknown queue {queue_id!r}")


@dataclass(frozen=True, slots=True)
class QueueResult:
    queue_id: str
    arrived: int
    answered: int
    abandoned: int
    expired: int
    answered_in_target: int
    waited: int  # contacts that did not get an agent at once
    service_level: float  # answered within target / (answered + abandoned + expired)
    service_level_seconds: float
    average_speed_of_answer: float  # mean wait of answered contacts
    wait_probability: float  # waited / contacts that left the queue
    abandonment_rate: float
    average_handle_time: float
    occupancy: float


@dataclass(frozen=True, slots=True)
class SimulationResult:
    queues: tuple[QueueResult, ...]
    overall: QueueResult
    duration: float
    warmup: float
    agents: int
    events_processed: int

    def queue(self, queue_id: str) -> QueueResult:
        for result in self.queues:
            if result.queue_id == queue_id:
                return result
        raise KeyError(queue_id)


_ARRIVAL = 0
_PATIENCE = 1
_ACCEPT = 2
_END = 3
_TICK = 4


class _Tally:
    __slots__ = (
        "abandoned",
        "answered",
        "arrived",
        "expired",
        "handle_count",
        "handle_in_window",
        "handle_sum",
        "in_target",
        "wait_sum",
        "waited",
    )

    def __init__(self) -> None:
        self.arrived = 0
        self.answered = 0
        self.abandoned = 0
        self.expired = 0
        self.in_target = 0
        self.waited = 0
        self.wait_sum = 0.0
        self.handle_sum = 0.0
        self.handle_count = 0
        self.handle_in_window = 0.0


class Simulation:
    """One run. ``Simulation(spec).run()`` returns a :class:`SimulationResult`."""

    def __init__(self, spec: SimulationSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.router = Router()
        self._heap: list[tuple[float, int, int, Any]] = []
        self._seq = 0
        self._next_tick = math.inf
        self._open_offers: set[int] = set()
        self._counted: dict[str, bool] = {}  # contact id -> arrived in the window
        self._first_offer: dict[str, float] = {}  # contact id -> time of its first offer
        self._queues = {q.config.queue_id: q for q in spec.queues}
        self._tallies = {q: _Tally() for q in self._queues}
        self._members: dict[str, list[str]] = {q: [] for q in self._queues}
        self._capacity: dict[str, int] = {}
        self._busy: dict[str, float] = {}  # agent id -> busy seconds in the window
        self._agents = 0
        self._events = 0

    def _push(self, at: float, kind: int, payload: Any) -> None:
        self._seq += 1
        heappush(self._heap, (at, self._seq, kind, payload))

    def run(self) -> SimulationResult:
        spec = self.spec
        router = self.router
        for q in spec.queues:
            router.add_queue(q.config)
        n = 0
        for group in spec.agents:
            for i in range(group.count):
                n += 1
                agent_id = f"{group.name}-{i + 1}"
                router.add_agent(
                    AgentConfig(
                        agent_id,
                        skills=dict(group.skills),
                        chat_capacity=group.chat_capacity,
                        memberships=dict.fromkeys(group.queues),
                    )
                )
                self._capacity[agent_id] = group.chat_capacity
                for queue_id in group.queues:
                    self._members[queue_id].append(agent_id)
                self._handle(router.agent_login(agent_id, 0.0))
        self._agents = n
        for q in spec.queues:
            if q.arrivals_per_hour > 0:
                self._push(self._interarrival(q), _ARRIVAL, q)
        seq = 0
        heap = self._heap
        while heap:
            at, _, kind, payload = heappop(heap)
            self._events += 1
            if kind == _ARRIVAL:
                q = payload
                if at >= spec.duration:
                    continue
                seq += 1
                contact_id = f"{q.config.queue_id}#{seq}"
                counted = at >= spec.warmup
                self._counted[contact_id] = counted
                if counted:
                    self._tallies[q.config.queue_id].arrived += 1
                kind_ = _contact_kind(q.config)
                self._handle(router.enqueue(NewContact(contact_id, q.config.queue_id, kind_), at))
                if q.patience_mean is not None:
                    self._push(
                        at + self.rng.expovariate(1.0 / q.patience_mean), _PATIENCE, contact_id
                    )
                self._push(at + self._interarrival(q), _ARRIVAL, q)
            elif kind == _PATIENCE:
                state = router.contact_state(payload)
                if state == "queued" or state == "offered":
                    self._handle(router.abandon(payload, at))
            elif kind == _ACCEPT:
                if payload in self._open_offers:
                    self._handle(router.accept(payload, at))
            elif kind == _END:
                if router.contact_state(payload) == "connected":
                    self._handle(router.end_contact(payload, at))
            elif at == self._next_tick:  # a tick superseded by an earlier one is stale
                self._next_tick = math.inf
                self._handle(router.tick(at))
        return self._result()

    def _interarrival(self, q: SimQueue) -> float:
        return self.rng.expovariate(q.arrivals_per_hour / 3600.0)

    def _handle(self, events: list[Event]) -> None:
        router = self.router
        spec = self.spec
        for event in events:
            if isinstance(event, ContactOffered):
                self._open_offers.add(event.offer_id)
                self._first_offer.setdefault(event.contact_id, event.at)
                self._push(event.at + spec.answer_delay, _ACCEPT, event.offer_id)
            elif isinstance(event, ContactAccepted):
                self._open_offers.discard(event.offer_id)
                q = self._queues[event.queue_id]
                self._push(event.at + q.handle_time.draw(self.rng), _END, event.contact_id)
                if self._counted.get(event.contact_id):
                    tally = self._tallies[event.queue_id]
                    tally.answered += 1
                    tally.wait_sum += event.wait
                    if event.wait <= q.config.service_level_seconds:
                        tally.in_target += 1
                    if self._first_offer.pop(event.contact_id, event.at) > event.at - event.wait:
                        tally.waited += 1
            elif isinstance(event, OfferCancelled | OfferDeclined | OfferTimedOut):
                self._open_offers.discard(event.offer_id)
            elif isinstance(event, ContactAbandoned | ContactExpired):
                if self._counted.pop(event.contact_id, False):
                    tally = self._tallies[event.queue_id]
                    if isinstance(event, ContactAbandoned):
                        tally.abandoned += 1
                    else:
                        tally.expired += 1
                    first = self._first_offer.pop(event.contact_id, event.at)
                    if first > event.at - event.wait:
                        tally.waited += 1
            elif isinstance(event, WrapUpEnded):
                tally = self._tallies[event.queue_id]
                start, end = event.at - event.handle, event.at
                overlap = min(end, spec.duration) - max(start, spec.warmup)
                if overlap > 0:
                    tally.handle_in_window += overlap
                    if self._queues[event.queue_id].config.kind is QueueKind.CHAT:
                        overlap /= self._capacity[event.agent_id]
                    self._busy[event.agent_id] = self._busy.get(event.agent_id, 0.0) + overlap
                if self._counted.pop(event.contact_id, False):
                    tally.handle_sum += event.handle
                    tally.handle_count += 1
        due = router.next_due()
        if due is not None and due < self._next_tick:
            self._next_tick = due
            self._push(due, _TICK, None)

    def _result(self) -> SimulationResult:
        spec = self.spec
        window = spec.duration - spec.warmup
        results = []
        total = _Tally()
        busy = self._busy
        for queue_id, tally in self._tallies.items():
            q = self._queues[queue_id]
            members = self._members[queue_id]
            results.append(
                _queue_result(
                    queue_id,
                    tally,
                    q.config.service_level_seconds,
                    sum(busy.get(a, 0.0) for a in members),
                    len(members) * window,
                )
            )
            for name in _Tally.__slots__:
                setattr(total, name, getattr(total, name) + getattr(tally, name))
        overall = _queue_result(
            "*", total, math.nan, sum(busy.values()), len(self._capacity) * window
        )
        return SimulationResult(
            tuple(results), overall, spec.duration, spec.warmup, self._agents, self._events
        )


def _contact_kind(config: QueueConfig) -> ContactKind:
    if config.kind is QueueKind.CHAT:
        return ContactKind.CHAT
    if config.kind is QueueKind.CAMPAIGN:
        return ContactKind.CAMPAIGN_DIAL
    return ContactKind.CALL


def _queue_result(
    queue_id: str, tally: _Tally, sl_seconds: float, busy_time: float, agent_time: float
) -> QueueResult:
    left = tally.answered + tally.abandoned + tally.expired
    return QueueResult(
        queue_id=queue_id,
        arrived=tally.arrived,
        answered=tally.answered,
        abandoned=tally.abandoned,
        expired=tally.expired,
        answered_in_target=tally.in_target,
        waited=tally.waited,
        service_level=tally.in_target / left if left else math.nan,
        service_level_seconds=sl_seconds,
        average_speed_of_answer=tally.wait_sum / tally.answered if tally.answered else math.nan,
        wait_probability=tally.waited / left if left else math.nan,
        abandonment_rate=tally.abandoned / left if left else math.nan,
        average_handle_time=(
            tally.handle_sum / tally.handle_count if tally.handle_count else math.nan
        ),
        occupancy=busy_time / agent_time if agent_time > 0 else math.nan,
    )


def simulate(spec: SimulationSpec) -> SimulationResult:
    return Simulation(spec).run()


def format_report(result: SimulationResult) -> str:
    """A plain-text table of the results."""
    header = (
        f"{'queue':<16} {'arrived':>8} {'answered':>8} {'abandon':>8} {'expired':>8} "
        f"{'SL':>7} {'ASA s':>8} {'P(wait)':>8} {'aband %':>8} {'AHT s':>8} {'occup.':>7}"
    )
    lines = [
        (
            f"Simulated {result.duration:.0f} s (warm-up {result.warmup:.0f} s), "
            f"{result.agents} agents, {result.events_processed} events"
        ),
        "",
        header,
        "-" * len(header),
    ]
    for r in (*result.queues, result.overall):
        name = "overall" if r.queue_id == "*" else r.queue_id
        sl = "" if math.isnan(r.service_level_seconds) else f"@{r.service_level_seconds:.0f}s"
        lines.append(
            f"{name:<16} {r.arrived:>8} {r.answered:>8} {r.abandoned:>8} {r.expired:>8} "
            f"{_pct(r.service_level):>7} {_num(r.average_speed_of_answer):>8} "
            f"{_pct(r.wait_probability):>8} {_pct(r.abandonment_rate):>8} "
            f"{_num(r.average_handle_time):>8} {_pct(r.occupancy):>7}"
            + (f"  (SL {sl})" if sl else "")
        )
    return "\n".join(lines) + "\n"


def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f}%"


def _num(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"

"""The Router: the automatic contact distributor. Commands in, events out.

Every command takes ``now`` (float seconds since the caller's epoch, see
:mod:`helpline.core.clock`), changes the in-memory state and returns the list of events
that describe the change, in order. A command given a ``now`` earlier than one already
seen raises :class:`TimeWentBackwardsError`. Timers (offer timeout, wrap-up end, maximum
wait, skill widening, re-offer delay) fire in :meth:`Router.tick`; :meth:`Router.next_due`
says when the next one is due; the events a tick produces carry the tick's ``now``, so the
owner should tick at :meth:`Router.next_due` (the simulator does exactly that) and a few
times a second anyway. Estimated waits are recomputed in :meth:`Router.tick` for the
queues that changed since the previous tick.

Hot-path indexes (see DESIGN §2):

* per queue and per agent level, the idle agents ordered by the queue's strategy
  (:class:`~helpline.core.acd.model.IdleIndex`): an insertion-ordered dict for the agents
  that became idle in key order (with ``longest idle``, nearly all: removed in O(1),
  nothing left behind) and a heap with lazy deletion for the others. In the voice
  queues with ``longest idle`` the entry is the agent's, one for all of them
  (:class:`~helpline.core.acd.model.AgentState`): an agent who becomes free is added to
  each and, offered a call, taken out of each, without touching their seats;
* per queue and per required level, a heap of waiting contacts keyed by
  ``(queued_at, seq)`` (FIFO; a contact put back keeps its place), lazy deletion too;
* the queues that have waiting contacts, grouped by priority (for :meth:`dispatch`);
* a heap of timers; offer timeouts apart, one insertion-ordered dict of open offers per
  offer-timeout value (they expire in the order they were made): an answered offer is
  deleted from it instead of leaving a dead timer behind.

An agent's state change touches only that agent's seats (the queues they are logged
into): ``O(k log n)`` for ``k`` queues.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from heapq import heapify, heappop, heappush
from operator import attrgetter
from typing import Any

from helpline.core.acd import states as st
from helpline.core.acd.errors import (
    AgentBusyError,
    DuplicateIdError,
    InvalidTransitionError,
    NotAllowedError,
    UnknownAgentError,
    UnknownContactError,
    UnknownOfferError,
    UnknownQueueError,
)
from helpline.core.acd.events import (
    AgentAutoPaused,
    AgentQueueLoggedIn,
    AgentQueueLoggedOut,
    AgentQueuePaused,
    AgentQueueResumed,
    AgentStatusChanged,
    CallbackOffered,
    CallbackRequested,
    ContactAbandoned,
    ContactAccepted,
    ContactExpired,
    ContactOffered,
    ContactQueued,
    ContactRequeued,
    EstimatedWaitUpdated,
    Event,
    OfferCancelled,
    OfferDeclined,
    OfferTimedOut,
    SkillRequirementWidened,
    WrapUpEnded,
    WrapUpStarted,
)
from helpline.core.acd.model import (
    HANDLE_WINDOW,
    LEVELS,
    VOID_SLACK,
    AgentConfig,
    AgentState,
    AgentStatus,
    CancelReason,
    Contact,
    ContactKind,
    EndedBy,
    IdleEntry,
    IdleIndex,
    NewContact,
    Offer,
    QueueConfig,
    QueueKind,
    QueueState,
    Seat,
    SkillStep,
    Strategy,
)
from helpline.core.acd.strategies import (
    KEY_CHATS_THEN_IDLE,
    KEY_IDLE_SINCE,
    KEY_ROUND_ROBIN,
    estimate_wait,
    should_offer_callback,
)
from helpline.core.clock import TimeWentBackwardsError

AUTO_PAUSE_REASON = "missed_offers"
EW_MIN_CHANGE = 5.0  # seconds: smaller changes of an estimated wait are not announced

_T_OFFER = 0
_T_WRAP = 1
_T_MAX_WAIT = 2
_T_WIDEN = 3
_T_RETRY = 4

_NEG_INF = float("-inf")
_QUEUE_ID = attrgetter("queue_id")
_LEVEL0 = (0,)
_COMPACT_MIN = 64  # waiting heaps: compact when this big and mostly void

# enum members as module constants: reading ``AgentStatus.BUSY`` goes through the enum
# class's descriptor machinery, about ten times slower than a global (hot path)
_LOGGED_OUT = AgentStatus.LOGGED_OUT
_READY = AgentStatus.READY
_PAUSED = AgentStatus.PAUSED
_BUSY = AgentStatus.BUSY
_WRAP_UP = AgentStatus.WRAP_UP
_AUTO = EndedBy.AUTO
_RING_ALL = Strategy.RING_ALL
_P_READY = st.READY
_P_PAUSED = st.PAUSED
_P_LOGGED_OUT = st.LOGGED_OUT
_QUEUED = st.QUEUED
_OFFERED = st.OFFERED
_CONNECTED = st.CONNECTED
_WRAPPING = st.WRAP_UP
_ENDED = st.ENDED
_SCAN_LIMIT = 16  # waiting contacts that excluded an agent, skipped to find their next one

TimerEntry = tuple[float, int, int, Any, int]
WaitingEntry = tuple[float, int, int, Contact]


@dataclass(frozen=True, slots=True)
class WaitingContactView:
    contact_id: str
    queue_id: str
    kind: ContactKind
    state: str  # "queued" or "offered"
    position: int
    queued_at: float
    wait: float
    estimated_wait: float | None
    callback: bool  # a callback contact (the "callback" tag of the Waiting table)
    callback_offered: bool
    min_proficiency: int


@dataclass(frozen=True, slots=True)
class QueueAgentView:
    agent_id: str
    status: AgentStatus
    status_reason: str | None
    time_in_status: float
    member: bool
    logged_in: bool
    temporary: bool
    paused_in_queue: bool
    queue_pause_reason: str | None
    level: int
    status_since: float


@dataclass(frozen=True, slots=True)
class AgentView:
    agent_id: str
    status: AgentStatus
    status_reason: str | None
    status_since: float
    queues: tuple[str, ...]
    paused_queues: tuple[str, ...]
    open_offers: tuple[int, ...]
    contacts: tuple[str, ...]
    handled_today: int
    missed_in_a_row: int
    missed_total: int


class Router:
    """The ACD. Not thread-safe: one owner calls it (the services layer or the simulator)."""

    def __init__(self) -> None:
        self._queues: dict[str, QueueState] = {}
        self._agents: dict[str, AgentState] = {}
        self._contacts: dict[str, Contact] = {}  # live contacts (not final)
        self._offers: dict[int, Offer] = {}  # open offers
        self._timers: list[TimerEntry] = []  # every timer but the offer timeouts
        # open offers by offer timeout value, each in the order they expire (see tick)
        self._offer_timers: dict[float, dict[int, Offer]] = {}
        self._offer_fifos: list[dict[int, Offer]] = []
        self._timer_seq = 0
        self._seq = 0  # arrival order of contacts
        self._offer_seq = 0
        self._agent_seq = 0
        self._rr = 0
        self._tok = 0  # heap-entry tokens, unique across the router (lazy deletion)
        # at least the key of every entry ever added to a longest-idle fifo (in-order test)
        self._fifo_k0 = _NEG_INF
        self._now = _NEG_INF
        self._by_priority: dict[int, dict[str, QueueState]] = {}
        self._priorities: list[int] = []  # ascending; iterate reversed
        self._dirty: set[QueueState] = set()
        self._callback_queues: set[QueueState] = set()
        # Agents a command addressed (they may change without an event: a busy agent's
        # pause waits for the end of the call); see take_addressed_agents.
        self._addressed: set[str] = set()

    # ------------------------------------------------------------------ configuration

    def add_queue(self, config: QueueConfig) -> None:
        if config.queue_id in self._queues:
            raise DuplicateIdError(f"queue {config.queue_id!r} already exists")
        queue = QueueState(config)
        fifo = self._offer_timers.get(config.offer_timeout)
        if fifo is None:
            fifo = self._offer_timers[config.offer_timeout] = {}
            self._offer_fifos.append(fifo)
        queue.offer_timers = fifo
        self._queues[config.queue_id] = queue

    def add_agent(self, config: AgentConfig) -> None:
        if config.agent_id in self._agents:
            raise DuplicateIdError(f"agent {config.agent_id!r} already exists")
        for queue_id in config.memberships:
            self._queue(queue_id)
        self._agent_seq += 1
        agent = AgentState(config, self._agent_seq, st.LOGGED_OUT)
        self._agents[config.agent_id] = agent
        for queue_id in config.memberships:
            self._queues[queue_id].members.add(agent.agent_id)

    def add_membership(
        self, agent_id: str, queue_id: str, chat_capacity: int | None = None
    ) -> None:
        """Make the agent a member of the queue (they log into it at their next login)."""
        agent = self._agent(agent_id)
        queue = self._queue(queue_id)
        agent.memberships[queue_id] = chat_capacity
        queue.members.add(agent_id)

    def remove_membership(self, agent_id: str, queue_id: str, now: float) -> list[Event]:
        """End a membership; an agent logged into that queue is logged out of it."""
        self._advance(now)
        agent = self._agent(agent_id)
        queue = self._queue(queue_id)
        agent.memberships.pop(queue_id, None)
        queue.members.discard(agent_id)
        events: list[Event] = []
        if queue_id in agent.seats:
            self._logout_seat(agent.seats[queue_id], now, events)
            self._after_agent_change(agent, now, events)
        return events

    # ------------------------------------------------------------------ agent commands

    def agent_login(
        self, agent_id: str, now: float, queue_ids: Iterable[str] | None = None
    ) -> list[Event]:
        """Log the agent in (ready) and into ``queue_ids`` (default: all their member
        queues). A queue they are not a member of is a temporary login: it lasts until they
        log out of it or out of everything."""
        self._advance(now)
        agent = self._agent(agent_id)
        targets = list(agent.memberships) if queue_ids is None else list(queue_ids)
        queues = [self._queue(q) for q in targets]
        was_logged_out = agent.presence is st.LOGGED_OUT
        agent.presence = agent.presence.login()
        events: list[Event] = []
        if was_logged_out:
            agent.idle_since = now
            agent.pause_reason = None
        for queue in queues:
            if queue.queue_id in agent.seats:
                continue
            member = queue.queue_id in agent.memberships
            capacity = agent.memberships.get(queue.queue_id) or agent.chat_capacity
            seat = Seat(
                agent,
                queue,
                queue.config.agent_level(agent.skills),
                temporary=not member,
                capacity=capacity,
            )
            seat.since = now
            agent.seats[queue.queue_id] = seat
            queue.seats[agent_id] = seat
            events.append(AgentQueueLoggedIn(now, agent_id, queue.queue_id, not member))
        _seats_changed(agent)
        self._after_agent_change(agent, now, events)
        return events

    def agent_ready(self, agent_id: str, now: float, queue_id: str | None = None) -> list[Event]:
        """Without ``queue_id``: end the global pause and every per-queue pause. With it:
        end the pause in that queue only."""
        self._advance(now)
        agent = self._agent(agent_id)
        events: list[Event] = []
        if queue_id is None:
            was_paused = agent.presence is st.PAUSED
            agent.presence = agent.presence.ready()
            agent.pause_reason = None
            agent.missed_in_a_row = 0
            if was_paused and agent.voice_work == 0 and agent.chat_work == 0:
                agent.idle_since = now
            for seat in agent.seats.values():
                if seat.paused:
                    seat.paused = False
                    seat.pause_reason = None
                    events.append(AgentQueueResumed(now, agent_id, seat.queue.queue_id))
        else:
            seat = self._seat(agent, queue_id, "become ready in a queue")
            if not seat.paused:
                raise InvalidTransitionError("agent queue login", "ready", "become ready")
            seat.paused = False
            seat.pause_reason = None
            events.append(AgentQueueResumed(now, agent_id, queue_id))
        self._after_agent_change(agent, now, events)
        return events

    def agent_pause(
        self,
        agent_id: str,
        now: float,
        reason: str = "break",
        queue_id: str | None = None,
    ) -> list[Event]:
        """Pause the agent everywhere, or only in ``queue_id``. A pause during a contact
        takes effect for new offers at once; open offers can still be accepted."""
        self._advance(now)
        agent = self._agent(agent_id)
        events: list[Event] = []
        if queue_id is None:
            agent.presence = agent.presence.pause()
            agent.pause_reason = reason
        else:
            seat = self._seat(agent, queue_id, "pause in a queue")
            seat.paused = True
            seat.pause_reason = reason
            events.append(AgentQueuePaused(now, agent_id, queue_id, reason))
        self._after_agent_change(agent, now, events)
        return events

    def agent_logout(self, agent_id: str, now: float, queue_id: str | None = None) -> list[Event]:
        """Log out of one queue, or of everything (refused during a connected contact; a
        wrap-up in progress ends, ``by=logout``). Open offers are withdrawn and their
        contacts go back to their place in line."""
        self._advance(now)
        agent = self._agent(agent_id)
        events: list[Event] = []
        if queue_id is not None:
            seat = self._seat(agent, queue_id, "log out of a queue")
            self._logout_seat(seat, now, events)
            self._after_agent_change(agent, now, events)
            return events
        if agent.connected_n:
            raise AgentBusyError(f"agent {agent_id!r} is connected to a contact")
        agent.presence = agent.presence.logout()  # raises when already logged out
        self._refresh(agent)  # out of every idle heap before offers are withdrawn
        for contact in [c for c in agent.contacts.values() if c.state is st.WRAP_UP]:
            self._finish_wrap(contact, now, EndedBy.LOGOUT, events, find_work=False)
        for seat in list(agent.seats.values()):
            self._logout_seat(seat, now, events)
        agent.pause_reason = None
        self._update_status(agent, now, events)
        return events

    def reset_day(self, now: float) -> list[Event]:
        """Midnight in the organization's time zone: reset the ``today`` counters."""
        self._advance(now)
        events: list[Event] = []
        for agent in self._agents.values():
            agent.handled_today = 0
            if agent.seats:
                self._refresh(agent)
        self._addressed.update(self._agents)
        return events

    # ------------------------------------------------------------------ contact commands

    def enqueue(self, contact: NewContact, now: float) -> list[Event]:
        """A contact arrives in a queue; it is offered at once if an agent is free."""
        if now < self._now:
            raise TimeWentBackwardsError(f"router at {self._now}, command at {now}")
        self._now = now
        contact_id = contact.contact_id
        contacts = self._contacts
        if contact_id in contacts:
            raise DuplicateIdError(f"contact {contact_id!r} is already live")
        queue = self._queues.get(contact.queue_id)
        if queue is None:
            raise UnknownQueueError(contact.queue_id)
        seq = self._seq = self._seq + 1
        c = Contact(contact_id, contact.kind, queue, contact.caller_id, now, seq, _QUEUED)
        contacts[contact_id] = c
        queue.contacts[contact_id] = c
        position = queue.waiting_count + 1
        if queue.uses_levels:
            self._init_level(c, now)
            est = self._estimate(queue, position, c.req_level)
        elif len(index := queue.levels[0]) + index.heap_live >= position:
            est = 0.0  # what estimate_wait gives: an idle agent for everyone ahead
        else:
            est = self._estimate(queue, position, 0)
        c.estimated_wait = est
        events: list[Event] = [
            ContactQueued(now, contact_id, queue.queue_id, c.kind, now, position, est)
        ]
        if queue.has_contact_timers:
            self._schedule_contact_timers(c)
        if position == 1:
            if self._try_route(c, now, events):
                return events
            self._push_waiting(c)
            if queue.records_waits:  # callbacks enabled
                self._consider_callback(c, now, events)
        elif not self._route_new(c, now, events) and queue.records_waits:
            self._consider_callback(c, now, events)
        return events

    def accept(self, offer_id: int, now: float) -> list[Event]:
        """The agent accepts an offer: the contact is connected (outcome *handled*)."""
        if now < self._now:
            raise TimeWentBackwardsError(f"router at {self._now}, command at {now}")
        self._now = now
        offer = self._offers.get(offer_id)
        if offer is None:
            raise UnknownOfferError(offer_id)
        c = offer.contact
        agent = offer.seat.agent
        queue = c.queue  # the offer's seat is in the contact's queue
        state = c.state
        c.state = _CONNECTED if state is _OFFERED else state.accept()
        del self._offers[offer_id]
        del agent.offers[offer_id]
        del queue.offer_timers[offer_id]
        offers = c.offers
        offers.remove(offer)
        contact_id = c.contact_id
        events: list[Event] = []
        freed: list[AgentState] | None = None
        if offers:  # ring all: the other offers are withdrawn
            freed = []
            for other in list(offers):
                self._release_offer(other)
                events.append(
                    OfferCancelled(
                        now,
                        other.offer_id,
                        contact_id,
                        queue.queue_id,
                        other.seat.agent.agent_id,
                        CancelReason.ANSWERED_ELSEWHERE,
                    )
                )
                freed.append(other.seat.agent)
        c.agent = agent
        c.connected_at = now
        del queue.contacts[contact_id]
        agent.contacts[contact_id] = c
        agent.connected_n += 1
        agent.handled_today += 1
        agent.missed_in_a_row = 0
        wait = now - c.queued_at
        if queue.records_waits:
            queue.callback_candidates.pop(contact_id, None)
            queue.add_wait(now, wait)
        agent_id = agent.agent_id
        events.append(
            ContactAccepted(now, offer_id, contact_id, queue.queue_id, agent_id, c.kind, wait)
        )
        if not agent.voice_work:  # a chat: the agent may still be idle for more chats
            self._refresh(agent)
            self._update_status(agent, now, events)
        elif agent.presence is _P_LOGGED_OUT:  # not reached: logging out withdraws offers
            self._update_status(agent, now, events)
        else:  # _update_status, inlined: connected, so busy
            previous = agent.status
            if previous is not _BUSY or agent.status_reason is not None:
                events.append(AgentStatusChanged(now, agent_id, _BUSY, previous, None))
                agent.status = _BUSY
                agent.status_reason = None
                agent.status_since = now
        if freed:
            for other_agent in freed:
                self._after_agent_change(other_agent, now, events)
        return events

    def decline(self, offer_id: int, now: float) -> list[Event]:
        """The agent declines: the offer is re-routed (not to them for ``reoffer_delay``)."""
        self._advance(now)
        offer = self._offer(offer_id)
        events: list[Event] = []
        c = offer.contact
        agent = offer.seat.agent
        self._release_offer(offer)
        agent.declined_total += 1
        events.append(OfferDeclined(now, offer_id, c.contact_id, c.queue.queue_id, agent.agent_id))
        self._exclude(c, agent, now)
        if not c.offers:
            self._requeue(c, now, events)
        self._after_agent_change(agent, now, events)
        return events

    def end_contact(self, contact_id: str, now: float) -> list[Event]:
        """The conversation is over (either side hung up / resolved): wrap-up starts."""
        if now < self._now:
            raise TimeWentBackwardsError(f"router at {self._now}, command at {now}")
        self._now = now
        c = self._contacts.get(contact_id)
        if c is None:
            raise UnknownContactError(contact_id)
        state = c.state
        c.state = _WRAPPING if state is _CONNECTED else state.end()
        agent = c.agent
        assert agent is not None
        agent.connected_n -= 1
        c.wrap_started_at = now
        queue = c.queue
        ws = queue.wrap_up_seconds
        agent_id = agent.agent_id
        handle = now - c.connected_at
        events: list[Event] = [
            WrapUpStarted(now, contact_id, queue.queue_id, agent_id, handle, now + ws)
        ]
        if ws > 0:
            agent.wrap_n += 1
            c.wrap_token += 1
            self._push_timer(now + ws, _T_WRAP, c, c.wrap_token)
            self._update_status(agent, now, events)
            return events
        # no wrap-up: it ends at once (_finish_wrap, inlined)
        c.state = _ENDED
        del agent.contacts[contact_id]
        if queue.is_chat:
            agent.chat_work -= 1
            agent.chats_by_queue[queue.queue_id] -= 1
        else:
            agent.voice_work -= 1
        if not agent.voice_work and not agent.chat_work:
            agent.idle_since = now
        times = queue.handle_times  # queue.add_handle_time(handle), inlined
        if len(times) == HANDLE_WINDOW:
            pos = queue.handle_pos
            queue.handle_sum -= times[pos]
            times[pos] = handle
            queue.handle_pos = (pos + 1) % HANDLE_WINDOW
        else:
            times.append(handle)
        queue.handle_sum += handle
        if queue.waiting_count:
            self._dirty.add(queue)
        del self._contacts[contact_id]
        events.append(WrapUpEnded(now, contact_id, queue.queue_id, agent_id, _AUTO, handle))
        self._agent_freed(agent, now, events)
        return events

    def end_wrap_up(
        self,
        agent_id: str,
        now: float,
        by: EndedBy = EndedBy.AGENT,
        contact_id: str | None = None,
    ) -> list[Event]:
        """End the agent's wrap-up early (one contact's, or all of them). An agent may do
        it only where the queue allows; a supervisor always may."""
        self._advance(now)
        agent = self._agent(agent_id)
        targets = [
            c
            for c in agent.contacts.values()
            if c.state is st.WRAP_UP and (contact_id is None or c.contact_id == contact_id)
        ]
        if not targets:
            raise InvalidTransitionError("agent", agent.status.value, "end wrap-up")
        if by is EndedBy.AGENT:
            for c in targets:
                if not c.queue.config.agent_may_end_wrap_up:
                    raise NotAllowedError(
                        f"queue {c.queue.queue_id!r} does not let agents end wrap-up"
                    )
        events: list[Event] = []
        for c in targets:
            self._finish_wrap(c, now, by, events, find_work=False)
        self._agent_freed(agent, now, events)
        return events

    def abandon(self, contact_id: str, now: float) -> list[Event]:
        """The customer left while queued or while being offered."""
        self._advance(now)
        c = self._contact(contact_id)
        c.state = c.state.abandon()
        events: list[Event] = []
        freed = self._leave_queue(c, now, events, CancelReason.CONTACT_LEFT)
        events.append(
            ContactAbandoned(now, c.contact_id, c.queue.queue_id, c.kind, now - c.queued_at)
        )
        for agent in freed:
            self._after_agent_change(agent, now, events)
        return events

    def expire(self, contact_id: str, now: float) -> list[Event]:
        """The contact leaves by the queue's exit (e.g. the call plan's on-timeout branch)."""
        self._advance(now)
        events: list[Event] = []
        self._expire(self._contact(contact_id), now, events)
        return events

    def accept_callback(
        self, contact_id: str, now: float, callback_contact_id: str | None = None
    ) -> list[Event]:
        """The caller accepted the callback offer: the call ends (outcome callback
        requested) and a callback contact takes its place in line."""
        self._advance(now)
        c = self._contact(contact_id)
        if not c.callback_offered:
            raise NotAllowedError(f"contact {contact_id!r} was not offered a callback")
        new_id = callback_contact_id or f"{contact_id}:callback"
        if new_id in self._contacts:
            raise DuplicateIdError(f"contact {new_id!r} is already live")
        c.state = c.state.request_callback()
        events: list[Event] = []
        freed = self._leave_queue(c, now, events, CancelReason.CALLBACK_REQUESTED)
        queue = c.queue
        cb = Contact(
            new_id,
            ContactKind.CALLBACK,
            queue,
            c.caller_id,
            c.queued_at,
            c.seq,
            st.QUEUED,
        )
        cb.callback_offered = True
        cb.req_level = c.req_level
        cb.step = c.step
        self._contacts[new_id] = cb
        queue.contacts[new_id] = cb
        events.append(CallbackRequested(now, contact_id, queue.queue_id, new_id, now - c.queued_at))
        if queue.uses_levels and cb.step < len(queue.config.skill_steps):
            step = queue.config.skill_steps[cb.step]
            self._push_timer(cb.queued_at + step.after_seconds, _T_WIDEN, cb, cb.step)
        self._route_new(cb, now, events)
        for agent in freed:
            self._after_agent_change(agent, now, events)
        return events

    def tick(self, now: float) -> list[Event]:
        """Fire due timers, then recompute estimated waits and callback offers."""
        self._advance(now)
        events: list[Event] = []
        timers = self._timers
        fifos = self._offer_fifos
        while True:
            # the next due timer: the heap's first, or the first open offer of a timeout
            # value (each list is in expiry order); ties in the order they were set
            offer: Offer | None = None
            for fifo in fifos:
                if fifo:
                    first = next(iter(fifo.values()))
                    if first.expires_at <= now and (
                        offer is None
                        or first.expires_at < offer.expires_at
                        or (
                            first.expires_at == offer.expires_at
                            and first.timer_seq < offer.timer_seq
                        )
                    ):
                        offer = first
            if timers and timers[0][0] <= now:
                if (
                    offer is None
                    or timers[0][0] < offer.expires_at
                    or (timers[0][0] == offer.expires_at and timers[0][1] < offer.timer_seq)
                ):
                    offer = None
                    _, _, kind, obj, token = heappop(timers)
                else:
                    kind = _T_OFFER
            elif offer is None:
                break
            else:
                kind = _T_OFFER
            if kind == _T_OFFER:
                assert offer is not None
                self._offer_timed_out(offer, now, events)
            elif kind == _T_WRAP:
                if obj.state is st.WRAP_UP and obj.wrap_token == token:
                    self._finish_wrap(obj, now, EndedBy.AUTO, events, find_work=True)
            elif kind == _T_MAX_WAIT:
                if obj.state is st.QUEUED:
                    self._expire(obj, now, events)
                elif obj.state is st.OFFERED:
                    obj.overdue = True
            elif kind == _T_WIDEN:
                if (obj.state is st.QUEUED or obj.state is st.OFFERED) and obj.step == token:
                    self._widen(obj, now, events)
            elif kind == _T_RETRY and obj.state is st.QUEUED and obj.in_waiting:
                self._dispatch_queue(obj.queue, now, events)
        if self._callback_queues:
            self._offer_callbacks(now, events)
        if self._dirty:
            self._update_estimates(now, events)
        return events

    def dispatch(self, now: float) -> list[Event]:
        """Offer every waiting contact that can be offered now, highest priority queue
        first, oldest contact first (used after :meth:`restore`)."""
        self._advance(now)
        events: list[Event] = []
        for queue in list(self.queues_with_waiting()):
            self._dispatch_queue(queue, now, events)
        return events

    def next_due(self) -> float | None:
        """When :meth:`tick` next has something to do (a lower bound; ``None``: nothing)."""
        due = self._timers[0][0] if self._timers else None
        for fifo in self._offer_fifos:
            if fifo:
                expires = next(iter(fifo.values())).expires_at
                if due is None or expires < due:
                    due = expires
        return due

    # ------------------------------------------------------------------ read-only views

    @property
    def now(self) -> float:
        return self._now

    def queue_ids(self) -> list[str]:
        return list(self._queues)

    def agent_ids(self) -> list[str]:
        return list(self._agents)

    def has_agent(self, agent_id: str) -> bool:
        return agent_id in self._agents

    def queue_config(self, queue_id: str) -> QueueConfig:
        return self._queue(queue_id).config

    def live_contact_ids(self) -> list[str]:
        return list(self._contacts)

    def contact_state(self, contact_id: str) -> str | None:
        """``queued``/``offered``/``connected``/``wrap_up``, or ``None`` once over."""
        c = self._contacts.get(contact_id)
        return c.state.name if c is not None else None

    def open_offers(self) -> list[tuple[int, str, str]]:
        """``(offer_id, contact_id, agent_id)`` of every open offer."""
        return [
            (o.offer_id, o.contact.contact_id, o.seat.agent.agent_id) for o in self._offers.values()
        ]

    def queues_with_waiting(self) -> Iterator[QueueState]:
        """Queues with waiting contacts, highest priority first."""
        for priority in reversed(self._priorities):
            yield from list(self._by_priority[priority].values())

    def waiting_count(self, queue_id: str) -> int:
        return self._queue(queue_id).waiting_count

    def idle_agent_count(self, queue_id: str) -> int:
        return sum(index.live for index in self._queue(queue_id).idle)

    def waiting_contacts(self, queue_id: str, now: float) -> list[WaitingContactView]:
        """The Waiting table: queued and offered contacts in line order."""
        queue = self._queue(queue_id)
        ordered = sorted(queue.contacts.values(), key=lambda c: (c.queued_at, c.seq))
        return [
            WaitingContactView(
                c.contact_id,
                queue_id,
                c.kind,
                c.state.name,
                pos,
                c.queued_at,
                now - c.queued_at,
                0.0 if c.state is st.OFFERED else c.estimated_wait,
                c.kind is ContactKind.CALLBACK,
                c.callback_offered,
                c.req_level,
            )
            for pos, c in enumerate(ordered, 1)
        ]

    def queue_agents(self, queue_id: str, now: float) -> list[QueueAgentView]:
        """The agents table of a queue: members and agents logged into it."""
        queue = self._queue(queue_id)
        ids = sorted(set(queue.members) | set(queue.seats), key=lambda a: self._agents[a].seq)
        views = []
        for agent_id in ids:
            agent = self._agents[agent_id]
            seat = queue.seats.get(agent_id)
            views.append(
                QueueAgentView(
                    agent_id,
                    agent.status,
                    agent.status_reason,
                    now - agent.status_since,
                    agent_id in queue.members,
                    seat is not None,
                    seat.temporary if seat else False,
                    seat.paused if seat else False,
                    seat.pause_reason if seat else None,
                    seat.level if seat else queue.config.agent_level(agent.skills),
                    agent.status_since,
                )
            )
        return views

    def agent_view(self, agent_id: str) -> AgentView:
        agent = self._agent(agent_id, reading=True)
        return AgentView(
            agent_id,
            agent.status,
            agent.status_reason,
            agent.status_since,
            tuple(agent.seats),
            tuple(q for q, s in agent.seats.items() if s.paused),
            tuple(agent.offers),
            tuple(agent.contacts),
            agent.handled_today,
            agent.missed_in_a_row,
            agent.missed_total,
        )

    # ------------------------------------------------------------------ snapshot / restore

    def snapshot(self) -> dict[str, Any]:
        """Plain data (JSON-compatible) from which :meth:`restore` rebuilds the router.
        Contacts being offered are stored as queued: an offer does not survive a restart."""
        queues = [config_to_dict(q.config) for q in self._queues.values()]
        agents = [self._agent_data(agent) for agent in self._agents.values()]
        contacts = self._contacts_data()
        return {
            "version": 1,
            "now": self._now,
            "seq": self._seq,
            "offer_seq": self._offer_seq,
            "rr": self._rr,
            "queues": queues,
            "agents": agents,
            "contacts": contacts,
        }

    def take_addressed_agents(self) -> set[str]:
        """The agents commands addressed since the last call. With the agents the events
        name, they are every agent whose :meth:`agent_snapshot` may have changed (the
        property tests hold the router to that)."""
        addressed, self._addressed = self._addressed, set()
        return addressed

    def agent_snapshot(self, agent_id: str) -> dict[str, Any]:
        """One agent's part of :meth:`snapshot`: what changed for the agents an event
        names, without building every agent's."""
        return self._agent_data(self._agent(agent_id, reading=True))

    def snapshot_without_agents(self) -> dict[str, Any]:
        """:meth:`snapshot` with ``agents`` left out (``agent_order`` instead): for a store
        that keeps each agent apart and rewrites only those :meth:`agent_snapshot` gave."""
        return {
            "version": 1,
            "now": self._now,
            "seq": self._seq,
            "offer_seq": self._offer_seq,
            "rr": self._rr,
            "queues": [config_to_dict(q.config) for q in self._queues.values()],
            "agent_order": list(self._agents),
            "contacts": self._contacts_data(),
        }

    @staticmethod
    def _agent_data(agent: AgentState) -> dict[str, Any]:
        return {
            "agent_id": agent.agent_id,
            "skills": dict(agent.skills),
            "chat_capacity": agent.chat_capacity,
            "memberships": dict(agent.memberships),
            "presence": agent.presence.name,
            "pause_reason": agent.pause_reason,
            "status_since": agent.status_since,
            "idle_since": agent.idle_since,
            "handled_today": agent.handled_today,
            "missed_in_a_row": agent.missed_in_a_row,
            "seats": [
                {
                    "queue_id": s.queue.queue_id,
                    "temporary": s.temporary,
                    "paused": s.paused,
                    "pause_reason": s.pause_reason,
                    "rr": s.rr,
                    "since": s.since,
                }
                for s in agent.seats.values()
            ],
        }

    def _contacts_data(self) -> list[dict[str, Any]]:
        contacts = []
        for c in sorted(self._contacts.values(), key=lambda c: c.seq):
            in_line = c.state is st.QUEUED or c.state is st.OFFERED
            contacts.append(
                {
                    "contact_id": c.contact_id,
                    "kind": c.kind.value,
                    "queue_id": c.queue.queue_id,
                    "caller_id": c.caller_id,
                    "queued_at": c.queued_at,
                    "seq": c.seq,
                    "state": "queued" if in_line else c.state.name,
                    "callback_offered": c.callback_offered,
                    "agent_id": c.agent.agent_id if c.agent is not None else None,
                    "connected_at": c.connected_at,
                    "wrap_up_started_at": c.wrap_started_at,
                }
            )
        return contacts

    @classmethod
    def restore(cls, snapshot: dict[str, Any]) -> Router:
        """Rebuild a router from :meth:`snapshot` data (or the same facts read from
        storage). Waiting contacts keep their place; nothing is offered until
        :meth:`dispatch` is called."""
        router = cls()
        router._now = float(snapshot["now"])
        router._seq = int(snapshot["seq"])
        router._offer_seq = int(snapshot["offer_seq"])
        router._rr = int(snapshot.get("rr", 0))
        for qdata in snapshot["queues"]:
            router.add_queue(config_from_dict(qdata))
        for adata in snapshot["agents"]:
            router.add_agent(
                AgentConfig(
                    adata["agent_id"],
                    skills=dict(adata["skills"]),
                    chat_capacity=int(adata["chat_capacity"]),
                    memberships=dict(adata["memberships"]),
                )
            )
            agent = router._agents[adata["agent_id"]]
            agent.presence = st.PRESENCE_BY_NAME[adata["presence"]]
            agent.pause_reason = adata["pause_reason"]
            agent.status_since = float(adata["status_since"])
            agent.idle_since = float(adata["idle_since"])
            agent.handled_today = int(adata["handled_today"])
            agent.missed_in_a_row = int(adata["missed_in_a_row"])
            for sdata in adata["seats"]:
                queue = router._queue(sdata["queue_id"])
                cap = agent.memberships.get(queue.queue_id) or agent.chat_capacity
                seat = Seat(
                    agent,
                    queue,
                    queue.config.agent_level(agent.skills),
                    sdata["temporary"],
                    cap,
                )
                seat.paused = bool(sdata["paused"])
                seat.pause_reason = sdata["pause_reason"]
                seat.rr = int(sdata["rr"])
                seat.since = float(sdata["since"])
                agent.seats[queue.queue_id] = seat
                queue.seats[agent.agent_id] = seat
            _seats_changed(agent)
        now = router._now
        for cdata in snapshot["contacts"]:
            queue = router._queue(cdata["queue_id"])
            state = cdata["state"]
            c = Contact(
                cdata["contact_id"],
                ContactKind(cdata["kind"]),
                queue,
                cdata["caller_id"],
                float(cdata["queued_at"]),
                int(cdata["seq"]),
                st.QUEUED,
            )
            c.callback_offered = bool(cdata["callback_offered"])
            router._contacts[c.contact_id] = c
            if state == "queued":
                queue.contacts[c.contact_id] = c
                if queue.uses_levels:
                    router._init_level(c, now)
                router._schedule_contact_timers(c)
                router._push_waiting(c)
                if (
                    queue.config.callback_enabled
                    and not c.callback_offered
                    and c.kind is ContactKind.CALL
                ):
                    queue.callback_candidates[c.contact_id] = c
                    router._callback_queues.add(queue)
            elif state in ("connected", "wrap_up"):
                agent = router._agent(cdata["agent_id"])
                c.agent = agent
                c.connected_at = float(cdata["connected_at"])
                agent.contacts[c.contact_id] = c
                if queue.is_chat:
                    agent.chat_work += 1
                    agent.chats_by_queue[queue.queue_id] = (
                        agent.chats_by_queue.get(queue.queue_id, 0) + 1
                    )
                else:
                    agent.voice_work += 1
                if state == "connected":
                    c.state = st.CONNECTED
                    agent.connected_n += 1
                else:
                    c.state = st.WRAP_UP
                    c.wrap_started_at = float(cdata["wrap_up_started_at"])
                    agent.wrap_n += 1
                    c.wrap_token = 1
                    ends = c.wrap_started_at + queue.config.wrap_up_seconds
                    router._push_timer(ends, _T_WRAP, c, 1)
            else:
                raise ValueError(f"contact {c.contact_id!r}: unknown state {state!r}")
        for agent in router._agents.values():
            router._refresh(agent)
            agent.status = router._derive_status(agent)
            agent.status_reason = agent.pause_reason if agent.status is AgentStatus.PAUSED else None
        return router

    # ------------------------------------------------------------------ internals: lookups

    def _advance(self, now: float) -> None:
        if now < self._now:
            raise TimeWentBackwardsError(f"router at {self._now}, command at {now}")
        self._now = now

    def _agent(self, agent_id: str, *, reading: bool = False) -> AgentState:
        try:
            agent = self._agents[agent_id]
        except KeyError:
            raise UnknownAgentError(agent_id) from None
        if not reading:
            self._addressed.add(agent_id)
        return agent

    def _queue(self, queue_id: str) -> QueueState:
        try:
            return self._queues[queue_id]
        except KeyError:
            raise UnknownQueueError(queue_id) from None

    def _contact(self, contact_id: str) -> Contact:
        try:
            return self._contacts[contact_id]
        except KeyError:
            raise UnknownContactError(contact_id) from None

    def _offer(self, offer_id: int) -> Offer:
        try:
            return self._offers[offer_id]
        except KeyError:
            raise UnknownOfferError(offer_id) from None

    def _seat(self, agent: AgentState, queue_id: str, action: str) -> Seat:
        self._queue(queue_id)
        seat = agent.seats.get(queue_id)
        if seat is None:
            raise InvalidTransitionError("agent queue login", "logged_out", action)
        return seat

    # ------------------------------------------------------------------ internals: agents

    def _derive_status(self, agent: AgentState) -> AgentStatus:
        if agent.presence is st.LOGGED_OUT:
            return AgentStatus.LOGGED_OUT
        if agent.connected_n:
            return AgentStatus.BUSY
        if agent.wrap_n:
            return AgentStatus.WRAP_UP
        if agent.presence is st.PAUSED:
            return AgentStatus.PAUSED
        return AgentStatus.READY

    def _update_status(self, agent: AgentState, now: float, events: list[Event]) -> None:
        presence = agent.presence
        if presence is _P_LOGGED_OUT:
            status = _LOGGED_OUT
        elif agent.connected_n:
            status = _BUSY
        elif agent.wrap_n:
            status = _WRAP_UP
        elif presence is _P_PAUSED:
            reason = agent.pause_reason  # the only status with a reason
            previous = agent.status
            if previous is not _PAUSED or reason != agent.status_reason:
                events.append(AgentStatusChanged(now, agent.agent_id, _PAUSED, previous, reason))
                agent.status = _PAUSED
                agent.status_reason = reason
                agent.status_since = now
            return
        else:
            status = _READY
        previous = agent.status
        if status is not previous or agent.status_reason is not None:
            events.append(AgentStatusChanged(now, agent.agent_id, status, previous, None))
            agent.status = status
            agent.status_reason = None
            agent.status_since = now

    def _after_agent_change(self, agent: AgentState, now: float, events: list[Event]) -> None:
        idle = self._refresh(agent)
        self._update_status(agent, now, events)
        if idle:
            self._find_work(agent, now, events)

    def _refresh(self, agent: AgentState) -> bool:
        """Bring the agent's seats in the idle indexes up to date; True if idle in a queue
        where contacts wait.
        Touches only the agent's own seats: O(k log n) for k seats (O(k) with longest
        idle). The idle key is :func:`~helpline.core.acd.strategies.idle_key`, inlined here
        (hot path)."""
        ready = agent.presence is _P_READY
        chats = agent.chat_work
        if not ready or agent.voice_work:
            mode = 0  # idle nowhere
        elif not chats:
            mode = 1  # free: idle in every unpaused seat
        elif chats < agent.chat_capacity:
            mode = 2  # chatting: idle in chat seats with room
        else:
            mode = 0
        idle_since = agent.idle_since
        seq = agent.seq
        # one new token for every entry added now: a seat's entries still get distinct ones
        tok = self._tok = self._tok + 1
        dirty = self._dirty
        any_idle = False
        staffed_changed = False
        shared: list[IdleIndex] = []  # the indexes of the shared seats to be idle in
        for seat in agent.seat_list:
            queue = seat.queue
            staffed = ready and not seat.paused
            if staffed is not seat.staffed:
                seat.staffed = staffed
                staffed_changed = True
                queue.staffed[seat.level] += 1 if staffed else -1
                if queue.waiting_count:
                    dirty.add(queue)
            if seat.shared:  # voice: idle only when free
                if staffed and mode == 1:
                    shared.append(seat.index)
                    if queue.waiting_count:
                        any_idle = True
                continue
            if (
                not staffed
                or mode == 0
                or (
                    mode == 2
                    and (
                        not seat.is_chat
                        or agent.chats_by_queue.get(queue.queue_id, 0) >= seat.capacity
                    )
                )
            ):
                if seat.entry is not None:
                    _remove(seat.index, seat)
                    seat.entry = None
                    if queue.waiting_count:
                        dirty.add(queue)
                continue
            waiting = queue.waiting_count
            if waiting:
                any_idle = True
            kind = seat.kind
            if kind == KEY_IDLE_SINCE:
                k0 = idle_since
                k1 = 0.0
            elif kind == KEY_CHATS_THEN_IDLE:
                k0 = float(chats)
                k1 = idle_since
            elif kind == KEY_ROUND_ROBIN:
                k0 = float(seat.rr)
                k1 = float(chats)
            else:
                k0 = float(agent.handled_today)
                k1 = idle_since
            index = seat.index
            old = seat.entry
            if old is None:
                if waiting:
                    dirty.add(queue)
            elif old[0] == k0 and old[1] == k1:
                continue  # its entry is in the index, up to date
            else:
                _remove(index, seat)
            entry: IdleEntry = (k0, k1, seq, tok, seat)
            seat.entry = entry  # the seat's previous entry (if any) is void
            _add(index, seat, entry, seat.fifo_ok)
        if staffed_changed:
            _staffed_changed(agent)
        indexes = tuple(shared)
        current = agent.entry
        if indexes != agent.shared_idle or (current is not None and current[0] != idle_since):
            self._share(agent, indexes, tok)
        return any_idle

    def _share(self, agent: AgentState, indexes: tuple[IdleIndex, ...], tok: int) -> None:
        """Make the agent idle in the ``indexes`` of their shared seats (only there): a new
        shared entry, added to each (the previous one is void)."""
        dirty = self._dirty
        if agent.entry is not None:
            for index in agent.shared_idle:
                _remove(index, agent)
                if index.waiting:
                    dirty.add(index.queue)
        if not indexes:
            agent.entry = None
            agent.shared_idle = ()
            agent.shared_heaped = False
            return
        idle_since = agent.idle_since
        entry: IdleEntry = (idle_since, 0.0, agent.seq, tok, agent)
        agent.entry = entry
        agent.shared_idle = indexes
        heaped = False
        for index in indexes:
            if index.waiting:
                dirty.add(index.queue)
            if _add(index, agent, entry, True):
                heaped = True
        agent.shared_heaped = heaped
        if idle_since > self._fifo_k0:
            self._fifo_k0 = idle_since

    def _refresh_free(self, agent: AgentState) -> None:
        """:meth:`_refresh` of a ready agent whose work just ended (so their seats' staffed
        flags are up to date), none of whose queues has a contact waiting (so no estimate
        changes and no work to find): idle in every unpaused seat. Their shared entry
        (left at the offer) is appended to each of its indexes without touching the
        seats; other seats get an entry each."""
        idle_since = agent.idle_since
        seq = agent.seq
        tok = self._tok = self._tok + 1
        indexes = agent.shared_staffed
        current = agent.entry
        if current is None:
            if not indexes:
                pass  # idle in no shared queue: nothing to add
            elif idle_since > self._fifo_k0:
                # later than every entry of every longest-idle fifo: added at the end of
                # each, without comparing
                entry: IdleEntry = (idle_since, 0.0, seq, tok, agent)
                agent.entry = entry
                agent.shared_idle = indexes
                for index in indexes:
                    index[agent] = entry  # (the entry, one object for all: no seat touched)
                agent.shared_heaped = False
                self._fifo_k0 = idle_since
            else:
                self._share(agent, indexes, tok)
        elif indexes != agent.shared_idle or current[0] != idle_since:
            self._share(agent, indexes, tok)
        for seat in agent.other_seats:
            if seat.paused:
                if seat.staffed:
                    seat.staffed = False
                    seat.queue.staffed[seat.level] -= 1
                if seat.entry is not None:
                    _remove(seat.index, seat)
                    seat.entry = None
                continue
            if not seat.staffed:
                seat.staffed = True
                seat.queue.staffed[seat.level] += 1
            kind = seat.kind
            if kind == KEY_IDLE_SINCE:
                k0 = idle_since
                k1 = 0.0
            elif kind == KEY_ROUND_ROBIN:
                k0 = float(seat.rr)
                k1 = 0.0
            elif kind == KEY_CHATS_THEN_IDLE:
                k0 = 0.0
                k1 = idle_since
            else:
                k0 = float(agent.handled_today)
                k1 = idle_since
            index = seat.index
            old = seat.entry
            if old is not None:
                if old[0] == k0 and old[1] == k1:
                    continue
                _remove(index, seat)
            entry = (k0, k1, seq, tok, seat)
            seat.entry = entry
            if seat.fifo_ok and (not index or next(reversed(index.values())) < entry):
                index[seat] = entry
                continue
            heap = index.heap
            heappush(heap, entry)
            heap_live = index.heap_live = index.heap_live + 1
            if len(heap) > 2 * heap_live + VOID_SLACK:
                index.compact()

    def _logout_seat(self, seat: Seat, now: float, events: list[Event]) -> None:
        agent = seat.agent
        queue = seat.queue
        if seat.shared:
            if seat.index in agent.shared_idle:
                self._share(agent, (), 0)  # out of all: the caller's refresh puts it back
        elif seat.entry is not None:
            _remove(seat.index, seat)
            seat.entry = None
        if seat.staffed:
            seat.staffed = False
            queue.staffed[seat.level] -= 1
        if queue.waiting_count:
            self._dirty.add(queue)
        del agent.seats[queue.queue_id]
        _seats_changed(agent)
        del queue.seats[agent.agent_id]
        events.append(AgentQueueLoggedOut(now, agent.agent_id, queue.queue_id))
        for offer in [o for o in agent.offers.values() if o.seat is seat]:
            c = offer.contact
            self._release_offer(offer)
            events.append(
                OfferCancelled(
                    now,
                    offer.offer_id,
                    c.contact_id,
                    queue.queue_id,
                    agent.agent_id,
                    CancelReason.AGENT_LOGGED_OUT,
                )
            )
            if not c.offers:
                self._requeue(c, now, events)

    def _find_work(self, agent: AgentState, now: float, events: list[Event]) -> None:
        """The agent became free somewhere: offer them the best waiting contact among
        their queues (highest priority, then longest waiting). Repeats while the agent
        still has capacity (chats)."""
        while True:
            found = self._best_work(agent, now, any_staffed=False)
            if found is None:
                return
            c, seat = found
            if seat.queue.strategy is Strategy.RING_ALL:
                self._try_route(c, now, events)
            else:
                self._make_offer(c, seat, now, events)
            if not seat.queue.is_chat:
                return

    def _best_work(
        self, agent: AgentState, now: float, *, any_staffed: bool
    ) -> tuple[Contact, Seat] | None:
        """The contact the agent should take next and the seat it comes through: among
        the seats where the agent is idle (or, with ``any_staffed``, every seat where they
        are logged in and not paused), the highest priority queue, then the oldest
        contact they may take."""
        agent_id = agent.agent_id
        best: WaitingEntry | None = None
        best_seat: Seat | None = None
        best_priority = 0
        shared_idle = agent.shared_idle
        # (the index's flag first: no seat touched in the queues where nobody waits)
        seats = agent.seat_list
        for i, index in enumerate(agent.seat_indexes):
            if not index.waiting:
                continue
            seat = seats[i]
            if any_staffed:
                if not seat.staffed:
                    continue
            elif not (index in shared_idle if seat.shared else seat.entry is not None):
                continue
            queue = seat.queue
            head = self._head(queue, seat.level, agent_id, now)
            if head is None:
                continue
            if (
                best is None
                or queue.priority > best_priority
                or (queue.priority == best_priority and head < best)
            ):
                best = head
                best_seat = seat
                best_priority = queue.priority
        if best is None or best_seat is None:
            return None
        return best[3], best_seat

    def _agent_freed(self, agent: AgentState, now: float, events: list[Event]) -> None:
        """The agent's work ended (presence unchanged). If they are now free and a
        contact waits for them, offer it straight away, without a round trip through the
        idle indexes; if none waits in any of their queues (the common case), only put
        them back into the indexes (:meth:`_refresh_free`)."""
        if agent.presence is not _P_READY or agent.voice_work or agent.chat_work:
            self._update_status(agent, now, events)
        else:
            # _update_status, inlined: ready, without work
            previous = agent.status
            if previous is not _READY or agent.status_reason is not None:
                events.append(AgentStatusChanged(now, agent.agent_id, _READY, previous, None))
                agent.status = _READY
                agent.status_reason = None
                agent.status_since = now
            # (the indexes rather than the queues: the refresh touches them anyway)
            for index in agent.seat_indexes:
                if index.waiting:
                    break
            else:
                self._refresh_free(agent)  # idle everywhere, no work to find
                return
            found = self._best_work(agent, now, any_staffed=True)
            if found is not None:
                c, seat = found
                queue = seat.queue
                if queue.strategy is not _RING_ALL and not queue.is_chat:
                    self._make_offer(c, seat, now, events)
                    return
        if self._refresh(agent):
            self._find_work(agent, now, events)

    # ------------------------------------------------------------------ internals: routing

    def _head(
        self, queue: QueueState, level: int, agent_id: str, now: float
    ) -> WaitingEntry | None:
        """The first waiting contact of ``queue`` that an agent of ``level`` may take and
        has not just declined or missed (at most ``_SCAN_LIMIT`` such are skipped)."""
        best: WaitingEntry | None = None
        waiting = queue.waiting
        for lvl in range(level + 1) if queue.uses_levels else _LEVEL0:
            heap = waiting[lvl]
            aside: list[WaitingEntry] | None = None
            while heap:
                entry = heap[0]
                c = entry[3]
                if c.wait_token != entry[2]:
                    heappop(heap)
                    continue
                excluded = c.excluded
                if excluded is not None and excluded.get(agent_id, _NEG_INF) > now:
                    if aside is None:
                        aside = []
                    elif len(aside) >= _SCAN_LIMIT:
                        break
                    aside.append(heappop(heap))
                    continue
                if best is None or entry < best:
                    best = entry
                break
            if aside:
                for entry in aside:
                    heappush(heap, entry)
        return best

    def _route_new(self, c: Contact, now: float, events: list[Event]) -> bool:
        """Route a contact entering (or going back into) its queue; True if offered.
        When others wait in the queue, it joins the line and the idle agents take the
        contacts they may take, oldest first (FIFO even when an agent had been skipped by
        an older contact whose re-offer delay has just run out)."""
        queue = c.queue
        if not queue.waiting_count:
            if self._try_route(c, now, events):
                return True
            self._push_waiting(c)
            return False
        self._push_waiting(c)
        if any(index or index.heap_live for index in queue.indexes):
            self._dispatch_queue(queue, now, events)
        return not c.in_waiting

    def _dispatch_queue(self, queue: QueueState, now: float, events: list[Event]) -> None:
        """Give the queue's idle agents the waiting contacts they may take, best agent
        first, each their oldest eligible contact."""
        ring_all = queue.strategy is Strategy.RING_ALL
        aside: list[IdleEntry] = []
        levels: Iterable[int] = range(LEVELS - 1, -1, -1) if queue.uses_levels else _LEVEL0
        while queue.waiting_count:
            entry: IdleEntry | None = None
            heap: list[IdleEntry] = []
            for lvl in levels:
                index = queue.levels[lvl]
                _flush(index)  # a refresh during an offer may have added to it
                heap = index.heap
                while heap:
                    top = heap[0]
                    if top[4].entry is top:
                        entry = top
                        break
                    heappop(heap)  # void
                if entry is not None:
                    break
            if entry is None:
                break
            seat = _seat_of(entry, queue)
            head = self._head(queue, seat.level, seat.agent.agent_id, now)
            if head is None:
                aside.append(heappop(heap))  # ``entry``, still on top
            elif ring_all:
                self._try_route(head[3], now, events)
            else:
                # the entry stays: a voice offer voids it, a chat offer may keep it live
                self._make_offer(head[3], seat, now, events)
        for entry in aside:  # (heap_live unchanged: they were live and still are)
            heappush(_seat_of(entry, queue).index.heap, entry)

    def _try_route(self, c: Contact, now: float, events: list[Event]) -> bool:
        """Offer ``c`` to the best idle agent(s) of its queue; False if none."""
        queue = c.queue
        excluded = c.excluded
        if excluded is None and queue.simple:  # hot path: one index, no exclusions
            # the smallest live entry: the fifo's first or the heap's first live one
            index = queue.levels[0]
            heap_live = index.heap_live
            if heap_live:
                heap = index.heap
                while True:
                    top = heap[0]
                    if top[4].entry is top:
                        break
                    if len(heap) > 2 * heap_live + VOID_SLACK:
                        index.compact()  # mostly void: cheaper than popping them one by one
                    else:
                        heappop(heap)
                if not index or top < next(iter(index.values())):
                    if not queue.is_chat:
                        # the voice offer voids it (and counts it out of ``heap_live``)
                        heappop(heap)
                    self._make_offer(c, _seat_of(top, queue), now, events)
                    return True
            elif not index:
                return False
            # the offer takes it out of the fifo (or, for a chat, may leave it there)
            holder: Any = next(iter(index))
            if queue.shared:
                holder = holder.seats[queue.queue_id]
            self._make_offer(c, holder, now, events)
            return True
        if excluded is not None:
            for agent_id, until in list(excluded.items()):
                if until <= now:
                    del excluded[agent_id]
            if not excluded:
                excluded = c.excluded = None
        levels: Iterable[int] = (
            range(LEVELS - 1, c.req_level - 1, -1) if queue.uses_levels else _LEVEL0
        )
        ring_all = queue.strategy is Strategy.RING_ALL
        chosen: list[Seat] = []
        for lvl in levels:
            index = queue.levels[lvl]
            if not index and not index.heap_live:
                continue
            _flush(index)
            heap = index.heap
            aside = []
            while heap:
                entry = heap[0]
                if entry[4].entry is not entry:
                    heappop(heap)
                    continue
                seat = _seat_of(entry, queue)
                if excluded is not None and seat.agent.agent_id in excluded:
                    aside.append(heappop(heap))
                    continue
                if not ring_all:
                    chosen.append(seat)
                    break
                aside.append(heappop(heap))
                chosen.append(seat)
            for entry in aside:
                heappush(heap, entry)
            if chosen and not ring_all:
                break
        if not chosen:
            return False
        for seat in chosen:
            self._make_offer(c, seat, now, events)
        return True

    def _make_offer(self, c: Contact, seat: Seat, now: float, events: list[Event]) -> None:
        agent = seat.agent
        queue = seat.queue
        offer_id = self._offer_seq = self._offer_seq + 1
        expires = now + queue.offer_timeout
        # the timer sequence orders the offer's timeout among the router's timers
        timer_seq = self._timer_seq = self._timer_seq + 1
        offer = Offer(offer_id, c, seat, now, expires, timer_seq)
        self._offers[offer_id] = offer
        agent.offers[offer_id] = offer
        c.offers.append(offer)
        state = c.state
        c.state = _OFFERED if state is _QUEUED else state.offer()
        if c.in_waiting:
            c.in_waiting = False
            self._tok += 1
            c.wait_token = self._tok
            self._dec_waiting(queue)
        seat.rr = self._rr = self._rr + 1
        queue.offer_timers[offer_id] = offer  # in expiry order: ``now`` never goes back
        if queue.is_chat:
            agent.chat_work += 1
            agent.chats_by_queue[queue.queue_id] = agent.chats_by_queue.get(queue.queue_id, 0) + 1
        else:
            voice_work = agent.voice_work = agent.voice_work + 1
            if voice_work == 1:  # voice is exclusive: idle nowhere
                dirty = self._dirty
                if agent.entry is not None:  # out of every shared index
                    agent.entry = None  # void where it is in a heap
                    indexes = agent.shared_idle
                    if agent.shared_heaped:
                        for index in indexes:
                            _remove(index, agent)
                        agent.shared_heaped = False
                    else:
                        for index in indexes:
                            del index[agent]
                    for index in indexes:
                        if index.waiting:
                            dirty.add(index.queue)
                    agent.shared_idle = ()
                for other in agent.other_seats:
                    if other.entry is not None:
                        other.entry = None  # its idle entry is void
                        index = other.index
                        if index.pop(other, None) is None:
                            index.heap_live -= 1
                        if index.waiting:
                            dirty.add(other.queue)
                agent_id = agent.agent_id
                events.append(
                    ContactOffered(
                        now, offer_id, c.contact_id, queue.queue_id, agent_id, c.kind, expires
                    )
                )
                return
        events.append(
            ContactOffered(
                now,
                offer_id,
                c.contact_id,
                queue.queue_id,
                agent.agent_id,
                c.kind,
                expires,
            )
        )
        self._refresh(agent)

    def _release_offer(self, offer: Offer) -> None:
        """Close an offer that was not accepted; the agent's capacity is given back (the
        caller refreshes the agent)."""
        del self._offers[offer.offer_id]
        agent = offer.seat.agent
        del agent.offers[offer.offer_id]
        offer.contact.offers.remove(offer)
        queue = offer.seat.queue
        del queue.offer_timers[offer.offer_id]
        if queue.is_chat:
            agent.chat_work -= 1
            agent.chats_by_queue[queue.queue_id] -= 1
        else:
            agent.voice_work -= 1

    def _offer_timed_out(self, offer: Offer, now: float, events: list[Event]) -> None:
        c = offer.contact
        seat = offer.seat
        agent = seat.agent
        queue = seat.queue
        self._release_offer(offer)
        events.append(
            OfferTimedOut(now, offer.offer_id, c.contact_id, queue.queue_id, agent.agent_id)
        )
        agent.missed_in_a_row += 1
        agent.missed_total += 1
        limit = queue.config.auto_pause_after_missed
        if limit is not None and agent.missed_in_a_row >= limit and agent.presence is st.READY:
            agent.presence = agent.presence.pause()
            agent.pause_reason = AUTO_PAUSE_REASON
            events.append(
                AgentAutoPaused(now, agent.agent_id, queue.queue_id, agent.missed_in_a_row)
            )
        self._exclude(c, agent, now)
        if not c.offers:
            self._requeue(c, now, events)
        self._after_agent_change(agent, now, events)

    def _exclude(self, c: Contact, agent: AgentState, now: float) -> None:
        delay = c.queue.config.reoffer_delay
        if delay <= 0:
            return
        if c.excluded is None:
            c.excluded = {}
        c.excluded[agent.agent_id] = now + delay
        self._push_timer(now + delay, _T_RETRY, c, 0)

    def _requeue(self, c: Contact, now: float, events: list[Event]) -> None:
        c.state = c.state.requeue()
        if c.overdue:
            self._expire(c, now, events)
            return
        events.append(ContactRequeued(now, c.contact_id, c.queue.queue_id, c.queued_at))
        self._route_new(c, now, events)

    def _leave_queue(
        self, c: Contact, now: float, events: list[Event], reason: CancelReason
    ) -> list[AgentState]:
        """Remove a contact that leaves its queue (already in its final state)."""
        queue = c.queue
        if c.in_waiting:
            c.in_waiting = False
            self._tok += 1
            c.wait_token = self._tok
            self._dec_waiting(queue)
        freed = []
        for offer in list(c.offers):
            self._release_offer(offer)
            agent = offer.seat.agent
            events.append(
                OfferCancelled(
                    now,
                    offer.offer_id,
                    c.contact_id,
                    queue.queue_id,
                    agent.agent_id,
                    reason,
                )
            )
            freed.append(agent)
        del self._contacts[c.contact_id]
        del queue.contacts[c.contact_id]
        if queue.records_waits:
            queue.callback_candidates.pop(c.contact_id, None)
            queue.add_wait(now, now - c.queued_at)
        return freed

    def _expire(self, c: Contact, now: float, events: list[Event]) -> None:
        c.state = c.state.expire()
        freed = self._leave_queue(c, now, events, CancelReason.CONTACT_LEFT)
        events.append(
            ContactExpired(now, c.contact_id, c.queue.queue_id, c.kind, now - c.queued_at)
        )
        for agent in freed:
            self._after_agent_change(agent, now, events)

    def _finish_wrap(
        self,
        c: Contact,
        now: float,
        by: EndedBy,
        events: list[Event],
        *,
        find_work: bool,
    ) -> None:
        c.state = c.state.finish_wrap_up()
        agent = c.agent
        assert agent is not None
        queue = c.queue
        agent.wrap_n -= 1
        del agent.contacts[c.contact_id]
        if queue.is_chat:
            agent.chat_work -= 1
            agent.chats_by_queue[queue.queue_id] -= 1
        else:
            agent.voice_work -= 1
        if agent.voice_work == 0 and agent.chat_work == 0:
            agent.idle_since = now
        handle = now - c.connected_at
        queue.add_handle_time(handle)
        if queue.waiting_count:
            self._dirty.add(queue)
        del self._contacts[c.contact_id]
        events.append(WrapUpEnded(now, c.contact_id, queue.queue_id, agent.agent_id, by, handle))
        if find_work:
            self._agent_freed(agent, now, events)

    # ------------------------------------------------------------------ internals: waiting

    def _push_waiting(self, c: Contact) -> None:
        queue = c.queue
        self._tok += 1
        c.wait_token = self._tok
        c.in_waiting = True
        heap = queue.waiting[c.req_level]
        heappush(heap, (c.queued_at, c.seq, c.wait_token, c))
        self._inc_waiting(queue)
        if len(heap) > _COMPACT_MIN and len(heap) > 4 * queue.waiting_count:
            heap[:] = [e for e in heap if e[3].wait_token == e[2]]
            heapify(heap)

    def _inc_waiting(self, queue: QueueState) -> None:
        queue.waiting_count += 1
        self._dirty.add(queue)
        if queue.waiting_count == 1:
            for index in queue.indexes:
                index.waiting = True
            bucket = self._by_priority.get(queue.priority)
            if bucket is None:
                bucket = self._by_priority[queue.priority] = {}
                insort(self._priorities, queue.priority)
            bucket[queue.queue_id] = queue

    def _dec_waiting(self, queue: QueueState) -> None:
        queue.waiting_count -= 1
        self._dirty.add(queue)
        if queue.waiting_count == 0:
            for index in queue.indexes:
                index.waiting = False
            del self._by_priority[queue.priority][queue.queue_id]

    def _ordered_waiting(self, queue: QueueState) -> list[Contact]:
        entries = [e for heap in queue.waiting for e in heap if e[3].wait_token == e[2]]
        entries.sort()
        return [e[3] for e in entries]

    def _init_level(self, c: Contact, now: float) -> None:
        steps = c.queue.config.skill_steps
        c.req_level = 1
        c.step = 0
        waited = now - c.queued_at
        while c.step < len(steps) and steps[c.step].after_seconds <= waited:
            c.req_level = steps[c.step].min_proficiency
            c.step += 1

    def _schedule_contact_timers(self, c: Contact) -> None:
        config = c.queue.config
        if config.max_wait is not None and c.kind is not ContactKind.CALLBACK:
            self._push_timer(c.queued_at + config.max_wait, _T_MAX_WAIT, c, 0)
        if c.queue.uses_levels and c.step < len(config.skill_steps):
            step: SkillStep = config.skill_steps[c.step]
            self._push_timer(c.queued_at + step.after_seconds, _T_WIDEN, c, c.step)

    def _widen(self, c: Contact, now: float, events: list[Event]) -> None:
        steps = c.queue.config.skill_steps
        level = steps[c.step].min_proficiency
        c.step += 1
        if c.step < len(steps):
            self._push_timer(c.queued_at + steps[c.step].after_seconds, _T_WIDEN, c, c.step)
        if level == c.req_level:
            return
        c.req_level = level
        events.append(SkillRequirementWidened(now, c.contact_id, c.queue.queue_id, level))
        if c.in_waiting:
            self._tok += 1
            c.wait_token = self._tok
            heappush(c.queue.waiting[level], (c.queued_at, c.seq, c.wait_token, c))
            self._dirty.add(c.queue)
            self._dispatch_queue(c.queue, now, events)

    def _push_timer(self, due: float, kind: int, obj: object, token: int) -> None:
        self._timer_seq += 1
        heappush(self._timers, (due, self._timer_seq, kind, obj, token))

    # ------------------------------------------------------------------ internals: estimates

    def _estimate(self, queue: QueueState, position: int, level: int) -> float | None:
        if queue.uses_levels:
            able = sum(queue.staffed[level:])
            idle = sum(index.live for index in queue.levels[level:])
        else:
            able = queue.staffed[0]
            idle = queue.levels[0].live
        return estimate_wait(position, able, idle, queue.average_handle_time())

    def _update_estimates(self, now: float, events: list[Event]) -> None:
        dirty = self._dirty
        self._dirty = set()
        for queue in sorted(dirty, key=_QUEUE_ID):
            if not queue.waiting_count:
                continue
            queue_id = queue.queue_id
            uses_levels = queue.uses_levels
            if uses_levels:
                contacts = self._ordered_waiting(queue)
                able = idle = 0
                aht = 0.0
            else:
                # every contact has the same inputs but its position: _estimate and
                # estimate_wait, inlined below
                entries = [e for e in queue.waiting[0] if e[3].wait_token == e[2]]
                entries.sort()
                contacts = [e[3] for e in entries]
                able = queue.staffed[0]
                idle = queue.levels[0].live
                aht = queue.average_handle_time()
            for position, c in enumerate(contacts, 1):
                est: float | None
                if uses_levels:
                    est = self._estimate(queue, position, c.req_level)
                elif able <= 0:
                    est = None
                else:
                    ahead = position - idle
                    est = 0.0 if ahead <= 0 else ahead * aht / able
                old = c.estimated_wait
                if (est is None) != (old is None) or (
                    est is not None and old is not None and abs(est - old) >= EW_MIN_CHANGE
                ):
                    c.estimated_wait = est
                    events.append(EstimatedWaitUpdated(now, c.contact_id, queue_id, position, est))

    # ------------------------------------------------------------------ internals: callbacks

    def _agents_available(self, queue: QueueState, level: int) -> int:
        if queue.uses_levels:
            return sum(index.live for index in queue.levels[level:])
        return queue.levels[0].live

    def _consider_callback(self, c: Contact, now: float, events: list[Event]) -> None:
        queue = c.queue
        config = queue.config
        if not config.callback_enabled or c.kind is not ContactKind.CALL:
            return
        if should_offer_callback(
            enabled=True,
            already_offered=c.callback_offered,
            average_wait_15min=queue.average_recent_wait(now),
            threshold=config.callback_threshold,
            agents_available=self._agents_available(queue, c.req_level),
            caller_id=c.caller_id,
        ):
            c.callback_offered = True
            events.append(CallbackOffered(now, c.contact_id, queue.queue_id))
        elif not c.callback_offered:
            queue.callback_candidates[c.contact_id] = c
            self._callback_queues.add(queue)

    def _offer_callbacks(self, now: float, events: list[Event]) -> None:
        for queue in sorted(self._callback_queues, key=lambda q: q.queue_id):
            config = queue.config
            average = queue.average_recent_wait(now)
            if average is None or average <= config.callback_threshold:
                continue
            for c in list(queue.callback_candidates.values()):
                if c.state is not st.QUEUED:
                    continue
                if should_offer_callback(
                    enabled=True,
                    already_offered=c.callback_offered,
                    average_wait_15min=average,
                    threshold=config.callback_threshold,
                    agents_available=self._agents_available(queue, c.req_level),
                    caller_id=c.caller_id,
                ):
                    c.callback_offered = True
                    del queue.callback_candidates[c.contact_id]
                    events.append(CallbackOffered(now, c.contact_id, queue.queue_id))
        self._callback_queues = {q for q in self._callback_queues if q.callback_candidates}


def _seat_of(entry: IdleEntry, queue: QueueState) -> Seat:
    """The seat of an idle entry of ``queue``'s (its holder, or its agent's seat there)."""
    holder = entry[4]
    if type(holder) is Seat:
        return holder
    assert isinstance(holder, AgentState)
    return holder.seats[queue.queue_id]


def _seats_changed(agent: AgentState) -> None:
    """Recompute the agent's tuples derived from ``seats``."""
    seats = tuple(agent.seats.values())
    agent.seat_list = seats
    agent.seat_indexes = tuple(seat.index for seat in seats)
    agent.shared_seats = tuple(seat for seat in seats if seat.shared)
    agent.other_seats = tuple(seat for seat in seats if not seat.shared)
    _staffed_changed(agent)


def _staffed_changed(agent: AgentState) -> None:
    """Recompute the agent's tuple derived from their shared seats' ``staffed`` flags."""
    agent.shared_staffed = tuple(seat.index for seat in agent.shared_seats if seat.staffed)


def _add(index: IdleIndex, holder: Seat | AgentState, entry: IdleEntry, fifo_ok: bool) -> bool:
    """Put the holder's new live entry into the index (it has none there): at the end of
    the fifo if larger than its last entry (and ``fifo_ok``), else into the heap (then
    True)."""
    if fifo_ok and (not index or next(reversed(index.values())) < entry):
        index[holder] = entry
        return False
    heap = index.heap
    heappush(heap, entry)
    heap_live = index.heap_live = index.heap_live + 1
    if len(heap) > 2 * heap_live + VOID_SLACK:
        index.compact()
    return True


def _remove(index: IdleIndex, holder: Seat | AgentState) -> None:
    """Take the holder's live entry out of the index (the caller voids it)."""
    if index.pop(holder, None) is None:
        index.heap_live -= 1  # in the heap: void once the holder's entry changes


def _flush(index: IdleIndex) -> None:
    """Move the fifo's entries into the heap (for the paths that walk the idle agents in
    order: exclusions, dispatch)."""
    if index:
        heap = index.heap
        for holder, entry in index.items():
            heappush(heap, entry)
            if type(holder) is AgentState:
                holder.shared_heaped = True
        index.heap_live += len(index)
        index.clear()


def config_to_dict(config: QueueConfig) -> dict[str, Any]:
    return {
        "queue_id": config.queue_id,
        "name": config.name,
        "kind": config.kind.value,
        "strategy": config.strategy.value,
        "priority": config.priority,
        "max_wait": config.max_wait,
        "offer_timeout": config.offer_timeout,
        "reoffer_delay": config.reoffer_delay,
        "auto_pause_after_missed": config.auto_pause_after_missed,
        "wrap_up_seconds": config.wrap_up_seconds,
        "agent_may_end_wrap_up": config.agent_may_end_wrap_up,
        "required_skills": list(config.required_skills),
        "skill_steps": [[s.after_seconds, s.min_proficiency] for s in config.skill_steps],
        "callback_enabled": config.callback_enabled,
        "callback_threshold": config.callback_threshold,
        "service_level_seconds": config.service_level_seconds,
        "default_handle_time": config.default_handle_time,
    }


def config_from_dict(data: dict[str, Any]) -> QueueConfig:
    return QueueConfig(
        queue_id=data["queue_id"],
        name=data.get("name", ""),
        kind=QueueKind(data.get("kind", "call")),
        strategy=Strategy(data.get("strategy", "longest_idle")),
        priority=int(data.get("priority", 0)),
        max_wait=data.get("max_wait"),
        offer_timeout=float(data.get("offer_timeout", 20.0)),
        reoffer_delay=float(data.get("reoffer_delay", 10.0)),
        auto_pause_after_missed=data.get("auto_pause_after_missed"),
        wrap_up_seconds=float(data.get("wrap_up_seconds", 0.0)),
        agent_may_end_wrap_up=bool(data.get("agent_may_end_wrap_up", True)),
        required_skills=tuple(data.get("required_skills", ())),
        skill_steps=tuple(SkillStep(float(a), int(m)) for a, m in data.get("skill_steps", ())),
        callback_enabled=bool(data.get("callback_enabled", False)),
        callback_threshold=float(data.get("callback_threshold", 120.0)),
        service_level_seconds=float(data.get("service_level_seconds", 20.0)),
        default_handle_time=float(data.get("default_handle_time", 180.0)),
    )

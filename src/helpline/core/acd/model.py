"""Plain data of the ACD: settings (immutable) and the vocabulary enums.

Ids are ``str``. Times are ``float`` seconds since the caller's epoch (see
:mod:`helpline.core.clock`).
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from heapq import heapify
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    from helpline.core.acd.states import ContactState, PresenceState


class QueueKind(StrEnum):
    CALL = "call"
    CHAT = "chat"
    CAMPAIGN = "campaign"


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"


class ContactKind(StrEnum):
    CALL = "call"
    CHAT = "chat"
    CALLBACK = "callback"
    CAMPAIGN_DIAL = "campaign_dial"


class Strategy(StrEnum):
    LONGEST_IDLE = "longest_idle"
    ROUND_ROBIN = "round_robin"
    RING_ALL = "ring_all"
    FEWEST_TODAY = "fewest_today"
    SKILLS = "skills"


class Outcome(StrEnum):
    """How a contact left: every contact ends in exactly one of these."""

    HANDLED = "handled"
    ABANDONED = "abandoned"
    EXPIRED = "expired"
    CALLBACK_REQUESTED = "callback_requested"


class AgentStatus(StrEnum):
    """The agent's global status as shown on the dashboards."""

    LOGGED_OUT = "logged_out"
    READY = "ready"
    PAUSED = "paused"
    BUSY = "busy"
    WRAP_UP = "wrap_up"


class EndedBy(StrEnum):
    AUTO = "auto"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    LOGOUT = "logout"


class CancelReason(StrEnum):
    ANSWERED_ELSEWHERE = "answered_elsewhere"
    CONTACT_LEFT = "contact_left"
    AGENT_LOGGED_OUT = "agent_logged_out"
    CALLBACK_REQUESTED = "callback_requested"


MAX_PROFICIENCY = 5
LEVELS = MAX_PROFICIENCY + 1  # proficiency levels 0 (lacks a skill) .. 5
HANDLE_WINDOW = 50  # handle times in a queue's average
# idle heaps: void entries tolerated beyond the live ones (few: a push or a pop compares
# entries along a path of the heap, and each is a cache miss)
VOID_SLACK = 4


@dataclass(frozen=True, slots=True)
class SkillStep:
    """From ``after_seconds`` of waiting on, agents need ``min_proficiency`` (0..5)."""

    after_seconds: float
    min_proficiency: int


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Settings of a call queue, chat queue or campaign.

    ``priority``: higher is served first across queues. ``max_wait``: seconds after which a
    waiting contact expires (``None``: never; callbacks never expire). ``offer_timeout``:
    seconds an agent has to accept an offer. ``reoffer_delay``: after a decline or a missed
    offer, the same agent is not offered that contact again for this long (they get the
    next contact in line instead; it goes to another agent if one is free).
    ``auto_pause_after_missed``:
    pause an agent after this many consecutive missed offers (``None``: never).
    ``wrap_up_seconds``: wrap-up length (0: none). ``required_skills`` and ``skill_steps``
    are used by the ``skills`` strategy: an agent's level for the queue is their lowest
    proficiency among the required skills (0 if one is missing, 5 if none is required); a
    contact that has waited ``w`` seconds needs the ``min_proficiency`` of the last step
    with ``after_seconds <= w`` (1 if no step applies yet).
    """

    queue_id: str
    name: str = ""
    kind: QueueKind = QueueKind.CALL
    strategy: Strategy = Strategy.LONGEST_IDLE
    priority: int = 0
    max_wait: float | None = None
    offer_timeout: float = 20.0
    reoffer_delay: float = 10.0
    auto_pause_after_missed: int | None = None
    wrap_up_seconds: float = 0.0
    agent_may_end_wrap_up: bool = True
    required_skills: tuple[str, ...] = ()
    skill_steps: tuple[SkillStep, ...] = ()
    callback_enabled: bool = False
    callback_threshold: float = 120.0
    service_level_seconds: float = 20.0
    default_handle_time: float = 180.0

    def __post_init__(self) -> None:
        if not self.queue_id:
            raise ValueError("queue_id must not be empty")
        if self.offer_timeout <= 0:
            raise ValueError("offer_timeout must be > 0")
        if self.reoffer_delay < 0 or self.wrap_up_seconds < 0:
            raise ValueError("reoffer_delay and wrap_up_seconds must be >= 0")
        if self.max_wait is not None and self.max_wait <= 0:
            raise ValueError("max_wait must be > 0 or None")
        if self.auto_pause_after_missed is not None and self.auto_pause_after_missed < 1:
            raise ValueError("auto_pause_after_missed must be >= 1 or None")
        if self.default_handle_time <= 0:
            raise ValueError("default_handle_time must be > 0")
        last = -1.0
        for step in self.skill_steps:
            if not 0 <= step.min_proficiency <= MAX_PROFICIENCY:
                raise ValueError("skill step min_proficiency must be within 0..5")
            if step.after_seconds < 0 or step.after_seconds <= last:
                raise ValueError("skill steps must have increasing after_seconds >= 0")
            last = step.after_seconds

    @property
    def channel(self) -> Channel:
        return Channel.CHAT if self.kind is QueueKind.CHAT else Channel.VOICE

    def required_level(self, waited: float) -> int:
        """Minimum agent level for a contact that has waited ``waited`` seconds."""
        if self.strategy is not Strategy.SKILLS:
            return 0
        level = 1
        for step in self.skill_steps:
            if step.after_seconds <= waited:
                level = step.min_proficiency
            else:
                break
        return level

    def agent_level(self, skills: dict[str, int]) -> int:
        """An agent's level for this queue (see the class docstring)."""
        if self.strategy is not Strategy.SKILLS:
            return 0
        if not self.required_skills:
            return MAX_PROFICIENCY
        return min(skills.get(name, 0) for name in self.required_skills)


@dataclass(frozen=True, slots=True)
class NewContact:
    """A contact handed to :meth:`Router.enqueue`."""

    contact_id: str
    queue_id: str
    kind: ContactKind = ContactKind.CALL
    caller_id: str | None = None


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """An agent known to the router. ``memberships`` maps queue id to a per-queue chat
    capacity (``None``: the agent's global ``chat_capacity``)."""

    agent_id: str
    skills: dict[str, int] = field(default_factory=dict)
    chat_capacity: int = 1
    memberships: dict[str, int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.agent_id:
            raise ValueError("agent_id must not be empty")
        if self.chat_capacity < 1:
            raise ValueError("chat_capacity must be >= 1")
        for name, level in self.skills.items():
            if not 1 <= level <= MAX_PROFICIENCY:
                raise ValueError(f"skill {name!r}: proficiency must be within 1..5")
        for queue_id, cap in self.memberships.items():
            if cap is not None and cap < 1:
                raise ValueError(f"membership {queue_id!r}: chat capacity must be >= 1")


# --- runtime state (mutable, owned by the Router; read it, do not change it) ---------------
#
# Slotted plain classes rather than dataclasses: they are created and mutated on the hot
# path. Lazy deletion: a waiting-heap entry is valid only while the token stored in it equals
# its contact's current token; an idle-heap entry only while it is its holder's ``entry``.


class QueueState:
    __slots__ = (
        "callback_candidates",
        "config",
        "contacts",
        "handle_pos",
        "handle_sum",
        "handle_times",
        "has_contact_timers",
        "idle",
        "indexes",
        "is_chat",
        "key_kind",
        "levels",
        "members",
        "offer_timeout",
        "offer_timers",
        "priority",
        "queue_id",
        "recent_wait_sum",
        "recent_waits",
        "records_waits",
        "seats",
        "shared",
        "simple",
        "staffed",
        "strategy",
        "uses_levels",
        "waiting",
        "waiting_count",
        "wrap_up_seconds",
    )

    def __init__(self, config: QueueConfig) -> None:
        self.config = config
        self.queue_id = config.queue_id
        self.is_chat = config.channel is Channel.CHAT
        self.strategy = config.strategy
        self.priority = config.priority
        self.offer_timeout = config.offer_timeout
        self.wrap_up_seconds = config.wrap_up_seconds
        # open offers of this queue by offer id, in the order they expire: shared by the
        # queues with the same offer_timeout (the router's offer timers, see Router.tick)
        self.offer_timers: dict[int, Offer] = {}
        # the recent waits feed only the callback decision
        self.records_waits = config.callback_enabled
        self.uses_levels = config.strategy is Strategy.SKILLS
        self.has_contact_timers = config.max_wait is not None or (
            self.uses_levels and bool(config.skill_steps)
        )
        # one idle heap, one agent per offer: the router's fast path
        self.simple = config.strategy not in (Strategy.SKILLS, Strategy.RING_ALL)
        if config.strategy is Strategy.ROUND_ROBIN:
            self.key_kind = 2
        elif config.strategy is Strategy.FEWEST_TODAY:
            self.key_kind = 3
        else:
            self.key_kind = 1 if self.is_chat else 0
        # longest idle, voice: the idle entries are the agents' shared ones (AgentState)
        self.shared = self.simple and self.key_kind == 0
        # levels[level]: the idle agents of that level, in the order of the strategy;
        # without skills every agent is of level 0 and the other levels stay empty (one
        # shared empty index: less memory, the used ones closer together)
        if self.uses_levels:
            self.levels = [IdleIndex(self) for _ in range(LEVELS)]
        else:
            self.levels = [IdleIndex(self)] + [_NO_INDEX] * (LEVELS - 1)
        self.indexes = tuple(index for index in self.levels if index is not _NO_INDEX)
        self.idle = [IdleView(index) for index in self.levels]  # for inspection
        # waiting[required level]: heap of (queued_at, seq, token, Contact)
        self.waiting: list[list[tuple[float, int, int, Contact]]] = [[] for _ in range(LEVELS)]
        self.waiting_count = 0
        self.staffed = [0] * LEVELS  # logged in and not paused, by agent level
        self.seats: dict[str, Seat] = {}  # logged-in agents
        self.members: set[str] = set()
        self.contacts: dict[str, Contact] = {}  # queued or offered contacts
        # the last HANDLE_WINDOW handle times, a ring buffer of doubles (no float objects
        # to reach: one cache line per contact instead of several) and their sum
        self.handle_times = array("d")
        self.handle_pos = 0  # once full: where the oldest one is
        self.handle_sum = 0.0
        self.recent_waits: deque[tuple[float, float]] = deque()
        self.recent_wait_sum = 0.0
        self.callback_candidates: dict[str, Contact] = {}

    def average_handle_time(self) -> float:
        n = len(self.handle_times)
        return self.handle_sum / n if n else self.config.default_handle_time

    def add_handle_time(self, seconds: float) -> None:
        times = self.handle_times
        if len(times) == HANDLE_WINDOW:
            pos = self.handle_pos
            self.handle_sum -= times[pos]  # the oldest
            times[pos] = seconds
            self.handle_pos = (pos + 1) % HANDLE_WINDOW
        else:
            times.append(seconds)
        self.handle_sum += seconds

    def add_wait(self, now: float, wait: float) -> None:
        self.recent_waits.append((now, wait))
        self.recent_wait_sum += wait

    def average_recent_wait(self, now: float, window: float = 900.0) -> float | None:
        waits = self.recent_waits
        while waits and waits[0][0] < now - window:
            self.recent_wait_sum -= waits.popleft()[1]
        if not waits:
            return None
        return self.recent_wait_sum / len(waits)


# (key0, key1, agent seq, token, holder): the holder is the seat, or the agent for a shared
# entry (see AgentState); the entry is live while it is its holder's ``entry``
IdleEntry = tuple[float, float, int, int, "Seat | AgentState"]
IdleViewEntry = tuple[float, float, int, int, "Seat | None"]  # an entry as IdleView yields it


class IdleIndex(dict["Seat | AgentState", IdleEntry]):
    """The idle agents of one queue at one agent level, ordered by the entry ``(key0,
    key1, agent seq)`` (see :func:`~helpline.core.acd.strategies.idle_key`); smallest
    first. An entry's *holder* is the seat, or, in a ``longest idle`` voice queue, the
    agent: one entry shared by all such queues of the agent (see :class:`AgentState`).
    Two parts:

    * the index itself, a dict holder -> entry (the *fifo*): the entries added in
      increasing order (an entry goes there only if larger than its last one), so the
      first one is the smallest, and an entry is removed by deleting it: O(1), nothing
      left behind. With ``longest idle`` an agent becomes idle at ``now``, which never
      goes back: nearly every entry goes here. (A dict subclass rather than a dict
      attribute: one object fewer to reach on the hot path.)
    * ``heap``: the entries that came out of order, a heap with lazy deletion: an entry is
      live while it is its holder's ``entry``, void otherwise; ``heap_live`` live ones.
      Compacted when void entries outnumber the live ones.

    ``live`` counts the idle seats (each has exactly one live entry, in one of the
    parts). :class:`IdleView` lists the entries.
    """

    __slots__ = ("heap", "heap_live", "queue", "waiting")

    def __init__(self, queue: QueueState) -> None:
        super().__init__()
        self.heap: list[IdleEntry] = []
        self.heap_live = 0
        self.queue = queue
        # the queue has waiting contacts (a copy of ``queue.waiting_count > 0``, so that a
        # seat leaving or joining the index need not touch the queue)
        self.waiting = False

    # an index is equal only to itself (not to another with the same entries)
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__  # type: ignore[assignment]

    @property
    def live(self) -> int:
        return len(self) + self.heap_live

    def compact(self) -> None:
        """Drop the void entries of the heap (amortized O(1) each: done only when they
        outnumber the live ones)."""
        heap = self.heap
        heap[:] = [e for e in heap if e[4].entry is e]
        heapify(heap)


class IdleView:
    """Read-only: iterating yields every entry of an :class:`IdleIndex` (heap, then
    fifo; void ones included), with the seat as holder. ``QueueState.idle[level]``."""

    __slots__ = ("index",)

    def __init__(self, index: IdleIndex) -> None:
        self.index = index

    @property
    def live(self) -> int:
        return self.index.live

    def __iter__(self) -> Iterator[IdleViewEntry]:
        index = self.index
        for k0, k1, seq, tok, holder in index.heap:
            if type(holder) is AgentState:
                yield k0, k1, seq, tok, holder.seats.get(index.queue.queue_id)
            else:
                assert isinstance(holder, Seat)
                yield k0, k1, seq, tok, holder
        for holder, (k0, k1, seq, tok, _) in index.items():
            if type(holder) is AgentState:
                yield k0, k1, seq, tok, holder.seats.get(index.queue.queue_id)
            else:
                assert isinstance(holder, Seat)
                yield k0, k1, seq, tok, holder

    def __len__(self) -> int:
        return len(self.index.heap) + len(self.index)


# the unused levels of the queues without skills: always empty
_NO_INDEX = IdleIndex(None)  # type: ignore[arg-type]


class Seat:
    """An agent logged into one queue. ``entry`` is the seat's live entry in its idle
    index (``None``: not idle there), except for a ``shared`` seat, whose entry is its
    agent's; ``in_idle``, ``token``, ``k0`` and ``k1`` read either."""

    __slots__ = (
        "agent",
        "capacity",
        "entry",
        "fifo_ok",
        "index",
        "is_chat",
        "kind",
        "level",
        "pause_reason",
        "paused",
        "queue",
        "rr",
        "shared",
        "since",
        "staffed",
        "temporary",
    )

    def __init__(
        self,
        agent: AgentState,
        queue: QueueState,
        level: int,
        temporary: bool,
        capacity: int,
    ) -> None:
        self.agent = agent
        self.queue = queue
        self.level = level
        self.index = queue.levels[level]  # where the seat is while idle
        self.kind = queue.key_kind  # copies of the queue's settings, read on the hot path
        self.fifo_ok = queue.simple  # its entries may go to the fifo (if in key order)
        self.is_chat = queue.is_chat
        self.shared = queue.shared
        self.paused = False
        self.pause_reason: str | None = None
        self.temporary = temporary
        self.capacity = capacity
        self.entry: IdleEntry | None = None  # not shared: its live entry while idle
        self.staffed = False
        self.rr = 0
        self.since = 0.0

    def live_entry(self) -> IdleEntry | None:
        """The seat's live entry in its idle index (``None``: not idle there)."""
        if self.shared:
            agent = self.agent
            return agent.entry if self.index in agent.shared_idle else None
        return self.entry

    @property
    def in_idle(self) -> bool:
        return self.live_entry() is not None

    @property
    def token(self) -> int:
        entry = self.live_entry()
        return entry[3] if entry is not None else 0

    @property
    def k0(self) -> float:
        """The first part of the idle key while idle (see strategies.idle_key)."""
        entry = self.live_entry()
        return entry[0] if entry is not None else 0.0

    @property
    def k1(self) -> float:
        entry = self.live_entry()
        return entry[1] if entry is not None else 0.0


class AgentState:
    """An agent. The seats of ``longest idle`` voice queues (``shared`` seats) share one
    idle entry, ``entry`` (key ``(idle_since, 0)`` in all of them, the agent its holder),
    live in the indexes ``shared_idle`` (in their fifos, unless ``shared_heaped``: then
    in the heap of some): the agent leaves them all (a voice offer) and comes back
    without touching the seats."""

    __slots__ = (
        "agent_id",
        "chat_capacity",
        "chat_work",
        "chats_by_queue",
        "connected_n",
        "contacts",
        "declined_total",
        "entry",
        "handled_today",
        "idle_since",
        "memberships",
        "missed_in_a_row",
        "missed_total",
        "offers",
        "other_seats",
        "pause_reason",
        "presence",
        "seat_indexes",
        "seat_list",
        "seats",
        "seq",
        "shared_heaped",
        "shared_idle",
        "shared_seats",
        "shared_staffed",
        "skills",
        "status",
        "status_reason",
        "status_since",
        "voice_work",
        "wrap_n",
    )

    def __init__(self, config: AgentConfig, seq: int, presence: PresenceState) -> None:
        self.agent_id = config.agent_id
        self.seq = seq
        self.skills = dict(config.skills)
        self.chat_capacity = config.chat_capacity
        self.memberships: dict[str, int | None] = dict(config.memberships)
        self.presence = presence
        self.pause_reason: str | None = None
        self.status = AgentStatus.LOGGED_OUT
        self.status_reason: str | None = None
        self.status_since = 0.0
        self.idle_since = 0.0
        self.seats: dict[str, Seat] = {}
        # derived from ``seats`` (see Router._seats_changed), for the hot paths
        self.seat_list: tuple[Seat, ...] = ()
        self.seat_indexes: tuple[IdleIndex, ...] = ()  # the indexes of ``seat_list``
        self.shared_seats: tuple[Seat, ...] = ()
        self.other_seats: tuple[Seat, ...] = ()
        self.shared_staffed: tuple[IdleIndex, ...] = ()  # indexes of staffed shared seats
        self.entry: IdleEntry | None = None  # the shared idle entry
        self.shared_idle: tuple[IdleIndex, ...] = ()  # where ``entry`` is live
        self.shared_heaped = False  # ``entry`` is in the heap (not the fifo) of some index
        self.voice_work = 0  # voice offers + connected + wrap-up
        self.chat_work = 0  # chat offers + connected + wrap-up
        self.chats_by_queue: dict[str, int] = {}
        self.offers: dict[int, Offer] = {}
        self.contacts: dict[str, Contact] = {}  # connected or in wrap-up
        self.connected_n = 0
        self.wrap_n = 0
        self.handled_today = 0
        self.missed_in_a_row = 0
        self.missed_total = 0
        self.declined_total = 0


class Contact:
    __slots__ = (
        "agent",
        "callback_offered",
        "caller_id",
        "connected_at",
        "contact_id",
        "estimated_wait",
        "excluded",
        "in_waiting",
        "kind",
        "offers",
        "overdue",
        "queue",
        "queued_at",
        "req_level",
        "seq",
        "state",
        "step",
        "wait_token",
        "wrap_started_at",
        "wrap_token",
    )

    def __init__(
        self,
        contact_id: str,
        kind: ContactKind,
        queue: QueueState,
        caller_id: str | None,
        queued_at: float,
        seq: int,
        state: ContactState,
    ) -> None:
        self.contact_id = contact_id
        self.kind = kind
        self.queue = queue
        self.caller_id = caller_id
        self.queued_at = queued_at
        self.seq = seq
        self.state = state
        self.req_level = 0
        self.step = 0  # index of the next skill step
        self.wait_token = 0
        self.in_waiting = False
        self.excluded: dict[str, float] | None = None  # agent id -> not before
        self.offers: list[Offer] = []
        self.agent: AgentState | None = None
        self.connected_at = 0.0
        self.wrap_started_at = 0.0
        self.wrap_token = 0
        self.callback_offered = False
        self.overdue = False
        self.estimated_wait: float | None = None


class Offer:
    __slots__ = ("contact", "expires_at", "offer_id", "offered_at", "seat", "timer_seq")

    def __init__(
        self,
        offer_id: int,
        contact: Contact,
        seat: Seat,
        offered_at: float,
        expires_at: float,
        timer_seq: int = 0,
    ) -> None:
        self.offer_id = offer_id
        self.contact = contact
        self.seat = seat
        self.offered_at = offered_at
        self.expires_at = expires_at
        self.timer_seq = timer_seq  # orders the offer's timeout among the router's timers

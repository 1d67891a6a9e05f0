"""The live ACD: one Router in the web process, commands stored in group commits.

Commands are serialized by a lock. Each one runs on the router, then joins the open
*batch*; one writer task stores a batch at a time: the events of its commands and the
router's snapshot after the last of them, in one transaction. A command returns once its
batch is committed and published, so a caller never acts on state that storage lacks;
under load a batch holds many commands and costs one snapshot, one transaction and one
set of view updates. If a write fails, the router goes back to the last committed
snapshot and every command of that batch, and of the batch opened behind it (run on top
of it), fails. Timers (offer timeouts, wrap-up, maximum wait) fire from a background task
that sleeps until the router's next due time.

Besides the stored events, every command publishes *view* events for the dashboards
(``acd.queue_view`` per queue touched, ``acd.agent_view`` per agent touched): the whole
card, agents table and Waiting table of a queue, and an agent's own status. They are not
stored: a fresh registration computes the same views from the router.

Agents are the active users with the agent role. A supervisor may also log a user without
it into a queue ("+ Log agents"): the router then has them as a *temporary agent*
(:meth:`AcdService.log_in`), who may work (ready, pause, offers, log out) but not log
themself into queues. They stay while they are logged into a queue or have a contact;
then they are logged out and leave the router (:meth:`AcdService._release_temporary`).
Being in the router's snapshot, they survive restarts and configuration reloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.acd import repository
from helpline.acd.events import (
    CORE_BY_TYPE,
    AcdServiceEvent,
    TemporaryAgentAdded,
    TemporaryAgentRemoved,
    to_core,
    to_stored,
)
from helpline.core.acd import events as core_events
from helpline.core.acd.errors import UnknownQueueError
from helpline.core.acd.metrics import MetricsBoard
from helpline.core.acd.model import (
    AgentConfig,
    AgentStatus,
    QueueConfig,
    QueueKind,
    SkillStep,
    Strategy,
)
from helpline.core.acd.router import Router, config_to_dict
from helpline.core.permissions import Permission, Role
from helpline.queues import repository as queue_repository
from helpline.realtime.bus import EventBus, SubscriptionLost
from helpline.skills import service as skills_service
from helpline.skills.schemas import SkillRequirement
from helpline.storage.eventlog import (
    StoredEvent,
    append_event,
    last_sequence,
    take_pending_events,
)
from helpline.users import repository as user_repository

log = logging.getLogger(__name__)

CONFIG_EVENT_TYPES = frozenset(
    {
        "queue.created",
        "queue.updated",
        "queue.deleted",
        "queue.assignments_changed",
        "user.created",
        "user.updated",
        "agent_skills.changed",
        "queue_skill_requirements.changed",
        "skill.deleted",
    }
)
QUEUE_VIEW = "acd.queue_view"
AGENT_VIEW = "acd.agent_view"
MAX_TIMER_SLEEP = 1.0
VIEW_INTERVAL = 0.1  # seconds between two views of one queue (see _queue_views_due)
CHAT_CAPACITY = 3  # chats at once, for agents without a per-queue capacity

# What a command changes: the core's events, and the service's own.
Change = core_events.Event | AcdServiceEvent
Command = Callable[[Router, float], Sequence[Change]]


def queue_key(kind: str, queue_id: int) -> str:
    return f"{kind}:{queue_id}"


def parse_queue_key(key: str) -> tuple[str, int]:
    kind, _, number = key.partition(":")
    return kind, int(number)


def agent_key(user_id: int) -> str:
    return str(user_id)


def to_datetime(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


@dataclass(eq=False)
class _Batch:
    """Commands run on the router and not stored yet: (events, time, actor) each."""

    done: asyncio.Future[None]
    commands: list[tuple[Sequence[Change], float, int | None]] = field(default_factory=list)
    all_views: bool = False


class AcdService:
    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        bus: EventBus,
        timezone: str = "UTC",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._factory = session_factory
        self._bus = bus
        self._tz = ZoneInfo(timezone)
        self._clock = clock
        self._lock = asyncio.Lock()
        self.router = Router()
        self.metrics = MetricsBoard()
        self._committed: dict[str, Any] = {}
        self._contact_index: dict[str, dict[str, Any]] = {}
        self._agent_index: dict[str, dict[str, Any]] = {}
        self.lines: dict[str, str] = {}  # agent id -> extension chosen for the session
        self._configured: set[str] = set()  # agents by role (the configuration's)
        self._temporary: set[str] = set()  # in the router without the agent role
        self.queue_names: dict[str, str] = {}
        self._day: str = ""
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._observers: list[Callable[[Sequence[Change]], None]] = []
        self._open: _Batch | None = None  # taking commands
        self._writing: _Batch | None = None  # being stored
        self._batch_ready = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._stored_agents: dict[str, Any] = {}  # the agent rows as last written
        self._store_every_agent = True  # next batch: at start, the configuration is applied
        # A queue's view (its whole agents table) at most every VIEW_INTERVAL seconds.
        self._view_published: dict[str, float] = {}  # queue -> time.monotonic()
        self._views_pending: set[str] = set()
        self._views_timer: asyncio.TimerHandle | None = None
        self._last_seq = 0
        self._view_tasks: set[asyncio.Task[None]] = set()
        self._card_sources: list[Callable[[str], dict[str, Any] | None]] = []
        # chat queue -> the most chats an agent takes from it at once
        self._chat_capacities: dict[str, int] = {}

    def observe(self, observer: Callable[[Sequence[Change]], None]) -> None:
        """Call ``observer`` with the events of every committed command, in order.

        For the channels (voice rings the agent's phone on ``ContactOffered``): they act on
        what is stored, never on what a failed transaction left behind. Observers must not
        block; they schedule their work.
        """
        self._observers.append(observer)

    def add_card_source(self, source: Callable[[str], dict[str, Any] | None]) -> None:
        """Add figures to the queue cards: ``source(queue_id)`` gives extra card fields
        (or None). The chats add theirs to the chat queues' cards."""
        self._card_sources.append(source)

    def queue_view_events(self, queue_ids: Sequence[str], seq: int) -> list[StoredEvent]:
        """``acd.queue_view`` events of these queues as they are now, for a domain whose
        change (stored as event ``seq``) moves the figures of their cards."""
        known = set(self.router.queue_ids())
        now = self._now()
        return [
            self._view_event(QUEUE_VIEW, seq, now, self.queue_view(q, now))
            for q in queue_ids
            if q in known
        ]

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        async with self._factory() as session:
            loaded = await repository.load_state(session)
            stored, self._stored_agents = loaded if loaded is not None else (None, {})
            queues, agents = await self._load_config(session)
            now = self._now_for(stored)
            today = repository.start_of_day(to_datetime(now), self._tz)
            history = await repository.acd_events_since(session, today)
        if stored is not None:
            self.router = Router.restore(stored["router"])
            self.lines = dict(stored.get("lines", {}))
        left = self._reconfigure(queues, agents)
        self._day = self._local_day(now)
        self._rebuild_metrics(history)

        def resume(router: Router, at: float) -> list[Change]:
            changes: list[Change] = [TemporaryAgentRemoved(at=at, agent_id=a) for a in left]
            return changes + list(router.dispatch(at))

        self._writer = asyncio.create_task(self._write_batches(), name="acd-writer")
        await self._run(resume, actor_id=None, force_write=True)
        self._tasks = [
            asyncio.create_task(self._timers(), name="acd-timers"),
            asyncio.create_task(self._follow_configuration(), name="acd-config"),
        ]

    async def stop(self) -> None:
        # Cancelling a task in the middle of a database call leaves its SQLite connection
        # half-closed (aiosqlite's close then never returns). A configuration reload reads
        # under the lock, and the writer is left to finish the batches: only then is
        # anything cancelled.
        await self._batches_stored()
        async with self._lock:
            for task in self._tasks:
                task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self._batches_stored()  # staged by a command that was running
        if self._views_timer is not None:
            self._views_timer.cancel()
            self._views_timer = None
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None

    async def _batches_stored(self) -> None:
        while True:
            pending = [b.done for b in (self._writing, self._open) if b is not None]
            if not pending or self._writer is None or self._writer.done():
                return
            await asyncio.gather(*(asyncio.shield(f) for f in pending), return_exceptions=True)

    def _now_for(self, stored: dict[str, Any] | None) -> float:
        now = self._clock()
        if stored is not None:
            now = max(now, float(stored["router"]["now"]))
        return now

    def _local_day(self, at: float) -> str:
        return to_datetime(at).astimezone(self._tz).date().isoformat()

    # ------------------------------------------------------------------ configuration

    async def _load_config(
        self, session: AsyncSession
    ) -> tuple[list[QueueConfig], list[AgentConfig]]:
        queues: list[QueueConfig] = []
        names: dict[str, str] = {}
        chat_capacity: dict[str, int] = {}
        for q in await queue_repository.list_call_queues(session):
            key = queue_key("call", q.id)
            names[key] = q.name
            queues.append(
                QueueConfig(
                    queue_id=key,
                    name=q.name,
                    kind=QueueKind.CALL,
                    strategy=Strategy(q.strategy),
                    priority=q.priority_score,
                    max_wait=float(q.max_wait_seconds),
                    offer_timeout=float(q.offer_timeout_seconds),
                    auto_pause_after_missed=q.auto_pause_after_missed,
                    wrap_up_seconds=float(q.wrap_up_seconds),
                    agent_may_end_wrap_up=q.agents_can_end_wrap_up,
                    callback_enabled=q.callback_enabled,
                    callback_threshold=float(q.callback_threshold_seconds),
                    service_level_seconds=float(q.service_level_seconds),
                )
            )
        for c in await queue_repository.list_chat_queues(session):
            key = queue_key("chat", c.id)
            names[key] = c.name
            chat_capacity[key] = c.max_concurrent_chats
            queues.append(
                QueueConfig(
                    queue_id=key,
                    name=c.name,
                    kind=QueueKind.CHAT,
                    strategy=Strategy(c.strategy),
                    priority=c.priority_score,
                    offer_timeout=float(c.offer_timeout_seconds),
                )
            )
        for m in await queue_repository.list_campaigns(session):
            key = queue_key("campaign", m.id)
            names[key] = m.name
            queues.append(
                QueueConfig(
                    queue_id=key,
                    name=m.name,
                    kind=QueueKind.CAMPAIGN,
                    priority=m.priority_score,
                    offer_timeout=float(m.answer_timeout_seconds),
                )
            )
        requirements = await _skill_requirements(session)
        queues = [_with_skills(q, requirements.get(q.queue_id, [])) for q in queues]
        self.queue_names = names
        skills = await _agent_skills(session)
        memberships: dict[str, dict[str, int | None]] = {}
        for a in await queue_repository.all_assignments(session):
            key = queue_key(a.queue_kind, a.queue_id)
            if a.role == "agent" and key in names:
                memberships.setdefault(agent_key(a.user_id), {})[key] = chat_capacity.get(key)
        agents = []
        # Every agent: the repository's default page (500) would turn the rest into
        # temporary agents without a word.
        for user in await user_repository.list_users(
            session, role=Role.AGENT.value, limit=1_000_000
        ):
            if not user.is_active:
                continue
            key = agent_key(user.id)
            member_of = memberships.get(key, {})
            agents.append(
                AgentConfig(
                    key,
                    skills={str(s): p for s, p in skills.get(user.id, {}).items()},
                    # The queues' own limits are the ones that count: the agent's overall
                    # one only caps the sum (it had capped every agent at 3 chats).
                    chat_capacity=sum(c for c in member_of.values() if c) or CHAT_CAPACITY,
                    memberships=member_of,
                )
            )
        self._chat_capacities = chat_capacity
        return queues, agents

    def _reconfigure(self, queues: list[QueueConfig], agents: list[AgentConfig]) -> list[str]:
        """Swap the router's settings for new ones, keeping its live state.

        Users who are no longer agents (or never were: temporary agents) stay while they
        are logged in or have a contact; the others leave the router. Returns those who
        left and were in it without the agent role: each one's leaving is an event.
        """
        self._configured = {a.agent_id for a in agents}
        if self.router.now == float("-inf"):  # never used yet: build it afresh
            router = Router()
            for queue in queues:
                router.add_queue(queue)
            for agent in agents:
                router.add_agent(agent)
            self.router = router
            self._temporary = set()
            return []
        snapshot = self.router.snapshot()
        wanted = {q.queue_id: q for q in queues}
        live_queues = {c["queue_id"] for c in snapshot["contacts"]} | {
            s["queue_id"] for a in snapshot["agents"] for s in a["seats"]
        }
        kept = [
            q
            for q in snapshot["queues"]
            if q["queue_id"] not in wanted and q["queue_id"] in live_queues
        ]
        snapshot["queues"] = [config_to_dict(q) for q in queues] + kept
        known = {q["queue_id"] for q in snapshot["queues"]}
        by_id = {a.agent_id: a for a in agents}
        merged = []
        left = []
        with_contacts = {c["agent_id"] for c in snapshot["contacts"]}
        for data in snapshot["agents"]:
            config = by_id.pop(data["agent_id"], None)
            busy = data["presence"] != "logged_out" or data["agent_id"] in with_contacts
            if config is None and not busy:
                # no longer an agent (or a temporary one), and nothing in flight
                left.append(data["agent_id"])
                continue
            if config is not None:
                data["skills"] = dict(config.skills)
                data["chat_capacity"] = config.chat_capacity
                data["memberships"] = {k: v for k, v in config.memberships.items() if k in known}
            else:
                data["memberships"] = {}
            data["seats"] = [s for s in data["seats"] if s["queue_id"] in known]
            merged.append(data)
        for config in by_id.values():
            merged.append(
                {
                    "agent_id": config.agent_id,
                    "skills": dict(config.skills),
                    "chat_capacity": config.chat_capacity,
                    "memberships": dict(config.memberships),
                    "presence": "logged_out",
                    "pause_reason": None,
                    "status_since": snapshot["now"],
                    "idle_since": 0.0,
                    "handled_today": 0,
                    "missed_in_a_row": 0,
                    "seats": [],
                }
            )
        snapshot["agents"] = merged
        self.router = Router.restore(snapshot)
        self._temporary = set(self.router.agent_ids()) - self._configured
        for agent_id in left:
            self.lines.pop(agent_id, None)
        return left

    def _rebuild_metrics(self, history: list[StoredEvent]) -> None:
        self.metrics = MetricsBoard(
            {q: self.router.queue_config(q).service_level_seconds for q in self.router.queue_ids()}
        )
        for stored in history:
            if stored.type not in CORE_BY_TYPE:
                continue  # the service's own events count nothing
            try:
                self.metrics.apply(to_core(stored.type, stored.payload))
            except (KeyError, TypeError, ValueError):
                log.warning("skipping unreadable ACD event %s", stored.seq)

    async def _follow_configuration(self) -> None:
        """Apply configuration changes (queues, teams, agents, skills) as they commit."""
        while True:
            with self._bus.subscribe() as subscription:
                try:
                    while True:
                        event = await subscription.get()
                        if event.type not in CONFIG_EVENT_TYPES:
                            continue
                        for extra in subscription.drain():
                            del extra  # one reload covers a burst of changes
                        await self._reload_logged()
                except SubscriptionLost:
                    # Fell behind a burst of events: some change may be among the lost.
                    log.warning("the ACD missed configuration events: reloading all of it")
            await self._reload_logged()

    async def _reload_logged(self) -> None:
        try:
            await self.reload_configuration()
        except Exception:  # the listener must survive a bad reload
            log.exception("reloading the ACD configuration failed")

    async def reload_configuration(self) -> None:
        async with self._lock:
            async with self._factory() as session:
                queues, agents = await self._load_config(session)
            left = self._reconfigure(queues, agents)
            for queue_id in self.router.queue_ids():
                self.metrics.queue(queue_id).service_level_seconds = self.router.queue_config(
                    queue_id
                ).service_level_seconds
            now = self._now()
            events: list[Change] = [TemporaryAgentRemoved(at=now, agent_id=a) for a in left]
            # New members may take contacts that were waiting for somebody.
            events += self.router.dispatch(now)
            events += self._release_temporary(now)
            batch = self._stage(events, now, actor_id=None, force_write=True, all_views=True)
        await self._stored(batch)
        self._wake.set()

    # ------------------------------------------------------------------ commands

    def _now(self) -> float:
        # The router refuses time that goes backwards; a wall clock may step back a little.
        return max(self._clock(), self.router.now)

    async def run(self, command: Command, *, actor_id: int | None) -> list[Change]:
        """Run a command on the router and commit it. Core errors propagate unchanged."""
        events = await self._run(command, actor_id=actor_id)
        self._wake.set()
        return events

    async def _run(
        self, command: Command, *, actor_id: int | None, force_write: bool = False
    ) -> list[Change]:
        async with self._lock:
            now = self._now()
            events = list(command(self.router, now))
            events += self._release_temporary(now)
            batch = self._stage(events, now, actor_id=actor_id, force_write=force_write)
        await self._stored(batch)
        return events

    # ------------------------------------------------------------------ temporary agents

    async def log_in(
        self,
        user_id: int,
        queue_id: str,
        *,
        line: str | None,
        skills: dict[int, int],
        actor_id: int | None,
    ) -> list[Change]:
        """A supervisor logs a user into a queue. A user the router does not know (no
        agent role) becomes a temporary agent, with ``skills`` and ``line``. ``line`` is
        the session's line when the user was logged out."""
        agent = agent_key(user_id)

        def command(router: Router, now: float) -> list[Change]:
            changes: list[Change] = []
            added = not router.has_agent(agent)
            if added and queue_id not in router.queue_ids():
                # Checked first: once added, the agent could not be taken out again.
                raise UnknownQueueError(queue_id)
            if added:
                config = AgentConfig(
                    agent,
                    skills={str(s): p for s, p in skills.items()},
                    chat_capacity=self._chat_capacities.get(queue_id, CHAT_CAPACITY),
                )
                router.add_agent(config)
                self._temporary.add(agent)
                changes.append(TemporaryAgentAdded(at=now, agent_id=agent, queue_id=queue_id))
            was_logged_out = router.agent_view(agent).status is AgentStatus.LOGGED_OUT
            changes += router.agent_login(agent, now, [queue_id])
            if line is not None and was_logged_out:
                self.lines[agent] = line
            return changes

        return await self.run(command, actor_id=actor_id)

    def is_temporary_agent(self, user_id: int) -> bool:
        """In the router without the agent role, and logged into a queue or at a contact
        (may use the agent dashboard, but not log themself into queues)."""
        key = agent_key(user_id)
        if key not in self._temporary:
            return False
        view = self.router.agent_view(key)
        return bool(view.queues or view.contacts)

    def _release_temporary(self, now: float) -> list[Change]:
        """Temporary agents with no queue and no contact left: log them out, and take
        them out of the router.

        The router has no command to forget an agent, so this goes through a snapshot
        without them. A snapshot keeps no offer, so it waits for a moment without open
        offers (another agent's would be withdrawn): until then the user stays in the
        router, logged out, which they may not use.
        """
        if not self._temporary:
            return []
        changes: list[Change] = []
        done = []
        for agent in sorted(self._temporary):
            view = self.router.agent_view(agent)
            if view.queues or view.contacts or view.open_offers:
                continue
            if view.status is not AgentStatus.LOGGED_OUT:
                changes += self.router.agent_logout(agent, now)
            done.append(agent)
        if not done or self.router.open_offers():
            return changes
        snapshot = self.router.snapshot()
        snapshot["agents"] = [a for a in snapshot["agents"] if a["agent_id"] not in done]
        self.router = Router.restore(snapshot)
        for agent in done:
            self._temporary.discard(agent)
            self.lines.pop(agent, None)
            changes.append(TemporaryAgentRemoved(at=now, agent_id=agent))
        # A contact waiting out a re-offer delay has lost its timer with the snapshot.
        changes += self.router.dispatch(now)
        return changes

    def _restore_committed(self) -> None:
        """Memory goes back to what storage holds."""
        if self._committed:
            header = dict(self._committed["router"])
            order = header.pop("agent_order")
            header["agents"] = [self._stored_agents[a] for a in order]
            self.router = Router.restore(header)
            self.lines = dict(self._committed.get("lines", {}))
            self._temporary = set(self.router.agent_ids()) - self._configured

    # ------------------------------------------------------------------ commit

    def _stage(
        self,
        events: Sequence[Change],
        now: float,
        *,
        actor_id: int | None,
        force_write: bool = False,
        all_views: bool = False,
    ) -> _Batch | None:
        """Add a command that has just changed the router to the open batch (under the
        lock, so that batches follow the order of the commands)."""
        if not events and not force_write:
            return None
        batch = self._open
        if batch is None:
            batch = self._open = _Batch(done=asyncio.get_running_loop().create_future())
            self._batch_ready.set()
        batch.commands.append((events, now, actor_id))
        batch.all_views = batch.all_views or all_views
        return batch

    @staticmethod
    async def _stored(batch: _Batch | None) -> None:
        if batch is not None:
            # Shielded: a caller that gives up must not cancel the others' wait.
            await asyncio.shield(batch.done)

    async def _write_batches(self) -> None:
        while True:
            await self._batch_ready.wait()
            self._batch_ready.clear()
            async with self._lock:
                batch, self._open = self._open, None
                if batch is None:
                    continue
                now = batch.commands[-1][1]
                snapshot = {
                    "router": self.router.snapshot_without_agents(),
                    "lines": dict(self.lines),
                }
                agents = self._agents_to_store(batch)
            self._writing = batch
            try:
                await self._commit(batch, snapshot, agents, now)
            except Exception as error:  # noqa: BLE001 - any failed write fails its commands
                async with self._lock:
                    # Memory must not run ahead of storage: back to what was committed;
                    # the batch opened since ran on top of the failed one and fails too.
                    self._restore_committed()
                    failed = [batch] + ([self._open] if self._open is not None else [])
                    self._open = None
                for each in failed:
                    each.done.set_exception(error)
                    each.done.exception()  # retrieved: nobody may be waiting on it any more
            else:
                batch.done.set_result(None)
            finally:
                self._writing = None

    def _agents_to_store(self, batch: _Batch) -> dict[str, dict[str, Any]]:
        """The agents whose stored row may be out of date: those the batch's events name
        and those its commands addressed (the core's contract, held by a property test);
        every agent after a configuration reload or when nothing is stored yet."""
        router = self.router
        addressed = router.take_addressed_agents()
        if batch.all_views or self._store_every_agent or not self._stored_agents:
            self._store_every_agent = False
            ids: Iterable[str] = router.agent_ids()
        else:
            named = {
                agent_id
                for events, _, _ in batch.commands
                for event in events
                if (agent_id := getattr(event, "agent_id", None)) is not None
            }
            ids = named | addressed
        return {a: router.agent_snapshot(a) for a in ids if router.has_agent(a)}

    async def _commit(
        self,
        batch: _Batch,
        snapshot: dict[str, Any],
        agent_rows: dict[str, dict[str, Any]],
        now: float,
    ) -> None:
        async with self._factory() as session:
            for events, _, actor_id in batch.commands:
                for event in events:
                    append_event(
                        session,
                        event if isinstance(event, AcdServiceEvent) else to_stored(event),
                        occurred_at=to_datetime(event.at),
                        actor_user_id=actor_id,
                    )
            rows = await repository.save_state(
                session, snapshot, agent_rows, to_datetime(now), self._stored_agents
            )
            await session.commit()
            self._stored_agents = rows
            stored = take_pending_events(session)
            seq = stored[-1].seq if stored else await last_sequence(session)
        self._remember(snapshot)
        every = [event for events, _, _ in batch.commands for event in events]
        self.metrics.apply_all([e for e in every if not isinstance(e, AcdServiceEvent)])
        queues, agents = self._touched(every)
        if batch.all_views:
            queues = set(self.router.queue_ids())
            agents = set(self.router.agent_ids())
        # Views show memory as it is now: a later batch's change may already be in them.
        self._last_seq = seq
        at = self.router.now
        views = [
            self._view_event(QUEUE_VIEW, seq, at, self.queue_view(q, at))
            for q in self._queue_views_due(queues, force=batch.all_views)
        ]
        views += [self._view_event(AGENT_VIEW, seq, at, self.agent_view(a)) for a in sorted(agents)]
        await self._bus.publish(stored + views)
        for events, _, _ in batch.commands:
            for observer in self._observers:
                try:
                    observer(events)
                except Exception:
                    log.exception("an ACD observer failed")

    def _remember(self, snapshot: dict[str, Any]) -> None:
        self._committed = snapshot
        self._contact_index = {c["contact_id"]: c for c in snapshot["router"]["contacts"]}
        self._agent_index = self._stored_agents

    def _touched(self, events: Sequence[Change]) -> tuple[set[str], set[str]]:
        queues: set[str] = set()
        agents: set[str] = set()
        for event in events:
            queue_id = getattr(event, "queue_id", None)
            if queue_id is not None:
                queues.add(queue_id)
            agent_id = getattr(event, "agent_id", None)
            if agent_id is not None:
                agents.add(agent_id)
        for agent_id in list(agents):
            if self.router.has_agent(agent_id):
                view = self.router.agent_view(agent_id)
                queues.update(view.queues)
                queues.update(self._memberships(agent_id))
        known_queues = set(self.router.queue_ids())
        return {q for q in queues if q in known_queues}, agents

    def _memberships(self, agent_id: str) -> list[str]:
        data = self._agent_index.get(agent_id)
        return list(data["memberships"]) if data else []

    def _queue_views_due(self, queues: set[str], *, force: bool) -> list[str]:
        """The queues whose view goes out now; the others' goes out when its interval has
        passed (with the state of then). Under load every batch touched the busy queue
        and rebuilt its whole agents table, more often than any dashboard redraws."""
        clock = time.monotonic()
        due = []
        for queue_id in sorted(queues):
            if force or clock - self._view_published.get(queue_id, -VIEW_INTERVAL) >= VIEW_INTERVAL:
                due.append(queue_id)
                self._view_published[queue_id] = clock
                self._views_pending.discard(queue_id)
            else:
                self._views_pending.add(queue_id)
        if self._views_pending and self._views_timer is None:
            self._views_timer = asyncio.get_running_loop().call_later(
                VIEW_INTERVAL, self._publish_pending_views
            )
        return due

    def _publish_pending_views(self) -> None:
        self._views_timer = None
        pending, self._views_pending = self._views_pending, set()
        known = set(self.router.queue_ids())
        clock = time.monotonic()
        at = self.router.now
        views = []
        for queue_id in sorted(pending & known):
            self._view_published[queue_id] = clock
            views.append(
                self._view_event(QUEUE_VIEW, self._last_seq, at, self.queue_view(queue_id, at))
            )
        if views:
            task = asyncio.get_running_loop().create_task(self._bus.publish(views))
            self._view_tasks.add(task)
            task.add_done_callback(self._view_tasks.discard)

    @staticmethod
    def _view_event(event_type: str, seq: int, now: float, payload: dict[str, Any]) -> StoredEvent:
        return StoredEvent(
            seq=seq,
            type=event_type,
            payload=payload,
            occurred_at=to_datetime(now),
            actor_user_id=None,
        )

    async def _timers(self) -> None:
        while True:
            due = self.router.next_due()
            now = self._now()
            delay = MAX_TIMER_SLEEP if due is None else min(max(due - now, 0.01), MAX_TIMER_SLEEP)
            self._wake.clear()
            # asyncio.timeout rather than wait_for: on 3.11, wait_for swallows a cancellation
            # that arrives as the wake-up does, and stop() would wait forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            try:
                await self._run(self._tick, actor_id=None)
            except Exception:  # a failed tick is retried at the next one
                log.exception("ACD timer tick failed")

    def _tick(self, router: Router, now: float) -> list[Change]:
        events: list[Change] = []
        day = self._local_day(now)
        if day != self._day:
            self._day = day
            events += router.reset_day(now)
            self.metrics.reset_day()
        events += router.tick(now)
        return events

    # ------------------------------------------------------------------ views

    def queue_view(self, queue_id: str, now: float | None = None) -> dict[str, Any]:
        """Card, agents table and Waiting table of a queue, in timestamps (not durations)."""
        at = self.router.now if now is None else now
        config = self.router.queue_config(queue_id)
        metrics = self.metrics.queue(queue_id)
        waiting = self.router.waiting_contacts(queue_id, at)
        agents = []
        for row in self.router.queue_agents(queue_id, at):
            agents.append(
                {
                    "agent_id": row.agent_id,
                    "status": row.status.value,
                    "status_reason": row.status_reason,
                    "status_since": row.status_since,
                    "member": row.member,
                    "logged_in": row.logged_in,
                    "temporary": row.temporary,
                    "paused_in_queue": row.paused_in_queue,
                    "queue_pause_reason": row.queue_pause_reason,
                    "line": self.lines.get(row.agent_id),
                }
            )
        kind, number = parse_queue_key(queue_id)
        card: dict[str, Any] = {
            "waiting": len(waiting),
            "oldest_queued_at": min((w.queued_at for w in waiting), default=None),
            "agents_logged_in": sum(1 for a in agents if a["logged_in"]),
            "agents_ready": sum(
                1
                for a in agents
                if a["logged_in"] and a["status"] == "ready" and not a["paused_in_queue"]
            ),
            "average_handle_time": metrics.average_handle_time(),
            "total_today": metrics.total_today,
            "handled": metrics.handled,
            "abandoned": metrics.abandoned,
            "expired": metrics.expired,
            "callbacks_requested": metrics.callbacks_requested,
            "service_level": metrics.service_level(),
            "service_level_seconds": config.service_level_seconds,
        }
        for source in self._card_sources:
            card.update(source(queue_id) or {})
        return {
            "queue_id": queue_id,
            "kind": kind,
            "id": number,
            "name": self.queue_names.get(queue_id, config.name),
            "agent_may_end_wrap_up": config.agent_may_end_wrap_up,
            "card": card,
            "agents": agents,
            "waiting": [
                {
                    "contact_id": w.contact_id,
                    "kind": w.kind.value,
                    "state": w.state,
                    "position": w.position,
                    "queued_at": w.queued_at,
                    "estimated_wait": w.estimated_wait,
                    "callback": w.callback,
                    "caller_id": self._contact_index.get(w.contact_id, {}).get("caller_id"),
                }
                for w in waiting
            ],
        }

    def agent_view(self, agent_id: str) -> dict[str, Any]:
        if agent_id not in self._agent_index and not self.router.has_agent(agent_id):
            return self._gone_view(agent_id)
        view = self.router.agent_view(agent_id)
        offers = []
        for offer_id, contact_id, offered_to in self.router.open_offers():
            if offered_to == agent_id:
                offers.append(self._offer(offer_id, contact_id))
        data = asdict(view)
        data["status"] = view.status.value
        data["queues"] = list(view.queues)
        data["paused_queues"] = list(view.paused_queues)
        data["open_offers"] = offers
        data["contacts"] = [self._contact(c) for c in view.contacts]
        data["memberships"] = self._memberships(agent_id)
        data["line"] = self.lines.get(agent_id)
        return data

    def _gone_view(self, agent_id: str) -> dict[str, Any]:
        """A temporary agent who has left the router: logged out, with nothing."""
        return {
            "agent_id": agent_id,
            "status": AgentStatus.LOGGED_OUT.value,
            "status_reason": None,
            "status_since": self.router.now,
            "queues": [],
            "paused_queues": [],
            "open_offers": [],
            "contacts": [],
            "handled_today": 0,
            "missed_in_a_row": 0,
            "missed_total": 0,
            "memberships": [],
            "line": None,
        }

    def _offer(self, offer_id: int, contact_id: str) -> dict[str, Any]:
        contact = self._contact(contact_id)
        contact["offer_id"] = offer_id
        return contact

    def _contact(self, contact_id: str) -> dict[str, Any]:
        data = self._contact_index.get(contact_id)
        if data is not None:
            queue_id = data["queue_id"]
            return {
                "contact_id": contact_id,
                "kind": data["kind"],
                "queue_id": queue_id,
                "queue_name": self.queue_names.get(queue_id, queue_id),
                "caller_id": data["caller_id"],
                "state": self.router.contact_state(contact_id) or "ended",
                "queued_at": data["queued_at"],
                "connected_at": data["connected_at"],
            }
        return {"contact_id": contact_id, "state": self.router.contact_state(contact_id) or "ended"}


async def visible_queue_ids(
    *, session: AsyncSession, acd: AcdService, user: Any, matrix: dict[Permission, bool]
) -> list[str]:
    """Queues whose live views a supervisor sees: admins every queue; a supervisor the
    queues they supervise, and every other call queue unless restricted to assigned ones."""
    all_queues = acd.router.queue_ids()
    roles = {Role(name) for name in user.role_names}
    if Role.ADMIN in roles:
        return sorted(all_queues)
    if Role.SUPERVISOR not in roles:
        return []
    mine = {
        queue_key(a.queue_kind, a.queue_id)
        for a in await queue_repository.assignments_for_user(session, user.id)
        if a.role == "supervisor"
    }
    restricted = matrix.get(Permission.SUPERVISOR_RESTRICT_TO_ASSIGNED_CALL_QUEUES, False)
    return sorted(q for q in all_queues if q in mine or (q.startswith("call:") and not restricted))


def agent_queue_ids(acd: AcdService, user_id: int) -> set[str]:
    """Queues an agent sees cards of: their assigned ones and the ones they are in."""
    key = agent_key(user_id)
    if key not in acd.router.agent_ids():
        return set()
    return set(acd._memberships(key)) | set(acd.router.agent_view(key).queues)


async def _agent_skills(session: AsyncSession) -> dict[int, dict[int, int]]:
    return await skills_service.skills_of_agents(session=session)


async def _skill_requirements(session: AsyncSession) -> dict[str, list[SkillRequirement]]:
    raw = await skills_service.requirements(session=session)
    return {queue_key(kind, number): rows for (kind, number), rows in raw.items()}


def _with_skills(config: QueueConfig, requirements: list[SkillRequirement]) -> QueueConfig:
    """The skills domain's per-skill requirements in the core's terms.

    The core gives an agent one level per queue (their lowest proficiency among the
    required skills) and asks a contact for one minimum that widens with the wait. So the
    minimum at a given wait is the highest of the skills' minimums then in force: an agent
    passes only if every required skill reaches it (stricter than per-skill minimums when
    they differ between skills).
    """
    if not requirements:
        return config
    moments = sorted({0.0} | {float(r.relax_after_seconds or 0) for r in requirements})
    steps: list[SkillStep] = []
    for moment in moments:
        level = max(r.min_proficiency_after(moment) for r in requirements)
        if not steps or level < steps[-1].min_proficiency:
            steps.append(SkillStep(moment, level))
    return replace(
        config,
        required_skills=tuple(str(r.skill_id) for r in requirements),
        skill_steps=tuple(steps),
    )

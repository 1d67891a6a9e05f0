"""Property tests: random sequences of agent and contact commands keep the ACD's
invariants (DESIGN §4).

* no contact lost: every contact is live in the router or has ended with an outcome;
* none offered to two agents at once (except ring all);
* no agent over capacity (voice exclusive, chats up to capacity);
* FIFO within a queue: a contact is offered to an agent only if every contact ahead of
  it that the agent may take has just been declined or missed by that agent;
* no agent idle in a queue while a contact it may take waits there (after a tick);
* every contact ends in exactly one outcome (handled, abandoned, expired, callback
  requested) — checked after draining the router;
* time never goes backwards (events, and commands given an earlier time are refused).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.core.acd import (
    AgentBusyError,
    AgentConfig,
    ContactKind,
    EndedBy,
    InvalidTransitionError,
    NewContact,
    NotAllowedError,
    QueueConfig,
    QueueKind,
    Router,
    SkillStep,
    Strategy,
)
from helpline.core.acd import events as ev
from helpline.core.acd.strategies import idle_key
from helpline.core.clock import TimeWentBackwardsError

N_QUEUES = 3
N_AGENTS = 4
# More examples for a soak run: ACD_PROPERTY_EXAMPLES=5000 uv run pytest tests/core -k random
EXAMPLES = int(os.environ.get("ACD_PROPERTY_EXAMPLES", "200"))

queue_configs = st.builds(
    lambda i, kind, strategy, prio, timeout, delay, wrap, max_wait, auto, cb, steps: QueueConfig(
        f"q{i}",
        kind=kind,
        strategy=strategy,
        priority=prio,
        offer_timeout=timeout,
        reoffer_delay=delay,
        wrap_up_seconds=wrap,
        max_wait=max_wait,
        auto_pause_after_missed=auto,
        callback_enabled=cb,
        callback_threshold=5.0,
        required_skills=("s",) if strategy is Strategy.SKILLS else (),
        skill_steps=steps if strategy is Strategy.SKILLS else (),
        agent_may_end_wrap_up=bool(i % 2),
    ),
    st.just(0),
    st.sampled_from([QueueKind.CALL, QueueKind.CALL, QueueKind.CHAT, QueueKind.CAMPAIGN]),
    st.sampled_from(list(Strategy)),
    st.integers(0, 3),
    st.sampled_from([5.0, 20.0]),
    st.sampled_from([0.0, 3.0, 10.0]),
    st.sampled_from([0.0, 4.0]),
    st.sampled_from([None, 30.0]),
    st.sampled_from([None, 1, 2]),
    st.booleans(),
    st.sampled_from(
        [
            (),
            (SkillStep(0, 4), SkillStep(10, 2)),
            (SkillStep(0, 5), SkillStep(5, 3), SkillStep(20, 0)),
        ]
    ),
)

agent_specs = st.tuples(
    st.sets(st.integers(0, N_QUEUES - 1), min_size=1),  # memberships
    st.integers(0, 5),  # skill level (0: lacks it)
    st.integers(1, 3),  # chat capacity
    st.booleans(),  # per-queue chat capacity of 1 in its first queue
)

dts = st.sampled_from([0.0, 0.0, 0.5, 1.0, 3.0, 7.0, 15.0, 40.0])
idx = st.integers(0, 50)
maybe_queue = st.one_of(st.none(), st.integers(0, N_QUEUES - 1))

operations = st.one_of(
    st.tuples(st.just("login"), dts, idx, st.one_of(st.none(), st.sets(st.integers(0, 3)))),
    st.tuples(st.just("logout"), dts, idx, maybe_queue),
    st.tuples(st.just("ready"), dts, idx, maybe_queue),
    st.tuples(st.just("pause"), dts, idx, maybe_queue),
    st.tuples(st.just("enqueue"), dts, st.integers(0, N_QUEUES - 1), st.booleans()),
    st.tuples(st.just("enqueue"), dts, st.integers(0, N_QUEUES - 1), st.booleans()),
    st.tuples(st.just("accept"), dts, idx, st.none()),
    st.tuples(st.just("accept"), dts, idx, st.none()),
    st.tuples(st.just("decline"), dts, idx, st.none()),
    st.tuples(st.just("end"), dts, idx, st.none()),
    st.tuples(st.just("end_wrap"), dts, idx, st.sampled_from([EndedBy.AGENT, EndedBy.SUPERVISOR])),
    st.tuples(st.just("abandon"), dts, idx, st.none()),
    st.tuples(st.just("callback"), dts, idx, st.none()),
    st.tuples(st.just("callback"), dts, idx, st.none()),
    st.tuples(st.just("tick"), dts, idx, st.none()),
    st.tuples(st.just("tick"), dts, idx, st.none()),
    st.tuples(st.just("backwards"), dts, idx, st.none()),
)


@dataclass
class Model:
    """What the test knows from the events alone."""

    router: Router
    ring_all: set[str]
    chat_queues: set[str]
    capacity: dict[str, int]
    configs: dict[str, QueueConfig]
    agent_level: dict[tuple[str, str], int]  # (agent, queue) -> level
    now: float = 0.0
    last_event_at: float = float("-inf")
    n: int = 0
    contacts: set[str] = field(default_factory=set)  # every contact ever created
    outcomes: Counter[str] = field(default_factory=Counter)
    ended: set[str] = field(default_factory=set)  # no longer live
    open_offers: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    connected: dict[str, tuple[str, str]] = field(default_factory=dict)  # contact -> agent, q
    wrapping: dict[str, tuple[str, str]] = field(default_factory=dict)
    callback_offered: set[str] = field(default_factory=set)
    waiting: dict[str, dict[str, tuple[float, int]]] = field(default_factory=dict)
    keys: dict[str, tuple[float, int]] = field(default_factory=dict)  # line order
    level: dict[str, int] = field(default_factory=dict)  # required level of a contact

    def _check_fifo(self, e: ev.ContactOffered) -> None:
        """Everyone ahead of the offered contact that the agent may take must have just
        been declined or missed by that agent (re-offer delay)."""
        key = self.keys[e.contact_id]
        agent_level = self.agent_level[(e.agent_id, e.queue_id)]
        for other, other_key in self.waiting[e.queue_id].items():
            if other_key >= key or self.level[other] > agent_level:
                continue
            contact = self.router._contacts.get(other)
            if contact is None:  # left later in the same command
                continue
            excluded = contact.excluded or {}
            assert excluded.get(e.agent_id, float("-inf")) > e.at, (
                f"FIFO: {e.contact_id} offered to {e.agent_id} before {other}"
            )

    def apply(self, events: list[ev.Event]) -> None:
        for e in events:
            assert e.at >= self.last_event_at, "time went backwards in the events"
            assert e.at == self.now
            self.last_event_at = e.at
            if isinstance(e, ev.ContactQueued):
                self.keys[e.contact_id] = (e.queued_at, len(self.keys))
                self.level[e.contact_id] = self.configs[e.queue_id].required_level(0.0)
                self.waiting.setdefault(e.queue_id, {})[e.contact_id] = self.keys[e.contact_id]
            elif isinstance(e, ev.ContactRequeued):
                self.waiting[e.queue_id][e.contact_id] = self.keys[e.contact_id]
            elif isinstance(e, ev.SkillRequirementWidened):
                self.level[e.contact_id] = e.min_proficiency
            if isinstance(e, ev.ContactOffered):
                self.waiting[e.queue_id].pop(e.contact_id, None)
                self._check_fifo(e)
                assert e.offer_id not in self.open_offers
                assert e.contact_id not in self.ended
                assert e.contact_id not in self.connected
                self.open_offers[e.offer_id] = (e.contact_id, e.agent_id, e.queue_id)
            elif isinstance(e, ev.OfferTimedOut | ev.OfferDeclined | ev.OfferCancelled):
                assert self.open_offers.pop(e.offer_id)[0] == e.contact_id
            elif isinstance(e, ev.ContactAccepted):
                assert self.open_offers.pop(e.offer_id)[0] == e.contact_id
                self.outcomes[e.contact_id] += 1
                self.connected[e.contact_id] = (e.agent_id, e.queue_id)
            elif isinstance(e, ev.WrapUpStarted):
                self.wrapping[e.contact_id] = self.connected.pop(e.contact_id)
            elif isinstance(e, ev.WrapUpEnded):
                assert self.wrapping.pop(e.contact_id)[0] == e.agent_id
                self.ended.add(e.contact_id)
            elif isinstance(e, ev.ContactAbandoned | ev.ContactExpired):
                self.waiting[e.queue_id].pop(e.contact_id, None)
                self.outcomes[e.contact_id] += 1
                self.ended.add(e.contact_id)
            elif isinstance(e, ev.CallbackRequested):
                self.waiting[e.queue_id].pop(e.contact_id, None)
                self.keys[e.callback_contact_id] = self.keys[e.contact_id]
                self.level[e.callback_contact_id] = self.level[e.contact_id]
                self.waiting[e.queue_id][e.callback_contact_id] = self.keys[e.contact_id]
                self.outcomes[e.contact_id] += 1
                self.ended.add(e.contact_id)
                self.contacts.add(e.callback_contact_id)
            elif isinstance(e, ev.CallbackOffered):
                assert e.contact_id not in self.callback_offered, "callback offered twice"
                self.callback_offered.add(e.contact_id)

    def check(self, after_tick: bool) -> None:
        router = self.router
        live = set(router.live_contact_ids())
        # no contact lost; the router's live set agrees with the events
        assert live == self.contacts - self.ended
        for contact_id in self.contacts:
            assert self.outcomes[contact_id] <= 1, f"{contact_id} has two outcomes"
        assert {o[0] for o in router.open_offers()} == set(self.open_offers)
        # not offered to two agents at once (except ring all)
        per_contact = Counter(c for c, _, q in self.open_offers.values() if q not in self.ring_all)
        assert all(n == 1 for n in per_contact.values()), per_contact
        # agent capacity
        voice: Counter[str] = Counter()
        chat: Counter[str] = Counter()
        for _, agent_id, queue_id in self.open_offers.values():
            (chat if queue_id in self.chat_queues else voice)[agent_id] += 1
        for agent_id, queue_id in (*self.connected.values(), *self.wrapping.values()):
            (chat if queue_id in self.chat_queues else voice)[agent_id] += 1
        for agent_id in router.agent_ids():
            assert voice[agent_id] <= 1, f"{agent_id} has two voice contacts"
            assert not (voice[agent_id] and chat[agent_id]), f"{agent_id}: voice and chat"
            assert chat[agent_id] <= self.capacity[agent_id]
        self._check_queue_order(after_tick)

    def _check_queue_order(self, after_tick: bool) -> None:
        """Line bookkeeping and work conservation, from the router's internals."""
        now = self.now
        for queue in self.router._queues.values():
            queued = sorted(
                (c for c in queue.contacts.values() if c.state.name == "queued"),
                key=lambda c: (c.queued_at, c.seq),
            )
            offered = [c for c in queue.contacts.values() if c.state.name == "offered"]
            for c in queued + offered:
                assert c.in_waiting == (c.state.name == "queued")
            assert queue.waiting_count == len(queued)
            for seat in queue.seats.values():
                if not seat.in_idle:
                    continue
                assert (seat.k0, seat.k1) == idle_key(seat)
                assert seat.token
                assert any(  # the seat has its live entry in the heap
                    e[4] is seat and e[3] == seat.token for e in queue.idle[seat.level]
                ), f"{seat.agent.agent_id} idle in {queue.queue_id} but not in its heap"
                if not after_tick:
                    continue
                for c in queued:
                    if c.req_level > seat.level:
                        continue
                    excl = c.excluded or {}
                    assert excl.get(seat.agent.agent_id, float("-inf")) > now, (
                        f"{c.contact_id} waits in {queue.queue_id} while "
                        f"{seat.agent.agent_id} is idle there"
                    )


def login_all(model: Model, which: list[bool]) -> None:
    for agent_id, login in zip(model.router.agent_ids(), which, strict=True):
        if login:
            model.apply(model.router.agent_login(agent_id, model.now))
    model.check(after_tick=True)


def run_ops(router: Router, model: Model, ops: list[tuple[object, ...]]) -> None:
    agents = router.agent_ids()
    queues = router.queue_ids()
    for op in ops:
        name, dt, arg, extra = op
        assert isinstance(name, str)
        assert isinstance(dt, float)
        assert isinstance(arg, int)
        if name == "backwards":
            if router.now > 0:
                try:
                    router.tick(router.now - 0.25)
                except TimeWentBackwardsError:
                    pass
                else:
                    raise AssertionError("a command in the past was accepted")
            continue
        model.now += dt
        now = model.now
        agent = agents[arg % len(agents)]
        queue_id = None if extra is None or not isinstance(extra, int) else queues[extra]
        events: list[ev.Event] = []
        tolerated: tuple[type[Exception], ...] = (
            InvalidTransitionError,
            NotAllowedError,
            AgentBusyError,
        )
        try:
            if name == "login":
                chosen = None if extra is None else [queues[i % len(queues)] for i in extra]  # type: ignore[attr-defined]
                events = router.agent_login(agent, now, chosen)
            elif name == "logout":
                events = router.agent_logout(agent, now, queue_id)
            elif name == "ready":
                events = router.agent_ready(agent, now, queue_id)
            elif name == "pause":
                events = router.agent_pause(agent, now, "break", queue_id)
            elif name == "enqueue":
                model.n += 1
                contact_id = f"c{model.n}"
                queue = queues[arg % len(queues)]
                kind = ContactKind.CHAT if queue in model.chat_queues else ContactKind.CALL
                caller = "+14155550100" if extra else None
                model.contacts.add(contact_id)
                events = router.enqueue(NewContact(contact_id, queue, kind, caller), now)
            elif name in ("accept", "decline"):
                if not model.open_offers:
                    events = router.tick(now)
                else:
                    offer_ids = sorted(model.open_offers)
                    offer_id = offer_ids[arg % len(offer_ids)]
                    tolerated = ()
                    if name == "accept":
                        events = router.accept(offer_id, now)
                    else:
                        events = router.decline(offer_id, now)
            elif name == "end":
                if not model.connected:
                    events = router.tick(now)
                else:
                    ids = sorted(model.connected)
                    tolerated = ()
                    events = router.end_contact(ids[arg % len(ids)], now)
            elif name == "end_wrap":
                assert isinstance(extra, EndedBy)
                events = router.end_wrap_up(agent, now, by=extra)
            elif name == "abandon":
                waiting = sorted(
                    c
                    for c in model.contacts - model.ended
                    if c not in model.connected and c not in model.wrapping
                )
                if waiting:
                    tolerated = ()
                    events = router.abandon(waiting[arg % len(waiting)], now)
            elif name == "callback":
                offered = sorted(model.callback_offered - model.ended)
                if offered:
                    contact_id = offered[arg % len(offered)]
                    tolerated = (InvalidTransitionError,)  # e.g. already connected
                    events = router.accept_callback(contact_id, now)
            else:
                events = router.tick(now)
        except tolerated:
            events = []
        model.apply(events)
        model.check(after_tick=name == "tick")


def drain(router: Router, model: Model) -> None:
    """End everything: every contact must then have exactly one outcome."""
    model.now += 1.0
    now = model.now
    for contact_id in sorted(model.contacts - model.ended):
        if contact_id in model.connected:
            model.apply(router.end_contact(contact_id, now))
        elif contact_id not in model.wrapping:
            model.apply(router.abandon(contact_id, now))
    for agent_id in router.agent_ids():
        if router.agent_view(agent_id).status.value == "wrap_up":
            model.apply(router.end_wrap_up(agent_id, now, by=EndedBy.SUPERVISOR))
    model.check(after_tick=False)
    assert router.live_contact_ids() == []
    assert router.open_offers() == []
    for contact_id in model.contacts:
        assert model.outcomes[contact_id] == 1, f"{contact_id}: {model.outcomes[contact_id]}"


def build(
    queue_list: list[QueueConfig], agent_list: list[tuple[set[int], int, int, bool]]
) -> Model:
    router = Router()
    configs = []
    for i, q in enumerate(queue_list):
        config = QueueConfig(**{**_asdict(q), "queue_id": f"q{i}"})
        configs.append(config)
        router.add_queue(config)
    capacity = {}
    for i, (members, skill, cap, small_first) in enumerate(agent_list):
        agent_id = f"a{i}"
        memberships: dict[str, int | None] = {f"q{m}": None for m in sorted(members)}
        if small_first:
            memberships[f"q{min(members)}"] = 1
        router.add_agent(
            AgentConfig(
                agent_id,
                skills={"s": skill} if skill else {},
                chat_capacity=cap,
                memberships=memberships,
            )
        )
        capacity[agent_id] = cap
    skills = {f"a{i}": ({"s": spec[1]} if spec[1] else {}) for i, spec in enumerate(agent_list)}
    return Model(
        router,
        ring_all={c.queue_id for c in configs if c.strategy is Strategy.RING_ALL},
        chat_queues={c.queue_id for c in configs if c.kind is QueueKind.CHAT},
        capacity=capacity,
        configs={c.queue_id: c for c in configs},
        agent_level={(a, c.queue_id): c.agent_level(skills[a]) for a in skills for c in configs},
    )


def _asdict(config: QueueConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in QueueConfig.__dataclass_fields__}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(queue_configs, min_size=N_QUEUES, max_size=N_QUEUES),
    st.lists(agent_specs, min_size=N_AGENTS, max_size=N_AGENTS),
    st.lists(st.booleans(), min_size=N_AGENTS, max_size=N_AGENTS),
    st.lists(operations, min_size=10, max_size=80),
)
def test_random_command_sequences_keep_the_invariants(
    queue_list: list[QueueConfig],
    agent_list: list[tuple[set[int], int, int, bool]],
    logged_in: list[bool],
    ops: list[tuple[object, ...]],
) -> None:
    model = build(queue_list, agent_list)
    login_all(model, logged_in)
    run_ops(model.router, model, ops)
    drain(model.router, model)


@settings(
    max_examples=max(1, EXAMPLES // 4), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(queue_configs, min_size=N_QUEUES, max_size=N_QUEUES),
    st.lists(agent_specs, min_size=N_AGENTS, max_size=N_AGENTS),
    st.lists(st.booleans(), min_size=N_AGENTS, max_size=N_AGENTS),
    st.lists(operations, min_size=10, max_size=60),
    st.lists(operations, min_size=5, max_size=30),
)
def test_restore_midway_keeps_the_invariants(
    queue_list: list[QueueConfig],
    agent_list: list[tuple[set[int], int, int, bool]],
    logged_in: list[bool],
    before: list[tuple[object, ...]],
    after: list[tuple[object, ...]],
) -> None:
    """Snapshot after ``before``, rebuild, carry on with ``after``: open offers are void
    (treated as declined without exclusion), nothing else changes."""
    model = build(queue_list, agent_list)
    login_all(model, logged_in)
    run_ops(model.router, model, before)
    restored = Router.restore(model.router.snapshot())
    model.router = restored
    for offer_id in list(model.open_offers):  # void after a restart
        model.open_offers.pop(offer_id)
    model.callback_offered = {c for c in model.callback_offered if c not in model.ended}
    model.apply(restored.dispatch(model.now))
    model.check(after_tick=False)
    run_ops(restored, model, after)
    drain(restored, model)


class SnapshotByDifference(Model):
    """Keeps the agents' part of the snapshot up to date from the agents each command's
    events name, as the live ACD's store does, and checks it against the whole one."""

    def __init__(self, model: Model) -> None:
        self.__dict__.update(model.__dict__)
        self.kept = {a["agent_id"]: a for a in self.router.snapshot()["agents"]}

    def apply(self, events: list[ev.Event]) -> None:
        super().apply(events)
        for agent_id in agents_named(events) | self.router.take_addressed_agents():
            self.kept[agent_id] = self.router.agent_snapshot(agent_id)
        whole = {a["agent_id"]: a for a in self.router.snapshot()["agents"]}
        stale = {
            agent_id: {
                k: (v, self.kept[agent_id].get(k))
                for k, v in data.items()
                if self.kept[agent_id].get(k) != v
            }
            for agent_id, data in whole.items()
            if self.kept.get(agent_id) != data
        }
        assert not stale, (stale, [e.__class__.__name__ for e in events])


def agents_named(events: list[ev.Event]) -> set[str]:
    return {agent_id for e in events if (agent_id := getattr(e, "agent_id", None)) is not None}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(queue_configs, min_size=N_QUEUES, max_size=N_QUEUES),
    st.lists(agent_specs, min_size=N_AGENTS, max_size=N_AGENTS),
    st.lists(st.booleans(), min_size=N_AGENTS, max_size=N_AGENTS),
    st.lists(operations, min_size=10, max_size=80),
)
def test_the_events_of_a_command_name_every_agent_it_changed(
    queue_list: list[QueueConfig],
    agent_list: list[tuple[set[int], int, int, bool]],
    logged_in: list[bool],
    ops: list[tuple[object, ...]],
) -> None:
    model = SnapshotByDifference(build(queue_list, agent_list))
    login_all(model, logged_in)
    run_ops(model.router, model, ops)
    drain(model.router, model)

"""Unit tests of the ACD router: strategies, priorities, timeouts, wrap-up, skills,
callbacks, estimated wait, presence semantics, snapshot/restore."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

import pytest

from helpline.core.acd import (
    AUTO_PAUSE_REASON,
    AgentBusyError,
    AgentConfig,
    AgentStatus,
    CancelReason,
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
    UnknownOfferError,
)
from helpline.core.acd import events as ev
from helpline.core.clock import TimeWentBackwardsError


def offers(events: Sequence[ev.Event]) -> list[ev.ContactOffered]:
    return [e for e in events if isinstance(e, ev.ContactOffered)]


def offered_to(events: Sequence[ev.Event]) -> list[tuple[str, str]]:
    return [(e.contact_id, e.agent_id) for e in offers(events)]


T = TypeVar("T")


def of_type(events: Sequence[ev.Event], kind: type[T]) -> list[T]:
    return [e for e in events if isinstance(e, kind)]


def make(*queues: QueueConfig, agents: dict[str, Sequence[str]] | None = None) -> Router:
    router = Router()
    for q in queues:
        router.add_queue(q)
    for agent_id, qs in (agents or {}).items():
        router.add_agent(AgentConfig(agent_id, memberships=dict.fromkeys(qs)))
    return router


def serve(router: Router, offer: ev.ContactOffered, now: float) -> list[ev.Event]:
    """Accept an offer and end the contact at once (no wrap-up configured)."""
    events: list[ev.Event] = router.accept(offer.offer_id, now)
    events += router.end_contact(offer.contact_id, now)
    return events


# -- strategies ------------------------------------------------------------------------------


def test_longest_idle_offers_to_the_agent_free_the_longest() -> None:
    r = make(QueueConfig("q"), agents={"a": ["q"], "b": ["q"], "c": ["q"]})
    r.agent_login("b", 1.0)
    r.agent_login("a", 2.0)
    r.agent_login("c", 3.0)
    first = offers(r.enqueue(NewContact("c1", "q"), 10.0))
    assert [o.agent_id for o in first] == ["b"]
    second = offers(r.enqueue(NewContact("c2", "q"), 11.0))
    assert [o.agent_id for o in second] == ["a"]
    # b finishes first: becomes idle at 20, after c (idle since 3)
    serve(r, first[0], 20.0)
    third = offers(r.enqueue(NewContact("c3", "q"), 21.0))
    assert [o.agent_id for o in third] == ["c"]
    fourth = offers(r.enqueue(NewContact("c4", "q"), 22.0))
    assert [o.agent_id for o in fourth] == ["b"]


def test_round_robin_goes_in_turn() -> None:
    r = make(
        QueueConfig("q", strategy=Strategy.ROUND_ROBIN), agents={"a": ["q"], "b": ["q"], "c": ["q"]}
    )
    for i, a in enumerate("abc"):
        r.agent_login(a, float(i))
    got = []
    for i in range(6):
        o = offers(r.enqueue(NewContact(f"c{i}", "q"), 10.0 + i))[0]
        got.append(o.agent_id)
        serve(r, o, 10.0 + i)
    assert got == ["a", "b", "c", "a", "b", "c"]


@pytest.mark.parametrize(
    ("strategy", "second"), [(Strategy.ROUND_ROBIN, "b"), (Strategy.LONGEST_IDLE, "a")]
)
def test_round_robin_differs_from_longest_idle(strategy: Strategy, second: str) -> None:
    """a (idle the longest) is offered c1, which is abandoned while ringing: a is still the
    longest idle, but round robin moves on to b."""
    r = make(QueueConfig("q", strategy=strategy), agents={"a": ["q"], "b": ["q"]})
    r.agent_login("a", 0.0)
    r.agent_login("b", 5.0)
    o = offers(r.enqueue(NewContact("c1", "q"), 10.0))[0]
    assert o.agent_id == "a"
    r.abandon("c1", 11.0)
    assert offered_to(r.enqueue(NewContact("c2", "q"), 12.0)) == [("c2", second)]


def test_fewest_today_prefers_the_agent_with_fewest_handled() -> None:
    r = make(QueueConfig("q", strategy=Strategy.FEWEST_TODAY), agents={"a": ["q"], "b": ["q"]})
    r.agent_login("a", 0.0)
    r.agent_login("b", 1.0)
    for i in range(2):  # a handles two while b is paused
        r.agent_pause("b", 2.0 + i)
        o = offers(r.enqueue(NewContact(f"x{i}", "q"), 2.0 + i))[0]
        assert o.agent_id == "a"
        serve(r, o, 2.5 + i)
        r.agent_ready("b", 2.6 + i)
    # b has been idle for less time than... a became idle at 3.5, b at 3.6: longest idle would
    # pick a; fewest today picks b (0 handled vs 2)
    assert offered_to(r.enqueue(NewContact("c", "q"), 10.0)) == [("c", "b")]
    r.reset_day(11.0)


def test_ring_all_offers_to_everyone_and_first_accept_wins() -> None:
    r = make(
        QueueConfig("q", strategy=Strategy.RING_ALL),
        agents={"a": ["q"], "b": ["q"], "c": ["q"]},
    )
    for a in "abc":
        r.agent_login(a, 0.0)
    out = offers(r.enqueue(NewContact("c1", "q"), 1.0))
    assert sorted(o.agent_id for o in out) == ["a", "b", "c"]
    accepted_by_b = next(o for o in out if o.agent_id == "b")
    events = r.accept(accepted_by_b.offer_id, 2.0)
    cancelled = of_type(events, ev.OfferCancelled)
    assert sorted(c.agent_id for c in cancelled) == ["a", "c"]
    assert all(c.reason is CancelReason.ANSWERED_ELSEWHERE for c in cancelled)
    with pytest.raises(UnknownOfferError):
        r.accept(cancelled[0].offer_id, 2.0)
    # a and c are free again: the next contact rings both
    assert sorted(o.agent_id for o in offers(r.enqueue(NewContact("c2", "q"), 3.0))) == ["a", "c"]


def test_skills_prefers_most_proficient_and_requirement_widens() -> None:
    q = QueueConfig(
        "q",
        strategy=Strategy.SKILLS,
        required_skills=("spanish",),
        skill_steps=(SkillStep(0, 4), SkillStep(30, 2), SkillStep(60, 0)),
    )
    r = Router()
    r.add_queue(q)
    r.add_agent(AgentConfig("expert", skills={"spanish": 5}, memberships={"q": None}))
    r.add_agent(AgentConfig("good", skills={"spanish": 4}, memberships={"q": None}))
    r.add_agent(AgentConfig("basic", skills={"spanish": 2}, memberships={"q": None}))
    r.add_agent(AgentConfig("none", memberships={"q": None}))
    for a in ("good", "expert", "basic", "none"):
        r.agent_login(a, 0.0)
    # most proficient first, even though "good" has been idle longer
    first = offers(r.enqueue(NewContact("c1", "q"), 1.0))
    second = offers(r.enqueue(NewContact("c2", "q"), 2.0))
    assert offered_to(first + second) == [("c1", "expert"), ("c2", "good")]
    for o in first + second:
        r.accept(o.offer_id, 2.0)
    # nobody with >= 4 left: c3 waits
    assert offered_to(r.enqueue(NewContact("c3", "q"), 3.0)) == []
    assert offers(r.tick(32.0)) == []
    events = r.tick(33.0)  # waited 30 s: level 2 is enough
    assert of_type(events, ev.SkillRequirementWidened)[0].min_proficiency == 2
    assert offered_to(events) == [("c3", "basic")]
    r.accept(offers(events)[0].offer_id, 34.0)
    r.enqueue(NewContact("c4", "q"), 40.0)  # needs 4; at 70 s 2; at 100 s anyone
    assert offered_to(r.tick(99.0)) == []
    assert r.waiting_contacts("q", 99.0)[0].min_proficiency == 2
    assert offered_to(r.tick(100.0)) == [("c4", "none")]


def test_skills_widening_exact_steps() -> None:
    q = QueueConfig(
        "q",
        strategy=Strategy.SKILLS,
        required_skills=("fr",),
        skill_steps=(SkillStep(0, 5), SkillStep(20, 3)),
    )
    r = Router()
    r.add_queue(q)
    r.add_agent(AgentConfig("a", skills={"fr": 3}, memberships={"q": None}))
    r.agent_login("a", 0.0)
    r.enqueue(NewContact("c", "q"), 0.0)
    assert offers(r.tick(19.9)) == []
    assert r.waiting_contacts("q", 19.9)[0].min_proficiency == 5
    assert offered_to(r.tick(20.0)) == [("c", "a")]


# -- priorities, FIFO ------------------------------------------------------------------------


def test_priority_across_queues_then_longest_waiting() -> None:
    r = make(
        QueueConfig("low", priority=1),
        QueueConfig("high", priority=9),
        QueueConfig("mid", priority=5),
        agents={"a": ["low", "high", "mid"]},
    )
    r.enqueue(NewContact("l1", "low"), 0.0)
    r.enqueue(NewContact("m1", "mid"), 1.0)
    r.enqueue(NewContact("h1", "high"), 2.0)
    r.enqueue(NewContact("h2", "high"), 3.0)
    r.enqueue(NewContact("m2", "mid"), 4.0)
    order = []
    events = r.agent_login("a", 10.0)
    t = 10.0
    while offers(events):
        o = offers(events)[0]
        order.append(o.contact_id)
        t += 1
        events = serve(r, o, t)
    assert order == ["h1", "h2", "m1", "m2", "l1"]


def test_fifo_within_a_queue_and_requeue_keeps_place() -> None:
    r = make(QueueConfig("q", reoffer_delay=0), agents={"a": ["q"], "b": ["q"]})
    r.agent_login("a", 0.0)
    o1 = offers(r.enqueue(NewContact("c1", "q"), 1.0))[0]
    r.enqueue(NewContact("c2", "q"), 2.0)
    r.enqueue(NewContact("c3", "q"), 3.0)
    assert [w.contact_id for w in r.waiting_contacts("q", 3.0)] == ["c1", "c2", "c3"]
    # a declines c1 with no re-offer delay: c1 goes back to the head and is offered again
    events = r.decline(o1.offer_id, 4.0)
    assert of_type(events, ev.ContactRequeued)[0].contact_id == "c1"
    assert offered_to(events) == [("c1", "a")]


def test_declined_contact_goes_to_another_agent_first() -> None:
    r = make(QueueConfig("q", reoffer_delay=30), agents={"a": ["q"], "b": ["q"]})
    r.agent_login("a", 0.0)
    o = offers(r.enqueue(NewContact("c1", "q"), 1.0))[0]
    r.agent_login("b", 2.0)
    r.accept(offers(r.enqueue(NewContact("c2", "q"), 3.0))[0].offer_id, 3.0)  # b takes c2
    events = r.decline(o.offer_id, 4.0)
    # nobody else free; a is not offered c1 again before 34 s
    assert offered_to(events) == []
    assert offered_to(r.tick(33.0)) == []
    assert offered_to(r.tick(34.0)) == [("c1", "a")]


# -- offer timeout and auto-pause ------------------------------------------------------------


def test_missed_offer_reroutes_counts_and_auto_pauses() -> None:
    r = make(
        QueueConfig("q", offer_timeout=10, reoffer_delay=5, auto_pause_after_missed=2),
        agents={"a": ["q"], "b": ["q"]},
    )
    r.agent_login("a", 0.0)
    r.agent_login("b", 1.0)
    o = offers(r.enqueue(NewContact("c1", "q"), 2.0))[0]
    assert o.agent_id == "a"
    assert o.expires_at == 12.0
    assert offers(r.tick(11.9)) == []
    events = r.tick(12.0)
    assert of_type(events, ev.OfferTimedOut)[0].agent_id == "a"
    assert offered_to(events) == [("c1", "b")]
    assert r.agent_view("a").missed_in_a_row == 1
    assert r.agent_view("a").status is AgentStatus.READY
    # b misses too; a is excluded until 17, so c1 waits then goes back to a
    events = r.tick(22.0)
    assert offered_to(events) == [("c1", "a")]
    events = r.tick(32.0)  # a misses a second time in a row: auto-paused
    auto = of_type(events, ev.AgentAutoPaused)
    assert [(x.agent_id, x.missed_in_a_row) for x in auto] == [("a", 2)]
    status = of_type(events, ev.AgentStatusChanged)
    assert (status[-1].agent_id, status[-1].status, status[-1].reason) == (
        "a",
        AgentStatus.PAUSED,
        AUTO_PAUSE_REASON,
    )
    assert offered_to(events) == [("c1", "b")]
    # accepting resets b's count
    r.accept(offers(events)[0].offer_id, 33.0)
    assert r.agent_view("b").missed_in_a_row == 0
    assert r.agent_view("a").missed_total == 2


def test_no_auto_pause_when_queue_does_not_ask() -> None:
    r = make(QueueConfig("q", offer_timeout=5, reoffer_delay=0), agents={"a": ["q"]})
    r.agent_login("a", 0.0)
    r.enqueue(NewContact("c", "q"), 0.0)
    for t in (5.0, 10.0, 15.0, 20.0):
        events = r.tick(t)
        assert not of_type(events, ev.AgentAutoPaused)
        assert offered_to(events) == [("c", "a")]


# -- wrap-up ---------------------------------------------------------------------------------


def _connected(wrap: float = 30.0, agent_may_end: bool = True) -> tuple[Router, str]:
    r = make(
        QueueConfig("q", wrap_up_seconds=wrap, agent_may_end_wrap_up=agent_may_end),
        agents={"a": ["q"]},
    )
    r.agent_login("a", 0.0)
    o = offers(r.enqueue(NewContact("c", "q"), 1.0))[0]
    r.accept(o.offer_id, 2.0)
    r.enqueue(NewContact("next", "q"), 3.0)
    return r, o.contact_id


def test_wrap_up_ends_by_itself() -> None:
    r, cid = _connected()
    events = r.end_contact(cid, 10.0)
    started = of_type(events, ev.WrapUpStarted)[0]
    assert (started.talk, started.ends_at) == (8.0, 40.0)
    assert r.agent_view("a").status is AgentStatus.WRAP_UP
    assert offers(r.tick(39.0)) == []
    events = r.tick(40.0)
    ended = of_type(events, ev.WrapUpEnded)[0]
    assert (ended.by, ended.handle) == (EndedBy.AUTO, 38.0)
    assert offered_to(events) == [("next", "a")]


def test_wrap_up_ended_early_by_agent_when_allowed() -> None:
    r, cid = _connected()
    r.end_contact(cid, 10.0)
    events = r.end_wrap_up("a", 15.0)
    assert of_type(events, ev.WrapUpEnded)[0].by is EndedBy.AGENT
    assert offered_to(events) == [("next", "a")]
    assert not of_type(r.tick(40.0), ev.WrapUpEnded)  # the timer is void


def test_wrap_up_agent_refused_supervisor_allowed() -> None:
    r, cid = _connected(agent_may_end=False)
    r.end_contact(cid, 10.0)
    with pytest.raises(NotAllowedError):
        r.end_wrap_up("a", 15.0)
    events = r.end_wrap_up("a", 16.0, by=EndedBy.SUPERVISOR)
    assert of_type(events, ev.WrapUpEnded)[0].by is EndedBy.SUPERVISOR
    with pytest.raises(InvalidTransitionError):
        r.end_wrap_up("a", 17.0, by=EndedBy.SUPERVISOR)


def test_zero_wrap_up_frees_the_agent_at_once() -> None:
    r, cid = _connected(wrap=0)
    events = r.end_contact(cid, 10.0)
    assert [type(e) for e in events][:2] == [ev.WrapUpStarted, ev.WrapUpEnded]
    assert offered_to(events) == [("next", "a")]


# -- presence --------------------------------------------------------------------------------


def test_pause_in_one_queue_only() -> None:
    r = make(QueueConfig("q1"), QueueConfig("q2"), agents={"a": ["q1", "q2"]})
    r.agent_login("a", 0.0)
    events = r.agent_pause("a", 1.0, "training", queue_id="q1")
    assert of_type(events, ev.AgentQueuePaused)[0].reason == "training"
    assert r.agent_view("a").status is AgentStatus.READY
    assert offered_to(r.enqueue(NewContact("c1", "q1"), 2.0)) == []
    o = offers(r.enqueue(NewContact("c2", "q2"), 3.0))
    assert offered_to(o) == [("c2", "a")]
    r.decline(o[0].offer_id, 4.0)
    events = r.agent_ready("a", 5.0, queue_id="q1")
    assert offered_to(events) == [("c1", "a")]


def test_global_pause_and_ready_clears_queue_pauses() -> None:
    r = make(QueueConfig("q1"), QueueConfig("q2"), agents={"a": ["q1", "q2"]})
    r.agent_login("a", 0.0)
    r.agent_pause("a", 1.0, queue_id="q1")
    events = r.agent_pause("a", 2.0, "lunch")
    assert of_type(events, ev.AgentStatusChanged)[0].reason == "lunch"
    r.enqueue(NewContact("c1", "q1"), 3.0)
    events = r.agent_ready("a", 4.0)
    assert [e.queue_id for e in of_type(events, ev.AgentQueueResumed)] == ["q1"]
    assert offered_to(events) == [("c1", "a")]


def test_login_to_some_queues_and_temporary_login() -> None:
    r = make(QueueConfig("q1"), QueueConfig("q2"), QueueConfig("other"), agents={"a": ["q1", "q2"]})
    events = r.agent_login("a", 0.0, queue_ids=["q1"])
    assert [(e.queue_id, e.temporary) for e in of_type(events, ev.AgentQueueLoggedIn)] == [
        ("q1", False)
    ]
    events = r.agent_login("a", 1.0, queue_ids=["other"])  # a supervisor logs a in
    assert [(e.queue_id, e.temporary) for e in of_type(events, ev.AgentQueueLoggedIn)] == [
        ("other", True)
    ]
    assert offered_to(r.enqueue(NewContact("c2", "q2"), 2.0)) == []
    o = offers(r.enqueue(NewContact("c3", "other"), 3.0))
    assert offered_to(o) == [("c3", "a")]
    r.accept(o[0].offer_id, 4.0)
    r.end_contact("c3", 5.0)
    # logging out of everything ends the temporary login
    r.agent_logout("a", 6.0)
    events = r.agent_login("a", 7.0)
    assert sorted(e.queue_id for e in of_type(events, ev.AgentQueueLoggedIn)) == ["q1", "q2"]
    assert offered_to(events) == [("c2", "a")]
    view = {v.agent_id: v for v in r.queue_agents("other", 7.0)}
    assert "a" not in view


def test_logout_refused_during_call_and_withdraws_offers() -> None:
    r = make(QueueConfig("q", wrap_up_seconds=60), agents={"a": ["q"], "b": ["q"]})
    r.agent_login("a", 0.0)
    o = offers(r.enqueue(NewContact("c1", "q"), 1.0))[0]
    r.accept(o.offer_id, 2.0)
    with pytest.raises(AgentBusyError):
        r.agent_logout("a", 3.0)
    r.end_contact("c1", 4.0)
    events = r.agent_logout("a", 5.0)  # during wrap-up: wrap-up ends
    assert of_type(events, ev.WrapUpEnded)[0].by is EndedBy.LOGOUT
    assert of_type(events, ev.AgentStatusChanged)[-1].status is AgentStatus.LOGGED_OUT
    with pytest.raises(InvalidTransitionError):
        r.agent_logout("a", 6.0)
    r.agent_login("b", 7.0)
    o2 = offers(r.enqueue(NewContact("c2", "q"), 8.0))[0]
    r.agent_login("a", 9.0)
    events = r.agent_logout("b", 10.0)
    cancelled = of_type(events, ev.OfferCancelled)
    assert [(c.offer_id, c.reason) for c in cancelled] == [
        (o2.offer_id, CancelReason.AGENT_LOGGED_OUT)
    ]
    assert offered_to(events) == [("c2", "a")]


def test_voice_is_exclusive_and_chat_has_capacity() -> None:
    r = Router()
    r.add_queue(QueueConfig("voice"))
    r.add_queue(QueueConfig("chat", kind=QueueKind.CHAT))
    r.add_agent(AgentConfig("a", chat_capacity=2, memberships={"voice": None, "chat": None}))
    r.agent_login("a", 0.0)
    c1 = offers(r.enqueue(NewContact("ch1", "chat", ContactKind.CHAT), 1.0))
    c2 = offers(r.enqueue(NewContact("ch2", "chat", ContactKind.CHAT), 2.0))
    assert offered_to(c1 + c2) == [("ch1", "a"), ("ch2", "a")]
    assert offers(r.enqueue(NewContact("ch3", "chat", ContactKind.CHAT), 3.0)) == []
    # busy on chats: no call either
    assert offers(r.enqueue(NewContact("v1", "voice"), 4.0)) == []
    for o in c1 + c2:
        r.accept(o.offer_id, 5.0)
    events = r.end_contact("ch1", 6.0)
    assert offered_to(events) == [("ch3", "a")]
    r.accept(offers(events)[0].offer_id, 7.0)
    assert offers(r.end_contact("ch2", 8.0)) == []  # still on ch3: no call
    assert offered_to(r.end_contact("ch3", 9.0)) == [("v1", "a")]  # free of chats


def test_voice_call_blocks_chats() -> None:
    r = Router()
    r.add_queue(QueueConfig("voice"))
    r.add_queue(QueueConfig("chat", kind=QueueKind.CHAT))
    r.add_agent(AgentConfig("a", chat_capacity=3, memberships={"voice": None, "chat": None}))
    r.agent_login("a", 0.0)
    o = offers(r.enqueue(NewContact("v", "voice"), 1.0))[0]
    r.accept(o.offer_id, 2.0)
    assert offers(r.enqueue(NewContact("ch", "chat", ContactKind.CHAT), 3.0)) == []
    assert offered_to(r.end_contact("v", 4.0)) == [("ch", "a")]


def test_per_queue_chat_capacity() -> None:
    r = Router()
    r.add_queue(QueueConfig("c1", kind=QueueKind.CHAT))
    r.add_queue(QueueConfig("c2", kind=QueueKind.CHAT))
    r.add_agent(AgentConfig("a", chat_capacity=3, memberships={"c1": 1, "c2": None}))
    r.agent_login("a", 0.0)
    assert len(offers(r.enqueue(NewContact("x1", "c1", ContactKind.CHAT), 1.0))) == 1
    assert offers(r.enqueue(NewContact("x2", "c1", ContactKind.CHAT), 2.0)) == []
    assert len(offers(r.enqueue(NewContact("y1", "c2", ContactKind.CHAT), 3.0))) == 1
    assert len(offers(r.enqueue(NewContact("y2", "c2", ContactKind.CHAT), 4.0))) == 1
    assert offers(r.enqueue(NewContact("y3", "c2", ContactKind.CHAT), 5.0)) == []


# -- leaving the queue -----------------------------------------------------------------------


def test_abandon_while_queued_and_while_ringing() -> None:
    r = make(QueueConfig("q"), agents={"a": ["q"]})
    r.enqueue(NewContact("c1", "q"), 0.0)
    events = r.abandon("c1", 5.0)
    assert of_type(events, ev.ContactAbandoned)[0].wait == 5.0
    r.agent_login("a", 6.0)
    o = offers(r.enqueue(NewContact("c2", "q"), 7.0))[0]
    r.enqueue(NewContact("c3", "q"), 8.0)
    events = r.abandon("c2", 9.0)
    assert of_type(events, ev.OfferCancelled)[0].reason is CancelReason.CONTACT_LEFT
    assert offered_to(events) == [("c3", "a")]
    with pytest.raises(UnknownOfferError):
        r.accept(o.offer_id, 10.0)
    r.accept(offers(events)[0].offer_id, 10.0)
    with pytest.raises(InvalidTransitionError):
        r.abandon("c3", 11.0)


def test_max_wait_expires_and_ringing_contact_expires_after_the_offer() -> None:
    r = make(QueueConfig("q", max_wait=60, offer_timeout=20), agents={"a": ["q"]})
    r.enqueue(NewContact("c1", "q"), 0.0)
    assert not of_type(r.tick(59.0), ev.ContactExpired)
    expired = of_type(r.tick(60.0), ev.ContactExpired)
    assert [(e.contact_id, e.wait) for e in expired] == [("c1", 60.0)]
    r.enqueue(NewContact("c2", "q"), 100.0)
    r.agent_login("a", 150.0)  # offered at 150, max wait reached at 160 while ringing
    assert not of_type(r.tick(160.0), ev.ContactExpired)
    events = r.tick(170.0)  # missed: instead of going back, it expires
    assert of_type(events, ev.OfferTimedOut)
    assert [e.contact_id for e in of_type(events, ev.ContactExpired)] == ["c2"]
    assert r.live_contact_ids() == []


# -- callbacks -------------------------------------------------------------------------------


def test_callback_offer_decision_and_place_in_line() -> None:
    q = QueueConfig("q", callback_enabled=True, callback_threshold=60, reoffer_delay=0)
    r = make(q, agents={"a": ["q"]})
    r.agent_login("a", 0.0)
    # build a 15-minute history with long waits: a is busy with c0
    o = offers(r.enqueue(NewContact("c0", "q", caller_id="+33123456789"), 0.0))[0]
    r.accept(o.offer_id, 1.0)
    r.enqueue(NewContact("w1", "q", caller_id="+33123456780"), 2.0)
    # the only wait so far is c0's 1 s: below the threshold, no offer
    assert not of_type(r.enqueue(NewContact("w2", "q", caller_id="+1555"), 3.0), ev.CallbackOffered)
    r.abandon("w1", 200.0)  # waited 198 s: average 99.5 over 2 (0.0 wait of c0 + 198)
    events = r.enqueue(NewContact("w3", "q", caller_id="+33 1 23 45 67 81"), 201.0)
    assert [e.contact_id for e in of_type(events, ev.CallbackOffered)] == ["w3"]
    # invalid caller id never offered; w2 ("+1555") is not E.164-long enough
    events = r.enqueue(NewContact("w4", "q", caller_id="anonymous"), 202.0)
    assert not of_type(events, ev.CallbackOffered)
    assert not of_type(r.tick(203.0), ev.CallbackOffered)
    # offered once
    events = r.enqueue(NewContact("w5", "q", caller_id="+33123456782"), 204.0)
    assert [e.contact_id for e in of_type(events, ev.CallbackOffered)] == ["w5"]
    assert not of_type(r.tick(205.0), ev.CallbackOffered)
    with pytest.raises(NotAllowedError):
        r.accept_callback("w4", 206.0)
    events = r.accept_callback("w3", 206.0, callback_contact_id="cb3")
    req = of_type(events, ev.CallbackRequested)[0]
    assert (req.contact_id, req.callback_contact_id, req.wait) == ("w3", "cb3", 5.0)
    line = r.waiting_contacts("q", 207.0)
    assert [(w.contact_id, w.callback) for w in line] == [
        ("w2", False),
        ("cb3", True),
        ("w4", False),
        ("w5", False),
    ]
    assert line[1].queued_at == 201.0
    assert r.contact_state("w3") is None


def test_callback_not_offered_when_an_agent_is_available() -> None:
    from helpline.core.acd.strategies import should_offer_callback, valid_caller_id

    kw: dict[str, Any] = dict(
        enabled=True,
        already_offered=False,
        average_wait_15min=300.0,
        threshold=120.0,
        agents_available=0,
        caller_id="+14155550100",
    )
    assert should_offer_callback(**kw)
    for change in (
        {"enabled": False},
        {"already_offered": True},
        {"average_wait_15min": 100.0},
        {"average_wait_15min": None},
        {"agents_available": 1},
        {"caller_id": "12"},
        {"caller_id": None},
    ):
        assert not should_offer_callback(**(kw | change))
    assert valid_caller_id("+14155550100")
    assert valid_caller_id("0033123456789") is False


# -- estimated wait --------------------------------------------------------------------------


def test_estimated_wait_from_position_agents_and_handle_time() -> None:
    q = QueueConfig("q", default_handle_time=120)
    r = make(q, agents={"a": ["q"], "b": ["q"]})
    r.agent_login("a", 0.0)
    r.agent_login("b", 0.0)
    for i in range(2):
        r.accept(offers(r.enqueue(NewContact(f"busy{i}", "q"), 1.0))[0].offer_id, 1.0)
    queued = [
        of_type(r.enqueue(NewContact(f"w{i}", "q"), 2.0 + i), ev.ContactQueued)[0] for i in range(3)
    ]
    assert [(e.position, e.estimated_wait) for e in queued] == [
        (1, 60.0),
        (2, 120.0),
        (3, 180.0),
    ]
    # b goes on pause: one agent able to serve -> estimates double
    r.agent_pause("b", 10.0)
    updates = of_type(r.tick(10.0), ev.EstimatedWaitUpdated)
    assert [(u.contact_id, u.position, u.estimated_wait) for u in updates] == [
        ("w0", 1, 120.0),
        ("w1", 2, 240.0),
        ("w2", 3, 360.0),
    ]
    assert of_type(r.tick(11.0), ev.EstimatedWaitUpdated) == []  # nothing changed
    # a finishes after 100 s (AHT history = 100): w0 is offered; others move up
    events = r.end_contact("busy0", 101.0)
    assert offered_to(events) == [("w0", "a")]
    updates = of_type(r.tick(102.0), ev.EstimatedWaitUpdated)
    assert [(u.contact_id, u.position, u.estimated_wait) for u in updates] == [
        ("w1", 1, 100.0),
        ("w2", 2, 200.0),
    ]
    line = r.waiting_contacts("q", 102.0)
    assert [(w.state, w.estimated_wait) for w in line] == [
        ("offered", 0.0),
        ("queued", 100.0),
        ("queued", 200.0),
    ]
    r.agent_pause("a", 104.0)
    updates = of_type(r.tick(105.0), ev.EstimatedWaitUpdated)
    assert [u.estimated_wait for u in updates] == [None, None]


# -- views, errors, time ---------------------------------------------------------------------


def test_views_for_dashboards() -> None:
    r = make(QueueConfig("q"), agents={"a": ["q"], "b": ["q"]})
    r.agent_login("a", 0.0)
    r.agent_pause("a", 5.0, "lunch")
    agents = {v.agent_id: v for v in r.queue_agents("q", 20.0)}
    assert agents["a"].status is AgentStatus.PAUSED
    assert agents["a"].status_reason == "lunch"
    assert agents["a"].time_in_status == 15.0
    assert agents["b"].status is AgentStatus.LOGGED_OUT
    assert not agents["b"].logged_in
    r.enqueue(NewContact("c1", "q"), 21.0)
    r.enqueue(NewContact("c2", "q"), 22.0)
    waiting = r.waiting_contacts("q", 30.0)
    assert [(w.position, w.contact_id, w.wait, w.state) for w in waiting] == [
        (1, "c1", 9.0, "queued"),
        (2, "c2", 8.0, "queued"),
    ]


def test_time_never_goes_backwards() -> None:
    r = make(QueueConfig("q"), agents={"a": ["q"]})
    r.agent_login("a", 10.0)
    with pytest.raises(TimeWentBackwardsError):
        r.enqueue(NewContact("c", "q"), 9.0)
    with pytest.raises(TimeWentBackwardsError):
        r.tick(9.999)


def test_invalid_transitions_raise_typed_errors() -> None:
    r = make(QueueConfig("q"), agents={"a": ["q"]})
    with pytest.raises(InvalidTransitionError):
        r.agent_pause("a", 0.0)
    with pytest.raises(InvalidTransitionError):
        r.agent_ready("a", 0.0)
    r.agent_login("a", 0.0)
    with pytest.raises(InvalidTransitionError):
        r.agent_ready("a", 1.0, queue_id="q")  # not paused in q
    with pytest.raises(InvalidTransitionError):
        r.end_wrap_up("a", 1.0)
    r.enqueue(NewContact("c", "q"), 2.0)
    with pytest.raises(InvalidTransitionError):
        r.end_contact("c", 3.0)  # offered, not connected


# -- snapshot / restore ----------------------------------------------------------------------


def test_snapshot_restore_loses_nothing_and_reoffers_in_flight_once() -> None:
    r = make(
        QueueConfig("q", wrap_up_seconds=30, priority=2),
        QueueConfig("p", priority=1),
        agents={"a": ["q", "p"], "b": ["q"], "c": ["q"]},
    )
    r.agent_login("a", 0.0)
    r.agent_login("b", 0.0)
    o1 = offers(r.enqueue(NewContact("c1", "q"), 1.0))[0]  # a: connected
    r.accept(o1.offer_id, 2.0)
    o2 = offers(r.enqueue(NewContact("c2", "q"), 3.0))[0]  # b: ringing (in flight)
    r.enqueue(NewContact("c3", "q"), 4.0)
    r.enqueue(NewContact("c4", "p"), 5.0)
    r.agent_login("c", 6.0, queue_ids=["q"])  # c gets c3
    r.agent_pause("c", 7.0, "meeting")
    snap = json.loads(json.dumps(r.snapshot()))  # plain data survives JSON

    restored = Router.restore(snap)
    assert sorted(restored.live_contact_ids()) == ["c1", "c2", "c3", "c4"]
    assert restored.open_offers() == []
    assert restored.contact_state("c1") == "connected"
    assert restored.agent_view("c").status is AgentStatus.PAUSED
    events = restored.dispatch(8.0)
    # in-flight offers are void: c2 goes to b again (c is paused, c3 waits); each once
    assert offered_to(events) == [("c2", "b")]
    restored.accept(offers(events)[0].offer_id, 8.5)
    assert [w.contact_id for w in restored.waiting_contacts("q", 8.5)] == ["c3"]
    with pytest.raises(TimeWentBackwardsError):
        restored.tick(7.0)
    # the connected contact continues, with wrap-up timers after restore
    restored.end_contact("c1", 9.0)
    events = restored.tick(39.0)
    assert of_type(events, ev.WrapUpEnded)[0].contact_id == "c1"
    assert offered_to(events) == [("c3", "a")]
    assert o2.offer_id not in [x[0] for x in restored.open_offers()]

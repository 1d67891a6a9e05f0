"""The router's idle indexes and their bookkeeping (internals the benchmark relies on):
the agent-held entry of the ``longest idle`` voice queues, the in-order fifo and the
heap, the handle-time window."""

from __future__ import annotations

import pytest

from helpline.core.acd import AgentConfig, NewContact, QueueConfig, QueueKind, Router, Strategy
from helpline.core.acd import events as ev
from helpline.core.acd.model import HANDLE_WINDOW, IdleIndex, QueueState


def _offers(events: list[ev.Event]) -> list[ev.ContactOffered]:
    return [e for e in events if isinstance(e, ev.ContactOffered)]


def _router() -> Router:
    router = Router()
    for queue_id in ("li1", "li2", "li3"):
        router.add_queue(QueueConfig(queue_id))  # longest idle, voice
    router.add_queue(QueueConfig("rr", strategy=Strategy.ROUND_ROBIN))
    router.add_queue(QueueConfig("chat", kind=QueueKind.CHAT))
    members = dict.fromkeys(["li1", "li2", "li3", "rr", "chat"])
    for agent_id in ("a1", "a2"):
        router.add_agent(AgentConfig(agent_id, memberships=members))
    return router


def _index(router: Router, queue_id: str) -> IdleIndex:
    return router._queues[queue_id].levels[0]


def test_longest_idle_voice_queues_share_one_entry_per_agent() -> None:
    router = _router()
    router.agent_login("a1", 0.0)
    agent = router._agents["a1"]
    entry = agent.entry
    assert entry is not None
    for queue_id in ("li1", "li2", "li3"):
        index = _index(router, queue_id)
        assert index[agent] is entry  # the same tuple everywhere, held by the agent
        assert index.live == 1
        seat = agent.seats[queue_id]
        assert seat.in_idle
        assert seat.token == entry[3]
    # the other queues keep an entry per seat
    rr_seat = agent.seats["rr"]
    assert _index(router, "rr")[rr_seat] is rr_seat.entry
    assert _index(router, "chat")[agent.seats["chat"]] is agent.seats["chat"].entry


def test_a_voice_offer_takes_the_agent_out_of_every_index_and_the_end_puts_them_back() -> None:
    router = _router()
    router.agent_login("a1", 0.0)
    agent = router._agents["a1"]
    (offer,) = _offers(router.enqueue(NewContact("c1", "li2"), 1.0))
    assert offer.agent_id == "a1"
    assert agent.entry is None
    assert agent.shared_idle == ()
    for queue_id in ("li1", "li2", "li3", "rr", "chat"):
        assert _index(router, queue_id).live == 0
        assert not agent.seats[queue_id].in_idle
    router.accept(offer.offer_id, 2.0)
    router.end_contact("c1", 3.0)  # no wrap-up: free again, nobody waits
    entry = agent.entry
    assert entry is not None
    assert entry[0] == 3.0
    for queue_id in ("li1", "li2", "li3", "rr", "chat"):
        assert _index(router, queue_id).live == 1
        assert agent.seats[queue_id].in_idle


def test_longest_idle_order_across_the_shared_fifos() -> None:
    router = _router()
    router.agent_login("a1", 0.0)
    router.agent_login("a2", 1.0)
    (first,) = _offers(router.enqueue(NewContact("c1", "li1"), 2.0))
    assert first.agent_id == "a1"  # idle the longest
    router.accept(first.offer_id, 2.0)
    router.end_contact("c1", 3.0)  # a1 idle again, after a2
    (second,) = _offers(router.enqueue(NewContact("c2", "li3"), 4.0))
    assert second.agent_id == "a2"


def test_a_pause_in_one_queue_moves_the_shared_entry_and_keeps_the_order() -> None:
    router = _router()
    router.agent_login("a1", 0.0)
    router.agent_login("a2", 1.0)
    router.agent_pause("a1", 2.0, queue_id="li1")
    agent = router._agents["a1"]
    assert not agent.seats["li1"].in_idle
    assert agent.seats["li2"].in_idle
    assert agent.seats["li3"].in_idle
    router.agent_ready("a1", 3.0, queue_id="li1")
    # a1 became idle at 0.0 (a queue pause does not change it): still before a2
    (offer,) = _offers(router.enqueue(NewContact("c1", "li1"), 4.0))
    assert offer.agent_id == "a1"


def test_idle_indexes_are_equal_only_to_themselves() -> None:
    queue = QueueState(QueueConfig("q"))
    a, b = IdleIndex(queue), IdleIndex(queue)
    assert a != b  # two empty dicts would be equal
    assert a in (a,)
    assert a not in (b,)
    assert len({a, b}) == 2


def test_the_average_handle_time_is_over_the_last_window() -> None:
    queue = QueueState(QueueConfig("q", default_handle_time=100.0))
    assert queue.average_handle_time() == 100.0
    times = [float(i % 7 + 1) for i in range(HANDLE_WINDOW + 23)]
    for seconds in times:
        queue.add_handle_time(seconds)
    window = times[-HANDLE_WINDOW:]
    assert queue.average_handle_time() == pytest.approx(sum(window) / HANDLE_WINDOW)

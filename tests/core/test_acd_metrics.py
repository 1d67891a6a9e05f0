"""Queue-card reducers fed with the router's real events."""

from __future__ import annotations

import pytest

from helpline.core.acd import (
    AgentConfig,
    ContactKind,
    NewContact,
    QueueConfig,
    QueueKind,
    Router,
)
from helpline.core.acd import events as ev
from helpline.core.acd.metrics import MetricsBoard, QueueMetrics


def offer_of(events: list[ev.Event]) -> ev.ContactOffered:
    return next(e for e in events if isinstance(e, ev.ContactOffered))


def test_call_queue_card_from_router_events() -> None:
    r = Router()
    r.add_queue(
        QueueConfig(
            "q", wrap_up_seconds=10, max_wait=100, service_level_seconds=20, callback_enabled=True
        )
    )
    r.add_agent(AgentConfig("a", memberships={"q": None}))
    r.add_agent(AgentConfig("b", memberships={"q": None}))
    board = MetricsBoard({"q": 20.0})
    apply = board.apply_all
    apply(r.agent_login("a", 0.0))
    apply(r.agent_login("b", 0.0))
    # c1 answered after 5 s, talk 60, wrap-up 10: handle 70
    e = r.enqueue(NewContact("c1", "q"), 0.0)
    apply(e)
    apply(r.accept(offer_of(e).offer_id, 5.0))
    # c2 answered after 30 s (b declines then accepts later)
    e = r.enqueue(NewContact("c2", "q"), 10.0)
    apply(e)
    apply(r.accept(offer_of(e).offer_id, 40.0))
    apply(r.end_contact("c1", 65.0))
    apply(r.tick(75.0))  # c1's wrap-up ends: handle 70 s
    apply(r.agent_pause("a", 76.0))
    card = board.queue("q").call_card(76.0)
    assert card.agents_logged_in == 2
    assert card.agents_ready == 0  # a paused, b busy
    # c3 and c4 wait; c3 abandons at 110, c4 expires at 200 (max wait 100 s)
    apply(r.enqueue(NewContact("c3", "q"), 80.0))
    apply(r.enqueue(NewContact("c4", "q"), 100.0))
    card = board.queue("q").call_card(110.0)
    assert (card.waiting, card.longest_wait) == (2, 30.0)
    apply(r.abandon("c3", 110.0))
    apply(r.agent_pause("b", 120.0))
    apply(r.tick(200.0))
    card = board.queue("q").call_card(200.0)
    assert card.total_today == 4
    assert (card.handled, card.abandoned, card.expired) == (2, 1, 1)
    assert card.waiting == 0
    assert card.longest_wait == 0.0
    assert card.average_handle_time == pytest.approx(70.0)  # only c1's wrap-up has ended
    assert card.average_wait == pytest.approx((5.0 + 30.0) / 2)
    # answered within 20 s: c1 only; left the queue: 4
    assert card.service_level == pytest.approx(1 / 4)
    assert card.agents_ready == 0
    board.reset_day()
    card = board.queue("q").call_card(201.0)
    assert (card.total_today, card.handled, card.service_level) == (0, 0, None)
    assert card.agents_logged_in == 2  # presence is not a daily counter


def test_callback_requested_counts_and_keeps_waiting() -> None:
    m = QueueMetrics("q")
    m.apply(ev.ContactQueued(0.0, "c", "q", ContactKind.CALL, 0.0, 1, None))
    m.apply(ev.CallbackRequested(30.0, "c", "q", "c:cb", 30.0))
    assert m.callbacks_requested == 1
    assert m.waiting == 1
    assert m.longest_wait(40.0) == 40.0
    m.apply(ev.ContactOffered(41.0, 1, "c:cb", "q", "a", ContactKind.CALLBACK, 61.0))
    assert m.waiting == 0
    m.apply(ev.OfferTimedOut(61.0, 1, "c:cb", "q", "a"))
    m.apply(ev.ContactRequeued(61.0, "c:cb", "q", 0.0))
    assert m.waiting == 1
    assert m.missed_offers == 1
    # events of other queues are ignored
    m.apply(ev.ContactQueued(62.0, "x", "other", ContactKind.CALL, 62.0, 1, None))
    assert m.total_today == 1


def test_chat_and_campaign_cards() -> None:
    r = Router()
    r.add_queue(QueueConfig("chat", kind=QueueKind.CHAT))
    r.add_queue(QueueConfig("camp", kind=QueueKind.CAMPAIGN, offer_timeout=15))
    r.add_agent(AgentConfig("a", chat_capacity=2, memberships={"chat": None}))
    r.add_agent(AgentConfig("b", memberships={"camp": None}))
    board = MetricsBoard()
    board.apply_all(r.agent_login("a", 0.0) + r.agent_login("b", 0.0))
    for i in range(3):
        e = r.enqueue(NewContact(f"ch{i}", "chat", ContactKind.CHAT), 1.0 + i)
        board.apply_all(e)
        if i < 2:
            board.apply_all(r.accept(offer_of(e).offer_id, 2.0 + i))
    chat = board.queue("chat").chat_card(10.0)
    assert (chat.active, chat.waiting, chat.handled, chat.longest_wait) == (2, 1, 2, 7.0)
    board.apply_all(r.enqueue(NewContact("d1", "camp", ContactKind.CAMPAIGN_DIAL), 0.0 + 10))
    board.apply_all(r.tick(25.0))  # b does not answer within the answer timeout
    camp = board.queue("camp").campaign_card(25.0)
    assert (camp.dialed_today, camp.not_answered, camp.connected) == (1, 1, 0)
    assert camp.agents_logged_in == 1

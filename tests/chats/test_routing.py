"""A conversation's life: intake, offer, accept, reply, resolve, reopen; unassign and
reassignment; who may see and do what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from helpline.channels.messaging import Channel, DeliveryStatus, DeliveryUpdate
from tests.chats.conftest import (
    CUSTOMER,
    SUPPORT_NUMBER,
    RecordingSender,
    accept,
    call,
    chat_queue,
    chats,
    offer_of,
    sms,
)
from tests.support import Helpline, wait_until


def events_of(admin: Any, prefix: str = "chat.") -> list[dict[str, Any]]:
    rows = admin.get("/api/v1/events", params={"limit": 1000}).json()
    return [e for e in rows if e["type"].startswith(prefix)]


def test_an_sms_conversation_from_intake_to_reopening(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    queue = chat_queue(helpline, admin, ann)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    sender = RecordingSender()
    chats(helpline).senders.register(Channel.SMS, sender)

    received = sms(helpline, "Hello, my order is late", message_id="SM1", name="Maria")
    assert received.duplicate is False
    offer = offer_of(agent)
    assert offer["kind"] == "chat"
    assert offer["caller_id"] == "Maria"
    assert offer["queue_id"] == f"chat:{queue}"

    unassigned = agent.get("/api/v1/chats/conversations", params={"view": "unassigned"}).json()
    assert [c["id"] for c in unassigned["conversations"]] == [received.conversation_id]
    conversation = unassigned["conversations"][0]
    assert conversation["status"] == "open"
    assert conversation["unread_count"] == 1
    contact = agent.get(f"/api/v1/contacts/{conversation['contact_id']}").json()
    assert contact["phones"] == [CUSTOMER]
    assert contact["name"] == "Maria"

    accept(helpline, agent, received.conversation_id)
    mine = agent.get("/api/v1/chats/conversations").json()["conversations"]
    assert [c["id"] for c in mine] == [received.conversation_id]
    assert mine[0]["assigned_user_id"] == ann.id

    reply = agent.post(
        f"/api/v1/chats/conversations/{received.conversation_id}/messages",
        data={"text": "Sorry! It ships today."},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["status"] == "queued"
    assert call(helpline, chats(helpline).process_outbox) == 1
    assert [(m.sender, m.recipient, m.text) for m in sender.sent] == [
        (SUPPORT_NUMBER, CUSTOMER, "Sorry! It ships today.")
    ]
    update = DeliveryUpdate(Channel.SMS, "SM0001", DeliveryStatus.DELIVERED)
    assert call(helpline, lambda: chats(helpline).delivery_update(update=update)) is True
    # An older status arriving late does not go back.
    late = DeliveryUpdate(Channel.SMS, "SM0001", DeliveryStatus.SENT)
    call(helpline, lambda: chats(helpline).delivery_update(update=late))
    detail = agent.get(f"/api/v1/chats/conversations/{received.conversation_id}").json()
    assert [(m["direction"], m["status"]) for m in detail["messages"]] == [
        ("in", "received"),
        ("out", "delivered"),
    ]
    assert detail["conversation"]["awaiting_agent_since"] is None
    assert detail["conversation"]["unread_count"] == 0

    resolved = agent.post(f"/api/v1/chats/conversations/{received.conversation_id}/resolve")
    assert resolved.json()["status"] == "resolved"
    assert agent.get("/api/v1/acd/me").json()["contacts"] == []
    assert [
        c["id"]
        for c in agent.get("/api/v1/chats/conversations", params={"view": "resolved"}).json()[
            "conversations"
        ]
    ] == [received.conversation_id]

    again = sms(helpline, "One more thing", message_id="SM2")
    assert again.conversation_id == received.conversation_id
    assert offer_of(agent)["contact_id"] == f"chat:{received.conversation_id}:2"
    types = [e["type"] for e in events_of(admin)]
    for expected in (
        "chat.conversation_opened",
        "chat.queued",
        "chat.message_received",
        "chat.assigned",
        "chat.message_sent",
        "chat.message_status_changed",
        "chat.resolved",
        "chat.reopened",
    ):
        assert expected in types
    history = agent.get(f"/api/v1/contacts/{conversation['contact_id']}/history").json()
    assert [(h["kind"], h["id"], h["status"]) for h in history] == [
        ("chat", received.conversation_id, "open")
    ]


def test_a_retried_webhook_never_duplicates_a_message(helpline: Helpline, admin: Any) -> None:
    chat_queue(helpline, admin)
    first = sms(helpline, "Hi", message_id="SMdup")
    second = sms(helpline, "Hi", message_id="SMdup")
    assert second.duplicate is True
    assert (second.conversation_id, second.message_id) == (
        first.conversation_id,
        first.message_id,
    )

    async def together() -> list[Any]:
        import asyncio

        from helpline.channels.messaging import InboundMessage

        service = chats(helpline)
        message = InboundMessage(Channel.SMS, "SMrace", "+14155552671", SUPPORT_NUMBER, "Hey")
        return await asyncio.gather(*(service.receive(message=message) for _ in range(8)))

    results = call(helpline, together)
    assert sum(not r.duplicate for r in results) == 1
    assert len({r.message_id for r in results}) == 1
    received = [e for e in events_of(admin) if e["type"] == "chat.message_received"]
    assert len(received) == 2
    assert len({e["payload"]["conversation"]["id"] for e in received}) == 2


def test_a_message_nobody_takes_is_refused(helpline: Helpline, admin: Any) -> None:
    import pytest

    from helpline.errors import Invalid

    chat_queue(helpline, admin, channels=("webchat",))
    with pytest.raises(Invalid, match="no chat queue takes sms"):
        sms(helpline, "Hi", message_id="SMx")
    assert events_of(admin) == []


def test_mapped_numbers_choose_the_queue(helpline: Helpline, admin: Any) -> None:
    chat_queue(helpline, admin, name="First")
    second = chat_queue(helpline, admin, name="Second")
    mapped = admin.put(
        "/api/v1/chats/addresses",
        json={"channel": "sms", "address": "+39 06 1234 5678", "queue_id": second},
    )
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["address"] == SUPPORT_NUMBER
    received = sms(helpline, "Hi", message_id="SMq")
    page = admin.get("/api/v1/chats/conversations", params={"view": "all"}).json()
    assert [(c["id"], c["queue_id"]) for c in page["conversations"]] == [
        (received.conversation_id, second)
    ]
    bad = admin.put(
        "/api/v1/chats/addresses", json={"channel": "sms", "address": "nope", "queue_id": second}
    )
    assert bad.status_code == 422
    assert len(admin.get("/api/v1/chats/addresses").json()) == 1


def test_unassign_offers_it_to_another_agent(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    bob = helpline.create_user("bob", "agent")
    chat_queue(helpline, admin, ann, bob)
    first, second = helpline.login("ann"), helpline.login("bob")
    first.post("/api/v1/acd/me/login", json={})
    received = sms(helpline, "Hi", message_id="SMu")
    accept(helpline, first, received.conversation_id)
    second.post("/api/v1/acd/me/login", json={})
    # Bob may not act on Ann's conversation.
    path = f"/api/v1/chats/conversations/{received.conversation_id}"
    assert second.get(path).status_code == 403
    assert second.post(f"{path}/unassign").status_code == 403
    assert second.post(f"{path}/messages", data={"text": "hi"}).status_code == 403

    unassigned = first.post(f"{path}/unassign")
    assert unassigned.status_code == 200, unassigned.text
    assert unassigned.json()["status"] == "open"
    assert first.get("/api/v1/acd/me").json()["open_offers"] == []
    offer = offer_of(second)
    assert offer["contact_id"] == f"chat:{received.conversation_id}:2"
    accept(helpline, second, received.conversation_id)
    assert second.get(path).json()["conversation"]["assigned_user_id"] == bob.id
    assert first.get(path).status_code == 403


def test_reassignment_when_the_agent_does_not_reply(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    bob = helpline.create_user("bob", "agent")
    chat_queue(helpline, admin, ann, bob, reassign_after_seconds=60)
    first, second = helpline.login("ann"), helpline.login("bob")
    first.post("/api/v1/acd/me/login", json={})
    received = sms(helpline, "Hello?", message_id="SMr")
    accept(helpline, first, received.conversation_id)
    second.post("/api/v1/acd/me/login", json={})
    path = f"/api/v1/chats/conversations/{received.conversation_id}"
    assigned_at = first.get(path).json()["conversation"]["assigned_at"]
    from datetime import datetime

    start = datetime.fromisoformat(assigned_at)
    service = chats(helpline)
    assert call(helpline, lambda: service.check_reassignments(start + timedelta(seconds=59))) == []
    # A reply stops the clock.
    first.post(f"{path}/messages", data={"text": "Looking into it"})
    assert call(helpline, lambda: service.check_reassignments(start + timedelta(hours=1))) == []
    sms(helpline, "Still there?", message_id="SMr2")
    later = datetime.fromisoformat(first.get(path).json()["conversation"]["awaiting_agent_since"])
    moved = call(helpline, lambda: service.check_reassignments(later + timedelta(seconds=60)))
    assert moved == [received.conversation_id]
    assert offer_of(second)["contact_id"] == f"chat:{received.conversation_id}:2"
    unassigned = [e for e in events_of(admin) if e["type"] == "chat.unassigned"]
    assert unassigned[-1]["payload"]["reason"] == "no_reply"
    assert unassigned[-1]["payload"]["previous_user_id"] == ann.id


def test_bad_requests_store_nothing(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    chat_queue(helpline, admin, ann)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    assert agent.get("/api/v1/chats/conversations/999").status_code == 404
    assert agent.post("/api/v1/chats/conversations/999/resolve").status_code == 404
    received = sms(helpline, "Hi", message_id="SMb")
    accept(helpline, agent, received.conversation_id)
    path = f"/api/v1/chats/conversations/{received.conversation_id}/messages"
    empty = agent.post(path, data={"text": "   "})
    assert empty.status_code == 422
    long = agent.post(path, data={"text": "x" * 4001})
    assert long.status_code == 422
    assert "at most 4000 characters" in long.text
    detail = agent.get(f"/api/v1/chats/conversations/{received.conversation_id}").json()
    assert len(detail["messages"]) == 1
    helpline.create_user("nobody")
    assert helpline.login("nobody").get("/api/v1/chats/conversations").status_code == 403


def test_an_agent_takes_as_many_chats_as_the_queue_allows(helpline: Helpline, admin: Any) -> None:
    """The queue's maximum of concurrent chats per agent is what counts (here 5, above the
    default of 3), also after an admin changes it and for a temporary agent."""
    ann = helpline.create_user("ann", "agent")
    queue = chat_queue(helpline, admin, ann, max_concurrent_chats=5)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})

    def chats_of(client: Any) -> int:
        view = client.get("/api/v1/acd/me").json()
        return len(view["open_offers"]) + len(view["contacts"])

    for index in range(6):
        sms(
            helpline,
            f"question {index}",
            message_id=f"SMcap{index}",
            sender=f"+3934711100{index:02d}",
        )
    wait_until(lambda: chats_of(agent) == 5, what="five chats offered to Ann")
    assert chats_of(agent) == 5  # the sixth waits

    changed = admin.patch(f"/api/v1/chat-queues/{queue}", json={"max_concurrent_chats": 6})
    assert changed.status_code == 200, changed.text
    wait_until(lambda: chats_of(agent) == 6, what="the sixth chat once the limit is 6")

    # A supervisor logs Bea (no agent role) into the queue: the queue's limit is hers too.
    bea = helpline.create_user("bea", "supervisor")
    temporary = helpline.login("bea")
    logged = admin.post(f"/api/v1/acd/queues/chat:{queue}/agents/{bea.id}/login")
    assert logged.status_code == 200, logged.text
    for index in range(7):
        sms(helpline, f"more {index}", message_id=f"SMbea{index}", sender=f"+3934722200{index:02d}")
    wait_until(lambda: chats_of(temporary) == 6, what="six chats offered to Bea")

"""Chats live: the chat queue cards' figures and the agent's WebSocket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from helpline.realtime.state import apply_event
from tests.chats.conftest import accept, chat_queue, sms
from tests.support import Helpline

CHAT_TYPES = [
    "chat.conversation_opened",
    "chat.queued",
    "chat.assigned",
    "chat.unassigned",
    "chat.resolved",
    "chat.reopened",
    "chat.message_received",
    "chat.message_sent",
    "chat.message_status_changed",
    "chat.read",
    "chat.contact_linked",
    "chat.typing",
]


def card(admin: Any, queue: int) -> dict[str, Any]:
    return admin.get(f"/api/v1/acd/queues/chat:{queue}").json()["card"]


def test_the_chat_card_counts_waiting_conversations(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    queue = chat_queue(helpline, admin, ann)
    empty = card(admin, queue)
    assert empty["chat"] == {
        "unassigned": 0,
        "oldest_unassigned_at": None,
        "waiting_for_agent": 0,
        "oldest_awaiting_reply_at": None,
        "waiting_for_customer": 0,
        "total_waiting_for_reply": 0,
    }
    first = sms(helpline, "one", message_id="A1", sender="+14155552671")
    sms(helpline, "two", message_id="A2", sender="+14155552672")
    sms(helpline, "three", message_id="A3", sender="+14155552673")
    figures = card(admin, queue)
    assert figures["agents_logged_in"] == 0
    assert figures["chat"]["unassigned"] == 3
    assert figures["chat"]["total_waiting_for_reply"] == 3
    opened = admin.get(f"/api/v1/chats/conversations/{first.conversation_id}").json()
    assert (
        figures["chat"]["oldest_unassigned_at"]
        == datetime.fromisoformat(opened["conversation"]["created_at"]).timestamp()
    )

    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    accept(helpline, agent, first.conversation_id)
    figures = card(admin, queue)["chat"]
    assert (figures["unassigned"], figures["waiting_for_agent"]) == (2, 1)
    assert figures["oldest_awaiting_reply_at"] is not None
    agent.post(f"/api/v1/chats/conversations/{first.conversation_id}/messages", data={"text": "hi"})
    figures = card(admin, queue)["chat"]
    assert (figures["waiting_for_agent"], figures["waiting_for_customer"]) == (0, 1)
    assert figures["total_waiting_for_reply"] == 2
    agent.post(f"/api/v1/chats/conversations/{first.conversation_id}/resolve")
    figures = card(admin, queue)["chat"]
    assert (figures["waiting_for_customer"], figures["unassigned"]) == (0, 2)
    # The agent's own queue card has them too.
    with agent.websocket_connect("/ws") as socket:
        socket.send_json({"type": "register", "event_types": ["acd.queue_view"]})
        state = socket.receive_json()["state"]
        assert state["acd"]["queues"][f"chat:{queue}"]["card"]["chat"]["unassigned"] == 2
        sms(helpline, "four", message_id="A4", sender="+14155552674")
        # The next offers and the new conversation move the card.
        for _ in range(10):
            event = socket.receive_json()["event"]
            if event["payload"]["card"]["chat"]["unassigned"] != 2:
                break
        assert event["payload"]["card"]["chat"]["unassigned"] in (1, 3)


def test_chat_events_on_the_websocket_bring_a_state_forward(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    bob = helpline.create_user("bob", "agent")
    chat_queue(helpline, admin, ann, name="Ann's")
    chat_queue(helpline, admin, bob, name="Bob's", channels=("webchat",))
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    other = helpline.login("bob")
    with (
        agent.websocket_connect("/ws") as socket,
        other.websocket_connect("/ws") as bob_socket,
    ):
        socket.send_json({"type": "register", "event_types": CHAT_TYPES})
        bob_socket.send_json({"type": "register", "event_types": CHAT_TYPES})
        initial = socket.receive_json()
        assert initial["state"]["chats"]["conversations"] == {}
        assert bob_socket.receive_json()["state"]["chats"]["conversations"] == {}
        received = sms(helpline, "Hello", message_id="W1")
        accept(helpline, agent, received.conversation_id)
        path = f"/api/v1/chats/conversations/{received.conversation_id}"
        agent.post(f"{path}/messages", data={"text": "Hi!"})
        typing = agent.post(f"{path}/typing", json={"typing": True})
        assert typing.status_code == 204
        with agent.websocket_connect("/ws") as fresh_socket:
            fresh_socket.send_json({"type": "register", "event_types": CHAT_TYPES})
            fresh = fresh_socket.receive_json()["state"]
        state = initial["state"]
        seen = []
        for _ in range(40):
            event = socket.receive_json()["event"]
            seen.append(event["type"])
            state = apply_event(state, event)
            if event["type"] == "chat.typing":
                break
        assert state == fresh
        assert list(state["chats"]["conversations"]) == [str(received.conversation_id)]
        for expected in ("chat.conversation_opened", "chat.message_received", "chat.assigned"):
            assert expected in seen
        assert event["payload"]["who"] == "agent"
        # Bob is in another queue: he saw nothing of it. A message of his own comes through.
        agent.post(f"{path}/resolve")
        bob_socket.send_json({"type": "ping"})
    assert "chat" not in str(initial["state"]["chats"]["supervised"])

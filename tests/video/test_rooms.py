"""Video rooms from a chat: who may open, join and end them, what the customer is sent,
and the signalling relayed between the two participants (real WebSockets)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.websockets import WebSocketDisconnect

from helpline.storage.eventlog import read_events
from tests.chats.conftest import accept, chat_queue, sms
from tests.support import Helpline


@pytest.fixture
def chat(helpline: Helpline, admin: Any) -> dict[str, Any]:
    """An SMS conversation assigned to agent Ada; Bob is another agent of the queue."""
    ada_user = helpline.create_user("ada", "agent")
    bob_user = helpline.create_user("bob", "agent")
    chat_queue(helpline, admin, ada_user, bob_user)
    ada = helpline.login("ada")
    bob = helpline.login("bob")
    assert ada.post("/api/v1/acd/me/login", json={}).status_code == 200
    conversation = sms(helpline, "Can you show me the damage?", message_id="SM1")
    accept(helpline, ada, conversation.conversation_id)
    return {
        "ada": ada,
        "bob": bob,
        "ada_id": ada_user.id,
        "conversation_id": conversation.conversation_id,
    }


def _open(client: Any, conversation_id: int) -> Any:
    return client.post("/api/v1/video/rooms", json={"conversation_id": conversation_id})


def _events(helpline: Helpline, prefix: str) -> list[Any]:
    events = helpline.run(lambda session: read_events(session, after=0, limit=5000))
    return [e for e in events if e.type.startswith(prefix)]


def test_the_agent_opens_a_room_and_the_customer_gets_the_link(
    helpline: Helpline, chat: dict[str, Any]
) -> None:
    ada, conversation_id = chat["ada"], chat["conversation_id"]
    opened = _open(ada, conversation_id)
    assert opened.status_code == 200, opened.text
    room = opened.json()
    assert room["conversation_id"] == conversation_id
    assert room["agent_id"] == chat["ada_id"]
    assert room["customer_joined"] is False
    customer_url = urlsplit(room["customer_url"])
    assert customer_url.path == f"/video/{room['room_id']}"
    assert customer_url.query.startswith("key=")
    # The link went to the customer as the agent's message in the chat.
    detail = ada.get(f"/api/v1/chats/conversations/{conversation_id}").json()
    texts = [m["text"] for m in detail["messages"]]
    assert any(room["customer_url"] in (text or "") for text in texts)
    # Asking again gives the same room and sends nothing more.
    again = _open(ada, conversation_id).json()
    assert again["room_id"] == room["room_id"]
    detail = ada.get(f"/api/v1/chats/conversations/{conversation_id}").json()
    assert sum(room["customer_url"] in (m["text"] or "") for m in detail["messages"]) == 1
    opened_events = _events(helpline, "video.room_opened")
    assert [e.payload["room_id"] for e in opened_events] == [room["room_id"]]

    # Both pages render: the agent's (logged in) and the customer's (by the key).
    assert ada.get(f"/video/{room['room_id']}").status_code == 200
    page = helpline.client.get(f"{customer_url.path}?{customer_url.query}")
    assert page.status_code == 200
    assert 'data-role="customer"' in page.text

    ended = ada.post(f"/api/v1/video/rooms/{room['room_id']}/end")
    assert ended.status_code == 204
    assert [e.payload["ended_by"] for e in _events(helpline, "video.room_ended")] == ["agent"]
    assert ada.get(f"/api/v1/video/rooms/{room['room_id']}").status_code == 404
    gone = helpline.client.get(f"{customer_url.path}?{customer_url.query}")
    assert gone.status_code == 404
    assert 'data-testid="video-gone"' in gone.text


def test_others_may_not_open_join_or_end_the_room(helpline: Helpline, chat: dict[str, Any]) -> None:
    ada, bob, conversation_id = chat["ada"], chat["bob"], chat["conversation_id"]
    assert _open(bob, conversation_id).status_code == 403  # not Bob's conversation
    assert _open(ada, 99999).status_code == 404
    refused = ada.post("/api/v1/video/rooms", json={"conversation_id": "x"})
    assert refused.status_code == 422
    room = _open(ada, conversation_id).json()
    assert bob.get(f"/api/v1/video/rooms/{room['room_id']}").status_code == 403
    assert bob.post(f"/api/v1/video/rooms/{room['room_id']}/end").status_code == 403
    assert bob.get(f"/video/{room['room_id']}").status_code == 403
    assert helpline.client.get(f"/video/{room['room_id']}?key=wrong").status_code == 403
    anonymous = helpline.client.get(f"/video/{room['room_id']}", follow_redirects=False)
    assert anonymous.status_code == 303
    assert "/login" in anonymous.headers["location"]
    # A resolved conversation gets no new room.
    assert ada.post(f"/api/v1/chats/conversations/{conversation_id}/resolve").status_code == 200
    ada.post(f"/api/v1/video/rooms/{room['room_id']}/end")
    assert _open(ada, conversation_id).status_code == 403


def test_signalling_is_relayed_between_agent_and_customer(
    helpline: Helpline, chat: dict[str, Any]
) -> None:
    ada, conversation_id = chat["ada"], chat["conversation_id"]
    room = _open(ada, conversation_id).json()
    room_id = room["room_id"]
    key = urlsplit(room["customer_url"]).query.removeprefix("key=")
    client = helpline.client

    with client.websocket_connect(f"/video/ws/{room_id}?key=wrong") as refused:
        assert refused.receive_json()["type"] == "error"  # a wrong key is refused
        with pytest.raises(WebSocketDisconnect):
            refused.receive_json()

    with client.websocket_connect(f"/video/ws/{room_id}", cookies=dict(ada.cookies)) as agent:
        assert agent.receive_json() == {"type": "joined", "role": "agent", "peer": False}
        with client.websocket_connect(f"/video/ws/{room_id}?key={key}") as customer:
            assert customer.receive_json() == {"type": "joined", "role": "customer", "peer": True}
            assert agent.receive_json() == {"type": "peer_joined", "role": "customer"}
            assert ada.get(f"/api/v1/video/rooms/{room_id}").json()["customer_joined"] is True

            offer = {"kind": "offer", "sdp": "v=0\r\n"}
            agent.send_text(json.dumps({"type": "signal", "signal": offer}))
            assert customer.receive_json() == {"type": "signal", "signal": offer}
            answer = {"kind": "answer", "sdp": "v=0\r\n"}
            customer.send_text(json.dumps({"type": "signal", "signal": answer}))
            assert agent.receive_json() == {"type": "signal", "signal": answer}

            # Bad messages get an error and are not relayed; the room goes on.
            customer.send_text("not json")
            assert customer.receive_json()["type"] == "error"
            customer.send_text(json.dumps({"type": "signal", "signal": {"kind": "hack"}}))
            assert "offer, answer or candidate" in customer.receive_json()["message"]
            huge = {"kind": "candidate", "candidate": "x" * 70_000}
            customer.send_text(json.dumps({"type": "signal", "signal": huge}))
            assert "at most" in customer.receive_json()["message"]

            # The customer leaves: the agent is told why; the room has ended.
            customer.send_text(json.dumps({"type": "end"}))
            assert customer.receive_json() == {"type": "ended", "by": "customer"}
            assert agent.receive_json() == {"type": "ended", "by": "customer"}
    assert [e.payload["ended_by"] for e in _events(helpline, "video.room_ended")] == ["customer"]
    assert ada.get(f"/api/v1/video/rooms/{room_id}").status_code == 404

"""The webchat: widgets (admin), the visitor's API and WebSocket, origins, limits."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from helpline.config import Settings
from tests.chats.conftest import accept, chat_queue
from tests.support import Helpline

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SITE = "https://shop.example.com"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.chat_timers_enabled = False
    return settings


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


@pytest.fixture
def widget(helpline: Helpline, admin: Any) -> dict[str, Any]:
    ann = helpline.create_user("ann", "agent")
    queue = chat_queue(helpline, admin, ann, channels=("webchat",))
    created = admin.post(
        "/api/v1/webchat/widgets",
        json={
            "name": "Shop chat",
            "queue_id": queue,
            "color": "#AA3300",
            "greeting": "Hi! How can we help?",
            "allowed_origins": [SITE + "/"],
        },
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def visitor(helpline: Helpline, widget: dict[str, Any], name: str = "Maria") -> tuple[Any, str]:
    client = helpline.login("boss")  # any client; visitors use no cookie
    client.cookies.clear()
    started = client.post(
        f"/webchat/api/{widget['key']}/visitors", json={"name": name, "email": "M@Example.com"}
    )
    assert started.status_code == 201, started.text
    return client, started.json()["token"]


def test_widgets_are_validated(helpline: Helpline, admin: Any, widget: dict[str, Any]) -> None:
    assert widget["color"] == "#aa3300"
    assert widget["allowed_origins"] == [SITE]
    assert f'data-widget="{widget["key"]}"' in widget["snippet"]
    for bad in (
        {"color": "red"},
        {"allowed_origins": ["javascript:alert(1)"]},
        {"allowed_origins": ["https://x.example/path"]},
        {"greeting": "x" * 501},
        {"queue_id": 999},
    ):
        refused = admin.patch(f"/api/v1/webchat/widgets/{widget['id']}", json=bad)
        assert refused.status_code == 422, (bad, refused.text)
    sms_only = chat_queue(helpline, admin, name="SMS only", channels=("sms",))
    refused = admin.post("/api/v1/webchat/widgets", json={"name": "W", "queue_id": sms_only})
    assert refused.status_code == 422
    assert "does not take webchat" in refused.text
    assert len(admin.get("/api/v1/webchat/widgets").json()) == 1
    helpline.create_user("ann2", "agent")
    assert helpline.login("ann2").post("/api/v1/webchat/widgets", json={}).status_code == 403


def test_a_visitor_chats_with_an_agent(
    helpline: Helpline, admin: Any, widget: dict[str, Any]
) -> None:
    key = widget["key"]
    client, token = visitor(helpline, widget)
    auth = {"authorization": f"Bearer {token}"}
    config = client.get(f"/webchat/api/{key}/config").json()
    assert config["online"] is False
    assert config["greeting"] == "Hi! How can we help?"
    assert config["labels"]["start"] == "Start chat"
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    assert client.get(f"/webchat/api/{key}/config").json()["online"] is True

    sent = client.post(
        f"/webchat/api/{key}/messages",
        headers=auth,
        data={"text": "Where is my order?", "client_id": "abc1"},
        files=[("files", ("receipt.png", PNG, "image/png"))],
    )
    assert sent.status_code == 201, sent.text
    retried = client.post(
        f"/webchat/api/{key}/messages", headers=auth, data={"text": "Where?", "client_id": "abc1"}
    )
    assert retried.json() == {"message_id": sent.json()["message_id"], "duplicate": True}

    with client.websocket_connect(f"/webchat/ws/{key}?token={token}") as socket:
        state = socket.receive_json()
        assert state["type"] == "state"
        assert state["status"] == "open"
        assert state["position"] == 1
        assert [m["text"] for m in state["messages"]] == ["Where is my order?"]
        picture = state["messages"][0]["attachments"][0]
        assert client.get(picture["url"]).content == PNG

        conversation = agent.get(
            "/api/v1/chats/conversations", params={"view": "unassigned"}
        ).json()["conversations"][0]
        assert conversation["channel"] == "webchat"
        assert conversation["customer_name"] == "Maria"
        contact = agent.get(f"/api/v1/contacts/{conversation['contact_id']}").json()
        assert contact["emails"] == ["m@example.com"]
        accept(helpline, agent, conversation["id"])
        path = f"/api/v1/chats/conversations/{conversation['id']}"
        agent.post(f"{path}/typing", json={"typing": True})
        agent.post(f"{path}/messages", data={"text": "It ships today."})
        seen: list[dict[str, Any]] = []
        while not any(m.get("type") == "message" for m in seen):
            seen.append(socket.receive_json())
        kinds = [m["type"] for m in seen]
        assert "typing" in kinds
        message = next(m for m in seen if m["type"] == "message")["message"]
        assert (message["from"], message["text"]) == ("agent", "It ships today.")
        assert "author_user_id" not in message
    detail = agent.get(f"/api/v1/chats/conversations/{conversation['id']}").json()
    assert [m["text"] for m in detail["messages"]] == ["Where is my order?", "It ships today."]


def test_the_offline_form_leaves_a_waiting_conversation(
    helpline: Helpline, admin: Any, widget: dict[str, Any]
) -> None:
    client = helpline.login("boss")
    client.cookies.clear()
    key = widget["key"]
    no_email = client.post(f"/webchat/api/{key}/offline", json={"name": "Luca", "text": "Hi"})
    assert no_email.status_code == 422
    left = client.post(
        f"/webchat/api/{key}/offline",
        json={"name": "Luca", "email": "luca@example.com", "text": "Call me back"},
    )
    assert left.status_code == 201, left.text
    page = admin.get("/api/v1/chats/conversations", params={"view": "unassigned"}).json()
    assert [c["last_message_preview"] for c in page["conversations"]] == ["Call me back"]
    mine = client.get(
        f"/webchat/api/{key}/conversation",
        headers={"authorization": f"Bearer {left.json()['token']}"},
    ).json()
    assert mine["status"] == "open"


def test_bad_tokens_origins_and_files_are_refused(
    helpline: Helpline, admin: Any, widget: dict[str, Any]
) -> None:
    key = widget["key"]
    client, token = visitor(helpline, widget)
    for bad in (None, "not-a-token"):
        headers = {"authorization": f"Bearer {bad}"} if bad else {}
        refused = client.post(f"/webchat/api/{key}/messages", headers=headers, data={"text": "x"})
        assert refused.status_code == 401
    with client.websocket_connect(f"/webchat/ws/{key}?token=nope") as socket:
        assert socket.receive_json()["type"] == "error"
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
        assert closed.value.code == 4401
    assert client.get("/webchat/api/nope/config").status_code == 404

    # Another site's page: refused unless the widget allows its origin.
    evil = {"origin": "https://evil.example"}
    assert client.get(f"/webchat/api/{key}/config", headers=evil).status_code == 403
    allowed = client.get(f"/webchat/api/{key}/config", headers={"origin": SITE})
    assert allowed.headers["access-control-allow-origin"] == SITE
    preflight = client.options(
        f"/webchat/api/{key}/messages",
        headers={"origin": SITE, "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 204
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    denied = client.options(f"/webchat/api/{key}/messages", headers=evil)
    assert denied.status_code == 403
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"/webchat/ws/{key}?token={token}", headers=evil),
    ):
        pass
    assert closed.value.code == 4403

    auth = {"authorization": f"Bearer {token}"}
    too_many = [("files", (f"p{i}.png", PNG, "image/png")) for i in range(6)]
    for files, message in (
        (too_many, "at most 5 files"),
        ([("files", ("x.png", b"<html>", "image/png"))], "is not an image"),
        (
            [("files", ("big.pdf", b"%PDF-" + b"0" * (2 * 1024 * 1024), "application/pdf"))],
            "too large",
        ),
    ):
        refused = client.post(
            f"/webchat/api/{key}/messages", headers=auth, data={"text": "x"}, files=files
        )
        assert refused.status_code == 422, refused.text
        assert message in refused.text
    long = client.post(f"/webchat/api/{key}/messages", headers=auth, data={"text": "x" * 4001})
    assert long.status_code == 422
    assert admin.get("/api/v1/chats/conversations", params={"view": "all"}).json()["total"] == 0
    # Switched off: the widget is gone for visitors.
    admin.patch(f"/api/v1/webchat/widgets/{widget['id']}", json={"enabled": False})
    assert client.get(f"/webchat/api/{key}/config").status_code == 404


def test_the_demo_page_embeds_the_widget(helpline: Helpline, widget: dict[str, Any]) -> None:
    page = helpline.client.get("/webchat/demo")
    assert page.status_code == 200
    assert f'data-widget="{widget["key"]}"' in page.text
    script = helpline.client.get("/static/webchat.js")
    assert script.status_code == 200
    assert "localStorage" in script.text

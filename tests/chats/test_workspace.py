"""The chat workspace: tags on conversations (API, rules, events, the WebSocket), the
workspace page, and the agents' chat notification setting."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Permission
from tests.chats.conftest import accept, chat_queue, sms
from tests.support import Helpline

TAG_EVENTS = ["chat.tag_added", "chat.tag_removed"]


def _tag(admin: Any, name: str, *, enabled: bool = True) -> dict[str, Any]:
    response = admin.post("/api/v1/tags", json={"name": name, "enabled": enabled})
    assert response.status_code == 201, response.text
    tag: dict[str, Any] = response.json()
    return tag


def _allow_custom_tags(admin: Any, allowed: bool = True) -> None:
    response = admin.patch(
        "/api/v1/permissions", json={Permission.AGENT_CREATE_CUSTOM_TAGS.value: allowed}
    )
    assert response.status_code == 200, response.text


def _assigned_conversation(helpline: Helpline, admin: Any, *others: Any) -> tuple[Any, int]:
    """Ann's conversation (accepted), in a queue where ``others`` are agents too."""
    ann = helpline.create_user("ann", "agent")
    chat_queue(helpline, admin, ann, *others)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    received = sms(helpline, "My parcel is lost", message_id="SMtag", name="Maria")
    accept(helpline, agent, received.conversation_id)
    return agent, received.conversation_id


def _names(response: Any) -> list[str]:
    return [tag["name"] for tag in response.json()]


def test_the_agent_tags_a_conversation_with_enabled_tags(helpline: Helpline, admin: Any) -> None:
    agent, conversation = _assigned_conversation(helpline, admin)
    warranty = _tag(admin, "Warranty")
    billing = _tag(admin, "Billing")
    url = f"/api/v1/chats/conversations/{conversation}/tags"

    added = agent.post(url, json={"tag_id": warranty["id"]})
    assert added.status_code == 201, added.text
    assert _names(added) == ["Warranty"]
    # Once on it, a second time changes nothing (200, no event).
    again = agent.post(url, json={"tag_id": warranty["id"]})
    assert again.status_code == 200
    # By name, in any case: the existing tag.
    by_name = agent.post(url, json={"name": "billing"})
    assert by_name.status_code == 201, by_name.text
    assert _names(by_name) == ["Billing", "Warranty"]
    assert _names(agent.get(url)) == ["Billing", "Warranty"]
    detail = agent.get(f"/api/v1/chats/conversations/{conversation}").json()
    assert [t["name"] for t in detail["tags"]] == ["Billing", "Warranty"]

    removed = agent.delete(f"{url}/{billing['id']}")
    assert removed.status_code == 200, removed.text
    assert _names(removed) == ["Warranty"]
    gone = agent.delete(f"{url}/{billing['id']}")
    assert gone.status_code == 404

    events = admin.get("/api/v1/events", params={"type": TAG_EVENTS}).json()
    assert [(e["type"], e["payload"]["tag"]["name"]) for e in events] == [
        ("chat.tag_added", "Warranty"),
        ("chat.tag_added", "Billing"),
        ("chat.tag_removed", "Billing"),
    ]
    last = events[-1]["payload"]
    assert last["conversation"]["id"] == conversation
    assert [t["name"] for t in last["tags"]] == ["Warranty"]
    assert events[0]["actor_user_id"] == agent.patch("/api/v1/me", json={}).json()["id"]


def test_bad_tags_are_refused_and_nothing_changes(helpline: Helpline, admin: Any) -> None:
    agent, conversation = _assigned_conversation(helpline, admin)
    disabled = _tag(admin, "Old campaign", enabled=False)
    url = f"/api/v1/chats/conversations/{conversation}/tags"

    refused = agent.post(url, json={"tag_id": disabled["id"]})
    assert refused.status_code == 422
    assert "disabled" in refused.json()["detail"]["message"]
    by_name = agent.post(url, json={"name": "OLD CAMPAIGN"})
    assert by_name.status_code == 422
    unknown = agent.post(url, json={"tag_id": 9999})
    assert unknown.status_code == 404
    assert unknown.json()["detail"]["field"] == "tag_id"
    # A name no tag has needs "Create custom tags" (off by default).
    custom = agent.post(url, json={"name": "Angry customer"})
    assert custom.status_code == 403
    assert "may not create" in custom.json()["detail"]["message"]
    for body in ({}, {"tag_id": 1, "name": "x"}, {"name": ""}, {"name": "x" * 51}, {"tag": 1}):
        assert agent.post(url, json=body).status_code == 422, body
    assert agent.get(url).json() == []
    assert admin.get("/api/v1/tags").json()[0]["name"] == "Old campaign"
    assert len(admin.get("/api/v1/tags").json()) == 1
    assert admin.get("/api/v1/events", params={"type": TAG_EVENTS}).json() == []

    missing = agent.post("/api/v1/chats/conversations/9999/tags", json={"name": "x"})
    assert missing.status_code == 404
    assert agent.get("/api/v1/chats/conversations/9999/tags").status_code == 404
    assert agent.delete("/api/v1/chats/conversations/9999/tags/1").status_code == 404


def test_agents_with_the_permission_create_custom_tags(helpline: Helpline, admin: Any) -> None:
    agent, conversation = _assigned_conversation(helpline, admin)
    _allow_custom_tags(admin)
    url = f"/api/v1/chats/conversations/{conversation}/tags"
    created = agent.post(url, json={"name": "  Angry   customer "})
    assert created.status_code == 201, created.text
    tag = created.json()[0]
    assert (tag["name"], tag["custom"], tag["enabled"]) == ("Angry customer", True, True)
    assert [t["name"] for t in agent.get("/api/v1/tags", params={"enabled": "true"}).json()] == [
        "Angry customer"
    ]
    types = [e["type"] for e in admin.get("/api/v1/events", params={"limit": 1000}).json()]
    assert types.index("tag.created") < types.index("chat.tag_added")


def test_deleting_a_tag_takes_it_off_and_disabling_keeps_it(helpline: Helpline, admin: Any) -> None:
    agent, conversation = _assigned_conversation(helpline, admin)
    keep = _tag(admin, "Keep")
    drop = _tag(admin, "Drop")
    url = f"/api/v1/chats/conversations/{conversation}/tags"
    agent.post(url, json={"tag_id": keep["id"]})
    agent.post(url, json={"tag_id": drop["id"]})
    assert admin.patch(f"/api/v1/tags/{keep['id']}", json={"enabled": False}).status_code == 200
    assert admin.delete(f"/api/v1/tags/{drop['id']}").status_code == 204
    tags = agent.get(url).json()
    assert [(t["name"], t["enabled"]) for t in tags] == [("Keep", False)]
    # A disabled tag can still be taken off.
    assert agent.delete(f"{url}/{keep['id']}").json() == []


def test_only_its_agent_or_a_supervisor_tags_a_conversation(helpline: Helpline, admin: Any) -> None:
    bob = helpline.create_user("bob", "agent")
    boss = helpline.create_user("sue", "supervisor")
    ann = helpline.create_user("ann", "agent")
    chat_queue(helpline, admin, ann, bob, supervisors=(boss,))
    agent = helpline.login("ann")
    other = helpline.login("bob")
    supervisor = helpline.login("sue")
    agent.post("/api/v1/acd/me/login", json={})
    other.post("/api/v1/acd/me/login", json={})
    tag = _tag(admin, "Vip")
    received = sms(helpline, "Hello", message_id="SMwho")
    url = f"/api/v1/chats/conversations/{received.conversation_id}/tags"

    # Waiting in Bob's queue: he sees it, but it is nobody's yet.
    assert other.get(url).status_code == 200
    waiting = other.post(url, json={"tag_id": tag["id"]})
    assert waiting.status_code == 403
    assert "not yours" in waiting.json()["detail"]

    offered_to = agent if agent.get("/api/v1/acd/me").json()["open_offers"] else other
    accept(helpline, offered_to, received.conversation_id)
    outsider = other if offered_to is agent else agent
    assert outsider.post(url, json={"tag_id": tag["id"]}).status_code == 403
    assert outsider.get(url).status_code == 403
    assert supervisor.post(url, json={"tag_id": tag["id"]}).status_code == 201
    assert supervisor.delete(f"{url}/{tag['id']}").status_code == 200

    # After resolving it, its agent may still tag it (wrap-up); nobody else may.
    assert (
        offered_to.post(
            f"/api/v1/chats/conversations/{received.conversation_id}/resolve"
        ).status_code
        == 200
    )
    assert offered_to.post(url, json={"tag_id": tag["id"]}).status_code == 201
    assert outsider.post(url, json={"tag_id": tag["id"]}).status_code == 403


def test_tag_events_reach_the_agent_over_the_websocket(helpline: Helpline, admin: Any) -> None:
    agent, conversation = _assigned_conversation(helpline, admin)
    tag = _tag(admin, "Priority")
    with agent.websocket_connect("/ws") as socket:
        socket.send_json({"type": "register", "event_types": TAG_EVENTS})
        assert socket.receive_json()["type"] == "state"
        agent.post(f"/api/v1/chats/conversations/{conversation}/tags", json={"tag_id": tag["id"]})
        event = socket.receive_json()["event"]
    assert event["type"] == "chat.tag_added"
    assert event["payload"]["conversation"]["id"] == conversation
    assert [t["name"] for t in event["payload"]["tags"]] == ["Priority"]


def test_the_workspace_page_and_the_notifications_of_agents(helpline: Helpline, admin: Any) -> None:
    agent, conversation = _assigned_conversation(helpline, admin)
    page = agent.get(f"/agent/chats?conversation={conversation}")
    assert page.status_code == 200
    assert 'id="chats-config"' in page.text
    assert f'"conversation": {conversation}' in page.text
    assert '"may_create_tags": false' in page.text
    assert "/static/chats.js" in page.text
    # The notification script is on every page of an agent, not of others.
    for path in ("/agent", "/account", "/help"):
        assert "/static/notify.js" in agent.get(path).text, path
    assert "/static/notify.js" not in admin.get("/account").text
    assert agent.get("/agent/chats?conversation=0").status_code == 422
    assert agent.get("/agent").text.count('href="/agent/chats"') >= 1
    sound = agent.get("/static/sounds/chat-notification.wav")
    assert sound.status_code == 200
    assert sound.content[:4] == b"RIFF"


def test_the_notification_sound_is_a_setting_of_each_user(helpline: Helpline, admin: Any) -> None:
    helpline.create_user("ann", "agent")
    agent = helpline.login("ann")
    assert agent.get("/api/v1/auth/me").status_code == 200
    me = agent.patch("/api/v1/me", json={})
    assert me.json()["notification_sound"] is True
    off = agent.patch("/api/v1/me", json={"notification_sound": False})
    assert off.status_code == 200, off.text
    assert off.json()["notification_sound"] is False
    assert agent.patch("/api/v1/me", json={"notification_sound": "loud"}).status_code == 422
    assert agent.patch("/api/v1/me", json={}).json()["notification_sound"] is False
    page = agent.get("/account")
    assert 'data-testid="notification-sound"' in page.text
    assert 'data-testid="notification-sound" checked' not in page.text

    # The account page's form: a ticked box turns it on, an unticked one (left out) off.
    csrf = agent.cookies.get("helpline_csrf")
    saved = agent.post(
        "/account/notifications",
        data={"csrf_token": csrf, "sound": "on"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert agent.patch("/api/v1/me", json={}).json()["notification_sound"] is True
    agent.post("/account/notifications", data={"csrf_token": csrf}, follow_redirects=False)
    assert agent.patch("/api/v1/me", json={}).json()["notification_sound"] is False
    refused = agent.post("/account/notifications", data={"sound": "on"}, follow_redirects=False)
    assert refused.status_code in (400, 403)
    assert agent.patch("/api/v1/me", json={}).json()["notification_sound"] is False
    events = admin.get("/api/v1/events", params={"type": "user.updated"}).json()
    assert [e["payload"]["changed"] for e in events][-1] == ["notification_sound"]


def test_supervisors_get_their_queues_in_the_workspace(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    sue = helpline.create_user("sue", "supervisor")
    queue = chat_queue(helpline, admin, ann, supervisors=(sue,))
    supervisor = helpline.login("sue")
    page = supervisor.get("/agent/chats")
    assert page.status_code == 200
    assert f'"supervised": [{queue}]' in page.text
    assert 'data-testid="chat-tab-all"' in page.text
    agent_page = helpline.login("ann").get("/agent/chats")
    assert '"supervised": []' in agent_page.text
    assert 'data-testid="chat-tab-all"' not in agent_page.text


def test_the_workspace_speaks_the_agents_language(helpline: Helpline, admin: Any) -> None:
    helpline.create_user("ann", "agent", language="it")
    page = helpline.login("ann").get("/agent/chats")
    assert '<h1 data-testid="chats-heading">Chat</h1>' in page.text
    assert "Il cliente sta scrivendo…" in page.text
    assert "Al massimo 5 file per messaggio" in page.text
    assert "{count} non letti" in page.text

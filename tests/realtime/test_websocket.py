"""The real-time protocol: register, get the initial state, then apply events.

The central check (as Zulip's test_events does): an old state with the streamed events
applied equals a state fetched fresh afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from helpline.realtime.state import EVENT_TYPES, apply_event
from tests.support import Helpline

ALL_TYPES = sorted(EVENT_TYPES)


@contextmanager
def _register(
    client: Any, event_types: list[str] = ALL_TYPES
) -> Iterator[tuple[Any, dict[str, Any]]]:
    with client.websocket_connect("/ws") as socket:
        socket.send_json({"type": "register", "event_types": event_types})
        state = socket.receive_json()
        assert state["type"] == "state"
        yield socket, state


def test_events_applied_to_an_old_state_equal_a_fresh_state(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    boss = helpline.login("boss")
    with _register(boss) as (socket, initial):
        old_state = initial["state"]
        assert set(old_state) == {"me", "users", "permissions", "acd", "chats"}
        state, ids = _changes_and_events(boss, socket, initial)

    with _register(boss) as (_fresh_socket, fresh):
        assert state == fresh["state"]
    assert state != old_state
    assert fresh["last_event_id"] >= ids[-1]


def _changes_and_events(boss: Any, socket: Any, initial: dict[str, Any]) -> tuple[Any, list[int]]:
    created = boss.post(
        "/api/v1/users",
        json={
            "username": "nina",
            "display_name": "Nina",
            "password": "password123",
            "roles": ["agent"],
        },
    ).json()
    boss.patch(f"/api/v1/users/{created['id']}", json={"lines": [{"extension": "210"}]})
    boss.patch("/api/v1/permissions", json={"agent.create_custom_tags": True})
    boss.patch("/api/v1/me", json={"display_name": "The Boss"})
    boss.post("/api/v1/tokens", json={"name": "not a registered event type"})

    state = initial["state"]
    ids = []
    for _ in range(4):
        message = socket.receive_json()
        assert message["type"] == "event"
        assert message["event"]["id"] > initial["last_event_id"]
        ids.append(message["event"]["id"])
        state = apply_event(state, message["event"])
    assert ids == sorted(ids)
    return state, ids


def test_an_agent_sees_only_events_about_themselves(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    agent = helpline.create_user("ann", "agent")
    boss = helpline.login("boss")
    with _register(helpline.login("ann"), ["user.created", "user.updated"]) as (socket, initial):
        assert "users" not in initial["state"]
        assert initial["state"]["me"]["username"] == "ann"
        boss.post(
            "/api/v1/users",
            json={"username": "bob", "display_name": "Bob", "password": "password123"},
        )
        boss.patch(f"/api/v1/users/{agent.id}", json={"display_name": "Ann B"})
        message = socket.receive_json()
    assert message["event"]["type"] == "user.updated"
    assert message["event"]["payload"]["user"]["username"] == "ann"
    assert apply_event(initial["state"], message["event"])["me"]["display_name"] == "Ann B"


def test_a_deactivated_user_is_disconnected(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    agent = helpline.create_user("ann", "agent")
    with _register(helpline.login("ann"), ["user.updated"]) as (socket, _):
        helpline.login("boss").patch(f"/api/v1/users/{agent.id}", json={"is_active": False})
        assert socket.receive_json()["event"]["payload"]["user"]["is_active"] is False
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4401


def test_anonymous_clients_are_refused(helpline: Helpline) -> None:
    with helpline.client.websocket_connect("/ws") as socket:
        message = socket.receive_json()
        assert message == {"type": "error", "code": "unauthenticated", "message": "log in first"}
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4401


@pytest.mark.parametrize(
    "registration",
    [
        "not json",
        '{"type": "subscribe"}',
        '{"type": "register", "event_types": ["no.such.event"]}',
        '{"type": "register", "event_types": "user.created"}',
        '{"type": "register", "event_types": [], "extra": 1}',
    ],
)
def test_bad_registrations_get_an_error_and_a_close(helpline: Helpline, registration: str) -> None:
    helpline.create_user("ann", "agent")
    client = helpline.login("ann")
    with client.websocket_connect("/ws") as socket:
        socket.send_text(registration)
        message = socket.receive_json()
        assert message["type"] == "error"
        assert message["code"] == "bad_request"
        assert message["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 4400


def test_a_foreign_origin_is_refused(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    client = helpline.login("ann")
    foreign = {"origin": "http://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect("/ws", headers=foreign),
    ):
        pass
    assert closed.value.code == 4403


def test_live_acd_views_applied_to_an_old_state_equal_a_fresh_state(helpline: Helpline) -> None:
    from tests.acd.test_live import queue_with_agents

    helpline.create_user("boss", "admin")
    ann = helpline.create_user("ann", "agent")
    boss = helpline.login("boss")
    agent = helpline.login("ann")
    queue = queue_with_agents(helpline, boss, ann, wrap_up_seconds=600)
    with _register(boss, ["acd.queue_view", "acd.agent_view"]) as (socket, initial):
        state = initial["state"]
        assert queue in state["acd"]["queues"]
        assert state["acd"]["me"] is None  # the admin is not an agent
        agent.post("/api/v1/acd/me/login", json={})
        boss.post("/api/v1/acd/contacts", json={"queue_id": queue, "contact_id": "c1"})
        boss.post("/api/v1/acd/contacts", json={"queue_id": queue, "contact_id": "c2"})
        offer = agent.get("/api/v1/acd/me").json()["open_offers"][0]
        agent.post(f"/api/v1/acd/offers/{offer['offer_id']}/accept")
        with _register(boss, ["acd.queue_view", "acd.agent_view"]) as (_other, fresh):
            target = fresh["state"]
        for _ in range(50):
            if state == target:
                break
            state = apply_event(state, socket.receive_json()["event"])
        assert state == target
    view = state["acd"]["queues"][queue]
    assert [w["contact_id"] for w in view["waiting"]] == ["c2"]
    assert view["card"]["handled"] == 1


def test_an_agent_gets_their_own_view_and_their_queues(helpline: Helpline) -> None:
    from tests.acd.test_live import queue_with_agents

    helpline.create_user("boss", "admin")
    ann = helpline.create_user("ann", "agent")
    bob = helpline.create_user("bob", "agent")
    boss = helpline.login("boss")
    mine = queue_with_agents(helpline, boss, ann, name="Mine")
    other = queue_with_agents(helpline, boss, bob, name="Other")
    agent = helpline.login("ann")
    with _register(agent, ["acd.queue_view", "acd.agent_view"]) as (socket, initial):
        assert set(initial["state"]["acd"]["queues"]) == {mine}
        assert initial["state"]["acd"]["me"]["status"] == "logged_out"
        helpline.login("bob").post("/api/v1/acd/me/login", json={})  # touches only Other
        agent.post("/api/v1/acd/me/login", json={})
        seen = [socket.receive_json()["event"] for _ in range(2)]
    assert {e["type"] for e in seen} == {"acd.queue_view", "acd.agent_view"}
    assert all(e["payload"].get("queue_id", mine) != other for e in seen)
    me = next(e for e in seen if e["type"] == "acd.agent_view")["payload"]
    assert me["agent_id"] == str(ann.id)
    assert me["status"] == "ready"

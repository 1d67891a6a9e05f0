"""Temporary agents: a supervisor logs a user without the agent role into a queue
("+ Log agents"); they work there until they log out or are logged out."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acd.test_live import queue_with_agents
from tests.support import Helpline, wait_until


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def supervised_queue(helpline: Helpline, admin: Any, supervisor: Any, *agents: Any) -> str:
    queue = queue_with_agents(helpline, admin, *agents, wrap_up_seconds=600)
    response = admin.put(
        f"/api/v1/call-queues/{queue.split(':')[1]}/assignments",
        json={"agents": [a.id for a in agents], "supervisors": [supervisor.id]},
    )
    assert response.status_code == 200, response.text
    return queue


def agents_row(view: dict[str, Any], user: Any) -> dict[str, Any] | None:
    return next((a for a in view["agents"] if a["agent_id"] == str(user.id)), None)


def candidate(client: Any, queue: str, username: str) -> dict[str, Any]:
    rows = client.get(f"/api/v1/acd/queues/{queue}/candidates", params={"search": username})
    assert rows.status_code == 200, rows.text
    return next(c for c in rows.json() if c["username"] == username)


def event_types(admin: Any) -> list[str]:
    return [e["type"] for e in admin.get("/api/v1/events", params={"limit": 1000}).json()]


def test_a_supervisor_logs_a_non_agent_in_and_they_take_a_contact(
    helpline: Helpline, admin: Any
) -> None:
    sue = helpline.create_user("sue", "supervisor")
    mia = helpline.create_user("mia", "supervisor", lines=("301", "302"))
    queue = supervised_queue(helpline, admin, sue)
    supervisor = helpline.login("sue")
    helper = helpline.login("mia")

    # Not an agent, not logged in: no agent dashboard, and no logging in oneself.
    assert helper.get("/api/v1/acd/me").status_code == 403
    assert helper.get("/agent", follow_redirects=False).status_code == 403
    assert helper.post("/api/v1/acd/me/login", json={"queue_ids": [queue]}).status_code == 403

    row = candidate(supervisor, queue, "mia")
    assert row["agent"] is False
    assert row["can_log_in"] is True
    assert row["why_not"] is None
    assert [line["active"] for line in row["lines"]] == [False, False]

    logged_in = supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/login")
    assert logged_in.status_code == 200, logged_in.text
    mine = agents_row(logged_in.json(), mia)
    assert mine is not None
    assert mine["logged_in"] is True
    assert mine["temporary"] is True
    assert mine["member"] is False
    assert mine["status"] == "ready"
    assert mine["line"] == "301"
    row = candidate(supervisor, queue, "mia")
    assert row["logged_in"] is True
    assert [line["active"] for line in row["lines"]] == [True, False]

    # The agent dashboard works for them now, but logging themself in still does not.
    me = helper.get("/api/v1/acd/me")
    assert me.status_code == 200, me.text
    assert me.json()["queues"] == [queue]
    assert me.json()["line"] == "301"
    page = helper.get("/agent")
    assert page.status_code == 200
    assert 'data-testid="temporary-agent"' in page.text
    assert 'data-section="agent"' in page.text
    refused = helper.post("/api/v1/acd/me/login", json={"queue_ids": [queue]})
    assert refused.status_code == 403
    assert "supervisor" in refused.json()["detail"]

    # A contact is offered to them; they accept, end it and wrap up like any agent.
    created = admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "caller_id": "+331"})
    assert created.status_code == 201
    assert created.json()["state"] == "offered"
    offers = helper.get("/api/v1/acd/me").json()["open_offers"]
    assert [o["caller_id"] for o in offers] == ["+331"]
    accepted = helper.post(f"/api/v1/acd/offers/{offers[0]['offer_id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "busy"
    assert helper.post(f"/api/v1/acd/contacts/{offers[0]['contact_id']}/end").status_code == 200
    assert helper.post("/api/v1/acd/me/wrap-up/end", json={}).json()["status"] == "ready"
    assert helper.post("/api/v1/acd/me/pause", json={}).json()["status"] == "paused"
    assert helper.post("/api/v1/acd/me/ready", json={}).json()["status"] == "ready"
    assert admin.get(f"/api/v1/acd/queues/{queue}").json()["card"]["handled"] == 1

    # Logging out ends it: they leave the queue's table and the router.
    left = helper.post("/api/v1/acd/me/logout", json={})
    assert left.status_code == 200, left.text
    assert left.json()["status"] == "logged_out"
    assert left.json()["queues"] == []
    assert agents_row(admin.get(f"/api/v1/acd/queues/{queue}").json(), mia) is None
    assert str(mia.id) not in helpline.app.state.acd.router.agent_ids()
    assert helper.get("/api/v1/acd/me").status_code == 403
    assert helper.get("/agent", follow_redirects=False).status_code == 403
    row = candidate(supervisor, queue, "mia")
    assert row["logged_in"] is False
    assert row["can_log_in"] is True
    assert [line["active"] for line in row["lines"]] == [False, False]

    events = admin.get("/api/v1/events", params={"limit": 1000}).json()
    added = [e for e in events if e["type"] == "acd.temporary_agent_added"]
    assert [(e["payload"]["agent_id"], e["payload"]["queue_id"]) for e in added] == [
        (str(mia.id), queue)
    ]
    assert added[0]["actor_user_id"] == sue.id
    logins = [e for e in events if e["type"] == "acd.agent_queue_logged_in"]
    assert logins[-1]["payload"]["temporary"] is True
    removed = [e for e in events if e["type"] == "acd.temporary_agent_removed"]
    assert [e["payload"]["agent_id"] for e in removed] == [str(mia.id)]
    assert removed[0]["actor_user_id"] == mia.id


def test_a_supervisor_logs_a_temporary_agent_out(helpline: Helpline, admin: Any) -> None:
    sue = helpline.create_user("sue", "supervisor")
    mia = helpline.create_user("mia", "supervisor")
    queue = supervised_queue(helpline, admin, sue)
    other = queue_with_agents(helpline, admin, name="Sales")
    acd = helpline.app.state.acd
    wait_until(lambda: other in acd.router.queue_ids(), what="the router to see Sales")
    supervisor = helpline.login("sue")
    helper = helpline.login("mia")
    assert supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/login").status_code == 200
    # Only a supervisor brings them into another queue, too.
    assert helper.post("/api/v1/acd/me/login", json={"queue_ids": [other]}).status_code == 403
    assert admin.post(f"/api/v1/acd/queues/{other}/agents/{mia.id}/login").status_code == 200
    assert sorted(helper.get("/api/v1/acd/me").json()["queues"]) == sorted([queue, other])

    paused = supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/pause", json={})
    row = agents_row(paused.json(), mia)
    assert row is not None
    assert row["paused_in_queue"] is True
    view = supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/logout").json()
    assert agents_row(view, mia) is None
    assert helper.get("/api/v1/acd/me").json()["queues"] == [other]  # still in Sales

    view = admin.post(f"/api/v1/acd/queues/{other}/agents/{mia.id}/logout").json()
    assert agents_row(view, mia) is None
    assert helper.get("/api/v1/acd/me").status_code == 403
    assert str(mia.id) not in helpline.app.state.acd.router.agent_ids()
    again = supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/logout")
    assert again.status_code == 404


def test_temporary_logins_follow_the_organization_switch(helpline: Helpline, admin: Any) -> None:
    sue = helpline.create_user("sue", "supervisor")
    mia = helpline.create_user("mia", "supervisor")
    queue = supervised_queue(helpline, admin, sue)
    supervisor = helpline.login("sue")
    helper = helpline.login("mia")
    switch = "organization.allow_unassigned_queue_login"

    assert admin.patch("/api/v1/permissions", json={switch: False}).status_code == 200
    row = candidate(supervisor, queue, "mia")
    assert row["can_log_in"] is False
    assert row["why_not"] == "logging into unassigned queues is off"
    refused = supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/login")
    assert refused.status_code == 403
    assert "does not allow logging into queues one is not assigned to" in refused.json()["detail"]
    assert agents_row(supervisor.get(f"/api/v1/acd/queues/{queue}").json(), mia) is None
    assert "acd.temporary_agent_added" not in event_types(admin)

    admin.patch("/api/v1/permissions", json={switch: True})
    assert supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/login").status_code == 200
    # Turning it off later logs nobody out (admin guide).
    admin.patch("/api/v1/permissions", json={switch: False})
    assert helper.get("/api/v1/acd/me").json()["queues"] == [queue]
    assert helper.post("/api/v1/acd/me/pause", json={}).json()["status"] == "paused"
    assert helper.post("/api/v1/acd/me/logout", json={}).json()["status"] == "logged_out"
    assert helper.get("/api/v1/acd/me").status_code == 403


def test_who_cannot_be_logged_in(helpline: Helpline, admin: Any) -> None:
    sue = helpline.create_user("sue", "supervisor")
    gone = helpline.create_user("gone", "agent")
    queue = supervised_queue(helpline, admin, sue, gone)
    supervisor = helpline.login("sue")
    deactivated = admin.patch(f"/api/v1/users/{gone.id}", json={"is_active": False})
    assert deactivated.status_code == 200, deactivated.text
    wait_until(
        lambda: str(gone.id) not in helpline.app.state.acd.router.agent_ids(),
        what="the router to drop the deactivated agent",
    )

    row = candidate(supervisor, queue, "gone")
    assert row["can_log_in"] is False
    assert row["why_not"] == "deactivated user"
    refused = supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{gone.id}/login")
    assert refused.status_code == 409
    assert "deactivated" in refused.json()["detail"]

    # A supervisor without the agent role does not log themself in either.
    row = candidate(supervisor, queue, "sue")
    assert row["why_not"] == "you are not an agent"
    assert supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{sue.id}/login").status_code == 403
    assert supervisor.post(f"/api/v1/acd/queues/{queue}/agents/9999/login").status_code == 404
    assert supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{sue.id}/pause").status_code == 404


def test_an_agent_offer_keeps_a_departing_temporary_agent_until_it_is_answered(
    helpline: Helpline, admin: Any
) -> None:
    """Leaving the router withdraws nobody's offer: it waits for a moment without one."""
    sue = helpline.create_user("sue", "supervisor")
    mia = helpline.create_user("mia", "supervisor")
    ann = helpline.create_user("ann", "agent")
    queue = supervised_queue(helpline, admin, sue, ann)
    helper = helpline.login("mia")
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    assert admin.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/login").status_code == 200
    admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "contact_id": "c1"})
    ann_offers = agent.get("/api/v1/acd/me").json()["open_offers"]
    assert [o["contact_id"] for o in ann_offers] == ["c1"]  # ann has been idle longest

    assert helper.post("/api/v1/acd/me/logout", json={}).json()["status"] == "logged_out"
    assert helper.get("/api/v1/acd/me").status_code == 403
    assert agents_row(admin.get(f"/api/v1/acd/queues/{queue}").json(), mia) is None
    assert "acd.temporary_agent_removed" not in event_types(admin)
    # The offer is still the same one.
    assert agent.post(f"/api/v1/acd/offers/{ann_offers[0]['offer_id']}/accept").status_code == 200
    assert "acd.temporary_agent_removed" in event_types(admin)
    assert str(mia.id) not in helpline.app.state.acd.router.agent_ids()
    # Logged in again, they come back as a new temporary agent.
    assert admin.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/login").status_code == 200
    assert helper.get("/api/v1/acd/me").json()["queues"] == [queue]


def test_a_temporary_agent_survives_reloads_and_a_restart(
    helpline: Helpline, admin: Any, settings: Any
) -> None:
    from fastapi.testclient import TestClient

    from helpline.web.app import create_app

    sue = helpline.create_user("sue", "supervisor")
    mia = helpline.create_user("mia", "supervisor", lines=("301",))
    queue = supervised_queue(helpline, admin, sue)
    supervisor = helpline.login("sue")
    assert supervisor.post(f"/api/v1/acd/queues/{queue}/agents/{mia.id}/login").status_code == 200

    # Configuration changes reload the router: the temporary agent stays.
    renamed = admin.patch(f"/api/v1/users/{mia.id}", json={"display_name": "Mia Helper"})
    assert renamed.status_code == 200
    later = queue_with_agents(helpline, admin, name="Later")
    wait_until(
        lambda: later in helpline.app.state.acd.router.queue_ids(), what="a configuration reload"
    )
    row = agents_row(supervisor.get(f"/api/v1/acd/queues/{queue}").json(), mia)
    assert row is not None
    assert row["logged_in"] is True
    assert row["temporary"] is True
    admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "contact_id": "c1"})
    assert helpline.login("mia").get("/api/v1/acd/me").json()["open_offers"][0]["contact_id"] == (
        "c1"
    )
    helpline.client.__exit__(None, None, None)

    with TestClient(create_app(settings)) as client:
        again = Helpline(client)
        boss = again.login("boss")
        view = boss.get(f"/api/v1/acd/queues/{queue}").json()
        row = agents_row(view, mia)
        assert row is not None
        assert row["logged_in"] is True
        assert row["temporary"] is True
        assert row["line"] == "301"
        helper = again.login("mia")
        me = helper.get("/api/v1/acd/me")
        assert me.status_code == 200, me.text
        offers = me.json()["open_offers"]
        assert [o["contact_id"] for o in offers] == ["c1"]  # offered again after the restart
        assert helper.post(f"/api/v1/acd/offers/{offers[0]['offer_id']}/accept").status_code == 200
        assert helper.post("/api/v1/acd/contacts/c1/end").json()["status"] == "wrap_up"
        # At a contact they cannot leave altogether; out of the queue, the wrap-up ends it.
        assert helper.post("/api/v1/acd/me/logout", json={"queue_id": queue}).status_code == 200
        assert helper.get("/api/v1/acd/me").json()["status"] == "wrap_up"
        assert helper.post("/api/v1/acd/me/wrap-up/end", json={}).json()["status"] == "logged_out"
        assert agents_row(boss.get(f"/api/v1/acd/queues/{queue}").json(), mia) is None
        assert helper.get("/api/v1/acd/me").status_code == 403
        assert str(mia.id) not in again.app.state.acd.router.agent_ids()

"""The live ACD through its HTTP API: status, offers, wrap-up, supervisors, intake."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Helpline, wait_until


def queue_with_agents(
    helpline: Helpline, admin: Any, *agents: Any, name: str = "Support", **settings: Any
) -> str:
    queue = admin.post("/api/v1/call-queues", json={"name": name, **settings}).json()
    response = admin.put(
        f"/api/v1/call-queues/{queue['id']}/assignments", json={"agents": [a.id for a in agents]}
    )
    assert response.status_code == 200
    key = f"call:{queue['id']}"
    # The router picks configuration changes up after they commit.
    wait_until(
        lambda: all(key in helpline.app.state.acd._memberships(str(a.id)) for a in agents),
        what="the router to see the new queue",
    )
    return key


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def test_a_contact_is_offered_accepted_and_wrapped_up(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent", lines=("201", "202"))
    queue = queue_with_agents(helpline, admin, ann, wrap_up_seconds=600)
    agent = helpline.login("ann")
    logged_in = agent.post("/api/v1/acd/me/login", json={"line": "202"})
    assert logged_in.status_code == 200, logged_in.text
    assert logged_in.json()["status"] == "ready"
    assert logged_in.json()["queues"] == [queue]
    assert logged_in.json()["line"] == "202"

    created = admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "caller_id": "+3906123"})
    assert created.status_code == 201
    assert created.json()["state"] == "offered"
    offer = agent.get("/api/v1/acd/me").json()["open_offers"][0]
    assert offer["caller_id"] == "+3906123"
    assert offer["queue_name"] == "Support"

    assert agent.post(f"/api/v1/acd/offers/{offer['offer_id']}/accept").json()["status"] == "busy"
    assert agent.post(f"/api/v1/acd/offers/{offer['offer_id']}/accept").status_code == 404
    ended = agent.post(f"/api/v1/acd/contacts/{offer['contact_id']}/end")
    assert ended.json()["status"] == "wrap_up"
    assert agent.post("/api/v1/acd/me/wrap-up/end", json={}).json()["status"] == "ready"

    view = admin.get(f"/api/v1/acd/queues/{queue}").json()
    assert view["card"]["handled"] == 1
    assert view["card"]["total_today"] == 1
    assert view["card"]["waiting"] == 0
    types = [e["type"] for e in admin.get("/api/v1/events", params={"limit": 1000}).json()]
    for expected in (
        "acd.contact_queued",
        "acd.contact_offered",
        "acd.contact_accepted",
        "acd.wrap_up_started",
        "acd.wrap_up_ended",
    ):
        assert expected in types


def test_wrap_up_early_end_follows_the_queue_setting(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    queue = queue_with_agents(
        helpline, admin, ann, wrap_up_seconds=600, agents_can_end_wrap_up=False
    )
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    admin.post("/api/v1/acd/contacts", json={"queue_id": queue})
    offer = agent.get("/api/v1/acd/me").json()["open_offers"][0]
    agent.post(f"/api/v1/acd/offers/{offer['offer_id']}/accept")
    agent.post(f"/api/v1/acd/contacts/{offer['contact_id']}/end")
    refused = agent.post("/api/v1/acd/me/wrap-up/end", json={})
    assert refused.status_code == 403
    ended = admin.post(f"/api/v1/acd/queues/{queue}/agents/{ann.id}/end-wrap-up")
    assert ended.status_code == 200, ended.text
    assert agent.get("/api/v1/acd/me").json()["status"] == "ready"


def test_pause_needs_an_enabled_reason(helpline: Helpline, admin: Any) -> None:
    from helpline.pause_reasons import repository
    from helpline.pause_reasons.models import PauseReason
    from helpline.timeutil import utcnow

    ann = helpline.create_user("ann", "agent")
    queue_with_agents(helpline, admin, ann)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    # No reason enabled: "Pause all" needs none.
    assert agent.post("/api/v1/acd/me/pause", json={}).json()["status"] == "paused"
    agent.post("/api/v1/acd/me/ready", json={})
    helpline.run(
        lambda session: repository.add(
            session, PauseReason(name="Lunch", name_key="lunch", created_at=utcnow())
        )
    )
    assert agent.post("/api/v1/acd/me/pause", json={}).status_code == 422
    assert agent.post("/api/v1/acd/me/pause", json={"reason": "Nap"}).status_code == 422
    paused = agent.post("/api/v1/acd/me/pause", json={"reason": "LUNCH"}).json()
    assert paused["status"] == "paused"
    assert paused["status_reason"] == "Lunch"


def test_queue_level_status(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    support = queue_with_agents(helpline, admin, ann, name="Support")
    sales = queue_with_agents(helpline, admin, ann, name="Sales")
    agent = helpline.login("ann")
    assert agent.post("/api/v1/acd/me/login", json={"queue_ids": [sales]}).json()["queues"] == [
        sales
    ]
    both = agent.post("/api/v1/acd/me/login", json={"queue_ids": [support]}).json()
    assert sorted(both["queues"]) == sorted([support, sales])
    paused = agent.post("/api/v1/acd/me/pause", json={"queue_id": sales}).json()
    assert paused["paused_queues"] == [sales]
    assert paused["status"] == "ready"
    admin.post("/api/v1/acd/contacts", json={"queue_id": sales})
    assert agent.get("/api/v1/acd/me").json()["open_offers"] == []
    agent.post("/api/v1/acd/me/ready", json={"queue_id": sales})
    assert len(agent.get("/api/v1/acd/me").json()["open_offers"]) == 1
    left = agent.post("/api/v1/acd/me/logout", json={"queue_id": support}).json()
    assert left["queues"] == [sales]


def test_unassigned_queues_follow_the_organization_switch(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    bob = helpline.create_user("bob", "agent")
    queue_with_agents(helpline, admin, ann, name="Support")
    other = queue_with_agents(helpline, admin, bob, name="Sales")
    agent = helpline.login("ann")
    admin.patch("/api/v1/permissions", json={"organization.allow_unassigned_queue_login": False})
    refused = agent.post("/api/v1/acd/me/login", json={"queue_ids": [other]})
    assert refused.status_code == 403
    assert admin.post(f"/api/v1/acd/queues/{other}/agents/{ann.id}/login").status_code == 403
    admin.patch("/api/v1/permissions", json={"organization.allow_unassigned_queue_login": True})
    view = admin.post(f"/api/v1/acd/queues/{other}/agents/{ann.id}/login").json()
    row = next(a for a in view["agents"] if a["agent_id"] == str(ann.id))
    assert row["temporary"] is True
    assert row["logged_in"] is True
    # Switching the setting off later keeps the temporary login (admin guide).
    admin.patch("/api/v1/permissions", json={"organization.allow_unassigned_queue_login": False})
    assert other in agent.get("/api/v1/acd/me").json()["queues"]
    candidates = admin.get(
        f"/api/v1/acd/queues/{other}/candidates", params={"role": "agent"}
    ).json()
    by_name = {c["username"]: c for c in candidates}
    assert by_name["ann"]["logged_in"] is True
    assert by_name["bob"]["member"] is True
    logged_out = admin.post(f"/api/v1/acd/queues/{other}/agents/{ann.id}/logout").json()
    assert str(ann.id) not in {a["agent_id"] for a in logged_out["agents"]}


def test_supervisors_see_only_their_queues(helpline: Helpline, admin: Any) -> None:
    sue = helpline.create_user("sue", "supervisor")
    ann = helpline.create_user("ann", "agent")
    mine = queue_with_agents(helpline, admin, ann, name="Mine")
    other = queue_with_agents(helpline, admin, ann, name="Other")
    admin.put(
        f"/api/v1/call-queues/{mine.split(':')[1]}/assignments",
        json={"agents": [ann.id], "supervisors": [sue.id]},
    )
    supervisor = helpline.login("sue")
    wait_until(
        lambda: [q["queue_id"] for q in supervisor.get("/api/v1/acd/queues").json()] == [mine],
        what="the supervisor's queues",
    )
    assert supervisor.get(f"/api/v1/acd/queues/{other}").status_code == 403
    assert supervisor.post(f"/api/v1/acd/queues/{other}/agents/{ann.id}/login").status_code == 403
    assert supervisor.post(f"/api/v1/acd/queues/{mine}/agents/{ann.id}/login").status_code == 200
    paused = supervisor.post(f"/api/v1/acd/queues/{mine}/agents/{ann.id}/pause", json={})
    assert next(a for a in paused.json()["agents"] if a["agent_id"] == str(ann.id))[
        "paused_in_queue"
    ]
    assert supervisor.post(f"/api/v1/acd/queues/{mine}/agents/{ann.id}/dance").status_code == 422


def test_bad_acd_requests_are_4xx(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    queue = queue_with_agents(helpline, admin, ann)
    agent = helpline.login("ann")
    assert agent.post("/api/v1/acd/me/ready", json={}).status_code == 409  # logged out
    assert agent.post("/api/v1/acd/me/login", json={"queue_ids": ["call:999"]}).status_code == 404
    assert agent.post("/api/v1/acd/me/login", json={"queue_ids": ["support"]}).status_code == 422
    assert agent.post("/api/v1/acd/me/login", json={"line": "999"}).status_code == 422
    assert agent.post("/api/v1/acd/offers/77/accept").status_code == 404
    assert agent.post("/api/v1/acd/contacts/nope/end").status_code == 404
    assert (
        admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "kind": "fax"}).status_code
        == 422
    )
    assert admin.post("/api/v1/acd/contacts", json={"queue_id": "call:999"}).status_code == 404
    assert agent.post("/api/v1/acd/contacts", json={"queue_id": queue}).status_code == 403
    twice = {"queue_id": queue, "contact_id": "c-1"}
    assert admin.post("/api/v1/acd/contacts", json=twice).status_code == 201
    assert admin.post("/api/v1/acd/contacts", json=twice).status_code == 409
    assert admin.post("/api/v1/acd/contacts/c-1/abandon").status_code == 200
    assert admin.get(f"/api/v1/acd/queues/{queue}").json()["card"]["abandoned"] == 1


def test_state_survives_a_restart(helpline: Helpline, admin: Any, settings: Any) -> None:
    """No contact lost, none offered twice: the router is rebuilt from storage."""
    from fastapi.testclient import TestClient

    from helpline.web.app import create_app

    ann = helpline.create_user("ann", "agent")
    bob = helpline.create_user("bob", "agent")
    queue = queue_with_agents(helpline, admin, ann, bob)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    for number in range(3):
        admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "contact_id": f"c{number}"})
    before = admin.get(f"/api/v1/acd/queues/{queue}").json()
    assert [w["contact_id"] for w in before["waiting"]] == ["c0", "c1", "c2"]
    assert before["waiting"][0]["state"] == "offered"
    helpline.client.__exit__(None, None, None)

    with TestClient(create_app(settings)) as client:
        again = Helpline(client)
        boss = again.login("boss")
        after = boss.get(f"/api/v1/acd/queues/{queue}").json()
        assert [w["contact_id"] for w in after["waiting"]] == ["c0", "c1", "c2"]
        assert [w["queued_at"] for w in after["waiting"]] == [
            w["queued_at"] for w in before["waiting"]
        ]
        offers = [w for w in after["waiting"] if w["state"] == "offered"]
        assert [w["contact_id"] for w in offers] == ["c0"]
        assert after["card"]["total_today"] == 3
        ann_client = again.login("ann")
        assert len(ann_client.get("/api/v1/acd/me").json()["open_offers"]) == 1


def test_skills_based_queues_offer_to_skilled_agents(helpline: Helpline, admin: Any) -> None:
    novice = helpline.create_user("novice", "agent")
    expert = helpline.create_user("expert", "agent")
    queue = queue_with_agents(helpline, admin, novice, expert, strategy="skills")
    skill = admin.post("/api/v1/skills", json={"name": "Spanish"}).json()
    for user, level in ((novice, 1), (expert, 5)):
        response = admin.put(
            f"/api/v1/skills/agents/{user.id}",
            json=[{"skill_id": skill["id"], "proficiency": level}],
        )
        assert response.status_code == 200, response.text
    requirement = admin.put(
        f"/api/v1/skills/requirements/call/{queue.split(':')[1]}",
        json=[{"skill_id": skill["id"], "min_proficiency": 4}],
    )
    assert requirement.status_code == 200, requirement.text
    acd = helpline.app.state.acd
    wait_until(
        lambda: acd.router.queue_config(queue).required_skills == (str(skill["id"]),),
        what="the router to see the skill requirement",
    )
    helpline.login("novice").post("/api/v1/acd/me/login", json={})
    expert_client = helpline.login("expert")
    admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "contact_id": "es-1"})
    # Only the expert reaches the required level; the novice stays idle.
    assert helpline.login("novice").get("/api/v1/acd/me").json()["open_offers"] == []
    expert_client.post("/api/v1/acd/me/login", json={})
    offers = expert_client.get("/api/v1/acd/me").json()["open_offers"]
    assert [o["contact_id"] for o in offers] == ["es-1"]


def test_leaving_the_last_queue_logs_the_agent_out(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    queue = queue_with_agents(helpline, admin, ann)
    agent = helpline.login("ann")
    agent.post("/api/v1/acd/me/login", json={})
    agent.post("/api/v1/acd/me/pause", json={})
    admin.post(f"/api/v1/acd/queues/{queue}/agents/{ann.id}/logout")
    me = agent.get("/api/v1/acd/me").json()
    assert me["status"] == "logged_out"
    assert me["queues"] == []
    again = agent.post("/api/v1/acd/me/login", json={}).json()
    assert again["status"] == "ready"


def test_the_router_follows_configuration_after_falling_behind_the_bus(
    helpline: Helpline, admin: Any
) -> None:
    from datetime import UTC, datetime

    from helpline.realtime.bus import DEFAULT_SUBSCRIBER_BACKLOG
    from helpline.storage.eventlog import StoredEvent

    flood = [
        StoredEvent(seq, "test.flood", {}, datetime.now(UTC), None)
        for seq in range(DEFAULT_SUBSCRIBER_BACKLOG + 1)
    ]

    async def publish() -> None:
        await helpline.app.state.bus.publish(flood)  # more than the router's backlog at once

    helpline.client.portal.call(publish)  # type: ignore[union-attr]
    ann = helpline.create_user("ann", "agent", lines=("201",))
    queue_with_agents(helpline, admin, ann)  # waits until the router sees the new queue


def test_stopping_as_the_timers_wake_up_does_not_hang(helpline: Helpline) -> None:
    import asyncio

    acd = helpline.app.state.acd

    async def stop_as_it_wakes() -> None:
        acd._wake.set()  # the timer loop is woken in the same loop iteration as it is cancelled
        await asyncio.wait_for(acd.stop(), 10)  # a bound on a hang, not a timing check

    helpline.client.portal.call(stop_as_it_wakes)  # type: ignore[union-attr]
    assert acd._tasks == []


def test_commands_whose_write_fails_leave_no_trace_in_memory(
    helpline: Helpline, admin: Any
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    ann = helpline.create_user("ann", "agent", lines=("201",))
    queue = queue_with_agents(helpline, admin, ann)
    agent = helpline.login("ann")
    assert agent.post("/api/v1/acd/me/login", json={}).status_code == 200

    async def rename(old: str, new: str) -> None:
        async with helpline.app.state.engine.begin() as connection:
            await connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))

    helpline.client.portal.call(rename, "acd_state", "acd_state_away")  # type: ignore[union-attr]
    try:
        with pytest.raises(DBAPIError):  # the test client re-raises the server's error
            admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "caller_id": "+1"})
        acd = helpline.app.state.acd
        assert acd.router.open_offers() == []  # the offer made in memory was taken back
        assert agent.get("/api/v1/acd/me").json()["status"] == "ready"
    finally:
        helpline.client.portal.call(rename, "acd_state_away", "acd_state")  # type: ignore[union-attr]
    created = admin.post("/api/v1/acd/contacts", json={"queue_id": queue, "caller_id": "+2"})
    assert created.status_code == 201, created.text
    offers = agent.get("/api/v1/acd/me").json()["open_offers"]
    assert [offer["caller_id"] for offer in offers] == ["+2"]
    view = admin.get(f"/api/v1/acd/queues/{queue}").json()
    assert view["card"]["total_today"] == 1  # the failed contact never counted


def test_a_busy_queue_view_goes_out_once_an_interval_with_the_latest_state(
    helpline: Helpline, admin: Any
) -> None:
    import asyncio

    from helpline.acd.service import VIEW_INTERVAL
    from helpline.core.acd import NewContact

    ann = helpline.create_user("ann", "agent", lines=("201",))
    queue = queue_with_agents(helpline, admin, ann)
    acd = helpline.app.state.acd

    async def burst() -> list[dict[str, Any]]:
        await asyncio.sleep(VIEW_INTERVAL)  # the setup's own views are out of the way
        with helpline.app.state.bus.subscribe() as subscription:
            first = acd._queue_views_due({queue}, force=False)  # as a batch touching it
            second = acd._queue_views_due({queue}, force=False)  # within the interval
            assert (first, second) == ([queue], [])
            for n in range(3):  # the contacts arrive while the view waits
                contact = NewContact(f"c{n}", queue)
                await acd.run(lambda r, now, c=contact: r.enqueue(c, now), actor_id=None)
            await asyncio.sleep(VIEW_INTERVAL * 3)
            return [
                e.payload
                for e in subscription.drain()
                if e.type == "acd.queue_view" and e.payload["queue_id"] == queue
            ]

    views = helpline.client.portal.call(burst)  # type: ignore[union-attr]
    assert 1 <= len(views) <= 3  # not one per command
    assert [w["contact_id"] for w in views[-1]["waiting"]] == ["c0", "c1", "c2"]

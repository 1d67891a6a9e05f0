from __future__ import annotations

from typing import Any

import pytest

from tests.support import Helpline


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    client = helpline.login("boss")
    client.follow_redirects = False
    client.get("/login")
    client.headers["x-csrf-token"] = client.cookies.get("helpline_csrf")
    return client


def test_admin_adds_a_call_queue_with_the_suggested_extension(admin: Any) -> None:
    page = admin.get("/admin/call-queues")
    assert 'value="500"' in page.text
    created = admin.post("/admin/call-queues", data={"name": "Support", "extension": "500"})
    assert created.status_code == 303
    detail = admin.get(created.headers["location"])
    assert detail.status_code == 200
    assert "Support" in detail.text
    assert 'value="501"' in admin.get("/admin/call-queues").text
    duplicate = admin.post("/admin/call-queues", data={"name": "support", "extension": "502"})
    assert duplicate.status_code == 422
    assert "already exists" in duplicate.text


def test_settings_form_saves_and_explains_errors(admin: Any) -> None:
    queue = admin.post("/api/v1/call-queues", json={"name": "Support"}).json()
    form = {
        "name": "Support",
        "extension": queue["extension"],
        "queue_type": "standard",
        "strategy": "round_robin",
        "max_wait_seconds": "120",
        "service_level_seconds": "15",
        "wrap_up_seconds": "0",
        "offer_timeout_seconds": "10",
        "auto_pause_after_missed": "",
        "callback_threshold_seconds": "60",
        "callback_enabled": "on",
    }
    saved = admin.post(f"/admin/call-queues/{queue['id']}", data=form)
    assert saved.status_code == 303
    stored = admin.get(f"/api/v1/call-queues/{queue['id']}").json()
    assert stored["strategy"] == "round_robin"
    assert stored["callback_enabled"] is True
    assert stored["agents_can_end_wrap_up"] is False  # the box was not sent
    bad = admin.post(
        f"/admin/call-queues/{queue['id']}", data=form | {"offer_timeout_seconds": "1"}
    )
    assert bad.status_code == 422
    assert "offer_timeout_seconds" in bad.text
    assert admin.get(f"/api/v1/call-queues/{queue['id']}").json()["offer_timeout_seconds"] == 10


def test_team_form_assigns_agents_and_supervisors(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    sue = helpline.create_user("sue", "supervisor")
    queue = admin.post("/api/v1/chat-queues", json={"name": "Web"}).json()
    page = admin.get(f"/admin/chat-queues/{queue['id']}")
    assert "Ann" in page.text
    assert "Sue" in page.text
    saved = admin.post(
        f"/admin/chat-queues/{queue['id']}/team",
        data={"agents": [str(ann.id)], "supervisors": [str(sue.id)]},
    )
    assert saved.status_code == 303
    team = admin.get(f"/api/v1/chat-queues/{queue['id']}/assignments").json()
    assert [u["id"] for u in team["agents"]] == [ann.id]
    assert [u["id"] for u in team["supervisors"]] == [sue.id]
    assert (
        admin.post(f"/admin/chat-queues/{queue['id']}/team", data={"agents": ["abc"]}).status_code
        == 422
    )
    assert "Web" in admin.get("/admin/chat-queues").text


def test_campaign_schedule_form(admin: Any) -> None:
    campaign = admin.post("/api/v1/campaigns", json={"name": "Follow-up"}).json()
    form = {
        "name": "Follow-up",
        "answer_timeout_seconds": "30",
        "mon_start": "09:00",
        "mon_end": "17:00",
    }
    assert admin.post(f"/admin/campaigns/{campaign['id']}", data=form).status_code == 303
    assert admin.get(f"/api/v1/campaigns/{campaign['id']}").json()["schedule"] == {
        "mon": [["09:00", "17:00"]]
    }
    bad = admin.post(
        f"/admin/campaigns/{campaign['id']}", data=form | {"tue_start": "18:00", "tue_end": "08:00"}
    )
    assert bad.status_code == 422


def test_priorities_page_arrows_and_typed_scores(admin: Any) -> None:
    queue = admin.post("/api/v1/call-queues", json={"name": "Support"}).json()
    row = {"kind": "call", "id": str(queue["id"])}
    admin.post("/admin/priorities", data=row | {"step": "up"})
    admin.post("/admin/priorities", data=row | {"step": "up"})
    admin.post("/admin/priorities", data=row | {"step": "down"})
    assert admin.get(f"/api/v1/call-queues/{queue['id']}").json()["priority_score"] == 1
    admin.post("/admin/priorities", data=row | {"step": "set", "priority_score": "42"})
    assert admin.get(f"/api/v1/call-queues/{queue['id']}").json()["priority_score"] == 42
    assert (
        admin.post(
            "/admin/priorities", data=row | {"step": "set", "priority_score": "x"}
        ).status_code
        == 303
    )
    assert admin.get(f"/api/v1/call-queues/{queue['id']}").json()["priority_score"] == 42
    assert "Support" in admin.get("/admin/priorities?search=sup&kind=call").text


def test_deleting_from_the_page(admin: Any) -> None:
    queue = admin.post("/api/v1/campaigns", json={"name": "Old"}).json()
    assert admin.post(f"/admin/campaigns/{queue['id']}/delete").status_code == 303
    assert admin.get("/api/v1/campaigns").json() == []
    assert admin.get(f"/admin/campaigns/{queue['id']}").status_code == 404

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Helpline


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def test_a_call_queue_gets_the_next_free_extension(helpline: Helpline, admin: Any) -> None:
    helpline.create_user("ann", "agent", lines=("500",))
    assert admin.get("/api/v1/call-queues/next-extension").json() == {"extension": "501"}
    first = admin.post("/api/v1/call-queues", json={"name": "Support"}).json()
    assert first["extension"] == "501"
    assert first["strategy"] == "longest_idle"
    second = admin.post("/api/v1/call-queues", json={"name": "Sales", "extension": "777"}).json()
    assert second["extension"] == "777"
    taken = admin.post("/api/v1/call-queues", json={"name": "Billing", "extension": "777"})
    assert taken.status_code == 409
    line = admin.post("/api/v1/call-queues", json={"name": "Billing", "extension": "500"})
    assert line.status_code == 409
    assert "line" in line.json()["detail"]["message"]


def test_call_queue_settings_round_trip(admin: Any) -> None:
    queue = admin.post("/api/v1/call-queues", json={"name": "Support"}).json()
    changes = {
        "strategy": "skills",
        "queue_type": "intelligent",
        "max_wait_seconds": 300,
        "timeout_target": "voicemail",
        "service_level_seconds": 30,
        "wrap_up_seconds": 45,
        "agents_can_end_wrap_up": False,
        "offer_timeout_seconds": 15,
        "auto_pause_after_missed": 2,
        "callback_enabled": True,
        "callback_threshold_seconds": 90,
        "callback_caller_id": "+390612345678",
    }
    updated = admin.patch(f"/api/v1/call-queues/{queue['id']}", json=changes)
    assert updated.status_code == 200, updated.text
    assert {k: updated.json()[k] for k in changes} == changes
    cleared = admin.patch(
        f"/api/v1/call-queues/{queue['id']}", json={"auto_pause_after_missed": None}
    )
    assert cleared.json()["auto_pause_after_missed"] is None
    assert cleared.json()["wrap_up_seconds"] == 45
    events = admin.get("/api/v1/events", params={"type": "queue.updated"}).json()
    assert events[0]["payload"]["changed"] == sorted(changes)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": ""}, "name"),
        ({"name": "Q", "extension": "12ab"}, "extension"),
        ({"name": "Q", "strategy": "random"}, "strategy"),
        ({"name": "Q", "wrap_up_seconds": -1}, "wrap_up_seconds"),
        ({"name": "Q", "offer_timeout_seconds": "soon"}, "offer_timeout_seconds"),
        ({"name": "Q", "callback_caller_id": "0612345678"}, "callback_caller_id"),
        ({"name": "Q", "color": "red"}, "color"),
    ],
)
def test_bad_call_queue_input_is_refused(admin: Any, body: dict[str, Any], where: str) -> None:
    response = admin.post("/api/v1/call-queues", json=body)
    assert response.status_code == 422
    assert where in response.json()["detail"]
    assert admin.get("/api/v1/call-queues").json() == []


def test_names_are_unique_per_kind_regardless_of_case(admin: Any) -> None:
    assert admin.post("/api/v1/chat-queues", json={"name": "Web"}).status_code == 201
    assert admin.post("/api/v1/chat-queues", json={"name": "WEB"}).status_code == 409
    assert admin.post("/api/v1/campaigns", json={"name": "Web"}).status_code == 201


def test_chat_queue_settings(admin: Any) -> None:
    chat = admin.post(
        "/api/v1/chat-queues",
        json={"name": "Social", "channels": ["sms", "facebook", "sms"], "max_concurrent_chats": 4},
    ).json()
    assert chat["channels"] == ["facebook", "sms"]
    assert chat["max_concurrent_chats"] == 4
    ring_all = admin.patch(f"/api/v1/chat-queues/{chat['id']}", json={"strategy": "ring_all"})
    assert ring_all.status_code == 422
    assert "calls only" in ring_all.json()["detail"]
    bad_channel = admin.patch(f"/api/v1/chat-queues/{chat['id']}", json={"channels": ["fax"]})
    assert bad_channel.status_code == 422


def test_campaign_settings_and_schedule(admin: Any) -> None:
    campaign = admin.post(
        "/api/v1/campaigns",
        json={
            "name": "Follow-up",
            "outbound_caller_id": "+15550100",
            "schedule": {"mon": [["09:00", "12:00"], ["14:00", "18:00"]], "sat": []},
            "answer_timeout_seconds": 25,
            "allowed_number_types": ["mobile", "national"],
            "record_calls": True,
        },
    )
    assert campaign.status_code == 201, campaign.text
    assert campaign.json()["schedule"]["mon"][1] == ["14:00", "18:00"]
    for schedule in (
        {"funday": []},
        {"mon": [["18:00", "09:00"]]},
        {"mon": [["9", "17"]]},
        {"mon": "all day"},
    ):
        response = admin.patch(
            f"/api/v1/campaigns/{campaign.json()['id']}", json={"schedule": schedule}
        )
        assert response.status_code == 422, schedule
    assert admin.get(f"/api/v1/campaigns/{campaign.json()['id']}").json()["record_calls"] is True


def test_assignments_need_the_right_roles(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    sue = helpline.create_user("sue", "supervisor")
    plain = helpline.create_user("plain")
    queue = admin.post("/api/v1/call-queues", json={"name": "Support"}).json()
    url = f"/api/v1/call-queues/{queue['id']}/assignments"
    ok = admin.put(url, json={"agents": [ann.id, ann.id], "supervisors": [sue.id]})
    assert ok.status_code == 200
    assert [u["username"] for u in ok.json()["agents"]] == ["ann"]
    assert [u["username"] for u in ok.json()["supervisors"]] == ["sue"]
    assert admin.put(url, json={"agents": [plain.id]}).status_code == 422
    assert admin.put(url, json={"agents": [9999]}).status_code == 422
    assert admin.put(url, json={"agents": ["x"]}).status_code == 422
    assert [u["username"] for u in admin.get(url).json()["agents"]] == ["ann"]
    event = admin.get("/api/v1/events", params={"type": "queue.assignments_changed"}).json()[-1]
    assert event["payload"] == {
        "kind": "call",
        "queue_id": queue["id"],
        "agents": [ann.id],
        "supervisors": [sue.id],
    }


def test_deleting_a_queue_removes_its_assignments(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    queue = admin.post("/api/v1/chat-queues", json={"name": "Web"}).json()
    admin.put(f"/api/v1/chat-queues/{queue['id']}/assignments", json={"agents": [ann.id]})
    assert admin.delete(f"/api/v1/chat-queues/{queue['id']}").status_code == 204
    assert admin.get(f"/api/v1/chat-queues/{queue['id']}").status_code == 404
    assert admin.delete(f"/api/v1/chat-queues/{queue['id']}").status_code == 404
    again = admin.post("/api/v1/chat-queues", json={"name": "Web"}).json()
    assert admin.get(f"/api/v1/chat-queues/{again['id']}/assignments").json()["agents"] == []


def test_priority_management_lists_every_kind_by_score(admin: Any) -> None:
    call = admin.post("/api/v1/call-queues", json={"name": "Support", "priority_score": 5}).json()
    admin.post("/api/v1/chat-queues", json={"name": "Web chat", "priority_score": 9})
    admin.post("/api/v1/campaigns", json={"name": "Follow-up"})
    rows = admin.get("/api/v1/queue-priorities").json()
    assert [(r["kind"], r["name"], r["priority_score"]) for r in rows] == [
        ("chat", "Web chat", 9),
        ("call", "Support", 5),
        ("campaign", "Follow-up", 0),
    ]
    assert [
        r["name"] for r in admin.get("/api/v1/queue-priorities", params={"search": "SUP"}).json()
    ] == ["Support"]
    assert [
        r["kind"] for r in admin.get("/api/v1/queue-priorities", params={"kind": "campaign"}).json()
    ] == ["campaign"]
    raised = admin.patch(
        "/api/v1/queue-priorities", json={"kind": "call", "id": call["id"], "priority_score": 10}
    )
    assert raised.json()["priority_score"] == 10
    assert admin.get("/api/v1/queue-priorities").json()[0]["name"] == "Support"
    assert (
        admin.patch(
            "/api/v1/queue-priorities",
            json={"kind": "call", "id": call["id"], "priority_score": 101},
        ).status_code
        == 422
    )
    assert (
        admin.patch(
            "/api/v1/queue-priorities", json={"kind": "call", "id": 999, "priority_score": 1}
        ).status_code
        == 404
    )


def test_restricted_supervisors_see_only_their_call_queues(helpline: Helpline, admin: Any) -> None:
    sue = helpline.create_user("sue", "supervisor")
    admin.patch(
        "/api/v1/permissions",
        json={
            "supervisor.access_config_portal": True,
            "supervisor.restrict_to_assigned_call_queues": True,
        },
    )
    mine = admin.post("/api/v1/call-queues", json={"name": "Mine"}).json()
    other = admin.post("/api/v1/call-queues", json={"name": "Other"}).json()
    admin.put(f"/api/v1/call-queues/{mine['id']}/assignments", json={"supervisors": [sue.id]})
    supervisor = helpline.login("sue")
    assert [q["name"] for q in supervisor.get("/api/v1/call-queues").json()] == ["Mine"]
    assert supervisor.get(f"/api/v1/call-queues/{other['id']}").status_code == 403
    assert (
        supervisor.patch(f"/api/v1/call-queues/{mine['id']}", json={"name": "x"}).status_code == 403
    )
    admin.patch("/api/v1/permissions", json={"supervisor.restrict_to_assigned_call_queues": False})
    assert len(supervisor.get("/api/v1/call-queues").json()) == 2

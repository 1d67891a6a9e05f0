from __future__ import annotations

from typing import Any

import pytest

from helpline.call_plans import service
from helpline.timeutil import utcnow
from tests.support import Helpline

URL = "/api/v1/call-plans"
EVENT_TYPES = ("created", "updated", "deleted", "numbers_changed")


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


@pytest.fixture
def support(admin: Any) -> int:
    response = admin.post("/api/v1/call-queues", json={"name": "Support", "extension": "500"})
    assert response.status_code == 201, response.text
    queue_id: int = response.json()["id"]
    return queue_id


def _events(admin: Any) -> list[dict[str, Any]]:
    types = [f"call_plan.{kind}" for kind in EVENT_TYPES]
    return admin.get("/api/v1/events", params={"type": types}).json()


def body(queue_id: int, name: str = "Main", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Daytime routing",
        "entry": "welcome",
        "nodes": [
            {
                "id": "welcome",
                "type": "prompt",
                "label": "Welcome",
                "prompt": "welcome",
                "next": "menu",
            },
            {
                "id": "menu",
                "type": "menu",
                "label": "Main menu",
                "prompt": "main_menu",
                "choices": {"1": "support", "0": "desk", "9": "menu"},
                "on_timeout": "support",
            },
            {
                "id": "support",
                "type": "queue",
                "label": "Support",
                "queue_id": queue_id,
                "on_exit_star": "vm",
            },
            {"id": "desk", "type": "transfer", "label": "Front desk", "target": "201"},
            {"id": "vm", "type": "voicemail", "label": "Voicemail", "queue_id": queue_id},
        ],
        **extra,
    }


def test_create_read_list_update_delete(admin: Any, support: int) -> None:
    created = admin.post(URL, json=body(support))
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["version"] == 1
    assert plan["errors"] == []
    assert plan["numbers"] == []
    assert plan["created_at"].endswith(("+00:00", "Z"))
    # Defaults are filled in, choices come in keypad order.
    menu = plan["nodes"][1]
    assert list(menu["choices"]) == ["1", "9", "0"]
    assert (menu["timeout_seconds"], menu["max_retries"], menu["on_invalid"]) == (5, 2, None)
    assert plan["nodes"][2]["timeout_seconds"] is None

    assert admin.get(f"{URL}/{plan['id']}").json() == plan
    assert [p["name"] for p in admin.get(URL).json()] == ["Main"]

    changed = body(support, name="Main line", description="Daytime routing")
    changed["nodes"][2]["timeout_seconds"] = 300
    updated = admin.put(f"{URL}/{plan['id']}", json={**changed, "version": 1})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.json()["nodes"][2]["timeout_seconds"] == 300
    # Saving the same plan again changes nothing: no new version, no event.
    again = admin.put(f"{URL}/{plan['id']}", json={**changed, "version": 2})
    assert again.json()["version"] == 2

    assert admin.delete(f"{URL}/{plan['id']}").status_code == 204
    assert admin.get(f"{URL}/{plan['id']}").status_code == 404
    events = _events(admin)
    assert [e["type"] for e in events] == [
        "call_plan.created",
        "call_plan.updated",
        "call_plan.deleted",
    ]
    assert events[0]["payload"]["call_plan"]["nodes"][0]["id"] == "welcome"
    assert events[1]["payload"]["changed"] == ["name", "nodes"]
    assert events[1]["payload"]["call_plan"]["version"] == 2
    assert events[2]["payload"] == {"call_plan_id": plan["id"], "name": "Main line"}


def test_an_invalid_plan_is_refused_with_every_problem_by_node(admin: Any, support: int) -> None:
    broken = body(support)
    broken["nodes"][1]["choices"]["3"] = "q9"
    broken["nodes"][2]["queue_id"] = support + 100
    broken["nodes"].append(
        {"id": "loop", "type": "prompt", "label": "Loop", "prompt": "x", "next": "loop"}
    )
    for response in (admin.post(URL, json=broken), admin.post(f"{URL}/validate", json=broken)):
        assert response.status_code == 422, response.text
        answer = response.json()
        assert answer["detail"].startswith("the call plan is not valid: ")
        assert answer["errors"] == [
            {
                "node": "menu",
                "message": "node 'menu' (Main menu): choice 3 goes to 'q9', which does not exist",
            },
            {"node": "loop", "message": "node 'loop' (Loop) cannot be reached from the entry"},
            {
                "node": "loop",
                "message": "node 'loop' (Loop): the loop loop → loop never waits for the "
                "caller: put a menu, a queue or a voicemail in it",
            },
            {
                "node": "support",
                "message": f"node 'support' (Support): there is no call queue with id "
                f"{support + 100} (was it deleted?): choose another queue",
            },
        ]
    assert admin.get(URL).json() == []
    assert _events(admin) == []


def test_field_errors_have_the_same_shape(admin: Any, support: int) -> None:
    broken = body(support)
    broken["nodes"][2]["timeout_seconds"] = 1
    broken["nodes"][3]["target"] = "call me"
    response = admin.post(URL, json=broken)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["node"] for e in errors] == ["support", "desk"]
    assert errors[0]["message"] == (
        "node 'support' (Support): timeout_seconds: Input should be greater than or equal to 5"
    )
    assert "neither an extension" in errors[1]["message"]
    missing = admin.post(URL, json={"entry": "a", "nodes": []})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"node": None, "message": "name: Field required"}]
    garbage = admin.post(URL, content=b"{nope", headers={"content-type": "application/json"})
    assert garbage.status_code == 422
    assert garbage.json()["errors"][0]["node"] is None


def test_validate_saves_nothing(admin: Any, support: int) -> None:
    response = admin.post(f"{URL}/validate", json=body(support))
    assert response.status_code == 200
    assert response.json() == {"valid": True, "errors": []}
    assert admin.get(URL).json() == []


def test_names_are_unique_regardless_of_case(admin: Any, support: int) -> None:
    assert admin.post(URL, json=body(support, name="Main")).status_code == 201
    clash = admin.post(URL, json=body(support, name=" MAIN "))
    assert clash.status_code == 409
    assert clash.json()["detail"]["field"] == "name"
    other = admin.post(URL, json=body(support, name="Night")).json()
    renamed = admin.put(f"{URL}/{other['id']}", json=body(support, name="main", version=1))
    assert renamed.status_code == 409
    too_long = admin.post(URL, json=body(support, name="x" * 101))
    assert too_long.status_code == 422
    assert "at most 100" in too_long.text


def test_a_stale_version_is_refused(admin: Any, support: int) -> None:
    plan = admin.post(URL, json=body(support)).json()
    first = admin.put(f"{URL}/{plan['id']}", json=body(support, name="Mine", version=1))
    assert first.status_code == 200
    stale = admin.put(f"{URL}/{plan['id']}", json=body(support, name="Theirs", version=1))
    assert stale.status_code == 409
    detail = stale.json()["detail"]
    assert detail["field"] == "version"
    assert "changed by someone else" in detail["message"]
    assert "it is now at version 2" in detail["message"]
    assert admin.get(f"{URL}/{plan['id']}").json()["name"] == "Mine"
    assert admin.put(f"{URL}/{plan['id']}", json=body(support)).status_code == 422
    assert admin.put(f"{URL}/9999", json=body(support, version=1)).status_code == 404


def test_a_plan_whose_queue_is_deleted_still_loads(admin: Any, support: int) -> None:
    plan = admin.post(URL, json=body(support)).json()
    assert admin.delete(f"/api/v1/call-queues/{support}").status_code == 204
    loaded = admin.get(f"{URL}/{plan['id']}")
    assert loaded.status_code == 200
    assert {e["node"] for e in loaded.json()["errors"]} == {"support", "vm"}
    assert admin.get(URL).json()[0]["errors"] == loaded.json()["errors"]


def test_numbers_route_to_one_plan_each(helpline: Helpline, admin: Any, support: int) -> None:
    main = admin.post(URL, json=body(support)).json()
    night = admin.post(URL, json=body(support, name="Night")).json()
    numbers = f"{URL}/{main['id']}/numbers"
    response = admin.put(
        numbers,
        json={
            "numbers": [
                {"number": "+39 02 1234-5678", "label": "Milan"},
                {"number": "100", "label": "Internal"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"number": "+390212345678", "label": "Milan"},
        {"number": "100", "label": "Internal"},
    ]
    assert admin.get(numbers).json() == response.json()
    assert [n["number"] for n in admin.get(f"{URL}/{main['id']}").json()["numbers"]] == [
        "+390212345678",
        "100",
    ]

    taken = admin.put(f"{URL}/{night['id']}/numbers", json={"numbers": [{"number": "100"}]})
    assert taken.status_code == 409
    assert taken.json()["detail"]["message"] == (
        "the number 100 already routes to the call plan 'Main': remove it there first"
    )
    helpline.create_user("ann", "agent", lines=("201",))
    line = admin.put(f"{URL}/{night['id']}/numbers", json={"numbers": [{"number": "201"}]})
    assert line.status_code == 409
    assert "is a line of the user 'ann'" in line.json()["detail"]["message"]
    queue = admin.put(f"{URL}/{night['id']}/numbers", json={"numbers": [{"number": "500"}]})
    assert queue.status_code == 409
    assert "extension of the call queue 'Support'" in queue.json()["detail"]["message"]
    twice = admin.put(
        f"{URL}/{night['id']}/numbers", json={"numbers": [{"number": "300"}, {"number": "300"}]}
    )
    assert twice.status_code == 422
    bad = admin.put(f"{URL}/{night['id']}/numbers", json={"numbers": [{"number": "1"}]})
    assert bad.status_code == 422
    assert "neither an internal number" in bad.text
    assert admin.get(f"{URL}/{night['id']}/numbers").json() == []

    # Moving a number: off one plan, onto the other.
    assert admin.put(numbers, json={"numbers": [{"number": "+390212345678"}]}).status_code == 200
    moved = admin.put(f"{URL}/{night['id']}/numbers", json={"numbers": [{"number": "100"}]})
    assert moved.status_code == 200
    changes = [e["payload"] for e in _events(admin) if e["type"] == "call_plan.numbers_changed"]
    assert [(c["call_plan_id"], c["added"], c["removed"]) for c in changes] == [
        (main["id"], ["+390212345678", "100"], []),
        (main["id"], [], ["100"]),
        (night["id"], ["100"], []),
    ]
    assert changes[1]["numbers"] == [{"number": "+390212345678", "label": ""}]

    assert helpline.run(lambda s: service.plan_for_number(session=s, number="+39 02 12345678"))
    routed = helpline.run(lambda s: service.plan_for_number(session=s, number="100"))
    assert routed is not None
    plan, graph = routed
    assert plan.name == "Night"
    assert graph.entry == "welcome"
    assert graph.node("support") is not None
    assert helpline.run(lambda s: service.plan_for_number(session=s, number="999")) is None


def test_delete_is_refused_while_a_number_routes_to_the_plan(admin: Any, support: int) -> None:
    plan = admin.post(URL, json=body(support)).json()
    admin.put(
        f"{URL}/{plan['id']}/numbers", json={"numbers": [{"number": "100"}, {"number": "101"}]}
    )
    refused = admin.delete(f"{URL}/{plan['id']}")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "the call plan 'Main' still answers 100, 101: route them to another plan or remove "
        "them first"
    )
    assert admin.put(f"{URL}/{plan['id']}/numbers", json={"numbers": []}).status_code == 200
    assert admin.delete(f"{URL}/{plan['id']}").status_code == 204
    assert admin.delete(f"{URL}/{plan['id']}").status_code == 404


def test_the_demo_plan(helpline: Helpline, admin: Any, support: int) -> None:
    plan = helpline.run(
        lambda s: service.create_demo_plan(session=s, support_queue_id=support, now=utcnow())
    )
    loaded = admin.get(f"{URL}/{plan.id}").json()
    assert loaded["errors"] == []
    assert loaded["numbers"] == [{"number": "100", "label": "Demo"}]
    nodes = {node["id"]: node for node in loaded["nodes"]}
    assert loaded["entry"] == "welcome"
    assert nodes["welcome"]["next"] == "hours"
    assert [(h["weekday"], h["start"], h["end"]) for h in nodes["hours"]["open_hours"]] == [
        (day, "00:00", "23:59") for day in range(7)
    ]
    assert (nodes["hours"]["on_open"], nodes["hours"]["on_closed"]) == ("support", "closed")
    assert nodes["support"]["queue_id"] == support
    assert nodes["support"]["timeout_seconds"] == 600
    assert nodes["support"]["on_timeout"] == nodes["support"]["on_exit_star"] == "voicemail"
    assert nodes["closed"]["prompt"] == "closed"
    assert nodes["closed"]["next"] == "voicemail"
    assert nodes["voicemail"]["queue_id"] == support


def test_only_queue_managers_change_plans(helpline: Helpline, admin: Any, support: int) -> None:
    plan = admin.post(URL, json=body(support)).json()
    helpline.create_user("ann", "agent")
    helpline.create_user("sue", "supervisor")
    for client in (helpline.login("ann"), helpline.login("sue")):
        assert client.get(URL).status_code == 403
        assert client.post(URL, json=body(support, name="X")).status_code == 403
        assert client.put(f"{URL}/{plan['id']}", json=body(support, version=1)).status_code == 403
        assert client.delete(f"{URL}/{plan['id']}").status_code == 403
    assert helpline.client.get(URL).status_code == 401
    # A supervisor in the configuration portal may read queue settings, not change them.
    admin.patch("/api/v1/permissions", json={"supervisor.access_config_portal": True})
    sue = helpline.login("sue")
    assert sue.get(f"{URL}/{plan['id']}").status_code == 200
    assert sue.post(f"{URL}/validate", json=body(support)).status_code == 403
    assert sue.put(f"{URL}/{plan['id']}/numbers", json={"numbers": []}).status_code == 403


def test_the_api_documents_the_node_types(admin: Any) -> None:
    document = admin.get("/api/v1/openapi.json").json()
    assert {f"{URL}", f"{URL}/validate", f"{URL}/{{plan_id}}/numbers"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    for name in ("QueueNode", "MenuNode", "ScheduleNode", "CallerInfoNode", "CallPlanUpdate"):
        assert name in schemas
    assert "422" in document["paths"][URL]["post"]["responses"]

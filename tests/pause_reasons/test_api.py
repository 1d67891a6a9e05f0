from __future__ import annotations

from typing import Any

import pytest

from tests.support import Helpline

URL = "/api/v1/pause-reasons"


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def _names(client: Any, **params: Any) -> list[str]:
    return [r["name"] for r in client.get(URL, params=params).json()["reasons"]]


def _events(admin: Any, prefix: str = "pause_reason.") -> list[dict[str, Any]]:
    types = [f"{prefix}{kind}" for kind in ("created", "updated", "deleted")]
    return admin.get("/api/v1/events", params={"type": types}).json()


def test_reasons_are_created_enabled_in_order(admin: Any) -> None:
    for name in ("Break", "Lunch", "Meeting"):
        response = admin.post(URL, json={"name": name})
        assert response.status_code == 201, response.text
        assert response.json()["enabled"] is True
    body = admin.get(URL).json()
    assert body["status_menu"] is True
    assert [(r["name"], r["position"]) for r in body["reasons"]] == [
        ("Break", 0),
        ("Lunch", 1),
        ("Meeting", 2),
    ]
    assert body["reasons"][0]["created_at"].endswith(("+00:00", "Z"))


def test_every_signed_in_user_reads_the_list_and_agents_filter_the_enabled(
    helpline: Helpline, admin: Any
) -> None:
    admin.post(URL, json={"name": "Break"})
    admin.post(URL, json={"name": "Lunch", "enabled": False})
    helpline.create_user("ann", "agent")
    agent = helpline.login("ann")
    assert _names(agent) == ["Break", "Lunch"]
    assert _names(agent, enabled="true") == ["Break"]
    assert _names(agent, enabled="false") == ["Lunch"]
    assert agent.get(URL, params={"enabled": "maybe"}).status_code == 422
    assert agent.post(URL, json={"name": "Nap"}).status_code == 403
    assert helpline.client.get(URL).status_code == 401


def test_with_no_enabled_reason_agents_get_no_status_menu(admin: Any) -> None:
    assert admin.get(URL).json() == {"status_menu": False, "reasons": []}
    created = admin.post(URL, json={"name": "Break"}).json()
    assert admin.get(URL).json()["status_menu"] is True
    admin.patch(f"{URL}/{created['id']}", json={"enabled": False})
    body = admin.get(URL).json()
    assert body["status_menu"] is False
    assert [r["enabled"] for r in body["reasons"]] == [False]
    # The filter does not change the answer to "is there a status menu?".
    admin.post(URL, json={"name": "Lunch"})
    assert admin.get(URL, params={"enabled": "false"}).json()["status_menu"] is True


def test_names_are_unique_regardless_of_case(admin: Any) -> None:
    assert admin.post(URL, json={"name": "Lunch"}).status_code == 201
    for twin in ("lunch", "LUNCH", " Lunch "):
        response = admin.post(URL, json={"name": twin})
        assert response.status_code == 409, twin
        assert response.json()["detail"]["field"] == "name"
    # Case folding, not just lower-casing: "ß" and "SS" are the same.
    assert admin.post(URL, json={"name": "Straße"}).status_code == 201
    assert admin.post(URL, json={"name": "STRASSE"}).status_code == 409
    assert _names(admin) == ["Lunch", "Straße"]


def test_accented_latin_digits_periods_and_specials_are_allowed(admin: Any) -> None:
    names = [
        "Pausa caffè",
        "Réunion d'équipe",
        "Almoço 12.30",
        "Ærø & Ñandú (2nd) #1 - 50%",
        "x" * 255,
    ]
    for name in names:
        response = admin.post(URL, json={"name": name})
        assert response.status_code == 201, (name, response.text)
    assert _names(admin) == names


def test_names_are_stored_composed_and_trimmed(admin: Any) -> None:
    decomposed = "Cafe\u0301"  # e + combining acute accent
    response = admin.post(URL, json={"name": f"  {decomposed}  "})
    assert response.status_code == 201
    assert response.json()["name"] == "Café"
    assert admin.post(URL, json={"name": "CAFÉ"}).status_code == 409


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x" * 256}, "at most 255"),
        ({"name": "ß" * 200}, "at most 255"),  # 400 characters once case-folded
        ({"name": ""}, "needs a name"),
        ({"name": "   "}, "needs a name"),
        ({"name": "Break\n"}, "control"),
        ({"name": "Lun\tch"}, "control"),
        ({"name": "Lunch\x00"}, "control"),
        ({"name": "Zero\u200bwidth"}, "control"),
        ({"name": "Обед"}, "Latin"),
        ({"name": "午休"}, "Latin"),
        ({"name": "استراحة"}, "Latin"),
        ({"name": "Pause ١٢"}, "digits"),
        ({"name": "non\u00a0breaking"}, "plain spaces"),
        ({"name": 42}, "string"),
        ({"name": None}, "null"),
        ({"name": ["Break"]}, "string"),
        ({"name": "Break", "enabled": "yes"}, "boolean"),
        ({"name": "Break", "color": "red"}, "color"),
        ({}, "name"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    admin: Any, body: dict[str, Any], message: str
) -> None:
    admin.post(URL, json={"name": "Break"})
    before = admin.get(URL).json()
    events_before = _events(admin)
    response = admin.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert message in response.text
    assert admin.get(URL).json() == before
    assert _events(admin) == events_before


def test_a_body_that_is_not_an_object_is_refused(admin: Any) -> None:
    assert admin.post(URL, json=["Break"]).status_code == 422
    assert (
        admin.post(
            URL, content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert admin.get(URL).json()["reasons"] == []


def test_rename_enable_and_reorder(admin: Any) -> None:
    ids = [admin.post(URL, json={"name": n}).json()["id"] for n in ("A", "B", "C", "D")]
    renamed = admin.patch(f"{URL}/{ids[0]}", json={"name": "Alpha"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Alpha"
    # Changing only the case of one's own name is a rename, not a conflict.
    assert admin.patch(f"{URL}/{ids[0]}", json={"name": "ALPHA"}).json()["name"] == "ALPHA"
    assert admin.patch(f"{URL}/{ids[1]}", json={"name": "alpha"}).status_code == 409

    assert admin.patch(f"{URL}/{ids[3]}", json={"position": 0}).status_code == 200
    assert _names(admin) == ["D", "ALPHA", "B", "C"]
    assert admin.patch(f"{URL}/{ids[3]}", json={"position": 2}).json()["position"] == 2
    assert _names(admin) == ["ALPHA", "B", "D", "C"]
    # Past the end means last.
    assert admin.patch(f"{URL}/{ids[0]}", json={"position": 99}).json()["position"] == 3
    assert _names(admin) == ["B", "D", "C", "ALPHA"]
    reasons = admin.get(URL).json()["reasons"]
    assert [r["position"] for r in reasons] == [0, 1, 2, 3]

    disabled = admin.patch(f"{URL}/{ids[1]}", json={"enabled": False, "name": "Bravo"})
    assert disabled.json()["enabled"] is False
    assert disabled.json()["name"] == "Bravo"
    assert _names(admin, enabled="true") == ["D", "C", "ALPHA"]


@pytest.mark.parametrize(
    "body",
    [
        {"position": -1},
        {"position": "1"},
        {"position": 1.5},
        {"enabled": "false"},
        {"enabled": None},
        {"name": None},
        {"name": "B"},
        {"name": "Br\x07eak"},
        {"name": "y" * 256},
        {"id": 5},
    ],
)
def test_bad_updates_are_refused_and_nothing_changes(admin: Any, body: dict[str, Any]) -> None:
    first = admin.post(URL, json={"name": "A"}).json()
    admin.post(URL, json={"name": "B"})
    before = admin.get(URL).json()
    events_before = _events(admin)
    response = admin.patch(f"{URL}/{first['id']}", json=body)
    assert response.status_code in (409, 422), response.text
    assert admin.get(URL).json() == before
    assert _events(admin) == events_before


def test_delete_and_unknown_ids(admin: Any) -> None:
    ids = [admin.post(URL, json={"name": n}).json()["id"] for n in ("A", "B", "C")]
    assert admin.delete(f"{URL}/{ids[0]}").status_code == 204
    body = admin.get(URL).json()
    assert [(r["name"], r["position"]) for r in body["reasons"]] == [("B", 0), ("C", 1)]
    assert admin.delete(f"{URL}/{ids[0]}").status_code == 404
    assert admin.patch(f"{URL}/{ids[0]}", json={"name": "X"}).status_code == 404
    assert admin.patch(f"{URL}/abc", json={"name": "X"}).status_code == 422
    # The name is free again.
    assert admin.post(URL, json={"name": "a"}).status_code == 201


def test_changes_are_events(admin: Any) -> None:
    first = admin.post(URL, json={"name": "Break"}).json()
    second = admin.post(URL, json={"name": "Lunch"}).json()
    admin.patch(f"{URL}/{first['id']}", json={"name": "Coffee", "enabled": False})
    admin.patch(f"{URL}/{second['id']}", json={"position": 0})
    # Nothing changed: no event.
    admin.patch(f"{URL}/{second['id']}", json={"position": 0, "name": "Lunch"})
    admin.delete(f"{URL}/{first['id']}")
    events = _events(admin)
    assert [e["type"] for e in events] == [
        "pause_reason.created",
        "pause_reason.created",
        "pause_reason.updated",
        "pause_reason.updated",
        "pause_reason.deleted",
    ]
    assert events[0]["payload"]["reason"]["name"] == "Break"
    assert events[1]["payload"]["order"] == [first["id"], second["id"]]
    assert events[2]["payload"]["changed"] == ["name", "enabled"]
    assert events[2]["payload"]["reason"]["name"] == "Coffee"
    assert events[3]["payload"]["changed"] == ["position"]
    assert events[3]["payload"]["order"] == [second["id"], first["id"]]
    assert events[4]["payload"]["reason"] == {**events[2]["payload"]["reason"], "position": 1}
    assert events[4]["payload"]["order"] == [second["id"]]
    me = admin.get("/api/v1/auth/me").json()["user"]["id"]
    assert {e["actor_user_id"] for e in events} == {me}


def test_supervisors_follow_the_permission_matrix(helpline: Helpline, admin: Any) -> None:
    helpline.create_user("sue", "supervisor")
    sue = helpline.login("sue")
    # Reading is open to everyone signed in; changing needs the switches.
    assert sue.get(URL).status_code == 200
    assert sue.post(URL, json={"name": "Break"}).status_code == 403
    admin.patch(
        "/api/v1/permissions",
        json={"supervisor.access_config_portal": True, "supervisor.manage_pause_reasons": True},
    )
    created = sue.post(URL, json={"name": "Break"})
    assert created.status_code == 201
    assert sue.delete(f"{URL}/{created.json()['id']}").status_code == 204

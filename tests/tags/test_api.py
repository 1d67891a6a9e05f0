from __future__ import annotations

from typing import Any

import pytest

from helpline.core.permissions import Permission
from tests.support import Helpline

URL = "/api/v1/tags"
EVENT_TYPES = [f"tag.{kind}" for kind in ("created", "renamed", "enabled", "disabled", "deleted")]


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def _names(client: Any, **params: Any) -> list[str]:
    response = client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [tag["name"] for tag in response.json()]


def _events(admin: Any) -> list[dict[str, Any]]:
    return admin.get("/api/v1/events", params={"type": EVENT_TYPES}).json()


def _allow_custom_tags(admin: Any, allowed: bool = True) -> None:
    response = admin.patch(
        "/api/v1/permissions", json={Permission.AGENT_CREATE_CUSTOM_TAGS.value: allowed}
    )
    assert response.status_code == 200, response.text


def test_admin_adds_tags_listed_alphabetically(helpline: Helpline, admin: Any) -> None:
    for name in ("VIP", "complaint", "Billing question"):
        response = admin.post(URL, json={"name": name})
        assert response.status_code == 201, response.text
    created = admin.post(URL, json={"name": "Archived", "enabled": False}).json()
    assert created["enabled"] is False
    assert created["custom"] is False
    boss_id = admin.get("/api/v1/auth/me").json()["user"]["id"]
    assert created["created_by_user_id"] == boss_id
    assert created["created_at"].endswith(("+00:00", "Z"))
    assert _names(admin) == ["Archived", "Billing question", "complaint", "VIP"]
    assert _names(admin, enabled="true") == ["Billing question", "complaint", "VIP"]
    assert _names(admin, enabled="false") == ["Archived"]


def test_agents_are_offered_the_enabled_tags_only(helpline: Helpline, admin: Any) -> None:
    admin.post(URL, json={"name": "VIP"})
    old = admin.post(URL, json={"name": "Old promotion"}).json()
    admin.patch(f"{URL}/{old['id']}", json={"enabled": False})
    helpline.create_user("ann", "agent")
    helpline.create_user("sam", "supervisor")
    for username in ("ann", "sam"):
        client = helpline.login(username)
        assert _names(client, enabled="true") == ["VIP"]
        # Whatever they ask for, a disabled tag is never offered to them.
        assert _names(client) == ["VIP"]
        assert _names(client, enabled="false") == []
    assert helpline.login("ann").get(URL, params={"enabled": "maybe"}).status_code == 422
    assert helpline.client.get(URL).status_code == 401
    # Enabled again, it is offered again.
    admin.patch(f"{URL}/{old['id']}", json={"enabled": True})
    assert _names(helpline.login("ann"), enabled="true") == ["Old promotion", "VIP"]


def test_search_finds_a_piece_of_the_name_in_any_case(admin: Any) -> None:
    for name in ("Billing question", "Technical issue", "VIP", "100% off", "snake_case"):
        admin.post(URL, json={"name": name})
    assert _names(admin, search="ISSUE") == ["Technical issue"]
    assert _names(admin, search="  i ") == ["Billing question", "Technical issue", "VIP"]
    # LIKE's wildcards are plain characters here.
    assert _names(admin, search="%") == ["100% off"]
    assert _names(admin, search="_") == ["snake_case"]
    assert _names(admin, search="nothing like it") == []
    assert admin.get(URL, params={"search": "x" * 101}).status_code == 422


def test_names_are_unique_regardless_of_case(admin: Any) -> None:
    assert admin.post(URL, json={"name": "VIP"}).status_code == 201
    for twin in ("vip", "Vip", "  VIP  "):
        response = admin.post(URL, json={"name": twin})
        assert response.status_code == 409, twin
        detail = response.json()["detail"]
        assert detail["field"] == "name"
        assert detail["message"] == 'There is already a tag named "VIP".'
    # Case folding, not just lower-casing: "ß" and "SS" are the same.
    assert admin.post(URL, json={"name": "Straße"}).status_code == 201
    assert admin.post(URL, json={"name": "STRASSE"}).status_code == 409
    assert _names(admin) == ["Straße", "VIP"]


def test_names_are_trimmed_composed_and_single_spaced(admin: Any) -> None:
    response = admin.post(URL, json={"name": "  New \u00a0  Cafe\u0301   customer "})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "New Café customer"
    assert admin.post(URL, json={"name": "new café CUSTOMER"}).status_code == 409


@pytest.mark.parametrize(
    "name", ["x", "x" * 50, "Réclamation", "Проблема", "問題", "Ärger 😡", "A/B test #2"]
)
def test_any_script_digits_and_symbols_from_1_to_50_characters(admin: Any, name: str) -> None:
    response = admin.post(URL, json={"name": name})
    assert response.status_code == 201, response.text
    assert _names(admin) == [name]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x" * 51}, "A tag's name has at most 50 characters (this one has 51)."),
        ({"name": " " + "y" * 51 + " "}, "at most 50 characters"),
        ({"name": ""}, "A tag needs a name."),
        ({"name": "   "}, "A tag needs a name."),
        ({"name": "VIP\x00"}, "control or invisible characters (U+0000)"),
        ({"name": "V\tIP"}, "control or invisible characters (U+0009)"),
        ({"name": "Zero\u200bwidth"}, "control or invisible characters (U+200B)"),
        ({"name": "Two\nlines"}, "control or invisible characters"),
        ({"name": 42}, "string"),
        ({"name": None}, "null"),
        ({"name": ["VIP"]}, "string"),
        ({"name": "VIP", "enabled": "yes"}, "boolean"),
        ({"name": "VIP", "custom": True}, "custom"),
        ({"name": "VIP", "colour": "red"}, "colour"),
        ({}, "name"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    admin: Any, body: dict[str, Any], message: str
) -> None:
    admin.post(URL, json={"name": "Complaint"})
    before = admin.get(URL).json()
    events_before = _events(admin)
    response = admin.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert message in response.text
    assert admin.get(URL).json() == before
    assert _events(admin) == events_before


def test_a_body_that_is_not_an_object_is_refused(admin: Any) -> None:
    assert admin.post(URL, json=["VIP"]).status_code == 422
    bad_json = admin.post(URL, content=b"{nope", headers={"content-type": "application/json"})
    assert bad_json.status_code == 422
    assert admin.get(URL).json() == []


def test_rename_enable_disable_and_delete_write_their_events(admin: Any) -> None:
    tag = admin.post(URL, json={"name": "Complain"}).json()
    renamed = admin.patch(f"{URL}/{tag['id']}", json={"name": "Complaint"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Complaint"
    # Changing only the case of one's own name is a rename, not a conflict.
    assert admin.patch(f"{URL}/{tag['id']}", json={"name": "COMPLAINT"}).status_code == 200
    assert admin.patch(f"{URL}/{tag['id']}", json={"enabled": False}).json()["enabled"] is False
    both = admin.patch(f"{URL}/{tag['id']}", json={"enabled": True, "name": "Complaint"})
    assert both.json() == {**both.json(), "name": "Complaint", "enabled": True}
    # Nothing to change: no event.
    assert admin.patch(f"{URL}/{tag['id']}", json={"name": "Complaint"}).status_code == 200
    assert admin.patch(f"{URL}/{tag['id']}", json={}).status_code == 200
    assert admin.delete(f"{URL}/{tag['id']}").status_code == 204
    assert admin.get(URL).json() == []

    events = _events(admin)
    assert [(e["type"], e["payload"]["tag"]["name"]) for e in events] == [
        ("tag.created", "Complain"),
        ("tag.renamed", "Complaint"),
        ("tag.renamed", "COMPLAINT"),
        ("tag.disabled", "COMPLAINT"),
        ("tag.renamed", "Complaint"),
        ("tag.enabled", "Complaint"),
        ("tag.deleted", "Complaint"),
    ]
    assert [e["payload"].get("previous_name") for e in events if e["type"] == "tag.renamed"] == [
        "Complain",
        "Complaint",
        "COMPLAINT",
    ]
    boss_id = admin.get("/api/v1/auth/me").json()["user"]["id"]
    assert {e["actor_user_id"] for e in events} == {boss_id}
    assert events[0]["payload"]["tag"] == {
        **tag,
        "created_at": events[0]["payload"]["tag"]["created_at"],
    }


def test_renaming_onto_another_tag_is_refused_and_nothing_changes(admin: Any) -> None:
    first = admin.post(URL, json={"name": "VIP"}).json()
    second = admin.post(URL, json={"name": "Complaint", "enabled": False}).json()
    before, events_before = admin.get(URL).json(), _events(admin)
    response = admin.patch(f"{URL}/{first['id']}", json={"name": "complaint", "enabled": False})
    assert response.status_code == 409
    assert response.json()["detail"]["message"] == (
        'There is already a tag named "Complaint"; it is disabled: an admin can enable it.'
    )
    for body in ({"name": ""}, {"name": "z" * 51}, {"enabled": None}, {"enabled": "false"}):
        assert admin.patch(f"{URL}/{second['id']}", json=body).status_code == 422, body
    assert admin.get(URL).json() == before
    assert _events(admin) == events_before


def test_unknown_tags_are_404(admin: Any) -> None:
    assert admin.patch(f"{URL}/999", json={"name": "x"}).status_code == 404
    assert admin.delete(f"{URL}/999").status_code == 404
    assert admin.delete(f"{URL}/not-a-number").status_code == 422


def test_only_admins_manage_tags(helpline: Helpline, admin: Any) -> None:
    tag = admin.post(URL, json={"name": "VIP"}).json()
    helpline.create_user("ann", "agent")
    helpline.create_user("sam", "supervisor", "agent")
    _allow_custom_tags(admin)
    for username in ("ann", "sam"):
        client = helpline.login(username)
        assert client.post(URL, json={"name": "Mine"}).status_code == 403
        assert client.patch(f"{URL}/{tag['id']}", json={"enabled": False}).status_code == 403
        assert client.delete(f"{URL}/{tag['id']}").status_code == 403
    assert _names(admin) == ["VIP"]
    assert [e["type"] for e in _events(admin)] == ["tag.created"]


def test_agents_with_the_permission_add_custom_tags(helpline: Helpline, admin: Any) -> None:
    ann = helpline.create_user("ann", "agent")
    helpline.create_user("sam", "supervisor")
    agent = helpline.login("ann")

    # Off by default: 403, and nothing is stored.
    refused = agent.post(f"{URL}/custom", json={"name": "Follow-up"})
    assert refused.status_code == 403
    assert _names(admin) == []
    assert _events(admin) == []

    _allow_custom_tags(admin)
    created = agent.post(f"{URL}/custom", json={"name": " Follow-up "})
    assert created.status_code == 201, created.text
    tag = created.json()
    assert (tag["name"], tag["custom"], tag["enabled"]) == ("Follow-up", True, True)
    assert tag["created_by_user_id"] == ann.id
    # Offered to every agent at once.
    assert _names(agent, enabled="true") == ["Follow-up"]
    # The same name, in any case, is a conflict that says so.
    twin = agent.post(f"{URL}/custom", json={"name": "FOLLOW-UP"})
    assert twin.status_code == 409
    assert twin.json()["detail"]["field"] == "name"
    # Bad names are refused as for admins.
    assert agent.post(f"{URL}/custom", json={"name": "q" * 51}).status_code == 422
    assert agent.post(f"{URL}/custom", json={"name": "x", "enabled": False}).status_code == 422
    # Supervisors (without the agent role) have no such permission.
    assert helpline.login("sam").post(f"{URL}/custom", json={"name": "Sup"}).status_code == 403

    events = _events(admin)
    assert [(e["type"], e["actor_user_id"]) for e in events] == [("tag.created", ann.id)]
    assert events[0]["payload"]["tag"]["custom"] is True

    # Switched off again: refused again.
    _allow_custom_tags(admin, False)
    assert agent.post(f"{URL}/custom", json={"name": "Later"}).status_code == 403
    assert _names(admin) == ["Follow-up"]

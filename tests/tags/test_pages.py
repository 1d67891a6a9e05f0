from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.core.permissions import Permission
from tests.support import Helpline

PAGE = "/admin/tags"
API = "/api/v1/tags"


def _browser(helpline: Helpline, username: str) -> TestClient:
    client = helpline.login(username)
    client.follow_redirects = False
    client.get("/login")
    return client


def _post(client: TestClient, path: str, **data: Any) -> Any:
    token = client.cookies.get("helpline_csrf")
    return client.post(path, data={"csrf_token": token, **data})


def _tags(client: TestClient) -> list[tuple[str, bool]]:
    return [(t["name"], t["enabled"]) for t in client.get(API).json()]


def _event_types(client: TestClient) -> list[str]:
    return [e["type"] for e in client.get("/api/v1/events").json() if e["type"].startswith("tag.")]


@pytest.fixture
def admin(helpline: Helpline) -> TestClient:
    helpline.create_user("boss", "admin")
    return _browser(helpline, "boss")


def test_admin_adds_renames_toggles_and_deletes(admin: TestClient) -> None:
    empty = admin.get(PAGE)
    assert empty.status_code == 200
    assert "No tags yet." in empty.text
    # The portal links to the page.
    assert f'href="{PAGE}"' in admin.get("/admin").text

    for name in ("VIP", "Complaint"):
        created = _post(admin, PAGE, name=name)
        assert created.status_code == 303
        assert created.headers["location"] == f"{PAGE}?done=created"
    page = admin.get(f"{PAGE}?done=created")
    assert "The tag was added." in page.text
    names = [part.split("<", 1)[0] for part in page.text.split('class="tag-name">')[1:]]
    assert names == ["Complaint", "VIP"]
    ids = {t["name"]: t["id"] for t in admin.get(API).json()}

    editing = admin.get(f"{PAGE}?edit={ids['VIP']}")
    assert f'action="{PAGE}/{ids["VIP"]}"' in editing.text
    assert _post(admin, f"{PAGE}/{ids['VIP']}", name="VIP customer").status_code == 303
    off = _post(admin, f"{PAGE}/{ids['VIP']}/enabled", enabled="false")
    assert off.headers["location"] == f"{PAGE}?done=disabled"
    assert "agents are no longer offered it" in admin.get(f"{PAGE}?done=disabled").text
    assert _tags(admin) == [("Complaint", True), ("VIP customer", False)]
    assert _post(admin, f"{PAGE}/{ids['VIP']}/enabled", enabled="true").status_code == 303

    confirm = admin.get(f"{PAGE}/{ids['Complaint']}/delete")
    assert confirm.status_code == 200
    assert "Complaint" in confirm.text
    assert "It also comes off every conversation that has it." in confirm.text
    assert 'data-testid="confirm-delete"' in confirm.text
    # Looking at the confirmation deletes nothing.
    assert len(_tags(admin)) == 2
    deleted = _post(admin, f"{PAGE}/{ids['Complaint']}/delete")
    assert deleted.headers["location"] == f"{PAGE}?done=deleted"
    assert _tags(admin) == [("VIP customer", True)]
    assert _event_types(admin) == [
        "tag.created",
        "tag.created",
        "tag.renamed",
        "tag.disabled",
        "tag.enabled",
        "tag.deleted",
    ]


def test_search_and_custom_tags_with_their_author(helpline: Helpline, admin: TestClient) -> None:
    helpline.create_user("ann", "agent")
    admin.patch("/api/v1/permissions", json={Permission.AGENT_CREATE_CUSTOM_TAGS.value: True})
    assert (
        helpline.login("ann").post(f"{API}/custom", json={"name": "Follow-up"}).status_code == 201
    )
    _post(admin, PAGE, name="Billing question")
    page = admin.get(PAGE)
    row = page.text[page.text.index("Follow-up") :]
    assert "Custom" in row[:400]
    assert "Ann" in row[:400]

    found = admin.get(PAGE, params={"search": "BILL"})
    assert "Billing question" in found.text
    assert "Follow-up" not in found.text
    none = admin.get(PAGE, params={"search": "zzz"})
    assert "No tag matches your search." in none.text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("vip", 'There is already a tag named "VIP".'),
        ("", "A tag needs a name."),
        ("   ", "A tag needs a name."),
        ("x" * 51, "A tag's name has at most 50 characters (this one has 51)."),
        ("bad\x07bell", "control or invisible characters (U+0007)"),
    ],
)
def test_bad_names_are_explained_and_nothing_changes(
    admin: TestClient, name: str, message: str
) -> None:
    _post(admin, PAGE, name="VIP")
    before = _tags(admin)
    response = _post(admin, PAGE, name=name)
    assert response.status_code == 422
    assert message in html.unescape(response.text)
    assert 'data-testid="errors"' in response.text
    assert _tags(admin) == before
    assert _event_types(admin) == ["tag.created"]

    _post(admin, PAGE, name="Other")
    other_id = next(t["id"] for t in admin.get(API).json() if t["name"] == "Other")
    renamed = _post(admin, f"{PAGE}/{other_id}", name=name)
    assert renamed.status_code == 422
    assert message in html.unescape(renamed.text)
    # The rename form stays open on the row.
    assert f'action="{PAGE}/{other_id}"' in renamed.text
    assert _tags(admin) == [("Other", True), ("VIP", True)]


def test_a_bad_switch_value_and_unknown_tags(admin: TestClient) -> None:
    _post(admin, PAGE, name="VIP")
    tag_id = admin.get(API).json()[0]["id"]
    refused = _post(admin, f"{PAGE}/{tag_id}/enabled", enabled="maybe")
    assert refused.status_code == 422
    assert _tags(admin) == [("VIP", True)]
    for path in (f"{PAGE}/999", f"{PAGE}/999/enabled", f"{PAGE}/999/delete"):
        assert _post(admin, path, name="x", enabled="false").status_code == 404, path
    assert admin.get(f"{PAGE}/999/delete").status_code == 404
    assert "There is no such tag." in admin.get(f"{PAGE}/999/delete").text


def test_the_page_is_for_admins_only(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    helpline.create_user("sam", "supervisor")
    for username in ("ann", "sam"):
        client = _browser(helpline, username)
        assert client.get(PAGE).status_code == 403
        assert _post(client, PAGE, name="Sneaky").status_code == 403
    anonymous = helpline.client.get(PAGE, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")


def test_the_page_in_italian(helpline: Helpline) -> None:
    helpline.create_user("capo", "admin", language="it")
    client = _browser(helpline, "capo")
    page = html.unescape(client.get(PAGE).text)
    assert "Ancora nessun tag." in page
    assert "+ Aggiungi tag" in page
    assert "No tags yet." not in page
    refused = _post(client, PAGE, name="")
    assert "Un tag deve avere un nome." in html.unescape(refused.text)

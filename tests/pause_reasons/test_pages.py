from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Helpline

PAGE = "/admin/pause-reasons"
API = "/api/v1/pause-reasons"


def _browser(helpline: Helpline, username: str) -> TestClient:
    client = helpline.login(username)
    client.follow_redirects = False
    client.get("/login")
    return client


def _post(client: TestClient, path: str, **data: Any) -> Any:
    token = client.cookies.get("helpline_csrf")
    return client.post(path, data={"csrf_token": token, **data})


def _reasons(client: TestClient) -> list[tuple[str, bool]]:
    return [(r["name"], r["enabled"]) for r in client.get(API).json()["reasons"]]


@pytest.fixture
def admin(helpline: Helpline) -> TestClient:
    helpline.create_user("boss", "admin")
    return _browser(helpline, "boss")


def test_admin_adds_renames_toggles_moves_and_deletes(admin: TestClient) -> None:
    empty = admin.get(PAGE)
    assert empty.status_code == 200
    assert "No pause reasons yet." in empty.text
    assert 'data-testid="no-status-menu"' in empty.text

    for name in ("Break", "Lunch"):
        created = _post(admin, PAGE, name=name)
        assert created.status_code == 303
        assert created.headers["location"] == f"{PAGE}?done=created"
    page = admin.get(f"{PAGE}?done=created")
    assert "The pause reason was added." in page.text
    assert "Break" in page.text
    assert 'data-testid="no-status-menu"' not in page.text
    ids = [r["id"] for r in admin.get(API).json()["reasons"]]

    editing = admin.get(f"{PAGE}?edit={ids[0]}")
    assert f'action="{PAGE}/{ids[0]}"' in editing.text
    assert _post(admin, f"{PAGE}/{ids[0]}", name="Coffee").status_code == 303
    assert _post(admin, f"{PAGE}/{ids[0]}/enabled", enabled="false").status_code == 303
    assert _reasons(admin) == [("Coffee", False), ("Lunch", True)]
    assert _post(admin, f"{PAGE}/{ids[0]}/move", direction="down").status_code == 303
    assert _reasons(admin) == [("Lunch", True), ("Coffee", False)]
    assert _post(admin, f"{PAGE}/{ids[0]}/move", direction="up").status_code == 303
    # Moving the first one up changes nothing.
    assert _post(admin, f"{PAGE}/{ids[0]}/move", direction="up").status_code == 303
    assert _reasons(admin) == [("Coffee", False), ("Lunch", True)]
    assert _post(admin, f"{PAGE}/{ids[0]}/enabled", enabled="true").status_code == 303

    confirm = admin.get(f"{PAGE}/{ids[1]}/delete")
    assert confirm.status_code == 200
    assert "Lunch" in confirm.text
    assert 'data-testid="confirm-delete"' in confirm.text
    # Looking at the confirmation deletes nothing.
    assert len(_reasons(admin)) == 2
    deleted = _post(admin, f"{PAGE}/{ids[1]}/delete")
    assert deleted.headers["location"] == f"{PAGE}?done=deleted"
    assert _reasons(admin) == [("Coffee", True)]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("break", "already a pause reason named"),
        ("x" * 256, "at most 255"),
        ("Обед", "Latin letters only"),
        ("Tab\there", "control"),
        ("", "needs a name"),
    ],
)
def test_bad_names_show_an_error_in_the_page(admin: TestClient, name: str, message: str) -> None:
    _post(admin, PAGE, name="Break")
    before = _reasons(admin)
    response = _post(admin, PAGE, name=name)
    assert response.status_code == 422
    assert 'data-testid="errors"' in response.text
    assert message in response.text.replace("&#39;", "'")
    assert _reasons(admin) == before


def test_bad_rename_shows_the_inline_form_again(admin: TestClient) -> None:
    _post(admin, PAGE, name="Break")
    _post(admin, PAGE, name="Lunch")
    lunch = admin.get(API).json()["reasons"][1]["id"]
    response = _post(admin, f"{PAGE}/{lunch}", name="BREAK")
    assert response.status_code == 422
    assert "already a pause reason named" in response.text.replace("&#39;", "'")
    assert f'action="{PAGE}/{lunch}"' in response.text
    assert _reasons(admin) == [("Break", True), ("Lunch", True)]


def test_bad_forms_and_unknown_reasons(admin: TestClient) -> None:
    _post(admin, PAGE, name="Break")
    reason = admin.get(API).json()["reasons"][0]["id"]
    assert _post(admin, f"{PAGE}/{reason}/enabled", enabled="maybe").status_code == 422
    assert _post(admin, f"{PAGE}/{reason}/move", direction="sideways").status_code == 422
    assert _reasons(admin) == [("Break", True)]
    for path in ("", "/enabled", "/move", "/delete"):
        response = _post(admin, f"{PAGE}/999{path}", name="X", enabled="true", direction="up")
        assert response.status_code == 404, path
    assert admin.get(f"{PAGE}/999/delete").status_code == 404
    # A form without its CSRF token changes nothing.
    refused = admin.post(PAGE, data={"name": "Sneaky"})
    assert refused.status_code == 403
    assert _reasons(admin) == [("Break", True)]


def test_viewers_see_the_list_without_controls(helpline: Helpline, admin: TestClient) -> None:
    _post(admin, PAGE, name="Break")
    helpline.create_user("sue", "supervisor")
    sue = _browser(helpline, "sue")
    assert sue.get(PAGE).status_code == 403
    admin.patch("/api/v1/permissions", json={"supervisor.access_config_portal": True})
    page = sue.get(PAGE)
    assert page.status_code == 200
    assert "Break" in page.text
    assert not re.search(r'<form method="post" action="/admin/pause-reasons', page.text)
    assert _post(sue, PAGE, name="Nap").status_code == 403
    assert sue.get(f"{PAGE}/1/delete").status_code == 403

    admin.patch("/api/v1/permissions", json={"supervisor.manage_pause_reasons": True})
    assert 'data-testid="new-reason"' in sue.get(PAGE).text
    assert _post(sue, PAGE, name="Nap").status_code == 303


def test_agents_and_visitors_are_kept_out(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    agent = _browser(helpline, "ann")
    assert agent.get(PAGE).status_code == 403
    visitor = TestClient(helpline.app, follow_redirects=False)
    visitor.portal = helpline.client.portal  # type: ignore[attr-defined]
    response = visitor.get(PAGE)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")

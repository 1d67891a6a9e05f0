from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import Helpline

PAGE = "/admin/skills"
API = "/api/v1/skills"


def _browser(helpline: Helpline, username: str) -> TestClient:
    client = helpline.login(username)
    client.follow_redirects = False
    client.get("/login")
    return client


def _post(client: TestClient, path: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": client.cookies.get("helpline_csrf"), **data})


def _skills(client: TestClient) -> list[tuple[str, str]]:
    return [(s["name"], s["description"]) for s in client.get(API).json()]


@pytest.fixture
def admin(helpline: Helpline) -> TestClient:
    helpline.create_user("boss", "admin")
    return _browser(helpline, "boss")


def test_admin_creates_renames_and_deletes_skills(admin: TestClient) -> None:
    assert "No skills yet." in admin.get(PAGE).text
    created = _post(admin, PAGE, name="Spanish", description="Fluent speakers")
    assert created.status_code == 303
    assert created.headers["location"] == f"{PAGE}?done=created"
    page = admin.get(f"{PAGE}?done=created")
    assert "The skill was added." in page.text
    assert "Fluent speakers" in page.text
    skill = admin.get(API).json()[0]["id"]

    assert f'action="{PAGE}/{skill}"' in admin.get(f"{PAGE}?edit={skill}").text
    saved = _post(admin, f"{PAGE}/{skill}", name="Español", description="")
    assert saved.headers["location"] == f"{PAGE}?done=saved"
    assert _skills(admin) == [("Español", "")]

    confirm = admin.get(f"{PAGE}/{skill}/delete")
    assert confirm.status_code == 200
    assert "Español" in confirm.text
    assert _skills(admin) == [("Español", "")]
    assert _post(admin, f"{PAGE}/{skill}/delete").headers["location"] == f"{PAGE}?done=deleted"
    assert _skills(admin) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "spanish"}, "already a skill named"),
        ({"name": "x" * 101}, "at most 100"),
        ({"name": "Tab\there"}, "control"),
        ({"name": ""}, "needs a name"),
        ({"name": "Billing", "description": "d" * 501}, "at most 500"),
    ],
)
def test_bad_skills_show_an_error_in_the_page(
    admin: TestClient, data: dict[str, str], message: str
) -> None:
    _post(admin, PAGE, name="Spanish")
    response = _post(admin, PAGE, **data)
    assert response.status_code == 422
    assert message in html.unescape(response.text)
    assert _skills(admin) == [("Spanish", "")]


def test_bad_rename_keeps_the_inline_form(admin: TestClient) -> None:
    _post(admin, PAGE, name="Spanish")
    _post(admin, PAGE, name="Billing")
    billing = next(s["id"] for s in admin.get(API).json() if s["name"] == "Billing")
    response = _post(admin, f"{PAGE}/{billing}", name="SPANISH")
    assert response.status_code == 422
    assert f'action="{PAGE}/{billing}"' in response.text
    assert sorted(_skills(admin)) == [("Billing", ""), ("Spanish", "")]


def test_manager_sets_and_removes_agents_proficiency(helpline: Helpline, admin: TestClient) -> None:
    ann = helpline.create_user("ann", "agent")
    sue = helpline.create_user("sue", "supervisor")
    _post(admin, PAGE, name="Spanish")
    skill = admin.get(API).json()[0]["id"]
    page = admin.get(f"{PAGE}/{skill}")
    assert page.status_code == 200
    assert "No agent has this skill yet." in page.text
    # Only agents are offered.
    assert f'<option value="{ann.id}">' in page.text
    assert f'<option value="{sue.id}">' not in page.text

    done = _post(admin, f"{PAGE}/{skill}/agents", user_id=str(ann.id), proficiency="4")
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}/{skill}?done=agent"
    assert admin.get(f"{API}/agents/{ann.id}").json()["skills"] == [
        {"skill_id": skill, "proficiency": 4}
    ]
    listed = admin.get(f"{PAGE}/{skill}")
    assert f'data-user-id="{ann.id}"' in listed.text
    assert '<option value="4" selected>' in listed.text
    assert "<td>1</td>" in admin.get(PAGE).text  # one agent has it

    _post(admin, f"{PAGE}/{skill}/agents", user_id=str(ann.id), proficiency="2")
    assert admin.get(f"{API}/agents/{ann.id}").json()["skills"][0]["proficiency"] == 2
    removed = _post(admin, f"{PAGE}/{skill}/agents/{ann.id}/remove")
    assert removed.headers["location"] == f"{PAGE}/{skill}?done=removed"
    assert admin.get(f"{API}/agents/{ann.id}").json()["skills"] == []


@pytest.mark.parametrize(
    ("user", "proficiency", "message"),
    [
        ("ann", "0", "Choose a proficiency"),
        ("ann", "6", "Choose a proficiency"),
        ("ann", "three", "Choose a proficiency"),
        ("sue", "3", "Choose an agent"),
        ("999", "3", "Choose an agent"),
        ("", "3", "Choose an agent"),
    ],
)
def test_bad_proficiency_forms_show_an_error(
    helpline: Helpline, admin: TestClient, user: str, proficiency: str, message: str
) -> None:
    ids = {
        "ann": str(helpline.create_user("ann", "agent").id),
        "sue": str(helpline.create_user("sue", "supervisor").id),
    }
    _post(admin, PAGE, name="Spanish")
    skill = admin.get(API).json()[0]["id"]
    response = _post(
        admin, f"{PAGE}/{skill}/agents", user_id=ids.get(user, user), proficiency=proficiency
    )
    assert response.status_code == 422
    assert message in response.text
    assert admin.get(f"{API}/agents/{ids['ann']}").json()["skills"] == []


def test_unknown_skills_are_404(helpline: Helpline, admin: TestClient) -> None:
    ann = helpline.create_user("ann", "agent")
    assert admin.get(f"{PAGE}/999").status_code == 404
    assert admin.get(f"{PAGE}/999/delete").status_code == 404
    assert _post(admin, f"{PAGE}/999", name="X").status_code == 404
    assert _post(admin, f"{PAGE}/999/delete").status_code == 404
    assert _post(admin, f"{PAGE}/999/agents/{ann.id}/remove").status_code == 404
    response = _post(admin, f"{PAGE}/999/agents", user_id=str(ann.id), proficiency="3")
    assert response.status_code == 404


def test_viewers_see_skills_without_controls(helpline: Helpline, admin: TestClient) -> None:
    ann = helpline.create_user("ann", "agent")
    _post(admin, PAGE, name="Spanish")
    skill = admin.get(API).json()[0]["id"]
    _post(admin, f"{PAGE}/{skill}/agents", user_id=str(ann.id), proficiency="5")
    helpline.create_user("sue", "supervisor")
    sue = _browser(helpline, "sue")
    assert sue.get(PAGE).status_code == 403
    admin.patch("/api/v1/permissions", json={"supervisor.access_config_portal": True})
    listing = sue.get(PAGE)
    assert listing.status_code == 200
    assert "Spanish" in listing.text
    assert 'data-testid="new-skill"' not in listing.text
    detail = sue.get(f"{PAGE}/{skill}")
    assert "Ann" in detail.text
    assert 'data-testid="set-proficiency"' not in detail.text
    assert _post(sue, PAGE, name="Billing").status_code == 403
    response = _post(sue, f"{PAGE}/{skill}/agents", user_id=str(ann.id), proficiency="1")
    assert response.status_code == 403
    assert sue.get(f"{PAGE}/{skill}/delete").status_code == 403

    admin.patch("/api/v1/permissions", json={"supervisor.manage_skills": True})
    assert 'data-testid="set-proficiency"' in sue.get(f"{PAGE}/{skill}").text
    assert _post(sue, PAGE, name="Billing").status_code == 303


def test_agents_and_visitors_are_kept_out(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    assert _browser(helpline, "ann").get(PAGE).status_code == 403
    visitor = TestClient(helpline.app, follow_redirects=False)
    visitor.portal = helpline.client.portal  # type: ignore[attr-defined]
    assert visitor.get(PAGE).headers["location"].startswith("/login")

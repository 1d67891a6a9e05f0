from __future__ import annotations

from typing import Any

import pytest

from tests.support import Helpline


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def _create(admin: Any, **fields: Any) -> Any:
    body = {"username": "ada", "display_name": "Ada Lovelace", "password": "password123"} | fields
    return admin.post("/api/v1/users", json=body)


def test_admin_creates_a_user_with_roles_and_lines(admin: Any) -> None:
    response = _create(
        admin,
        username="Ada",
        email="ada@example.com",
        roles=["agent", "supervisor", "agent"],
        lines=[{"extension": "201", "label": "Desk"}, {"extension": "202"}],
        language="it",
    )
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["username"] == "ada"
    assert user["roles"] == ["agent", "supervisor"]
    assert [line["extension"] for line in user["lines"]] == ["201", "202"]
    assert user["language"] == "it"
    assert "password" not in user
    assert "password_hash" not in user
    listed = admin.get("/api/v1/users", params={"role": "supervisor"}).json()
    assert [u["username"] for u in listed] == ["ada"]
    assert admin.get("/api/v1/users", params={"search": "LOVE"}).json()[0]["id"] == user["id"]


def test_user_names_are_unique_regardless_of_case(admin: Any) -> None:
    assert _create(admin).status_code == 201
    response = _create(admin, username="ADA")
    assert response.status_code == 409
    assert "taken" in response.json()["detail"]["message"]


def test_an_extension_belongs_to_one_user(admin: Any) -> None:
    assert _create(admin, lines=[{"extension": "201"}]).status_code == 201
    response = _create(admin, username="bob", lines=[{"extension": "201"}])
    assert response.status_code == 409
    assert "201" in response.json()["detail"]["message"]
    twice = _create(admin, username="carl", lines=[{"extension": "205"}, {"extension": "205"}])
    assert twice.status_code == 422
    assert len(admin.get("/api/v1/users").json()) == 2


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"username": ""}, "username"),
        ({"username": "has space"}, "username"),
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"roles": ["owner"]}, "roles"),
        ({"language": "de"}, "language"),
        ({"lines": [{"extension": "12a"}]}, "lines"),
        ({"display_name": 42}, "display_name"),
        ({"is_boss": True}, "is_boss"),
    ],
)
def test_bad_user_input_is_refused_and_nothing_is_stored(
    admin: Any, fields: dict[str, Any], where: str
) -> None:
    before = admin.get("/api/v1/users").json()
    response = _create(admin, **fields)
    assert response.status_code == 422
    assert where in response.json()["detail"]
    assert admin.get("/api/v1/users").json() == before


def test_admin_edits_roles_lines_and_deactivates(helpline: Helpline, admin: Any) -> None:
    created = _create(admin, roles=["agent"], lines=[{"extension": "201"}]).json()
    agent = helpline.login("ada", "password123")
    response = admin.patch(
        f"/api/v1/users/{created['id']}",
        json={"roles": ["supervisor"], "lines": [{"extension": "201"}, {"extension": "301"}]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["supervisor"]
    assert [line["extension"] for line in response.json()["lines"]] == ["201", "301"]
    assert agent.get("/api/v1/auth/me").json()["roles"] == ["supervisor"]

    assert (
        admin.patch(f"/api/v1/users/{created['id']}", json={"is_active": False}).status_code == 200
    )
    # A deactivated user's session and password stop working at once.
    assert agent.get("/api/v1/auth/me").status_code == 401
    login = helpline.client.post(
        "/api/v1/auth/login", json={"username": "ada", "password": "password123"}
    )
    assert login.status_code == 401


def test_the_last_active_admin_cannot_be_removed(helpline: Helpline, admin: Any) -> None:
    me = admin.get("/api/v1/auth/me").json()["user"]
    response = admin.patch(f"/api/v1/users/{me['id']}", json={"roles": ["agent"]})
    assert response.status_code == 409
    assert admin.patch(f"/api/v1/users/{me['id']}", json={"is_active": False}).status_code == 403
    second = _create(admin, username="second", roles=["admin"]).json()
    assert (
        admin.patch(f"/api/v1/users/{me['id']}", json={"roles": ["agent", "admin"]}).status_code
        == 200
    )
    assert (
        admin.patch(f"/api/v1/users/{second['id']}", json={"is_active": False}).status_code == 200
    )


def test_unknown_user_is_404(admin: Any) -> None:
    assert admin.get("/api/v1/users/9999").status_code == 404
    assert admin.patch("/api/v1/users/9999", json={"display_name": "x"}).status_code == 404
    assert admin.get("/api/v1/users/not-a-number").status_code == 422


def test_a_user_changes_language_and_password(helpline: Helpline) -> None:
    helpline.create_user("eve", "agent", password="first password")
    eve = helpline.login("eve", "first password")
    wrong = eve.patch(
        "/api/v1/me", json={"current_password": "nope", "new_password": "second password"}
    )
    assert wrong.status_code == 422
    assert eve.patch("/api/v1/me", json={"language": "pt_BR"}).json()["language"] == "pt_BR"
    changed = eve.patch(
        "/api/v1/me", json={"current_password": "first password", "new_password": "second password"}
    )
    assert changed.status_code == 200
    helpline.login("eve", "second password")
    assert eve.patch("/api/v1/me", json={"roles": ["admin"]}).status_code == 422


def test_user_changes_are_events(helpline: Helpline, admin: Any) -> None:
    created = _create(admin).json()
    admin.patch(f"/api/v1/users/{created['id']}", json={"display_name": "Countess"})
    events = admin.get("/api/v1/events", params={"type": ["user.created", "user.updated"]}).json()
    assert [e["type"] for e in events][-2:] == ["user.created", "user.updated"]
    assert events[-1]["payload"]["changed"] == ["display_name"]
    assert events[-1]["payload"]["user"]["display_name"] == "Countess"
    assert "password_hash" not in str(events)
    assert events[-1]["id"] > events[-2]["id"]


def test_a_sip_password_is_stored_as_digest_ha1_only(admin: Any, helpline: Helpline) -> None:
    import hashlib

    from helpline.users import repository

    created = _create(admin, lines=[{"extension": "201"}], sip_password="phone-pass-1")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["has_sip_password"] is True
    assert "sip_password" not in body
    assert "sip_ha1_md5" not in body
    user = helpline.run(lambda session: repository.get_by_username(session, "ada"))
    expected = hashlib.md5(b"ada:helpline:phone-pass-1").hexdigest()  # noqa: S324 - digest HA1
    assert user.sip_ha1_md5 == expected
    assert user.sip_ha1_sha256 == hashlib.sha256(b"ada:helpline:phone-pass-1").hexdigest()
    short = admin.patch(f"/api/v1/users/{body['id']}", json={"sip_password": "short"})
    assert short.status_code == 422
    changed = admin.patch(f"/api/v1/users/{body['id']}", json={"sip_password": "another-pass"})
    assert changed.status_code == 200
    user = helpline.run(lambda session: repository.get_by_username(session, "ada"))
    assert user.sip_ha1_md5 == hashlib.md5(b"ada:helpline:another-pass").hexdigest()  # noqa: S324
    plain = _create(admin, username="bob")
    assert plain.json()["has_sip_password"] is False

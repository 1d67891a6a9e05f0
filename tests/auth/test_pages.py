from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import Helpline


def _browser(helpline: Helpline) -> TestClient:
    client = TestClient(helpline.app, follow_redirects=False)
    client.portal = helpline.client.portal  # type: ignore[attr-defined]
    return client


def _csrf(client: TestClient) -> str:
    client.get("/login")
    token = client.cookies.get("helpline_csrf")
    assert token
    return token


def test_login_form_logs_in_and_follows_next(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    client = _browser(helpline)
    anonymous = client.get("/admin/users")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/admin/users"
    response = client.post(
        "/login",
        data={
            "username": "boss",
            "password": "correct horse battery",
            "next": "/admin/users",
            "csrf_token": _csrf(client),
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users"
    assert client.get("/admin/users").status_code == 200


def test_login_form_never_redirects_to_another_site(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    client = _browser(helpline)
    response = client.post(
        "/login",
        data={
            "username": "boss",
            "password": "correct horse battery",
            "next": "//evil.example/steal",
            "csrf_token": _csrf(client),
        },
    )
    assert response.headers["location"] == "/admin"


def test_form_posts_without_the_csrf_token_are_refused(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    client = _browser(helpline)
    _csrf(client)
    response = client.post("/login", data={"username": "boss", "password": "correct horse battery"})
    assert response.status_code == 403
    assert "helpline_session" not in client.cookies
    wrong = client.post(
        "/login",
        data={"username": "boss", "password": "correct horse battery", "csrf_token": "forged"},
    )
    assert wrong.status_code == 403


def test_wrong_password_shows_the_form_again(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    client = _browser(helpline)
    response = client.post(
        "/login", data={"username": "boss", "password": "nope", "csrf_token": _csrf(client)}
    )
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text


def test_each_role_lands_on_its_section_and_sees_only_its_sections(helpline: Helpline) -> None:
    helpline.create_user("ag", "agent")
    helpline.create_user("su", "supervisor")
    helpline.create_user("ad", "admin")
    expectations = {
        "ag": ("/agent", {"agent", "help"}),
        "su": ("/supervisor", {"supervisor", "analytics", "help"}),
        "ad": ("/admin", {"agent", "supervisor", "admin", "analytics", "help"}),
    }
    for username, (home, sections) in expectations.items():
        client = helpline.login(username)
        client.follow_redirects = False
        assert client.get("/").headers["location"] == home
        page = client.get(home).text
        shown = {
            s
            for s in ("agent", "supervisor", "admin", "analytics", "help")
            if f'data-section="{s}"' in page
        }
        assert shown == sections, username


def test_admin_creates_and_edits_a_user_through_the_pages(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    client = helpline.login("boss")
    client.follow_redirects = False
    token = _csrf(client)
    bad = client.post(
        "/admin/users/new",
        data={"username": "x y", "display_name": "", "password": "short", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "username" in bad.text
    created = client.post(
        "/admin/users/new",
        data={
            "username": "nina",
            "display_name": "Nina",
            "password": "password123",
            "roles": ["agent", "supervisor"],
            "lines": "205 Desk\n206",
            "language": "fr",
            "csrf_token": token,
        },
    )
    assert created.status_code == 303
    nina = next(u for u in client.get("/api/v1/users").json() if u["username"] == "nina")
    assert nina["roles"] == ["agent", "supervisor"]
    assert [(ln["extension"], ln["label"]) for ln in nina["lines"]] == [
        ("205", "Desk"),
        ("206", ""),
    ]
    edited = client.post(
        f"/admin/users/{nina['id']}",
        data={
            "display_name": "Nina B",
            "language": "fr",
            "roles": "agent",
            "lines": "207",
            "csrf_token": token,
        },
    )
    assert edited.status_code == 303
    nina = client.get(f"/api/v1/users/{nina['id']}").json()
    assert nina["display_name"] == "Nina B"
    assert nina["is_active"] is False  # the unchecked "Active" box deactivates
    assert [ln["extension"] for ln in nina["lines"]] == ["207"]
    assert "Nina B" in client.get("/admin/users").text


def test_permissions_page_saves_and_resets(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    client = helpline.login("boss")
    client.follow_redirects = False
    token = _csrf(client)
    response = client.post(
        "/admin/permissions",
        data={"supervisor.access_config_portal": "on", "csrf_token": token},
    )
    assert response.status_code == 303
    matrix = client.get("/api/v1/permissions").json()["matrix"]
    assert matrix["supervisor.access_config_portal"] is True
    assert matrix["organization.allow_unassigned_queue_login"] is False  # unchecked
    assert client.post("/admin/permissions/reset", data={"csrf_token": token}).status_code == 303
    assert (
        client.get("/api/v1/permissions").json()["matrix"]
        == client.get("/api/v1/permissions").json()["defaults"]
    )


def test_account_page_creates_a_token_shown_once(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    client = helpline.login("ann")
    token = _csrf(client)
    page = client.post("/account/tokens", data={"name": "phone app", "csrf_token": token})
    assert page.status_code == 200
    assert 'data-testid="new-token"' in page.text
    assert "hlp_" in page.text
    again = client.get("/account").text
    assert "phone app" in again
    assert 'data-testid="new-token"' not in again


def test_a_user_changes_their_password_on_the_account_page(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent", password="first password")
    client = helpline.login("ann", "first password")
    token = _csrf(client)
    wrong = client.post(
        "/account/password",
        data={"current_password": "nope", "new_password": "second password", "csrf_token": token},
    )
    assert wrong.status_code == 422
    assert "current password is wrong" in wrong.text
    short = client.post(
        "/account/password",
        data={"current_password": "first password", "new_password": "short", "csrf_token": token},
    )
    assert short.status_code == 422
    done = client.post(
        "/account/password",
        data={
            "current_password": "first password",
            "new_password": "second password",
            "csrf_token": token,
        },
    )
    assert done.status_code == 200
    assert "password was changed" in done.text
    helpline.login("ann", "second password")

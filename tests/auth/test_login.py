from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import Helpline


def _client(helpline: Helpline) -> TestClient:
    client = TestClient(helpline.app)
    client.portal = helpline.client.portal  # type: ignore[attr-defined]
    return client


def test_login_sets_a_signed_httponly_samesite_cookie(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    client = _client(helpline)
    response = client.post(
        "/api/v1/auth/login", json={"username": "ANN", "password": "correct horse battery"}
    )
    assert response.status_code == 200
    assert response.json()["roles"] == ["agent"]
    assert "use_agent_dashboard" in response.json()["allowed_actions"]
    cookie = response.headers["set-cookie"].lower()
    assert "helpline_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert client.get("/api/v1/auth/me").json()["user"]["username"] == "ann"


def test_a_tampered_cookie_is_refused(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    client = helpline.login("ann")
    value = client.cookies.get("helpline_session")
    assert value
    client.cookies.set(
        "helpline_session", value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    )
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    client = _client(helpline)
    wrong = client.post("/api/v1/auth/login", json={"username": "ann", "password": "nope"})
    unknown = client.post("/api/v1/auth/login", json={"username": "zed", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "helpline_session" not in client.cookies


def test_repeated_failures_lock_the_login(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    client = _client(helpline)
    for _ in range(3):  # the test settings lock after 3 failures
        assert (
            client.post("/api/v1/auth/login", json={"username": "ann", "password": "x"}).status_code
            == 401
        )
    locked = client.post(
        "/api/v1/auth/login", json={"username": "ann", "password": "correct horse battery"}
    )
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 60
    admin_events = [e for e in _events(helpline) if e["type"] == "auth.login_locked"]
    assert {e["payload"]["key"] for e in admin_events} >= {"user:ann"}


def _events(helpline: Helpline) -> list[dict]:  # type: ignore[type-arg]
    from helpline.storage.eventlog import read_events

    async def work(session):  # type: ignore[no-untyped-def]
        return [e.as_json() for e in await read_events(session)]

    return helpline.run(work)  # type: ignore[no-any-return]


def test_logout_ends_the_session_on_the_server(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    client = helpline.login("ann")
    stolen = client.cookies.get("helpline_session")
    assert client.post("/api/v1/auth/logout").status_code == 204
    thief = _client(helpline)
    thief.cookies.set("helpline_session", stolen or "")
    assert thief.get("/api/v1/auth/me").status_code == 401


def test_api_tokens_are_shown_once_and_work_until_revoked(helpline: Helpline) -> None:
    helpline.create_user("ann", "admin")
    client = helpline.login("ann")
    created = client.post("/api/v1/tokens", json={"name": "crm"})
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("hlp_")
    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["crm"]
    assert "token" not in listed[0]
    assert secret not in str(_events(helpline))

    bearer = _client(helpline)
    headers = {"Authorization": f"Bearer {secret}"}
    assert bearer.get("/api/v1/users", headers=headers).status_code == 200
    assert client.get("/api/v1/tokens").json()[0]["last_used_at"] is not None

    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204
    assert bearer.get("/api/v1/users", headers=headers).status_code == 401
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 404
    assert (
        bearer.get("/api/v1/users", headers={"Authorization": "Bearer hlp_forged"}).status_code
        == 401
    )


def test_a_user_cannot_revoke_someone_elses_token(helpline: Helpline) -> None:
    helpline.create_user("ann", "agent")
    helpline.create_user("bob", "agent")
    ann = helpline.login("ann")
    token_id = ann.post("/api/v1/tokens", json={"name": "mine"}).json()["id"]
    assert helpline.login("bob").delete(f"/api/v1/tokens/{token_id}").status_code == 404
    assert len(ann.get("/api/v1/tokens").json()) == 1


def test_bad_login_bodies_are_4xx(helpline: Helpline) -> None:
    client = _client(helpline)
    for body, kwargs in [
        (None, {"content": b"{not json", "headers": {"content-type": "application/json"}}),
        (None, {"json": {"username": "a"}}),
        (None, {"json": {"username": 3, "password": []}}),
        (None, {"json": {"username": "a", "password": "b", "extra": 1}}),
        (None, {"content": b"username=a&password=b", "headers": {"content-type": "text/plain"}}),
    ]:
        del body
        response = client.post("/api/v1/auth/login", **kwargs)  # type: ignore[arg-type]
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["detail"]

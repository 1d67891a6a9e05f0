"""Routes of the foundation: health, auth, users, permissions, help, sections."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from helpline.core.permissions import DEFAULT_MATRIX, Action, Permission
from tests.permissions.routing import (
    AUTHENTICATED,
    PUBLIC,
    Context,
    Request,
    Route,
    _counter,
    api,
    page_get,
    page_post,
)


def new_user_body(_ctx: Context) -> dict[str, Any]:
    return {"username": f"made{next(_counter)}", "display_name": "Made", "password": "password123"}


def own_token(ctx: Context) -> None:
    response = ctx.client.post("/api/v1/tokens", json={"name": "to revoke"})
    ctx.ids["token_id"] = response.json()["id"] if response.status_code == 201 else 999_999


def revoke_own_token(path: str, *, page: bool) -> Request:
    def call(ctx: Context) -> Any:
        own_token(ctx)
        return (page_post(path) if page else api("DELETE", path))(ctx)

    return call


def logout_fresh_session(page: bool) -> Request:
    """Log out a second session of the same user, so that the test's own session lives on."""

    def call(ctx: Context) -> Any:
        client = ctx.client
        if ctx.username is not None:
            client = ctx.helpline.login(ctx.username)
        other = Context(ctx.helpline, client, ctx.username, ctx.ids)
        if page:
            return page_post("/logout")(other)
        return client.post("/api/v1/auth/logout")

    return call


def login_in_fresh_client(page: bool) -> Request:
    """Logging in is public; it runs in its own client so the subject's session lives on."""

    def call(ctx: Context) -> Any:
        client = TestClient(ctx.helpline.app)
        client.portal = ctx.helpline.client.portal  # type: ignore[attr-defined]
        credentials = {"username": "admin0", "password": "correct horse battery"}
        if not page:
            return client.post("/api/v1/auth/login", json=credentials)
        return page_post("/login", lambda _ctx: credentials)(Context(ctx.helpline, client, None))

    return call


ROUTES: list[Route] = [
    Route("POST", "/api/v1/auth/login", PUBLIC, login_in_fresh_client(page=False)),
    Route("GET", "/healthz", PUBLIC, page_get("/healthz")),
    Route("GET", "/metrics", PUBLIC, page_get("/metrics")),
    Route("GET", "/api/v1/openapi.json", PUBLIC, api("GET", "/api/v1/openapi.json")),
    Route("GET", "/api/v1/docs", PUBLIC, api("GET", "/api/v1/docs")),
    Route(
        "GET", "/api/v1/docs/oauth2-redirect", PUBLIC, api("GET", "/api/v1/docs/oauth2-redirect")
    ),
    Route("POST", "/api/v1/auth/logout", AUTHENTICATED, logout_fresh_session(page=False)),
    Route("GET", "/api/v1/auth/me", AUTHENTICATED, api("GET", "/api/v1/auth/me")),
    Route("GET", "/api/v1/tokens", AUTHENTICATED, api("GET", "/api/v1/tokens")),
    Route("POST", "/api/v1/tokens", AUTHENTICATED, api("POST", "/api/v1/tokens", {"name": "ci"})),
    Route(
        "DELETE",
        "/api/v1/tokens/{token_id}",
        AUTHENTICATED,
        revoke_own_token("/api/v1/tokens/{token_id}", page=False),
    ),
    Route("GET", "/api/v1/users", Action.MANAGE_USERS, api("GET", "/api/v1/users")),
    Route(
        "POST", "/api/v1/users", Action.MANAGE_USERS, api("POST", "/api/v1/users", new_user_body)
    ),
    Route(
        "GET",
        "/api/v1/users/{user_id}",
        Action.MANAGE_USERS,
        api("GET", "/api/v1/users/{scratch_id}"),
    ),
    Route(
        "PATCH",
        "/api/v1/users/{user_id}",
        Action.MANAGE_USERS,
        api("PATCH", "/api/v1/users/{scratch_id}", {"display_name": "Renamed"}),
    ),
    Route("PATCH", "/api/v1/me", AUTHENTICATED, api("PATCH", "/api/v1/me", {"language": "en"})),
    Route(
        "GET", "/api/v1/permissions", Action.MANAGE_PERMISSIONS, api("GET", "/api/v1/permissions")
    ),
    Route(
        "PATCH",
        "/api/v1/permissions",
        Action.MANAGE_PERMISSIONS,
        api("PATCH", "/api/v1/permissions", {}),
    ),
    Route(
        "POST",
        "/api/v1/permissions/reset",
        Action.MANAGE_PERMISSIONS,
        api("POST", "/api/v1/permissions/reset"),
    ),
    Route("GET", "/api/v1/events", Action.VIEW_EVENT_LOG, api("GET", "/api/v1/events")),
    Route("GET", "/api/v1/help/guides", AUTHENTICATED, api("GET", "/api/v1/help/guides")),
    Route(
        "POST",
        "/api/v1/help/share",
        Action.SHARE_HELP,
        api("POST", "/api/v1/help/share", {"role": "agent", "recipients": ["team@example.com"]}),
    ),
    # Pages.
    # The start page sends each user to their section, and visitors to the login page.
    Route("GET", "/", AUTHENTICATED, page_get("/"), page=True),
    Route("GET", "/login", PUBLIC, page_get("/login"), page=True),
    Route("POST", "/login", PUBLIC, login_in_fresh_client(page=True), page=True),
    Route("POST", "/logout", AUTHENTICATED, logout_fresh_session(page=True), page=True),
    Route("GET", "/account", AUTHENTICATED, page_get("/account"), page=True),
    Route(
        "POST",
        "/account/language",
        AUTHENTICATED,
        page_post("/account/language", lambda _ctx: {"language": "en"}),
        page=True,
    ),
    Route(
        "POST",
        "/account/notifications",
        AUTHENTICATED,
        page_post("/account/notifications", lambda _ctx: {"sound": "on"}),
        page=True,
    ),
    Route(
        "POST",
        "/account/password",
        AUTHENTICATED,
        page_post(
            "/account/password",
            lambda _ctx: {
                "current_password": "correct horse battery",
                "new_password": "correct horse battery",
            },
        ),
        page=True,
    ),
    Route(
        "POST",
        "/account/tokens",
        AUTHENTICATED,
        page_post("/account/tokens", lambda _ctx: {"name": "page token"}),
        page=True,
    ),
    Route(
        "POST",
        "/account/tokens/{token_id}/revoke",
        AUTHENTICATED,
        revoke_own_token("/account/tokens/{token_id}/revoke", page=True),
        page=True,
    ),
    Route("GET", "/agent", Action.USE_AGENT_DASHBOARD, page_get("/agent"), page=True),
    Route(
        "GET", "/supervisor", Action.USE_SUPERVISOR_DASHBOARD, page_get("/supervisor"), page=True
    ),
    Route("GET", "/admin", Action.ACCESS_CONFIG_PORTAL, page_get("/admin"), page=True),
    Route("GET", "/admin/events", Action.VIEW_EVENT_LOG, page_get("/admin/events"), page=True),
    Route("GET", "/analytics", Action.VIEW_ANALYTICS, page_get("/analytics"), page=True),
    Route("GET", "/admin/users", Action.MANAGE_USERS, page_get("/admin/users"), page=True),
    Route("GET", "/admin/users/new", Action.MANAGE_USERS, page_get("/admin/users/new"), page=True),
    Route(
        "POST",
        "/admin/users/new",
        Action.MANAGE_USERS,
        page_post(
            "/admin/users/new",
            lambda _ctx: {
                "username": f"paged{next(_counter)}",
                "display_name": "Paged",
                "password": "password123",
                "roles": "agent",
                "language": "en",
            },
        ),
        page=True,
    ),
    Route(
        "GET",
        "/admin/users/{user_id}",
        Action.MANAGE_USERS,
        page_get("/admin/users/{scratch_id}"),
        page=True,
    ),
    Route(
        "POST",
        "/admin/users/{user_id}",
        Action.MANAGE_USERS,
        page_post(
            "/admin/users/{scratch_id}",
            lambda _ctx: {"display_name": "Scratch", "language": "en", "is_active": "on"},
        ),
        page=True,
    ),
    Route(
        "GET",
        "/admin/permissions",
        Action.MANAGE_PERMISSIONS,
        page_get("/admin/permissions"),
        page=True,
    ),
    Route(
        "POST",
        "/admin/permissions",
        Action.MANAGE_PERMISSIONS,
        page_post(
            "/admin/permissions",
            lambda _ctx: (
                {p.value: "on" for p, enabled in DEFAULT_MATRIX.items() if enabled}
                | {Permission.SUPERVISOR_ACCESS_CONFIG_PORTAL.value: "on"}
            ),
        ),
        page=True,
    ),
    Route(
        "POST",
        "/admin/permissions/reset",
        Action.MANAGE_PERMISSIONS,
        page_post("/admin/permissions/reset"),
        page=True,
    ),
    Route("GET", "/help", AUTHENTICATED, page_get("/help"), page=True),
    Route("GET", "/help/{role}", AUTHENTICATED, page_get("/help/agent"), page=True),
    Route(
        "POST",
        "/help/share",
        Action.SHARE_HELP,
        page_post("/help/share", lambda _ctx: {"role": "agent", "recipients": "team@example.com"}),
        page=True,
    ),
]

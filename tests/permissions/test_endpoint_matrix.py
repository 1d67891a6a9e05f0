"""Every endpoint × every role: allowed → 2xx (or a page's redirect), denied → 403,
anonymous → 401 (API) or a redirect to the login page (pages).

A route missing from ROUTES fails ``test_every_route_is_in_the_table``: endpoints added
later must join this table.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from helpline.core.permissions import DEFAULT_MATRIX, Action, Permission, Role, is_allowed
from helpline.web.app import routes_table
from tests.support import Helpline

PUBLIC = "public"
AUTHENTICATED = "authenticated"
_counter = itertools.count(1)


@dataclass
class Context:
    helpline: Helpline
    client: TestClient
    username: str | None
    ids: dict[str, int] = field(default_factory=dict)

    def csrf(self) -> str:
        self.client.get("/login")
        return self.client.cookies.get("helpline_csrf") or ""


Request = Callable[[Context], Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    needs: Action | str
    call: Request
    page: bool = False


def api(method: str, path: str, body: Any = None) -> Request:
    def call(ctx: Context) -> Any:
        url = path.format(**ctx.ids)
        if callable(body):
            return ctx.client.request(method, url, json=body(ctx))
        return ctx.client.request(method, url, json=body)

    return call


def page_get(path: str) -> Request:
    return lambda ctx: ctx.client.get(path.format(**ctx.ids), follow_redirects=False)


def page_post(path: str, form: Callable[[Context], dict[str, Any]] | None = None) -> Request:
    def call(ctx: Context) -> Any:
        data = {"csrf_token": ctx.csrf(), **(form(ctx) if form else {})}
        return ctx.client.post(path.format(**ctx.ids), data=data, follow_redirects=False)

    return call


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


class _Sink:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def portal_supervisor_matrix() -> dict[Permission, bool]:
    return dict(DEFAULT_MATRIX) | {Permission.SUPERVISOR_ACCESS_CONFIG_PORTAL: True}


def test_every_route_is_in_the_table(helpline: Helpline) -> None:
    declared = {(route.method, route.path) for route in ROUTES}
    served = {
        (method, row["path"])
        for row in routes_table(helpline.app)
        for method in row["methods"]
        if not row["path"].startswith("/static")
    }
    assert served - declared == set(), "routes missing from the permission table"
    assert declared - served == set(), "the table lists routes the app does not serve"


def _expected_allowed(route: Route, roles: frozenset[Role], matrix: dict[Permission, bool]) -> bool:
    if route.needs in (PUBLIC, AUTHENTICATED):
        return True
    assert isinstance(route.needs, Action)
    return is_allowed(roles, route.needs, matrix)


def _check(route: Route, response: Any, *, anonymous: bool, allowed: bool) -> str | None:
    status = response.status_code
    location = response.headers.get("location", "")
    if anonymous and route.needs != PUBLIC:
        ok = status == 303 and location.startswith("/login") if route.page else status == 401
    elif allowed:
        # Logging out lands on the login page: that redirect is its success.
        lands_on_login = route.path == "/logout"
        redirect_ok = (
            route.page and status == 303 and (lands_on_login or not location.startswith("/login"))
        )
        ok = 200 <= status < 300 or redirect_ok
    else:
        ok = status == 403
    if ok:
        return None
    return f"{route.method} {route.path}: got {status} {location} {response.text[:160]!r}"


def _configure_smtp(helpline: Helpline, port: int) -> None:
    helpline.app.state.settings.smtp_host = "127.0.0.1"
    helpline.app.state.settings.smtp_port = port


CASES = {
    "admin": (Role.ADMIN,),
    "supervisor": (Role.SUPERVISOR,),
    "agent": (Role.AGENT,),
    "no role": (),
    "supervisor+agent": (Role.SUPERVISOR, Role.AGENT),
}


@pytest.mark.parametrize("case", [*CASES, "anonymous", "supervisor with portal access"])
def test_endpoint_access_by_role(helpline: Helpline, smtp_port: int, case: str) -> None:
    _configure_smtp(helpline, smtp_port)
    helpline.create_user("admin0", "admin")
    scratch = helpline.create_user("scratch", "agent", lines=("299",))
    matrix = dict(DEFAULT_MATRIX)
    if case == "anonymous":
        client, username, roles = TestClient(helpline.app), None, frozenset[Role]()
        client.portal = helpline.client.portal  # type: ignore[attr-defined]
    else:
        role_names = CASES.get(case, (Role.SUPERVISOR,))
        username = "subject"
        helpline.create_user(username, *role_names)
        roles = frozenset(role_names)
        client = helpline.login(username)
    if case == "supervisor with portal access":
        admin = helpline.login("admin0")
        admin.patch(
            "/api/v1/permissions", json={Permission.SUPERVISOR_ACCESS_CONFIG_PORTAL.value: True}
        )
        matrix[Permission.SUPERVISOR_ACCESS_CONFIG_PORTAL] = True

    ctx = Context(helpline, client, username, {"scratch_id": scratch.id})
    failures = []
    for route in ROUTES:
        allowed = _expected_allowed(route, roles, matrix)
        problem = _check(route, route.call(ctx), anonymous=username is None, allowed=allowed)
        if problem:
            failures.append(problem)
        if route.path.startswith("/admin/permissions") or route.path == "/api/v1/permissions/reset":
            # Keep the matrix the case is about, whatever the route just did.
            admin = helpline.login("admin0")
            admin.post("/api/v1/permissions/reset")
            if case == "supervisor with portal access":
                admin.patch(
                    "/api/v1/permissions",
                    json={Permission.SUPERVISOR_ACCESS_CONFIG_PORTAL.value: True},
                )
    assert failures == []

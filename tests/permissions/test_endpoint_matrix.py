"""Every endpoint × every role: allowed → 2xx (or a page's redirect), denied → 403,
anonymous → 401 (API) or a redirect to the login page (pages).

Each domain lists its routes in ``routes_<domain>.py`` beside this file; a route the app
serves that no module lists fails ``test_every_route_is_in_the_table``.
"""

from __future__ import annotations

import importlib
import pkgutil
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

import tests.permissions
from helpline.core.permissions import DEFAULT_MATRIX, Action, Permission, Role, is_allowed
from helpline.web.app import routes_table
from tests.permissions.routing import AUTHENTICATED, PUBLIC, Context, Route
from tests.support import Helpline


def _all_routes() -> list[Route]:
    routes: list[Route] = []
    for module in pkgutil.iter_modules(tests.permissions.__path__):
        if module.name.startswith("routes_"):
            routes += importlib.import_module(f"tests.permissions.{module.name}").ROUTES
    return routes


ROUTES = _all_routes()


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
    elif allowed and route.gate_only:
        ok = status not in (401, 403) and status < 500
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

"""The permission table's building blocks: a route, how to call it, what it needs.

Each domain lists its routes in a ``routes_<domain>.py`` module beside this one (a
``ROUTES`` list); ``test_endpoint_matrix.py`` checks them all for every role.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from helpline.core.permissions import Action
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
    # The answer also depends on live state (e.g. "you are not set up as an agent"): an
    # allowed role only has to get past the permission gate (no 401/403, no 5xx).
    gate_only: bool = False


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


def unique(prefix: str) -> str:
    """A name no other call of the table has used (tables run several times per test)."""
    return f"{prefix}{next(_counter)}"

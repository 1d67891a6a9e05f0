"""Routes of SIP trunks: the API and the admin pages (carrier credentials: manage right)."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from tests.permissions.routing import Context, Request, Route, api, page_get, page_post, unique


def _new_trunk(ctx: Context) -> None:
    """A trunk for the call to change, made through the service (the subject may not)."""
    from helpline.timeutil import utcnow
    from helpline.trunks import service
    from helpline.trunks.schemas import TrunkCreate

    trunk_in = TrunkCreate.model_validate({"name": unique("Trunk "), "host": "192.0.2.1"})
    secret = ctx.helpline.app.state.settings.secret_key
    trunk = ctx.helpline.run(
        lambda session: service.create(
            session=session, trunk_in=trunk_in, secret_key=secret, now=utcnow(), actor_id=None
        )
    )
    ctx.ids["trunk_id"] = trunk.id


def with_trunk(request: Request) -> Request:
    def call(ctx: Context) -> Any:
        _new_trunk(ctx)
        return request(ctx)

    return call


def _form() -> dict[str, str]:
    return {
        "name": unique("Paged trunk "),
        "host": "sip.carrier.example",
        "port": "5060",
        "transport": "UDP",
        "register_expires": "600",
        "enabled": "on",
    }


MANAGE = Action.MANAGE_QUEUE_SETTINGS

ROUTES: list[Route] = [
    Route("GET", "/api/v1/trunks", MANAGE, api("GET", "/api/v1/trunks")),
    Route(
        "POST",
        "/api/v1/trunks",
        MANAGE,
        api("POST", "/api/v1/trunks", lambda _ctx: {"name": unique("T "), "host": "192.0.2.2"}),
    ),
    Route(
        "GET",
        "/api/v1/trunks/{trunk_id}",
        MANAGE,
        with_trunk(api("GET", "/api/v1/trunks/{trunk_id}")),
    ),
    Route(
        "PATCH",
        "/api/v1/trunks/{trunk_id}",
        MANAGE,
        with_trunk(api("PATCH", "/api/v1/trunks/{trunk_id}", {"port": 5080})),
    ),
    Route(
        "DELETE",
        "/api/v1/trunks/{trunk_id}",
        MANAGE,
        with_trunk(api("DELETE", "/api/v1/trunks/{trunk_id}")),
    ),
    # Pages.
    Route("GET", "/admin/trunks", MANAGE, page_get("/admin/trunks"), page=True),
    Route("GET", "/admin/trunks/new", MANAGE, page_get("/admin/trunks/new"), page=True),
    Route(
        "POST", "/admin/trunks", MANAGE, page_post("/admin/trunks", lambda _ctx: _form()), page=True
    ),
    Route(
        "GET",
        "/admin/trunks/{trunk_id}",
        MANAGE,
        with_trunk(page_get("/admin/trunks/{trunk_id}")),
        page=True,
    ),
    Route(
        "POST",
        "/admin/trunks/{trunk_id}",
        MANAGE,
        with_trunk(page_post("/admin/trunks/{trunk_id}", lambda _ctx: _form())),
        page=True,
    ),
    Route(
        "POST",
        "/admin/trunks/{trunk_id}/move",
        MANAGE,
        with_trunk(page_post("/admin/trunks/{trunk_id}/move", lambda _ctx: {"direction": "up"})),
        page=True,
    ),
    Route(
        "GET",
        "/admin/trunks/{trunk_id}/delete",
        MANAGE,
        with_trunk(page_get("/admin/trunks/{trunk_id}/delete")),
        page=True,
    ),
    Route(
        "POST",
        "/admin/trunks/{trunk_id}/delete",
        MANAGE,
        with_trunk(page_post("/admin/trunks/{trunk_id}/delete")),
        page=True,
    ),
]

"""Routes of pause reasons: the API and the admin page."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from tests.permissions.routing import (
    AUTHENTICATED,
    Context,
    Request,
    Route,
    api,
    page_get,
    page_post,
    unique,
)


def _new_reason(ctx: Context) -> None:
    """A reason for the call to change, made through the service (the subject may not)."""
    from helpline.pause_reasons import service
    from helpline.pause_reasons.schemas import PauseReasonCreate
    from helpline.timeutil import utcnow

    reason_in = PauseReasonCreate(name=unique("Reason "))
    reason = ctx.helpline.run(
        lambda session: service.create(
            session=session, reason_in=reason_in, now=utcnow(), actor_id=None
        )
    )
    ctx.ids["reason_id"] = reason.id


def with_reason(request: Request) -> Request:
    def call(ctx: Context) -> Any:
        _new_reason(ctx)
        return request(ctx)

    return call


ROUTES: list[Route] = [
    # Agents read the enabled reasons for their status menu.
    Route(
        "GET",
        "/api/v1/pause-reasons",
        AUTHENTICATED,
        api("GET", "/api/v1/pause-reasons?enabled=true"),
    ),
    Route(
        "POST",
        "/api/v1/pause-reasons",
        Action.MANAGE_PAUSE_REASONS,
        api("POST", "/api/v1/pause-reasons", lambda _ctx: {"name": unique("Reason ")}),
    ),
    Route(
        "PATCH",
        "/api/v1/pause-reasons/{reason_id}",
        Action.MANAGE_PAUSE_REASONS,
        with_reason(
            api(
                "PATCH",
                "/api/v1/pause-reasons/{reason_id}",
                lambda _ctx: {"name": unique("Renamed "), "enabled": False, "position": 0},
            )
        ),
    ),
    Route(
        "DELETE",
        "/api/v1/pause-reasons/{reason_id}",
        Action.MANAGE_PAUSE_REASONS,
        with_reason(api("DELETE", "/api/v1/pause-reasons/{reason_id}")),
    ),
    # Pages.
    Route(
        "GET",
        "/admin/pause-reasons",
        Action.VIEW_PAUSE_REASONS,
        page_get("/admin/pause-reasons"),
        page=True,
    ),
    Route(
        "POST",
        "/admin/pause-reasons",
        Action.MANAGE_PAUSE_REASONS,
        page_post("/admin/pause-reasons", lambda _ctx: {"name": unique("Paged ")}),
        page=True,
    ),
    Route(
        "POST",
        "/admin/pause-reasons/{reason_id}",
        Action.MANAGE_PAUSE_REASONS,
        with_reason(
            page_post("/admin/pause-reasons/{reason_id}", lambda _ctx: {"name": unique("Renamed ")})
        ),
        page=True,
    ),
    Route(
        "POST",
        "/admin/pause-reasons/{reason_id}/enabled",
        Action.MANAGE_PAUSE_REASONS,
        with_reason(
            page_post("/admin/pause-reasons/{reason_id}/enabled", lambda _ctx: {"enabled": "false"})
        ),
        page=True,
    ),
    Route(
        "POST",
        "/admin/pause-reasons/{reason_id}/move",
        Action.MANAGE_PAUSE_REASONS,
        with_reason(
            page_post("/admin/pause-reasons/{reason_id}/move", lambda _ctx: {"direction": "up"})
        ),
        page=True,
    ),
    Route(
        "GET",
        "/admin/pause-reasons/{reason_id}/delete",
        Action.MANAGE_PAUSE_REASONS,
        with_reason(page_get("/admin/pause-reasons/{reason_id}/delete")),
        page=True,
    ),
    Route(
        "POST",
        "/admin/pause-reasons/{reason_id}/delete",
        Action.MANAGE_PAUSE_REASONS,
        with_reason(page_post("/admin/pause-reasons/{reason_id}/delete")),
        page=True,
    ),
]

"""Routes of tags: the API (admins manage, agents read and may add custom tags) and the
admin page."""

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


def _new_tag(ctx: Context) -> None:
    """A tag for the call to change, made through the service (the subject may not)."""
    from helpline.tags import service
    from helpline.tags.schemas import TagCreate
    from helpline.timeutil import utcnow

    tag_in = TagCreate(name=unique("Tag "))
    tag = ctx.helpline.run(
        lambda session: service.create(session=session, tag_in=tag_in, now=utcnow(), actor_id=None)
    )
    ctx.ids["tag_id"] = tag.id


def with_tag(request: Request) -> Request:
    def call(ctx: Context) -> Any:
        _new_tag(ctx)
        return request(ctx)

    return call


ROUTES: list[Route] = [
    # Everybody reads the enabled tags (what agents are offered).
    Route("GET", "/api/v1/tags", AUTHENTICATED, api("GET", "/api/v1/tags?enabled=true")),
    Route(
        "POST",
        "/api/v1/tags",
        Action.MANAGE_TAGS,
        api("POST", "/api/v1/tags", lambda _ctx: {"name": unique("Tag ")}),
    ),
    Route(
        "POST",
        "/api/v1/tags/custom",
        Action.CREATE_CUSTOM_TAGS,
        api("POST", "/api/v1/tags/custom", lambda _ctx: {"name": unique("Custom ")}),
    ),
    Route(
        "PATCH",
        "/api/v1/tags/{tag_id}",
        Action.MANAGE_TAGS,
        with_tag(
            api(
                "PATCH",
                "/api/v1/tags/{tag_id}",
                lambda _ctx: {"name": unique("Renamed "), "enabled": False},
            )
        ),
    ),
    Route(
        "DELETE",
        "/api/v1/tags/{tag_id}",
        Action.MANAGE_TAGS,
        with_tag(api("DELETE", "/api/v1/tags/{tag_id}")),
    ),
    # The admin page.
    Route("GET", "/admin/tags", Action.MANAGE_TAGS, page_get("/admin/tags?search=a"), page=True),
    Route(
        "POST",
        "/admin/tags",
        Action.MANAGE_TAGS,
        page_post("/admin/tags", lambda _ctx: {"name": unique("Paged ")}),
        page=True,
    ),
    Route(
        "POST",
        "/admin/tags/{tag_id}",
        Action.MANAGE_TAGS,
        with_tag(page_post("/admin/tags/{tag_id}", lambda _ctx: {"name": unique("Renamed ")})),
        page=True,
    ),
    Route(
        "POST",
        "/admin/tags/{tag_id}/enabled",
        Action.MANAGE_TAGS,
        with_tag(page_post("/admin/tags/{tag_id}/enabled", lambda _ctx: {"enabled": "false"})),
        page=True,
    ),
    Route(
        "GET",
        "/admin/tags/{tag_id}/delete",
        Action.MANAGE_TAGS,
        with_tag(page_get("/admin/tags/{tag_id}/delete")),
        page=True,
    ),
    Route(
        "POST",
        "/admin/tags/{tag_id}/delete",
        Action.MANAGE_TAGS,
        with_tag(page_post("/admin/tags/{tag_id}/delete")),
        page=True,
    ),
]

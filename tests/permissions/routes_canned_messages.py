"""Routes of canned messages: the composer's API, personal and public messages, the
agent's page and the public messages' page.

PATCH and DELETE of one message are listed twice: on the subject's own personal message
(any signed-in owner) and on a public one (those who manage public messages).
"""

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


def _new_message(ctx: Context, *, public: bool) -> None:
    """A message for the call to change: public, or the subject's own (made by the service)."""
    from helpline.canned_messages import service
    from helpline.canned_messages.schemas import CannedMessageCreate
    from helpline.timeutil import utcnow
    from helpline.users import repository as users

    async def make(session: Any) -> Any:
        owner = await users.get_by_username(session, ctx.username or "scratch")
        assert owner is not None
        return await service.create(
            session=session,
            message_in=CannedMessageCreate(shortcut=unique("s"), text="Hello there"),
            public=public,
            now=utcnow(),
            actor_id=owner.id,
        )

    ctx.ids["message_id"] = ctx.helpline.run(make).id


def with_message(request: Request, *, public: bool) -> Request:
    def call(ctx: Context) -> Any:
        _new_message(ctx, public=public)
        return request(ctx)

    return call


def _body(_ctx: Context) -> dict[str, Any]:
    return {"shortcut": unique("s"), "category": "General", "text": "Thank you!"}


def _form(_ctx: Context) -> dict[str, Any]:
    return {"shortcut": unique("p"), "category": "General", "text": "Thanks"}


PUBLIC = Action.MANAGE_PUBLIC_CANNED_MESSAGES
OWNER = Action.USE_AGENT_DASHBOARD
BASE = "/api/v1/canned-messages"
MINE = "/agent/canned-messages"
SHARED = "/admin/canned-messages"


ROUTES: list[Route] = [
    Route("GET", BASE, AUTHENTICATED, api("GET", f"{BASE}?query=he&limit=5")),
    Route("GET", f"{BASE}/categories", AUTHENTICATED, api("GET", f"{BASE}/categories")),
    Route("GET", f"{BASE}/personal", OWNER, api("GET", f"{BASE}/personal")),
    Route("POST", f"{BASE}/personal", OWNER, api("POST", f"{BASE}/personal", _body)),
    Route("GET", f"{BASE}/public", AUTHENTICATED, api("GET", f"{BASE}/public")),
    Route("POST", f"{BASE}/public", PUBLIC, api("POST", f"{BASE}/public", _body)),
    Route(
        "PATCH",
        f"{BASE}/{{message_id}}",
        AUTHENTICATED,
        with_message(
            api("PATCH", f"{BASE}/{{message_id}}", {"text": "Changed", "enabled": False}),
            public=False,
        ),
    ),
    Route(
        "PATCH",
        f"{BASE}/{{message_id}}",
        PUBLIC,
        with_message(api("PATCH", f"{BASE}/{{message_id}}", {"text": "Changed"}), public=True),
    ),
    Route(
        "DELETE",
        f"{BASE}/{{message_id}}",
        AUTHENTICATED,
        with_message(api("DELETE", f"{BASE}/{{message_id}}"), public=False),
    ),
    Route(
        "DELETE",
        f"{BASE}/{{message_id}}",
        PUBLIC,
        with_message(api("DELETE", f"{BASE}/{{message_id}}"), public=True),
    ),
]

# The agent's page (their own messages) and the public messages' page: the same routes.
for prefix, needs, public in ((MINE, OWNER, False), (SHARED, PUBLIC, True)):
    ROUTES += [
        Route("GET", prefix, needs, page_get(f"{prefix}?search=he"), page=True),
        Route("POST", prefix, needs, page_post(prefix, _form), page=True),
        Route(
            "GET",
            f"{prefix}/{{message_id}}",
            needs,
            with_message(page_get(f"{prefix}/{{message_id}}"), public=public),
            page=True,
        ),
        Route(
            "POST",
            f"{prefix}/{{message_id}}",
            needs,
            with_message(page_post(f"{prefix}/{{message_id}}", _form), public=public),
            page=True,
        ),
        Route(
            "POST",
            f"{prefix}/{{message_id}}/enabled",
            needs,
            with_message(
                page_post(f"{prefix}/{{message_id}}/enabled", lambda _ctx: {"enabled": "false"}),
                public=public,
            ),
            page=True,
        ),
        Route(
            "GET",
            f"{prefix}/{{message_id}}/delete",
            needs,
            with_message(page_get(f"{prefix}/{{message_id}}/delete"), public=public),
            page=True,
        ),
        Route(
            "POST",
            f"{prefix}/{{message_id}}/delete",
            needs,
            with_message(page_post(f"{prefix}/{{message_id}}/delete"), public=public),
            page=True,
        ),
    ]

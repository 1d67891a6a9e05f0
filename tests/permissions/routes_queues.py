"""Routes of queue configuration: call queues, chat queues, campaigns, priorities."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from helpline.queues import service
from helpline.queues.schemas import (
    Assignments,
    CallQueueCreate,
    CampaignCreate,
    ChatQueueCreate,
    QueueKind,
)
from helpline.timeutil import utcnow
from helpline.users import repository as user_repository
from tests.permissions.routing import Context, Request, Route, api, page_get, page_post, unique

API_PATHS = {
    QueueKind.CALL: "call-queues",
    QueueKind.CHAT: "chat-queues",
    QueueKind.CAMPAIGN: "campaigns",
}
CREATE: dict[QueueKind, Any] = {
    QueueKind.CALL: CallQueueCreate,
    QueueKind.CHAT: ChatQueueCreate,
    QueueKind.CAMPAIGN: CampaignCreate,
}


def with_queue(kind: QueueKind, call: Request) -> Request:
    """Create a queue (as the system) and put its id in the URL, then make the call."""

    async def create(session: Any, username: str | None) -> int:
        queue_in = CREATE[kind](name=unique("q"))
        queue = await service.create(
            session=session, kind=kind, queue_in=queue_in, now=utcnow(), actor_id=None
        )
        subject = await user_repository.get_by_username(session, username) if username else None
        if subject is not None and "supervisor" in subject.role_names:
            # A supervisor may be restricted to the call queues assigned to them.
            await service.set_team(
                session=session,
                kind=kind,
                queue_id=queue.id,
                assignments=Assignments(supervisors=[subject.id]),
                now=utcnow(),
                actor_id=None,
            )
        return queue.id

    def wrapped(ctx: Context) -> Any:
        ctx.ids["queue_id"] = ctx.helpline.run(lambda session: create(session, ctx.username))
        return call(ctx)

    return wrapped


def _routes_for(kind: QueueKind) -> list[Route]:
    path = API_PATHS[kind]
    view, manage = Action.VIEW_QUEUE_SETTINGS, Action.MANAGE_QUEUE_SETTINGS
    base = f"/api/v1/{path}"
    item = f"{base}/{{queue_id}}"
    return [
        Route("GET", base, view, api("GET", base)),
        Route("POST", base, manage, api("POST", base, lambda _ctx: {"name": unique("new")})),
        Route("GET", item, view, with_queue(kind, api("GET", item))),
        Route("PATCH", item, manage, with_queue(kind, api("PATCH", item, {"priority_score": 3}))),
        Route("DELETE", item, manage, with_queue(kind, api("DELETE", item))),
        Route(
            "GET", f"{item}/assignments", view, with_queue(kind, api("GET", f"{item}/assignments"))
        ),
        Route(
            "PUT",
            f"{item}/assignments",
            manage,
            with_queue(kind, api("PUT", f"{item}/assignments", {"agents": [], "supervisors": []})),
        ),
        Route("GET", f"/admin/{path}", view, page_get(f"/admin/{path}"), page=True),
        Route(
            "POST",
            f"/admin/{path}",
            manage,
            page_post(f"/admin/{path}", lambda _ctx: {"name": unique("page")}),
            page=True,
        ),
        Route(
            "GET",
            f"/admin/{path}/{{queue_id}}",
            view,
            with_queue(kind, page_get(f"/admin/{path}/{{queue_id}}")),
            page=True,
        ),
        Route(
            "POST",
            f"/admin/{path}/{{queue_id}}",
            manage,
            with_queue(
                kind, page_post(f"/admin/{path}/{{queue_id}}", lambda _ctx: _valid_form(kind))
            ),
            page=True,
        ),
        Route(
            "POST",
            f"/admin/{path}/{{queue_id}}/team",
            manage,
            with_queue(kind, page_post(f"/admin/{path}/{{queue_id}}/team")),
            page=True,
        ),
        Route(
            "POST",
            f"/admin/{path}/{{queue_id}}/delete",
            manage,
            with_queue(kind, page_post(f"/admin/{path}/{{queue_id}}/delete")),
            page=True,
        ),
    ]


def _valid_form(kind: QueueKind) -> dict[str, Any]:
    if kind is QueueKind.CALL:
        return {
            "name": unique("form"),
            "queue_type": "standard",
            "strategy": "longest_idle",
            "max_wait_seconds": "600",
            "service_level_seconds": "20",
            "wrap_up_seconds": "30",
            "offer_timeout_seconds": "20",
            "callback_threshold_seconds": "300",
        }
    if kind is QueueKind.CHAT:
        return {
            "name": unique("form"),
            "strategy": "longest_idle",
            "max_concurrent_chats": "3",
            "offer_timeout_seconds": "30",
            "channels": "webchat",
        }
    return {"name": unique("form"), "answer_timeout_seconds": "20"}


ROUTES: list[Route] = [
    Route(
        "GET",
        "/api/v1/call-queues/next-extension",
        Action.MANAGE_QUEUE_SETTINGS,
        api("GET", "/api/v1/call-queues/next-extension"),
    ),
    *(route for kind in QueueKind for route in _routes_for(kind)),
    Route(
        "GET",
        "/api/v1/queue-priorities",
        Action.VIEW_QUEUE_SETTINGS,
        api("GET", "/api/v1/queue-priorities"),
    ),
    Route(
        "PATCH",
        "/api/v1/queue-priorities",
        Action.MANAGE_QUEUE_SETTINGS,
        with_queue(
            QueueKind.CALL,
            lambda ctx: ctx.client.patch(
                "/api/v1/queue-priorities",
                json={"kind": "call", "id": ctx.ids["queue_id"], "priority_score": 4},
            ),
        ),
    ),
    Route(
        "GET",
        "/admin/priorities",
        Action.VIEW_QUEUE_SETTINGS,
        page_get("/admin/priorities"),
        page=True,
    ),
    Route(
        "POST",
        "/admin/priorities",
        Action.MANAGE_QUEUE_SETTINGS,
        with_queue(
            QueueKind.CALL,
            lambda ctx: page_post(
                "/admin/priorities",
                lambda _c: {"kind": "call", "id": ctx.ids["queue_id"], "step": "up"},
            )(ctx),
        ),
        page=True,
    ),
]

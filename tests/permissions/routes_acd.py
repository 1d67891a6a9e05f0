"""Routes of the live ACD: the agent's status and work, supervisors, contact intake."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from helpline.queues.schemas import QueueKind
from tests.permissions.routes_queues import with_queue
from tests.permissions.routing import Context, Request, Route, api, page_get, unique
from tests.support import wait_until

AGENT = Action.USE_AGENT_DASHBOARD
SUPERVISOR = Action.USE_SUPERVISOR_DASHBOARD


def agent_route(method: str, path: str, body: Any = None, *, url: str | None = None) -> Route:
    return Route(method, path, AGENT, api(method, url or path, body), gate_only=True)


def in_router(call: Request) -> Request:
    """A queue of the subject's (supervised by them), known to the live router."""

    def wrapped(ctx: Context) -> Any:
        queue_id = ctx.ids["queue_id"]
        key = f"call:{queue_id}"
        acd = ctx.helpline.app.state.acd
        wait_until(lambda: key in acd.router.queue_ids(), what="the router to see the queue")
        ctx.ids["queue_key"] = key
        ctx.ids["user_id"] = ctx.ids["scratch_id"]
        return call(ctx)

    return with_queue(QueueKind.CALL, wrapped)


ROUTES: list[Route] = [
    Route(
        "GET",
        "/supervisor/queues/{queue_key}",
        SUPERVISOR,
        in_router(page_get("/supervisor/queues/{queue_key}")),
        page=True,
    ),
    agent_route("GET", "/api/v1/acd/me"),
    agent_route("POST", "/api/v1/acd/me/login", {}),
    agent_route("POST", "/api/v1/acd/me/ready", {}),
    agent_route("POST", "/api/v1/acd/me/pause", {}),
    agent_route("POST", "/api/v1/acd/me/logout", {}),
    agent_route("POST", "/api/v1/acd/me/wrap-up/end", {}),
    agent_route("POST", "/api/v1/acd/offers/{offer_id}/accept", url="/api/v1/acd/offers/1/accept"),
    agent_route(
        "POST", "/api/v1/acd/offers/{offer_id}/decline", url="/api/v1/acd/offers/1/decline"
    ),
    agent_route("POST", "/api/v1/acd/contacts/{contact_id}/end", url="/api/v1/acd/contacts/x/end"),
    Route(
        "POST",
        "/api/v1/acd/contacts",
        Action.ROUTE_CONTACTS,
        in_router(
            lambda ctx: ctx.client.post(
                "/api/v1/acd/contacts",
                json={"queue_id": ctx.ids["queue_key"], "contact_id": unique("c")},
            )
        ),
    ),
    Route(
        "POST",
        "/api/v1/acd/contacts/{contact_id}/abandon",
        Action.ROUTE_CONTACTS,
        api("POST", "/api/v1/acd/contacts/none/abandon"),
        gate_only=True,
    ),
    Route("GET", "/api/v1/acd/queues", SUPERVISOR, api("GET", "/api/v1/acd/queues")),
    Route(
        "GET",
        "/api/v1/acd/queues/{queue_id}",
        SUPERVISOR,
        in_router(api("GET", "/api/v1/acd/queues/{queue_key}")),
    ),
    Route(
        "GET",
        "/api/v1/acd/queues/{queue_id}/candidates",
        SUPERVISOR,
        in_router(api("GET", "/api/v1/acd/queues/{queue_key}/candidates")),
    ),
    Route(
        "POST",
        "/api/v1/acd/queues/{queue_id}/agents/{user_id}/{action}",
        SUPERVISOR,
        # The scratch user is an agent who is not in the queue: logging them in is allowed
        # (the organization allows unassigned logins by default).
        in_router(api("POST", "/api/v1/acd/queues/{queue_key}/agents/{user_id}/login")),
        gate_only=True,
    ),
]

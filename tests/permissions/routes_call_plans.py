"""Routes of call plans: the API and the admin pages."""

from __future__ import annotations

from typing import Any

from helpline.core.permissions import Action
from tests.permissions.routing import Context, Request, Route, api, page_get, page_post, unique


def _graph() -> dict[str, Any]:
    return {
        "entry": "hello",
        "nodes": [
            {"id": "hello", "type": "prompt", "label": "Hello", "prompt": "welcome", "next": "end"},
            {"id": "end", "type": "hangup", "label": "Bye"},
        ],
    }


def _form() -> dict[str, str]:
    return {
        "name": unique("Paged plan "),
        "entry": "hello",
        "n0.original_id": "hello",
        "n0.id": "hello",
        "n0.type": "prompt",
        "n0.label": "Hello",
        "n0.prompt.prompt": "welcome",
        "n0.prompt.next": "end",
        "n1.original_id": "end",
        "n1.id": "end",
        "n1.type": "hangup",
        "n1.label": "Bye",
    }


def _new_plan(ctx: Context) -> None:
    """A plan for the call to change, made through the service (the subject may not)."""
    from helpline.call_plans import service
    from helpline.call_plans.schemas import CallPlanIn
    from helpline.timeutil import utcnow

    plan_in = CallPlanIn.model_validate({"name": unique("Plan "), **_graph()})
    plan = ctx.helpline.run(
        lambda session: service.create(
            session=session, plan_in=plan_in, now=utcnow(), actor_id=None
        )
    )
    ctx.ids["plan_id"] = plan.id


def with_plan(request: Request) -> Request:
    def call(ctx: Context) -> Any:
        _new_plan(ctx)
        return request(ctx)

    return call


ROUTES: list[Route] = [
    Route(
        "GET", "/api/v1/call-plans", Action.VIEW_QUEUE_SETTINGS, api("GET", "/api/v1/call-plans")
    ),
    Route(
        "POST",
        "/api/v1/call-plans",
        Action.MANAGE_QUEUE_SETTINGS,
        api("POST", "/api/v1/call-plans", lambda _ctx: {"name": unique("Plan "), **_graph()}),
    ),
    Route(
        "POST",
        "/api/v1/call-plans/validate",
        Action.MANAGE_QUEUE_SETTINGS,
        api("POST", "/api/v1/call-plans/validate", lambda _ctx: {"name": "Check", **_graph()}),
    ),
    Route(
        "GET",
        "/api/v1/call-plans/{plan_id}",
        Action.VIEW_QUEUE_SETTINGS,
        with_plan(api("GET", "/api/v1/call-plans/{plan_id}")),
    ),
    Route(
        "PUT",
        "/api/v1/call-plans/{plan_id}",
        Action.MANAGE_QUEUE_SETTINGS,
        with_plan(
            api(
                "PUT",
                "/api/v1/call-plans/{plan_id}",
                lambda _ctx: {"name": unique("Renamed "), "version": 1, **_graph()},
            )
        ),
    ),
    Route(
        "DELETE",
        "/api/v1/call-plans/{plan_id}",
        Action.MANAGE_QUEUE_SETTINGS,
        with_plan(api("DELETE", "/api/v1/call-plans/{plan_id}")),
    ),
    Route(
        "GET",
        "/api/v1/call-plans/{plan_id}/numbers",
        Action.VIEW_QUEUE_SETTINGS,
        with_plan(api("GET", "/api/v1/call-plans/{plan_id}/numbers")),
    ),
    Route(
        "PUT",
        "/api/v1/call-plans/{plan_id}/numbers",
        Action.MANAGE_QUEUE_SETTINGS,
        with_plan(
            api(
                "PUT",
                "/api/v1/call-plans/{plan_id}/numbers",
                lambda _ctx: {"numbers": [{"number": unique("77")}]},
            )
        ),
    ),
    # Pages.
    Route(
        "GET",
        "/admin/call-plans",
        Action.VIEW_QUEUE_SETTINGS,
        page_get("/admin/call-plans"),
        page=True,
    ),
    Route(
        "GET",
        "/admin/call-plans/new",
        Action.MANAGE_QUEUE_SETTINGS,
        page_get("/admin/call-plans/new"),
        page=True,
    ),
    Route(
        "POST",
        "/admin/call-plans",
        Action.MANAGE_QUEUE_SETTINGS,
        page_post("/admin/call-plans", lambda _ctx: _form()),
        page=True,
    ),
    Route(
        "POST",
        "/admin/call-plans/preview",
        Action.MANAGE_QUEUE_SETTINGS,
        page_post("/admin/call-plans/preview", lambda _ctx: _form()),
        page=True,
    ),
    Route(
        "GET",
        "/admin/call-plans/{plan_id}",
        Action.VIEW_QUEUE_SETTINGS,
        with_plan(page_get("/admin/call-plans/{plan_id}")),
        page=True,
    ),
    Route(
        "POST",
        "/admin/call-plans/{plan_id}",
        Action.MANAGE_QUEUE_SETTINGS,
        with_plan(
            page_post("/admin/call-plans/{plan_id}", lambda _ctx: _form() | {"version": "1"})
        ),
        page=True,
    ),
    Route(
        "POST",
        "/admin/call-plans/{plan_id}/numbers",
        Action.MANAGE_QUEUE_SETTINGS,
        with_plan(
            page_post(
                "/admin/call-plans/{plan_id}/numbers",
                lambda _ctx: {"number.0.number": unique("78"), "number.0.label": "Paged"},
            )
        ),
        page=True,
    ),
    Route(
        "GET",
        "/admin/call-plans/{plan_id}/delete",
        Action.MANAGE_QUEUE_SETTINGS,
        with_plan(page_get("/admin/call-plans/{plan_id}/delete")),
        page=True,
    ),
    Route(
        "POST",
        "/admin/call-plans/{plan_id}/delete",
        Action.MANAGE_QUEUE_SETTINGS,
        with_plan(page_post("/admin/call-plans/{plan_id}/delete")),
        page=True,
    ),
]

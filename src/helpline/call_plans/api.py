from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from helpline.call_plans import service, validation
from helpline.call_plans.schemas import (
    CallPlanIn,
    CallPlanNumberOut,
    CallPlanNumbers,
    CallPlanOut,
    CallPlanUpdate,
    ValidationResult,
)
from helpline.call_plans.service import PlanInvalid
from helpline.call_plans.validation import PlanError
from helpline.core.permissions import Action
from helpline.errors import DomainError
from helpline.http.deps import NowDep, SessionDep, require
from helpline.http.errors import http_error
from helpline.users.models import User

Viewer = Annotated[User, Depends(require(Action.VIEW_QUEUE_SETTINGS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]

_INVALID_PLAN: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "The plan is not valid: `errors` lists every problem, with the id of "
        "the node it is about (`node`, null for the plan as a whole)",
    }
}


def _errors_response(detail: str, errors: Sequence[PlanError]) -> JSONResponse:
    return JSONResponse(
        {"detail": detail, "errors": [error.as_dict() for error in errors]},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


class PlanRoute(APIRoute):
    """Answers a plan's problems as ``{"detail", "errors": [{"node", "message"}]}``.

    Field errors (caught by FastAPI before the endpoint runs) and graph errors (found by the
    service) get the same shape, so that a client shows both beside the nodes.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as error:
                errors = validation.input_errors(await _json_body(request), error.errors())
                shown = "; ".join(item.message for item in errors[:5])
                return _errors_response(f"invalid request: {shown}", errors)
            except PlanInvalid as error:
                return _errors_response(error.message, error.errors)

        return route


router = APIRouter(prefix="/call-plans", tags=["call plans"], route_class=PlanRoute)


@router.get("", response_model=list[CallPlanOut])
async def list_call_plans(session: SessionDep, _user: Viewer) -> list[CallPlanOut]:
    return await service.describe_all(session=session)


@router.post(
    "", response_model=CallPlanOut, status_code=status.HTTP_201_CREATED, responses=_INVALID_PLAN
)
async def create_call_plan(
    body: CallPlanIn, session: SessionDep, user: Manager, now: NowDep
) -> CallPlanOut:
    try:
        plan = await service.create(session=session, plan_in=body, now=now, actor_id=user.id)
    except PlanInvalid:
        raise
    except DomainError as error:
        raise http_error(error) from error
    return await service.describe(session=session, plan=plan)


@router.post("/validate", response_model=ValidationResult, responses=_INVALID_PLAN)
async def validate_call_plan(
    body: CallPlanIn, session: SessionDep, _user: Manager
) -> ValidationResult:
    """Check a plan as a save would, without saving it (the name is not checked)."""
    await service.validate(session=session, plan_in=body)
    return ValidationResult(valid=True, errors=[])


@router.get("/{plan_id}", response_model=CallPlanOut)
async def read_call_plan(plan_id: int, session: SessionDep, _user: Viewer) -> CallPlanOut:
    try:
        plan = await service.get(session=session, plan_id=plan_id)
    except DomainError as error:
        raise http_error(error) from error
    return await service.describe(session=session, plan=plan)


@router.put("/{plan_id}", response_model=CallPlanOut, responses=_INVALID_PLAN)
async def replace_call_plan(
    plan_id: int, body: CallPlanUpdate, session: SessionDep, user: Manager, now: NowDep
) -> CallPlanOut:
    """Save the whole plan. ``version`` is the one you loaded: 409 if it changed since."""
    try:
        plan = await service.update(
            session=session, plan_id=plan_id, plan_in=body, now=now, actor_id=user.id
        )
    except PlanInvalid:
        raise
    except DomainError as error:
        raise http_error(error) from error
    return await service.describe(session=session, plan=plan)


@router.delete("/{plan_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_call_plan(
    plan_id: int, session: SessionDep, user: Manager, now: NowDep
) -> Response:
    """Refused (409) while numbers still route to the plan."""
    try:
        await service.delete(session=session, plan_id=plan_id, now=now, actor_id=user.id)
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{plan_id}/numbers", response_model=list[CallPlanNumberOut])
async def read_call_plan_numbers(
    plan_id: int, session: SessionDep, _user: Viewer
) -> list[CallPlanNumberOut]:
    try:
        rows = await service.numbers(session=session, plan_id=plan_id)
    except DomainError as error:
        raise http_error(error) from error
    return [CallPlanNumberOut.model_validate(row) for row in rows]


@router.put("/{plan_id}/numbers", response_model=list[CallPlanNumberOut])
async def set_call_plan_numbers(
    plan_id: int, body: CallPlanNumbers, session: SessionDep, user: Manager, now: NowDep
) -> list[CallPlanNumberOut]:
    """The numbers (DIDs, internal numbers) that the plan answers, replacing the old ones.

    409 when a number routes to another plan, is a user's line or a queue's extension.
    """
    try:
        rows = await service.set_numbers(
            session=session, plan_id=plan_id, numbers_in=body.numbers, now=now, actor_id=user.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return [CallPlanNumberOut.model_validate(row) for row in rows]

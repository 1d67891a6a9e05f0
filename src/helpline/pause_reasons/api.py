from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from helpline.core.permissions import Action
from helpline.errors import DomainError
from helpline.http.deps import CurrentUser, NowDep, SessionDep, require
from helpline.http.errors import http_error
from helpline.pause_reasons import service
from helpline.pause_reasons.schemas import (
    PauseReasonCreate,
    PauseReasonList,
    PauseReasonOut,
    PauseReasonUpdate,
)
from helpline.users.models import User

router = APIRouter(prefix="/pause-reasons", tags=["pause reasons"])

Manager = Annotated[User, Depends(require(Action.MANAGE_PAUSE_REASONS))]


@router.get("", response_model=PauseReasonList)
async def list_pause_reasons(
    session: SessionDep, _user: CurrentUser, enabled: bool | None = None
) -> PauseReasonList:
    """Every signed-in user may read them: agents choose among the enabled ones."""
    reasons = await service.list_reasons(session=session, enabled=enabled)
    return PauseReasonList(
        status_menu=await service.status_menu(session=session),
        reasons=[PauseReasonOut.model_validate(reason) for reason in reasons],
    )


@router.post("", response_model=PauseReasonOut, status_code=status.HTTP_201_CREATED)
async def create_pause_reason(
    body: PauseReasonCreate, session: SessionDep, manager: Manager, now: NowDep
) -> PauseReasonOut:
    try:
        reason = await service.create(session=session, reason_in=body, now=now, actor_id=manager.id)
    except DomainError as error:
        raise http_error(error) from error
    return PauseReasonOut.model_validate(reason)


@router.patch("/{reason_id}", response_model=PauseReasonOut)
async def update_pause_reason(
    reason_id: int, body: PauseReasonUpdate, session: SessionDep, manager: Manager, now: NowDep
) -> PauseReasonOut:
    try:
        reason = await service.update(
            session=session, reason_id=reason_id, reason_in=body, now=now, actor_id=manager.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return PauseReasonOut.model_validate(reason)


@router.delete("/{reason_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_pause_reason(
    reason_id: int, session: SessionDep, manager: Manager, now: NowDep
) -> Response:
    try:
        await service.delete(session=session, reason_id=reason_id, now=now, actor_id=manager.id)
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)

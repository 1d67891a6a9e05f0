from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from helpline.core.permissions import Action
from helpline.errors import DomainError
from helpline.http.deps import NowDep, SessionDep, SettingsDep, require
from helpline.http.errors import http_error
from helpline.trunks import service
from helpline.trunks.schemas import TrunkCreate, TrunkOut, TrunkUpdate
from helpline.users.models import User

router = APIRouter(prefix="/trunks", tags=["trunks"])

# Trunks hold carrier credentials: reading them needs the right to change queue settings,
# not only to see them (by default: admins only).
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]


@router.get("", response_model=list[TrunkOut])
async def list_trunks(session: SessionDep, _user: Manager) -> list[TrunkOut]:
    """Every trunk, in the order outbound calls try them. Passwords are never returned."""
    return await service.describe_all(session=session)


@router.post("", response_model=TrunkOut, status_code=status.HTTP_201_CREATED)
async def create_trunk(
    body: TrunkCreate, session: SessionDep, user: Manager, now: NowDep, settings: SettingsDep
) -> TrunkOut:
    try:
        trunk = await service.create(
            session=session,
            trunk_in=body,
            secret_key=settings.secret_key,
            now=now,
            actor_id=user.id,
        )
    except DomainError as error:
        raise http_error(error) from error
    return await service.describe(session=session, trunk=trunk)


@router.get("/{trunk_id}", response_model=TrunkOut)
async def read_trunk(trunk_id: int, session: SessionDep, _user: Manager) -> TrunkOut:
    try:
        trunk = await service.get(session=session, trunk_id=trunk_id)
    except DomainError as error:
        raise http_error(error) from error
    return await service.describe(session=session, trunk=trunk)


@router.patch("/{trunk_id}", response_model=TrunkOut)
async def update_trunk(
    trunk_id: int,
    body: TrunkUpdate,
    session: SessionDep,
    user: Manager,
    now: NowDep,
    settings: SettingsDep,
) -> TrunkOut:
    """Only the fields given change. An empty ``password`` keeps the stored one; an empty
    ``username`` removes the credentials."""
    try:
        trunk = await service.update(
            session=session,
            trunk_id=trunk_id,
            trunk_in=body,
            secret_key=settings.secret_key,
            now=now,
            actor_id=user.id,
        )
    except DomainError as error:
        raise http_error(error) from error
    return await service.describe(session=session, trunk=trunk)


@router.delete("/{trunk_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_trunk(trunk_id: int, session: SessionDep, user: Manager, now: NowDep) -> Response:
    """The trunk and its DIDs go; the call plans keep answering those numbers."""
    try:
        await service.delete(session=session, trunk_id=trunk_id, now=now, actor_id=user.id)
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from helpline.core.permissions import DEFAULT_MATRIX, Action
from helpline.http.deps import NowDep, SessionDep, require
from helpline.permissions import service
from helpline.permissions.schemas import PermissionMatrixOut, PermissionMatrixUpdate
from helpline.users.models import User

router = APIRouter(prefix="/permissions", tags=["permissions"])

Admin = Annotated[User, Depends(require(Action.MANAGE_PERMISSIONS))]


@router.get("", response_model=PermissionMatrixOut)
async def get_matrix(session: SessionDep, _admin: Admin) -> PermissionMatrixOut:
    return PermissionMatrixOut(
        matrix=await service.get_matrix(session=session), defaults=dict(DEFAULT_MATRIX)
    )


@router.patch("", response_model=PermissionMatrixOut)
async def update_matrix(
    body: PermissionMatrixUpdate, session: SessionDep, admin: Admin, now: NowDep
) -> PermissionMatrixOut:
    matrix = await service.update(session=session, changes=body.root, now=now, actor_id=admin.id)
    return PermissionMatrixOut(matrix=matrix, defaults=dict(DEFAULT_MATRIX))


@router.post("/reset", response_model=PermissionMatrixOut)
async def reset_matrix(session: SessionDep, admin: Admin, now: NowDep) -> PermissionMatrixOut:
    matrix = await service.reset_to_defaults(session=session, now=now, actor_id=admin.id)
    return PermissionMatrixOut(matrix=matrix, defaults=dict(DEFAULT_MATRIX))

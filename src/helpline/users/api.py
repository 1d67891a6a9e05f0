from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from helpline.core.permissions import Action, Role
from helpline.errors import DomainError
from helpline.http.deps import CurrentUser, NowDep, SessionDep, require
from helpline.http.errors import http_error
from helpline.users import service
from helpline.users.models import User
from helpline.users.schemas import MeUpdate, UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])
me_router = APIRouter(prefix="/me", tags=["users"])

Admin = Annotated[User, Depends(require(Action.MANAGE_USERS))]


@router.get("", response_model=list[UserOut])
async def list_users(
    session: SessionDep,
    _admin: Admin,
    search: Annotated[str | None, Query(max_length=100)] = None,
    role: Role | None = None,
    include_inactive: bool = True,
) -> list[UserOut]:
    users = await service.list_users(
        session=session, search=search, role=role, include_inactive=include_inactive
    )
    return [UserOut.model_validate(user) for user in users]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, session: SessionDep, admin: Admin, now: NowDep) -> UserOut:
    try:
        user = await service.create(session=session, user_in=body, now=now, actor_id=admin.id)
    except DomainError as error:
        raise http_error(error) from error
    return UserOut.model_validate(user)


@router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: int, session: SessionDep, _admin: Admin) -> UserOut:
    try:
        return UserOut.model_validate(await service.get(session=session, user_id=user_id))
    except DomainError as error:
        raise http_error(error) from error


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: int, body: UserUpdate, session: SessionDep, admin: Admin, now: NowDep
) -> UserOut:
    try:
        user = await service.update(
            session=session, user_id=user_id, user_in=body, now=now, actor_id=admin.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return UserOut.model_validate(user)


@me_router.patch("", response_model=UserOut)
async def update_me(body: MeUpdate, session: SessionDep, user: CurrentUser, now: NowDep) -> UserOut:
    try:
        updated = await service.update_me(session=session, user=user, me_in=body, now=now)
    except DomainError as error:
        raise http_error(error) from error
    return UserOut.model_validate(updated)

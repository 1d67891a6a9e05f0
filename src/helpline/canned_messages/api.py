from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from helpline.canned_messages import service
from helpline.canned_messages.schemas import (
    DEFAULT_LIMIT,
    MAX_CATEGORY_LENGTH,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    CannedMessageCreate,
    CannedMessageOut,
    CannedMessageUpdate,
)
from helpline.core.permissions import Action, Permission, is_allowed
from helpline.errors import DomainError
from helpline.http.deps import CurrentUser, MatrixDep, NowDep, SessionDep, require, user_roles
from helpline.http.errors import http_error
from helpline.users.models import User

router = APIRouter(prefix="/canned-messages", tags=["canned messages"])

# Personal messages belong to users with the agent dashboard (agents, admins).
Owner = Annotated[User, Depends(require(Action.USE_AGENT_DASHBOARD))]
# Admins, supervisors, and agents with "Manage public canned messages".
PublicManager = Annotated[User, Depends(require(Action.MANAGE_PUBLIC_CANNED_MESSAGES))]


def rights(user: User, matrix: dict[Permission, bool]) -> tuple[bool, bool]:
    """(may manage public messages, may keep personal ones)."""
    roles = user_roles(user)
    return (
        is_allowed(roles, Action.MANAGE_PUBLIC_CANNED_MESSAGES, matrix),
        is_allowed(roles, Action.USE_AGENT_DASHBOARD, matrix),
    )


def _out(messages: list[object]) -> list[CannedMessageOut]:
    return [CannedMessageOut.model_validate(message) for message in messages]


@router.get("", response_model=list[CannedMessageOut])
async def usable_canned_messages(
    session: SessionDep,
    user: CurrentUser,
    query: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
    category: Annotated[str | None, Query(max_length=MAX_CATEGORY_LENGTH)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> list[CannedMessageOut]:
    """For the chat composer: the enabled messages you may use, matching ``query``.

    Your personal messages first, then the public ones. Within each: the message whose
    shortcut is ``query``, then shortcuts that start with it, then messages whose category
    or text contains it (case and accents do not count; a leading "/" is ignored). Without
    ``query``: all of them. ``category`` keeps one category only.
    """
    messages = await service.usable(
        session=session, user_id=user.id, query=query, category=category, limit=limit
    )
    return _out(list(messages))


@router.get("/categories", response_model=list[str])
async def canned_message_categories(session: SessionDep, user: CurrentUser) -> list[str]:
    """The categories of the messages you may use (for the composer's filter)."""
    return await service.categories(session=session, user_id=user.id)


@router.get("/personal", response_model=list[CannedMessageOut])
async def list_personal_canned_messages(
    session: SessionDep,
    owner: Owner,
    search: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
) -> list[CannedMessageOut]:
    """Your personal messages, enabled or not."""
    messages = await service.list_personal(session=session, owner_id=owner.id, search=search)
    return _out(list(messages))


@router.post("/personal", response_model=CannedMessageOut, status_code=status.HTTP_201_CREATED)
async def create_personal_canned_message(
    body: CannedMessageCreate, session: SessionDep, owner: Owner, now: NowDep
) -> CannedMessageOut:
    try:
        message = await service.create(
            session=session, message_in=body, public=False, now=now, actor_id=owner.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return CannedMessageOut.model_validate(message)


@router.get("/public", response_model=list[CannedMessageOut])
async def list_public_canned_messages(
    session: SessionDep,
    user: CurrentUser,
    matrix: MatrixDep,
    enabled: bool | None = None,
    search: Annotated[str | None, Query(max_length=MAX_QUERY_LENGTH)] = None,
) -> list[CannedMessageOut]:
    """The public messages. Those who manage them see all; everybody else the enabled ones."""
    may_manage_public, _keep = rights(user, matrix)
    if not may_manage_public:
        if enabled is False:
            return []
        enabled = True
    messages = await service.list_public(session=session, enabled=enabled, search=search)
    return _out(list(messages))


@router.post("/public", response_model=CannedMessageOut, status_code=status.HTTP_201_CREATED)
async def create_public_canned_message(
    body: CannedMessageCreate, session: SessionDep, manager: PublicManager, now: NowDep
) -> CannedMessageOut:
    try:
        message = await service.create(
            session=session, message_in=body, public=True, now=now, actor_id=manager.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return CannedMessageOut.model_validate(message)


@router.patch("/{message_id}", response_model=CannedMessageOut)
async def update_canned_message(
    message_id: int,
    body: CannedMessageUpdate,
    session: SessionDep,
    user: CurrentUser,
    matrix: MatrixDep,
    now: NowDep,
) -> CannedMessageOut:
    """Change your own message, or a public one if you manage them (403 otherwise).

    Somebody else's personal message is a 404: it is private to its owner.
    """
    may_manage_public, may_keep_personal = rights(user, matrix)
    try:
        message = await service.update(
            session=session,
            message_id=message_id,
            message_in=body,
            now=now,
            actor_id=user.id,
            may_manage_public=may_manage_public,
            may_keep_personal=may_keep_personal,
        )
    except DomainError as error:
        raise http_error(error) from error
    return CannedMessageOut.model_validate(message)


@router.delete("/{message_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_canned_message(
    message_id: int, session: SessionDep, user: CurrentUser, matrix: MatrixDep, now: NowDep
) -> Response:
    may_manage_public, _keep = rights(user, matrix)
    try:
        await service.delete(
            session=session,
            message_id=message_id,
            now=now,
            actor_id=user.id,
            may_manage_public=may_manage_public,
        )
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from helpline.core.permissions import Action, is_allowed
from helpline.errors import DomainError
from helpline.http.deps import CurrentUser, MatrixDep, NowDep, SessionDep, require, user_roles
from helpline.http.errors import http_error
from helpline.tags import service
from helpline.tags.schemas import MAX_SEARCH_LENGTH, CustomTagCreate, TagCreate, TagOut, TagUpdate
from helpline.users.models import User

router = APIRouter(prefix="/tags", tags=["tags"])

Manager = Annotated[User, Depends(require(Action.MANAGE_TAGS))]
CustomTagger = Annotated[User, Depends(require(Action.CREATE_CUSTOM_TAGS))]


@router.get("", response_model=list[TagOut])
async def list_tags(
    session: SessionDep,
    user: CurrentUser,
    matrix: MatrixDep,
    enabled: bool | None = None,
    search: Annotated[str | None, Query(max_length=MAX_SEARCH_LENGTH)] = None,
) -> list[TagOut]:
    """Tags in alphabetical order. ``?enabled=true`` is what agents are offered.

    Admins see every tag; everybody else sees the enabled ones only (a disabled tag is
    never offered), whatever ``enabled`` asks for. ``search`` finds a piece of the name.
    """
    if not is_allowed(user_roles(user), Action.MANAGE_TAGS, matrix):
        if enabled is False:
            return []
        enabled = True
    tags = await service.list_tags(session=session, enabled=enabled, search=search)
    return [TagOut.model_validate(tag) for tag in tags]


@router.post("", response_model=TagOut, status_code=status.HTTP_201_CREATED)
async def create_tag(body: TagCreate, session: SessionDep, manager: Manager, now: NowDep) -> TagOut:
    try:
        tag = await service.create(session=session, tag_in=body, now=now, actor_id=manager.id)
    except DomainError as error:
        raise http_error(error) from error
    return TagOut.model_validate(tag)


@router.post("/custom", response_model=TagOut, status_code=status.HTTP_201_CREATED)
async def create_custom_tag(
    body: CustomTagCreate, session: SessionDep, agent: CustomTagger, now: NowDep
) -> TagOut:
    """A custom tag, from the chat workspace: needs the "Create custom tags" permission.

    It is enabled at once, marked ``custom``, with its author in ``created_by_user_id``.
    A name that exists already (in any case) is a 409 whose ``detail.message`` says so.
    """
    try:
        tag = await service.create_custom(session=session, tag_in=body, now=now, actor_id=agent.id)
    except DomainError as error:
        raise http_error(error) from error
    return TagOut.model_validate(tag)


@router.patch("/{tag_id}", response_model=TagOut)
async def update_tag(
    tag_id: int, body: TagUpdate, session: SessionDep, manager: Manager, now: NowDep
) -> TagOut:
    """Rename (``name``), enable or disable (``enabled``)."""
    try:
        tag = await service.update(
            session=session, tag_id=tag_id, tag_in=body, now=now, actor_id=manager.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return TagOut.model_validate(tag)


@router.delete("/{tag_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_tag(tag_id: int, session: SessionDep, manager: Manager, now: NowDep) -> Response:
    """Delete a tag; it also comes off the conversations that carried it (disable it to
    keep it there)."""
    try:
        await service.delete(session=session, tag_id=tag_id, now=now, actor_id=manager.id)
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from helpline.contacts import service
from helpline.contacts.schemas import (
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactUpdate,
    HistoryItem,
    MergeIn,
)
from helpline.core.permissions import Action
from helpline.errors import DomainError
from helpline.http.deps import NowDep, SessionDep, require
from helpline.http.errors import http_error
from helpline.users.models import User

router = APIRouter(prefix="/contacts", tags=["contacts"])

ContactUser = Annotated[User, Depends(require(Action.USE_CONTACTS))]


@router.get("", response_model=ContactPage)
async def search_contacts(
    session: SessionDep,
    _user: ContactUser,
    search: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ContactPage:
    """Contacts whose name, number, email or id contains ``search``."""
    total, contacts = await service.search(session=session, text=search, limit=limit, offset=offset)
    return ContactPage(total=total, contacts=[service.to_out(c) for c in contacts])


@router.post("", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
async def create_contact(
    body: ContactCreate, session: SessionDep, user: ContactUser, now: NowDep
) -> ContactOut:
    try:
        contact = await service.create(session=session, contact_in=body, now=now, actor_id=user.id)
    except DomainError as error:
        raise http_error(error) from error
    return service.to_out(contact)


@router.get("/{contact_id}", response_model=ContactOut)
async def get_contact(contact_id: int, session: SessionDep, _user: ContactUser) -> ContactOut:
    try:
        return service.to_out(await service.get(session=session, contact_id=contact_id))
    except DomainError as error:
        raise http_error(error) from error


@router.patch("/{contact_id}", response_model=ContactOut)
async def update_contact(
    contact_id: int, body: ContactUpdate, session: SessionDep, user: ContactUser, now: NowDep
) -> ContactOut:
    try:
        contact = await service.update(
            session=session, contact_id=contact_id, contact_in=body, now=now, actor_id=user.id
        )
    except DomainError as error:
        raise http_error(error) from error
    return service.to_out(contact)


@router.post("/{contact_id}/merge", response_model=ContactOut)
async def merge_contacts(
    contact_id: int, body: MergeIn, session: SessionDep, user: ContactUser, now: NowDep
) -> ContactOut:
    """The other contact's numbers, emails, ids and history move here; it is deleted."""
    try:
        contact = await service.merge(
            session=session,
            contact_id=contact_id,
            other_id=body.other_id,
            now=now,
            actor_id=user.id,
        )
    except DomainError as error:
        raise http_error(error) from error
    return service.to_out(contact)


@router.get("/{contact_id}/history", response_model=list[HistoryItem])
async def contact_history(
    contact_id: int,
    session: SessionDep,
    _user: ContactUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[HistoryItem]:
    """Conversations on every channel (calls join this list), newest activity first."""
    try:
        return await service.history(
            session=session, contact_id=contact_id, limit=limit, offset=offset
        )
    except DomainError as error:
        raise http_error(error) from error

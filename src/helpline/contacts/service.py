"""Contacts: create, update, search, merge, find-or-create by an identity, history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.contacts import repository
from helpline.contacts.events import ContactCreated, ContactsMerged, ContactUpdated
from helpline.contacts.models import Contact, ContactIdentity
from helpline.contacts.schemas import (
    KIND_FIELDS,
    ContactCreate,
    ContactOut,
    ContactUpdate,
    HistoryItem,
    IdentityKind,
    identity_lists,
    normalize_identity,
)
from helpline.errors import Conflict, Invalid, NotFound
from helpline.storage.eventlog import append_event


def to_out(contact: Contact) -> ContactOut:
    lists: dict[str, list[str]] = {field: [] for field in KIND_FIELDS.values()}
    for item in contact.identities:
        lists[KIND_FIELDS[IdentityKind(item.kind)]].append(item.value)
    return ContactOut(
        id=contact.id,
        name=contact.name,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        **lists,
    )


def snapshot(contact: Contact) -> dict[str, Any]:
    return to_out(contact).model_dump(mode="json")


async def get(*, session: AsyncSession, contact_id: int) -> Contact:
    contact = await repository.get(session, contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    return contact


async def search(
    *, session: AsyncSession, text: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, Sequence[Contact]]:
    return await repository.search(session, text=text, limit=limit, offset=offset)


async def _check_free(
    session: AsyncSession, wanted: dict[IdentityKind, list[str] | None], contact_id: int | None
) -> None:
    pairs = [(kind.value, v) for kind, values in wanted.items() for v in values or []]
    for (kind, value), owner in (await repository.owners(session, pairs)).items():
        if owner != contact_id:
            raise Conflict(
                f"{value} already belongs to contact {owner}",
                field=KIND_FIELDS[IdentityKind(kind)],
            )


def _set_identities(
    contact: Contact, wanted: dict[IdentityKind, list[str] | None], now: datetime
) -> list[str]:
    changed = []
    for kind, values in wanted.items():
        if values is None:
            continue
        current = [i for i in contact.identities if i.kind == kind.value]
        if [i.value for i in current] == values:
            continue
        keep = {i.value: i for i in current}
        for item in current:
            if item.value not in values:
                contact.identities.remove(item)
        for value in values:
            if value not in keep:
                contact.identities.append(
                    ContactIdentity(kind=kind.value, value=value, created_at=now)
                )
        changed.append(KIND_FIELDS[kind])
    return changed


async def create(
    *, session: AsyncSession, contact_in: ContactCreate, now: datetime, actor_id: int | None
) -> Contact:
    wanted = identity_lists(contact_in)
    await _check_free(session, wanted, None)
    contact = Contact(name=contact_in.name, created_at=now, updated_at=now, identities=[])
    _set_identities(contact, wanted, now)
    await repository.add(session, contact)
    append_event(
        session, ContactCreated(contact=snapshot(contact)), occurred_at=now, actor_user_id=actor_id
    )
    return contact


async def update(
    *,
    session: AsyncSession,
    contact_id: int,
    contact_in: ContactUpdate,
    now: datetime,
    actor_id: int | None,
) -> Contact:
    contact = await get(session=session, contact_id=contact_id)
    wanted = identity_lists(contact_in)
    await _check_free(session, wanted, contact.id)
    changed = []
    if contact_in.name is not None and contact_in.name != contact.name:
        contact.name = contact_in.name
        changed.append("name")
    # Removals first: a value moved between kinds never collides with itself.
    changed += _set_identities(contact, wanted, now)
    if not changed:
        return contact
    contact.updated_at = now
    await repository.flush(session)
    append_event(
        session,
        ContactUpdated(contact=snapshot(contact), changed=changed),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return contact


async def find_or_create(
    *,
    session: AsyncSession,
    kind: IdentityKind,
    value: str,
    name: str = "",
    now: datetime,
    actor_id: int | None = None,
) -> Contact:
    """The contact holding this identity, or a new one with it (``name`` if given).

    Raises :class:`Invalid` if the value is not one of its kind (e.g. not a phone number).
    """
    try:
        normalized = normalize_identity(kind, value)
    except ValueError as error:
        raise Invalid(str(error), field=kind.value) from error
    held = await repository.identity(session, kind.value, normalized)
    if held is not None:
        return await get(session=session, contact_id=held.contact_id)
    fields: dict[str, Any] = {KIND_FIELDS[kind]: [normalized], "name": name[:200]}
    return await create(
        session=session, contact_in=ContactCreate(**fields), now=now, actor_id=actor_id
    )


async def merge(
    *, session: AsyncSession, contact_id: int, other_id: int, now: datetime, actor_id: int | None
) -> Contact:
    """``other_id`` goes into ``contact_id``: its identities and history move, it is gone."""
    if contact_id == other_id:
        raise Invalid("a contact cannot be merged with itself")
    contact = await get(session=session, contact_id=contact_id)
    other = await get(session=session, contact_id=other_id)
    moved = list(other.identities)
    for item in moved:
        other.identities.remove(item)
    await repository.flush(session)
    for item in moved:
        contact.identities.append(ContactIdentity(kind=item.kind, value=item.value, created_at=now))
    if not contact.name and other.name:
        contact.name = other.name
    await repository.move_history(session, from_id=other.id, to_id=contact.id)
    await repository.delete(session, other)
    contact.updated_at = now
    await repository.flush(session)
    append_event(
        session,
        ContactsMerged(contact=snapshot(contact), merged_id=other_id),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return contact


async def history(
    *, session: AsyncSession, contact_id: int, limit: int = 50, offset: int = 0
) -> list[HistoryItem]:
    await get(session=session, contact_id=contact_id)
    rows = await repository.history(session, contact_id, limit=limit, offset=offset)
    return [HistoryItem.model_validate(row) for row in rows]

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.chats.models import Conversation
from helpline.contacts.models import Contact, ContactIdentity


async def add(session: AsyncSession, item: Contact | ContactIdentity) -> None:
    session.add(item)
    await session.flush()


async def get(session: AsyncSession, contact_id: int) -> Contact | None:
    return await session.get(Contact, contact_id)


async def identity(session: AsyncSession, kind: str, value: str) -> ContactIdentity | None:
    return await session.scalar(
        select(ContactIdentity).where(ContactIdentity.kind == kind, ContactIdentity.value == value)
    )


async def owners(
    session: AsyncSession, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """Which contact holds each (kind, value) given, for those held."""
    if not pairs:
        return {}
    clauses = [
        (ContactIdentity.kind == kind) & (ContactIdentity.value == value) for kind, value in pairs
    ]
    rows = await session.execute(
        select(ContactIdentity.kind, ContactIdentity.value, ContactIdentity.contact_id).where(
            or_(*clauses)
        )
    )
    return {(kind, value): contact_id for kind, value, contact_id in rows}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession, *, text: str | None, limit: int, offset: int
) -> tuple[int, Sequence[Contact]]:
    query = select(Contact)
    if text:
        pattern = f"%{_escape_like(text.strip().lower())}%"
        holders = select(ContactIdentity.contact_id).where(
            func.lower(ContactIdentity.value).like(pattern, escape="\\")
        )
        query = query.where(
            or_(func.lower(Contact.name).like(pattern, escape="\\"), Contact.id.in_(holders))
        )
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await session.scalars(
        query.order_by(Contact.name, Contact.id).limit(limit).offset(offset)
    )
    return total, rows.all()


async def delete(session: AsyncSession, contact: Contact) -> None:
    await session.delete(contact)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    await session.flush()


def _chat_history(contact_id: int) -> Select[Any]:
    query: Select[Any] = select(  # type: ignore[assignment]
        literal("chat").label("kind"),
        Conversation.id.label("id"),
        Conversation.channel.label("channel"),
        Conversation.created_at.label("started_at"),
        Conversation.last_activity_at.label("last_activity_at"),
        Conversation.status.label("status"),
        Conversation.queue_id.label("queue_id"),
        Conversation.last_message_preview.label("summary"),
    ).where(Conversation.contact_id == contact_id)
    return query


# Every source of a contact's history gives the same columns (kind, id, channel,
# started_at, last_activity_at, status, queue_id, summary); calls add theirs here.
HISTORY_SOURCES = [_chat_history]


async def history(
    session: AsyncSession, contact_id: int, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    parts = union_all(*(source(contact_id) for source in HISTORY_SOURCES)).subquery()
    query = (
        select(parts)
        .order_by(parts.c.last_activity_at.desc(), parts.c.kind, parts.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(row._mapping) for row in await session.execute(query)]


async def move_history(session: AsyncSession, *, from_id: int, to_id: int) -> None:
    """Merging: the conversations of ``from_id`` become ``to_id``'s."""
    from sqlalchemy import update

    await session.execute(
        update(Conversation).where(Conversation.contact_id == from_id).values(contact_id=to_id)
    )

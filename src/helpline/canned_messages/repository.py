from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.canned_messages.models import PUBLIC_SCOPE, CannedMessage


async def add(session: AsyncSession, item: CannedMessage) -> None:
    session.add(item)
    await session.flush()


async def get(session: AsyncSession, message_id: int) -> CannedMessage | None:
    return await session.get(CannedMessage, message_id)


async def get_by_shortcut(
    session: AsyncSession, scope_key: str, shortcut_key: str
) -> CannedMessage | None:
    query = select(CannedMessage).where(
        CannedMessage.scope_key == scope_key, CannedMessage.shortcut_key == shortcut_key
    )
    return await session.scalar(query)


async def list_in_scopes(
    session: AsyncSession, scope_keys: Collection[str], *, enabled: bool | None = None
) -> Sequence[CannedMessage]:
    """The messages of these scopes, by category then shortcut (case-folded)."""
    query = (
        select(CannedMessage)
        .where(CannedMessage.scope_key.in_(list(scope_keys)))
        .order_by(CannedMessage.category, CannedMessage.shortcut_key, CannedMessage.id)
    )
    if enabled is not None:
        query = query.where(CannedMessage.enabled.is_(enabled))
    return (await session.scalars(query)).all()


async def list_public(session: AsyncSession) -> Sequence[CannedMessage]:
    return await list_in_scopes(session, [PUBLIC_SCOPE])


async def delete(session: AsyncSession, item: CannedMessage) -> None:
    await session.delete(item)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    await session.flush()

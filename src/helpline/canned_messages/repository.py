from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.canned_messages.models import CannedMessage


async def add(session: AsyncSession, item: CannedMessage) -> None:
    session.add(item)
    await session.flush()


async def list_public(session: AsyncSession) -> Sequence[CannedMessage]:
    query = (
        select(CannedMessage).where(CannedMessage.is_public.is_(True)).order_by(CannedMessage.id)
    )
    return (await session.scalars(query)).all()

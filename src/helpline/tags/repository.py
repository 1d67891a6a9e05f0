from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.tags.models import Tag


async def add(session: AsyncSession, item: Tag) -> None:
    session.add(item)
    await session.flush()


async def get_by_name_key(session: AsyncSession, name_key: str) -> Tag | None:
    return await session.scalar(select(Tag).where(Tag.name_key == name_key))


async def list_all(session: AsyncSession) -> Sequence[Tag]:
    return (await session.scalars(select(Tag).order_by(Tag.id))).all()

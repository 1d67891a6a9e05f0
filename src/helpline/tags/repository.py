from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.tags.models import Tag


async def add(session: AsyncSession, item: Tag) -> None:
    session.add(item)
    await session.flush()


async def get(session: AsyncSession, tag_id: int) -> Tag | None:
    return await session.get(Tag, tag_id)


async def get_by_name_key(session: AsyncSession, name_key: str) -> Tag | None:
    return await session.scalar(select(Tag).where(Tag.name_key == name_key))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_all(
    session: AsyncSession, *, enabled: bool | None = None, search_key: str | None = None
) -> Sequence[Tag]:
    """Tags in alphabetical order (of their case-folded names).

    ``search_key``: a case-folded piece of the name to look for.
    """
    query = select(Tag).order_by(Tag.name_key, Tag.id)
    if enabled is not None:
        query = query.where(Tag.enabled.is_(enabled))
    if search_key:
        query = query.where(Tag.name_key.like(f"%{_escape_like(search_key)}%", escape="\\"))
    return (await session.scalars(query)).all()


async def delete(session: AsyncSession, item: Tag) -> None:
    await session.delete(item)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    await session.flush()

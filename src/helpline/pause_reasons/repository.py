from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.pause_reasons.models import PauseReason


async def add(session: AsyncSession, item: PauseReason) -> None:
    session.add(item)
    await session.flush()


async def get(session: AsyncSession, reason_id: int) -> PauseReason | None:
    return await session.get(PauseReason, reason_id)


async def get_by_name_key(session: AsyncSession, name_key: str) -> PauseReason | None:
    return await session.scalar(select(PauseReason).where(PauseReason.name_key == name_key))


async def list_all(session: AsyncSession, *, enabled: bool | None = None) -> Sequence[PauseReason]:
    """The reasons in the order agents see them (position, then creation)."""
    query = select(PauseReason).order_by(PauseReason.position, PauseReason.id)
    if enabled is not None:
        query = query.where(PauseReason.enabled.is_(enabled))
    return (await session.scalars(query)).all()


async def any_enabled(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(exists().where(PauseReason.enabled.is_(True)))))


async def delete(session: AsyncSession, item: PauseReason) -> None:
    await session.delete(item)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    await session.flush()

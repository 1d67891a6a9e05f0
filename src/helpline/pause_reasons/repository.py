from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.pause_reasons.models import PauseReason


async def add(session: AsyncSession, item: PauseReason) -> None:
    session.add(item)
    await session.flush()


async def get_by_name_key(session: AsyncSession, name_key: str) -> PauseReason | None:
    return await session.scalar(select(PauseReason).where(PauseReason.name_key == name_key))


async def list_all(session: AsyncSession) -> Sequence[PauseReason]:
    return (await session.scalars(select(PauseReason).order_by(PauseReason.id))).all()

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.permissions.models import PermissionSetting


async def overrides(session: AsyncSession) -> dict[str, bool]:
    rows = await session.scalars(select(PermissionSetting))
    return {row.key: row.enabled for row in rows}


async def get(session: AsyncSession, key: str) -> PermissionSetting | None:
    return await session.get(PermissionSetting, key)


async def add(session: AsyncSession, setting: PermissionSetting) -> None:
    session.add(setting)
    await session.flush()


async def delete_all(session: AsyncSession) -> None:
    await session.execute(delete(PermissionSetting))

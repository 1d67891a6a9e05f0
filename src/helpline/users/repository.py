from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.users.models import User, UserLine, UserRole


async def get(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username.lower()))


async def list_users(
    session: AsyncSession,
    *,
    search: str | None = None,
    role: str | None = None,
    include_inactive: bool = True,
    limit: int = 500,
    offset: int = 0,
) -> Sequence[User]:
    query = select(User).order_by(User.username).limit(limit).offset(offset)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(User.username).like(pattern), func.lower(User.display_name).like(pattern)
            )
        )
    if role:
        query = query.where(User.roles.any(UserRole.role == role))
    if not include_inactive:
        query = query.where(User.is_active.is_(True))
    return (await session.scalars(query)).all()


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def count_active_admins(session: AsyncSession) -> int:
    query = (
        select(func.count())
        .select_from(User)
        .where(User.is_active.is_(True), User.roles.any(UserRole.role == "admin"))
    )
    return int(await session.scalar(query) or 0)


async def taken_extensions(
    session: AsyncSession, extensions: Sequence[str], *, excluding_user_id: int | None = None
) -> list[str]:
    query = select(UserLine.extension).where(UserLine.extension.in_(list(extensions)))
    if excluding_user_id is not None:
        query = query.where(UserLine.user_id != excluding_user_id)
    return sorted(await session.scalars(query))


async def add(session: AsyncSession, user: User) -> User:
    session.add(user)
    await session.flush()
    return user


async def flush(session: AsyncSession) -> None:
    await session.flush()

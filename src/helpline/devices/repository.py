from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.devices.models import SipRegistration
from helpline.users.models import UserLine

# A binding counts only while its line still belongs to the user who registered it: an
# admin who moves an extension to someone else must not leave the old phone ringing.
_OWNED = (UserLine.extension == SipRegistration.extension) & (
    UserLine.user_id == SipRegistration.user_id
)


async def bindings(session: AsyncSession, extension: str) -> Sequence[SipRegistration]:
    query = select(SipRegistration).where(SipRegistration.extension == extension)
    return (await session.scalars(query.order_by(SipRegistration.id))).all()


async def live_bindings(
    session: AsyncSession, extension: str, now: datetime
) -> Sequence[SipRegistration]:
    query = (
        select(SipRegistration)
        .join(UserLine, _OWNED)
        .where(SipRegistration.extension == extension, SipRegistration.expires_at > now)
    )
    return (await session.scalars(query.order_by(SipRegistration.id))).all()


async def has_live_binding_from(session: AsyncSession, host: str, now: datetime) -> bool:
    query = (
        select(SipRegistration.id)
        .join(UserLine, _OWNED)
        .where(SipRegistration.source_host == host, SipRegistration.expires_at > now)
        .limit(1)
    )
    return (await session.scalar(query)) is not None


async def list_live(
    session: AsyncSession, now: datetime, *, user_ids: Sequence[int] | None = None
) -> Sequence[SipRegistration]:
    query = select(SipRegistration).join(UserLine, _OWNED).where(SipRegistration.expires_at > now)
    if user_ids is not None:
        query = query.where(SipRegistration.user_id.in_(user_ids))
    order = (SipRegistration.user_id, SipRegistration.extension, SipRegistration.id)
    return (await session.scalars(query.order_by(*order))).all()


async def expired(session: AsyncSession, now: datetime) -> Sequence[SipRegistration]:
    query = select(SipRegistration).where(SipRegistration.expires_at <= now)
    return (await session.scalars(query.order_by(SipRegistration.id))).all()


async def add(session: AsyncSession, binding: SipRegistration) -> None:
    session.add(binding)
    await session.flush()


async def delete(session: AsyncSession, binding: SipRegistration) -> None:
    await session.delete(binding)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    await session.flush()

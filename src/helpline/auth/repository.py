from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.auth.models import ApiToken, LoginThrottle, WebSession


async def add_web_session(session: AsyncSession, web_session: WebSession) -> None:
    session.add(web_session)
    await session.flush()


async def get_web_session(session: AsyncSession, token_hash: str) -> WebSession | None:
    return await session.get(WebSession, token_hash)


async def delete_web_session(session: AsyncSession, token_hash: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


async def delete_user_web_sessions(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))


async def delete_expired_web_sessions(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))


async def add_api_token(session: AsyncSession, token: ApiToken) -> None:
    session.add(token)
    await session.flush()


async def get_api_token_by_hash(session: AsyncSession, token_hash: str) -> ApiToken | None:
    return await session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


async def get_api_token(session: AsyncSession, token_id: int) -> ApiToken | None:
    return await session.get(ApiToken, token_id)


async def list_api_tokens(session: AsyncSession, user_id: int) -> Sequence[ApiToken]:
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return (await session.scalars(query)).all()


async def get_throttles(session: AsyncSession, keys: Sequence[str]) -> dict[str, LoginThrottle]:
    rows = await session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(list(keys))))
    return {row.key: row for row in rows}


async def add_throttle(session: AsyncSession, throttle: LoginThrottle) -> None:
    session.add(throttle)
    await session.flush()


async def delete_throttle(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))

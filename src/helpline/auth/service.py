from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.auth import repository
from helpline.auth.events import (
    ApiTokenCreated,
    ApiTokenRevoked,
    LoginLocked,
    UserLoggedIn,
    UserLoggedOut,
)
from helpline.auth.models import ApiToken, LoginThrottle, WebSession
from helpline.auth.passwords import verify_password
from helpline.errors import NotFound
from helpline.storage.eventlog import append_event
from helpline.users import repository as user_repository
from helpline.users.models import User

API_TOKEN_PREFIX = "hlp_"  # noqa: S105 - a marker, not a secret
# Writing last_used_at on every request would turn each API read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class LoginOutcome(enum.Enum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    retry_after_seconds: int = 0


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    lockout: timedelta


def _throttle_keys(username: str, client_address: str | None) -> list[str]:
    keys = [f"user:{username.strip().lower()}"]
    if client_address:
        keys.append(f"addr:{client_address}")
    return keys


async def authenticate(
    *,
    session: AsyncSession,
    username: str,
    password: str,
    client_address: str | None,
    policy: ThrottlePolicy,
    now: datetime,
) -> LoginResult:
    keys = _throttle_keys(username, client_address)
    throttles = await repository.get_throttles(session, keys)
    locked_until = max(
        (t.locked_until for t in throttles.values() if t.locked_until and t.locked_until > now),
        default=None,
    )
    if locked_until is not None:
        return LoginResult(
            LoginOutcome.LOCKED,
            retry_after_seconds=max(1, int((locked_until - now).total_seconds())),
        )
    user = await user_repository.get_by_username(session, username.strip())
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is not None and password_ok and user.is_active:
        await repository.delete_throttle(session, keys[0])
        return LoginResult(LoginOutcome.OK, user=user)
    for key in keys:
        throttle = throttles.get(key)
        if throttle is None:
            throttle = LoginThrottle(key=key, failures=0, updated_at=now)
            await repository.add_throttle(session, throttle)
        throttle.failures += 1
        throttle.updated_at = now
        if throttle.failures >= policy.max_failures:
            throttle.failures = 0
            throttle.locked_until = now + policy.lockout
            append_event(
                session,
                LoginLocked(key=key, locked_until=throttle.locked_until.isoformat()),
                occurred_at=now,
            )
    return LoginResult(LoginOutcome.INVALID)


async def start_web_session(
    *,
    session: AsyncSession,
    user: User,
    now: datetime,
    max_age: timedelta,
    method: str = "password",
) -> str:
    token = secrets.token_urlsafe(32)
    await repository.delete_expired_web_sessions(session, now)
    await repository.add_web_session(
        session,
        WebSession(
            token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=now + max_age
        ),
    )
    append_event(
        session,
        UserLoggedIn(user_id=user.id, method=method),
        occurred_at=now,
        actor_user_id=user.id,
    )
    return token


async def end_web_session(*, session: AsyncSession, token: str, now: datetime) -> None:
    web_session = await repository.get_web_session(session, _digest(token))
    if web_session is None:
        return
    await repository.delete_web_session(session, web_session.token_hash)
    append_event(
        session,
        UserLoggedOut(user_id=web_session.user_id),
        occurred_at=now,
        actor_user_id=web_session.user_id,
    )


async def end_all_web_sessions(*, session: AsyncSession, user_id: int) -> None:
    await repository.delete_user_web_sessions(session, user_id)


async def user_for_web_session(*, session: AsyncSession, token: str, now: datetime) -> User | None:
    web_session = await repository.get_web_session(session, _digest(token))
    if web_session is None or web_session.expires_at <= now:
        return None
    user = await user_repository.get(session, web_session.user_id)
    if user is None or not user.is_active:
        return None
    return user


async def create_api_token(
    *, session: AsyncSession, user: User, name: str, now: datetime
) -> tuple[ApiToken, str]:
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:10], created_at=now
    )
    await repository.add_api_token(session, token)
    append_event(
        session,
        ApiTokenCreated(user_id=user.id, token_id=token.id, name=name),
        occurred_at=now,
        actor_user_id=user.id,
    )
    return token, secret


async def list_api_tokens(*, session: AsyncSession, user: User) -> Sequence[ApiToken]:
    return await repository.list_api_tokens(session, user.id)


async def revoke_api_token(
    *, session: AsyncSession, user: User, token_id: int, now: datetime
) -> None:
    token = await repository.get_api_token(session, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound(f"no API token with id {token_id}")
    token.revoked_at = now
    append_event(
        session,
        ApiTokenRevoked(user_id=user.id, token_id=token.id),
        occurred_at=now,
        actor_user_id=user.id,
    )


async def user_for_api_token(*, session: AsyncSession, secret: str, now: datetime) -> User | None:
    if not secret.startswith(API_TOKEN_PREFIX):
        return None
    token = await repository.get_api_token_by_hash(session, _digest(secret))
    if token is None or token.revoked_at is not None:
        return None
    user = await user_repository.get(session, token.user_id)
    if user is None or not user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        token.last_used_at = now
    return user

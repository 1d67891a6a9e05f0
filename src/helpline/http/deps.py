"""Dependency aliases for endpoints and pages (``SessionDep``, ``CurrentUser`` …)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, WebSocket
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import HTTPConnection

from helpline.auth import service as auth_service
from helpline.config import Settings
from helpline.core.permissions import Action, Permission, Role, is_allowed
from helpline.i18n import (
    DEFAULT_LANGUAGE,
    language_from_accept_header,
    normalize_language,
    set_request_locale,
)
from helpline.permissions import service as permission_service
from helpline.realtime.bus import EventBus
from helpline.storage.eventlog import discard_pending_events
from helpline.storage.unit_of_work import commit_and_publish
from helpline.timeutil import utcnow
from helpline.users.models import User

SESSION_COOKIE = "helpline_session"
CSRF_COOKIE = "helpline_csrf"
LANGUAGE_COOKIE = "helpline_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class ViewerLine:
    extension: str
    label: str


@dataclass(frozen=True)
class Viewer:
    """The logged-in user as pages show them.

    A plain copy: error pages render after the request's transaction has rolled back,
    when the ORM object can no longer load anything.
    """

    id: int
    username: str
    display_name: str
    language: str
    role_names: tuple[str, ...]
    lines: tuple[ViewerLine, ...]
    notification_sound: bool = True

    @classmethod
    def of(cls, user: User) -> Viewer:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            language=user.language,
            role_names=tuple(user.role_names),
            lines=tuple(ViewerLine(line.extension, line.label) for line in user.lines),
            notification_sound=user.notification_sound,
        )


class NotAuthenticated(Exception):
    """No valid session or token: 401 for the API, a redirect to the login page for pages."""


class PermissionDenied(Exception):
    def __init__(self, action: Action) -> None:
        super().__init__(f"you are not allowed to {action.value.replace('_', ' ')}")
        self.action = action


class CsrfFailed(Exception):
    pass


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_bus(request: Request) -> EventBus:
    bus: EventBus = request.app.state.bus
    return bus


BusDep = Annotated[EventBus, Depends(get_bus)]


def get_now() -> datetime:
    return utcnow()


NowDep = Annotated[datetime, Depends(get_now)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request is the unit of work: commit when the endpoint returns, then publish."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        try:
            yield session
        except BaseException:
            discard_pending_events(session)
            await session.rollback()
            raise
        await commit_and_publish(session, request.app.state.bus.publish)


# scope="function": the commit happens before the response is sent, so a failed commit can
# never be reported as a success.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def cookie_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="helpline.session")


def sign_session_token(settings: Settings, token: str) -> str:
    return cookie_serializer(settings).dumps(token)


def unsign_session_token(settings: Settings, value: str) -> str | None:
    try:
        token = cookie_serializer(settings).loads(value, max_age=settings.session_max_age_seconds)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def session_token_from(request: Request | WebSocket, settings: Settings) -> str | None:
    value = request.cookies.get(SESSION_COOKIE)
    return unsign_session_token(settings, value) if value else None


async def resolve_user(
    connection: Request | WebSocket, session: AsyncSession, settings: Settings, now: datetime
) -> User | None:
    authorization = connection.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return await auth_service.user_for_api_token(
            session=session, secret=authorization[7:].strip(), now=now
        )
    token = session_token_from(connection, settings)
    if token is None:
        return None
    return await auth_service.user_for_web_session(session=session, token=token, now=now)


def anonymous_language(connection: HTTPConnection, default: str = DEFAULT_LANGUAGE) -> str:
    """A visitor's language: ?lang=, then the language cookie, then Accept-Language."""
    chosen = normalize_language(connection.query_params.get("lang")) or normalize_language(
        connection.cookies.get(LANGUAGE_COOKIE)
    )
    return chosen or language_from_accept_header(
        connection.headers.get("accept-language"), default=default
    )


async def get_optional_user(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> User | None:
    user = await resolve_user(request, session, settings, now)
    language = user.language if user else anonymous_language(request, settings.default_language)
    set_request_locale(language, settings.timezone)
    request.state.user = Viewer.of(user) if user else None
    return user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_current_user(user: OptionalUser) -> User:
    if user is None:
        raise NotAuthenticated
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_permission_matrix(session: SessionDep) -> dict[Permission, bool]:
    return await permission_service.get_matrix(session=session)


MatrixDep = Annotated[dict[Permission, bool], Depends(get_permission_matrix)]


def user_roles(user: User | Viewer) -> frozenset[Role]:
    return frozenset(Role(name) for name in user.role_names)


def require(action: Action) -> Callable[..., Awaitable[User]]:
    """A dependency that lets the request through only if the user may do ``action``."""

    async def dependency(request: Request, user: CurrentUser, matrix: MatrixDep) -> User:
        if not is_allowed(user_roles(user), action, matrix):
            raise PermissionDenied(action)
        request.state.required_action = action
        return user

    dependency.__name__ = f"require_{action.value}"
    return dependency


def csrf_token_for(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one the response will set."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_token", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf_token = token
    return token


async def check_csrf(request: Request) -> None:
    """Double-submit check for form posts: the form's token must equal the cookie's."""
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value: Any = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not cookie or not sent or not secrets.compare_digest(cookie, sent):
        raise CsrfFailed


CsrfProtected = Depends(check_csrf)

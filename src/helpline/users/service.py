from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.auth.passwords import hash_password, verify_password
from helpline.channels.sip.auth import SIP_REALM, ha1
from helpline.core.permissions import Role
from helpline.errors import Conflict, Invalid, NotAllowed, NotFound
from helpline.storage.eventlog import append_event
from helpline.users import repository
from helpline.users.events import UserCreated, UserUpdated
from helpline.users.models import User, UserLine, UserRole
from helpline.users.schemas import LineIn, MeUpdate, UserCreate, UserOut, UserUpdate


def snapshot(user: User) -> dict[str, Any]:
    """The user as events and the real-time state carry it (never the password hash)."""
    return UserOut.model_validate(user).model_dump(mode="json")


async def get(*, session: AsyncSession, user_id: int) -> User:
    user = await repository.get(session, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


async def list_users(
    *,
    session: AsyncSession,
    search: str | None = None,
    role: Role | None = None,
    include_inactive: bool = True,
) -> Sequence[User]:
    return await repository.list_users(
        session, search=search, role=role.value if role else None, include_inactive=include_inactive
    )


async def _check_lines(
    session: AsyncSession, lines: Sequence[LineIn], *, user_id: int | None
) -> None:
    extensions = [line.extension for line in lines]
    duplicates = sorted({ext for ext in extensions if extensions.count(ext) > 1})
    if duplicates:
        raise Invalid(f"extension {duplicates[0]} is listed twice", field="lines")
    taken = await repository.taken_extensions(session, extensions, excluding_user_id=user_id)
    if taken:
        raise Conflict(f"extension {taken[0]} already belongs to another user", field="lines")


async def create(
    *, session: AsyncSession, user_in: UserCreate, now: datetime, actor_id: int | None
) -> User:
    if await repository.get_by_username(session, user_in.username) is not None:
        raise Conflict(f"user name {user_in.username!r} is taken", field="username")
    await _check_lines(session, user_in.lines, user_id=None)
    user = User(
        username=user_in.username,
        display_name=user_in.display_name,
        email=user_in.email,
        password_hash=hash_password(user_in.password),
        is_active=True,
        language=user_in.language,
        created_at=now,
        updated_at=now,
        roles=[UserRole(role=role.value) for role in user_in.roles],
        lines=[UserLine(extension=line.extension, label=line.label) for line in user_in.lines],
    )
    if user_in.sip_password is not None:
        _set_sip_password(user, user_in.sip_password)
    await repository.add(session, user)
    append_event(session, UserCreated(user=snapshot(user)), occurred_at=now, actor_user_id=actor_id)
    return user


def _set_sip_password(user: User, password: str) -> None:
    user.sip_ha1_md5 = ha1(user.username, SIP_REALM, password, "MD5")
    user.sip_ha1_sha256 = ha1(user.username, SIP_REALM, password, "SHA-256")


async def _would_remove_last_admin(session: AsyncSession, user: User, update: UserUpdate) -> bool:
    if Role.ADMIN not in user.role_names or not user.is_active:
        return False
    losing_admin = update.roles is not None and Role.ADMIN not in update.roles
    deactivating = update.is_active is False
    if not (losing_admin or deactivating):
        return False
    return await repository.count_active_admins(session) <= 1


async def update(
    *, session: AsyncSession, user_id: int, user_in: UserUpdate, now: datetime, actor_id: int | None
) -> User:
    user = await get(session=session, user_id=user_id)
    if actor_id == user.id and user_in.is_active is False:
        raise NotAllowed("you cannot deactivate your own account")
    if await _would_remove_last_admin(session, user, user_in):
        raise Conflict("Helpline needs at least one active admin: make another admin first")
    changed: list[str] = []
    fields = user_in.model_fields_set
    if "display_name" in fields and user_in.display_name is not None:
        user.display_name = user_in.display_name
        changed.append("display_name")
    if "email" in fields:
        user.email = user_in.email
        changed.append("email")
    if "language" in fields and user_in.language is not None:
        user.language = user_in.language
        changed.append("language")
    if "notification_sound" in fields and user_in.notification_sound is not None:
        user.notification_sound = user_in.notification_sound
        changed.append("notification_sound")
    if "password" in fields and user_in.password is not None:
        user.password_hash = hash_password(user_in.password)
        changed.append("password")
    if "sip_password" in fields and user_in.sip_password is not None:
        _set_sip_password(user, user_in.sip_password)
        changed.append("sip_password")
    if "is_active" in fields and user_in.is_active is not None:
        user.is_active = user_in.is_active
        changed.append("is_active")
    if "roles" in fields and user_in.roles is not None:
        wanted = {role.value for role in user_in.roles}
        user.roles = [r for r in user.roles if r.role in wanted] + [
            UserRole(role=role) for role in sorted(wanted - set(user.role_names))
        ]
        changed.append("roles")
    if "lines" in fields and user_in.lines is not None:
        await _check_lines(session, user_in.lines, user_id=user.id)
        # Old rows must be gone before new ones can reuse their extensions.
        user.lines.clear()
        await repository.flush(session)
        user.lines.extend(UserLine(extension=ln.extension, label=ln.label) for ln in user_in.lines)
        changed.append("lines")
    if not changed:
        return user
    user.updated_at = now
    await repository.flush(session)
    await session.refresh(user)
    append_event(
        session,
        UserUpdated(user=snapshot(user), changed=changed),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return user


async def update_me(*, session: AsyncSession, user: User, me_in: MeUpdate, now: datetime) -> User:
    if me_in.new_password is not None and not verify_password(
        user.password_hash, me_in.current_password or ""
    ):
        raise Invalid("the current password is wrong", field="current_password")
    update_in = UserUpdate.model_validate(
        {
            key: value
            for key, value in {
                "display_name": me_in.display_name,
                "language": me_in.language,
                "notification_sound": me_in.notification_sound,
                "password": me_in.new_password,
            }.items()
            if value is not None
        }
    )
    return await update(
        session=session, user_id=user.id, user_in=update_in, now=now, actor_id=user.id
    )


async def ensure_first_admin(
    *, session: AsyncSession, password: str | None, now: datetime
) -> tuple[User, str] | None:
    """On an empty database, create the ``admin`` user; returns it with its password."""
    if await repository.count_users(session) > 0:
        return None
    chosen = password or secrets.token_urlsafe(12)
    admin = await create(
        session=session,
        user_in=UserCreate(
            username="admin",
            display_name="Administrator",
            password=chosen,
            roles=[Role.ADMIN],
        ),
        now=now,
        actor_id=None,
    )
    return admin, chosen

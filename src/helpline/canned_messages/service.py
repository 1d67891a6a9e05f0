"""Canned messages: each agent's personal ones and the public ones everybody may use.

Who may do what is decided by the caller (the API and the pages) from the permission
matrix and passed in as ``may_manage_public`` (admins, supervisors, agents with "Manage
public canned messages") and ``may_keep_personal`` (users with the agent dashboard).
A personal message is private to its owner: to anybody else it does not exist.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.canned_messages import repository
from helpline.canned_messages.events import (
    CannedMessageCreated,
    CannedMessageDeleted,
    CannedMessageDisabled,
    CannedMessageEnabled,
    CannedMessageUpdated,
)
from helpline.canned_messages.models import PUBLIC_SCOPE, CannedMessage, personal_scope
from helpline.canned_messages.schemas import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_QUERY_LENGTH,
    CannedMessageCreate,
    CannedMessageOut,
    CannedMessageUpdate,
    fold,
    shortcut_key,
)
from helpline.errors import Conflict, NotAllowed, NotFound
from helpline.i18n import gettext as _
from helpline.storage.eventlog import append_event


def snapshot(message: CannedMessage) -> dict[str, Any]:
    return CannedMessageOut.model_validate(message).model_dump(mode="json")


def _not_found(message_id: int) -> NotFound:
    return NotFound(_("There is no canned message with the id %(id)d.") % {"id": message_id})


def _search_text(query: str | None) -> str:
    """The folded text to look for: what follows the shortcut trigger ("/") if typed."""
    if not query:
        return ""
    text = unicodedata.normalize("NFC", query).strip()[:MAX_QUERY_LENGTH]
    return fold(text.removeprefix("/").strip())


def _rank(message: CannedMessage, needle: str) -> int | None:
    """How well ``message`` matches: 0 its shortcut, 1 a shortcut that starts so, 2 its
    category or text contains it; None: no match."""
    if not needle:
        return 2
    shortcut = fold(message.shortcut)
    if shortcut == needle:
        return 0
    if shortcut.startswith(needle):
        return 1
    if needle in fold(message.category) or needle in fold(message.text):
        return 2
    return None


def _matching(
    messages: Sequence[CannedMessage], query: str | None, category: str | None
) -> list[CannedMessage]:
    needle = _search_text(query)
    wanted_category = fold(category.strip()) if category else None
    ranked: list[tuple[int, str, int, CannedMessage]] = []
    for message in messages:
        if wanted_category is not None and fold(message.category) != wanted_category:
            continue
        rank = _rank(message, needle)
        if rank is not None:
            ranked.append((rank, message.shortcut_key, message.id, message))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked]


async def usable(
    *,
    session: AsyncSession,
    user_id: int,
    query: str | None = None,
    category: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[CannedMessage]:
    """What the chat composer offers ``user_id``: the enabled messages they may use.

    Their personal messages first, then the public ones; within each, an exact shortcut,
    then shortcuts that start with ``query``, then messages whose category or text
    contains it (case and accents do not count). A leading "/" in ``query`` is ignored.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    personal = await repository.list_in_scopes(session, [personal_scope(user_id)], enabled=True)
    public = await repository.list_in_scopes(session, [PUBLIC_SCOPE], enabled=True)
    found = _matching(personal, query, category) + _matching(public, query, category)
    return found[:limit]


async def list_personal(
    *, session: AsyncSession, owner_id: int, search: str | None = None
) -> list[CannedMessage]:
    """All of a user's personal messages, enabled or not, by category then shortcut."""
    messages = await repository.list_in_scopes(session, [personal_scope(owner_id)])
    return _matching(messages, search, None) if search else list(messages)


async def list_public(
    *, session: AsyncSession, enabled: bool | None = None, search: str | None = None
) -> list[CannedMessage]:
    """The public messages by category then shortcut; ``search`` as in :func:`usable`."""
    messages = await repository.list_in_scopes(session, [PUBLIC_SCOPE], enabled=enabled)
    return _matching(messages, search, None) if search else list(messages)


async def categories(*, session: AsyncSession, user_id: int) -> list[str]:
    """The categories of the messages ``user_id`` may use, for a filter."""
    messages = await repository.list_in_scopes(
        session, [personal_scope(user_id), PUBLIC_SCOPE], enabled=True
    )
    found: dict[str, str] = {}
    for message in messages:
        if message.category:
            found.setdefault(fold(message.category), message.category)
    return sorted(found.values(), key=fold)


async def get(*, session: AsyncSession, message_id: int) -> CannedMessage:
    message = await repository.get(session, message_id)
    if message is None:
        raise _not_found(message_id)
    return message


async def get_for(
    *, session: AsyncSession, message_id: int, actor_id: int, may_manage_public: bool
) -> CannedMessage:
    """A message ``actor_id`` may change: their own, or a public one if they manage those."""
    message = await get(session=session, message_id=message_id)
    if message.is_public:
        if not may_manage_public:
            raise NotAllowed(_("You may not change public canned messages."))
        return message
    if message.owner_user_id != actor_id:
        # Somebody else's personal message: private, so as good as absent.
        raise _not_found(message_id)
    return message


async def _check_shortcut_free(
    session: AsyncSession, scope_key: str, shortcut: str, *, message_id: int | None = None
) -> None:
    other = await repository.get_by_shortcut(session, scope_key, shortcut_key(shortcut))
    if other is None or other.id == message_id:
        return
    if scope_key == PUBLIC_SCOPE:
        text = _('There is already a public canned message with the shortcut "%(shortcut)s".')
    else:
        text = _('You already have a canned message with the shortcut "%(shortcut)s".')
    raise Conflict(text % {"shortcut": other.shortcut}, field="shortcut")


async def create(
    *,
    session: AsyncSession,
    message_in: CannedMessageCreate,
    public: bool,
    now: datetime,
    actor_id: int | None,
) -> CannedMessage:
    """A public message, or a personal one of ``actor_id``.

    ``actor_id`` None (the system, e.g. the demo) adds public messages only.
    """
    if actor_id is None and not public:
        raise ValueError("a personal canned message needs its owner")
    scope = PUBLIC_SCOPE if public or actor_id is None else personal_scope(actor_id)
    await _check_shortcut_free(session, scope, message_in.shortcut)
    message = CannedMessage(
        owner_user_id=None if public else actor_id,
        is_public=public,
        scope_key=scope,
        shortcut=message_in.shortcut,
        shortcut_key=shortcut_key(message_in.shortcut),
        category=message_in.category,
        text=message_in.text,
        enabled=message_in.enabled,
        created_by_user_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, message)
    append_event(
        session,
        CannedMessageCreated(message=snapshot(message)),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return message


async def update(
    *,
    session: AsyncSession,
    message_id: int,
    message_in: CannedMessageUpdate,
    now: datetime,
    actor_id: int,
    may_manage_public: bool,
    may_keep_personal: bool,
) -> CannedMessage:
    message = await get_for(
        session=session,
        message_id=message_id,
        actor_id=actor_id,
        may_manage_public=may_manage_public,
    )
    changed: list[str] = []
    scope = message.scope_key
    if message_in.public is not None and message_in.public != message.is_public:
        if message_in.public and not may_manage_public:
            raise NotAllowed(_("You may not make canned messages public."))
        if not message_in.public and not may_keep_personal:
            raise NotAllowed(_("Only agents keep personal canned messages."))
        scope = PUBLIC_SCOPE if message_in.public else personal_scope(actor_id)
        changed.append("public")
    shortcut = message.shortcut
    if message_in.shortcut is not None and message_in.shortcut != message.shortcut:
        shortcut = message_in.shortcut
        changed.append("shortcut")
    if changed:
        await _check_shortcut_free(session, scope, shortcut, message_id=message.id)
    if message_in.category is not None and message_in.category != message.category:
        changed.append("category")
    if message_in.text is not None and message_in.text != message.text:
        changed.append("text")
    toggled = message_in.enabled is not None and message_in.enabled != message.enabled
    if not changed and not toggled:
        return message

    message.shortcut = shortcut
    message.shortcut_key = shortcut_key(shortcut)
    if "public" in changed:
        message.is_public = scope == PUBLIC_SCOPE
        message.owner_user_id = None if message.is_public else actor_id
        message.scope_key = scope
    if "category" in changed:
        message.category = str(message_in.category)
    if "text" in changed:
        message.text = str(message_in.text)
    if toggled:
        message.enabled = bool(message_in.enabled)
    message.updated_at = now
    await repository.flush(session)
    if changed:
        append_event(
            session,
            CannedMessageUpdated(message=snapshot(message), changed=sorted(changed)),
            occurred_at=now,
            actor_user_id=actor_id,
        )
    if toggled:
        event = (
            CannedMessageEnabled(message=snapshot(message))
            if message.enabled
            else CannedMessageDisabled(message=snapshot(message))
        )
        append_event(session, event, occurred_at=now, actor_user_id=actor_id)
    return message


async def delete(
    *,
    session: AsyncSession,
    message_id: int,
    now: datetime,
    actor_id: int,
    may_manage_public: bool,
) -> None:
    message = await get_for(
        session=session,
        message_id=message_id,
        actor_id=actor_id,
        may_manage_public=may_manage_public,
    )
    gone = snapshot(message)
    await repository.delete(session, message)
    append_event(
        session, CannedMessageDeleted(message=gone), occurred_at=now, actor_user_id=actor_id
    )


async def find_public(*, session: AsyncSession, shortcut: str) -> CannedMessage | None:
    """The public message with this shortcut (in any case), if there is one."""
    return await repository.get_by_shortcut(session, PUBLIC_SCOPE, shortcut_key(shortcut))

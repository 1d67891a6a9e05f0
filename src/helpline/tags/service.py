"""Tags: the organization's list, which admins keep and agents choose from."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.errors import Conflict, NotFound
from helpline.i18n import gettext as _
from helpline.storage.eventlog import append_event
from helpline.tags import repository
from helpline.tags.events import TagCreated, TagDeleted, TagDisabled, TagEnabled, TagRenamed
from helpline.tags.models import Tag
from helpline.tags.schemas import (
    MAX_SEARCH_LENGTH,
    CustomTagCreate,
    TagCreate,
    TagOut,
    TagUpdate,
    name_key,
)


def snapshot(tag: Tag) -> dict[str, Any]:
    return TagOut.model_validate(tag).model_dump(mode="json")


def search_key(search: str | None) -> str | None:
    """The case-folded text to look for in names; None for no search."""
    if search is None:
        return None
    text = unicodedata.normalize("NFC", search).strip()[:MAX_SEARCH_LENGTH]
    return name_key(" ".join(text.split())) or None


async def list_tags(
    *, session: AsyncSession, enabled: bool | None = None, search: str | None = None
) -> Sequence[Tag]:
    """Tags in alphabetical order; ``search`` finds a piece of the name, in any case."""
    return await repository.list_all(session, enabled=enabled, search_key=search_key(search))


async def get(*, session: AsyncSession, tag_id: int) -> Tag:
    tag = await repository.get(session, tag_id)
    if tag is None:
        raise NotFound(_("There is no tag with the id %(id)d.") % {"id": tag_id})
    return tag


async def _check_name_free(session: AsyncSession, name: str, *, tag_id: int | None = None) -> None:
    other = await repository.get_by_name_key(session, name_key(name))
    if other is None or other.id == tag_id:
        return
    if other.enabled:
        message = _('There is already a tag named "%(name)s".') % {"name": other.name}
    else:
        message = _(
            'There is already a tag named "%(name)s"; it is disabled: an admin can enable it.'
        ) % {"name": other.name}
    raise Conflict(message, field="name")


async def _add(
    session: AsyncSession,
    *,
    name: str,
    enabled: bool,
    custom: bool,
    now: datetime,
    actor_id: int | None,
) -> Tag:
    await _check_name_free(session, name)
    tag = Tag(
        name=name,
        name_key=name_key(name),
        enabled=enabled,
        is_custom=custom,
        created_by_user_id=actor_id,
        created_at=now,
    )
    await repository.add(session, tag)
    append_event(session, TagCreated(tag=snapshot(tag)), occurred_at=now, actor_user_id=actor_id)
    return tag


async def create(
    *, session: AsyncSession, tag_in: TagCreate, now: datetime, actor_id: int | None
) -> Tag:
    """An organization tag (an admin's)."""
    return await _add(
        session, name=tag_in.name, enabled=tag_in.enabled, custom=False, now=now, actor_id=actor_id
    )


async def create_custom(
    *, session: AsyncSession, tag_in: CustomTagCreate, now: datetime, actor_id: int
) -> Tag:
    """A custom tag an agent adds from a conversation: enabled, marked custom, with its author."""
    return await _add(
        session, name=tag_in.name, enabled=True, custom=True, now=now, actor_id=actor_id
    )


async def update(
    *,
    session: AsyncSession,
    tag_id: int,
    tag_in: TagUpdate,
    now: datetime,
    actor_id: int | None,
) -> Tag:
    """Rename and/or enable or disable; one event for each thing that changes."""
    tag = await get(session=session, tag_id=tag_id)
    renamed_from: str | None = None
    if tag_in.name is not None and tag_in.name != tag.name:
        await _check_name_free(session, tag_in.name, tag_id=tag.id)
        renamed_from = tag.name
        tag.name = tag_in.name
        tag.name_key = name_key(tag_in.name)
    toggled = tag_in.enabled is not None and tag_in.enabled != tag.enabled
    if toggled:
        tag.enabled = bool(tag_in.enabled)
    if renamed_from is None and not toggled:
        return tag
    await repository.flush(session)
    if renamed_from is not None:
        append_event(
            session,
            TagRenamed(tag=snapshot(tag), previous_name=renamed_from),
            occurred_at=now,
            actor_user_id=actor_id,
        )
    if toggled:
        event = TagEnabled(tag=snapshot(tag)) if tag.enabled else TagDisabled(tag=snapshot(tag))
        append_event(session, event, occurred_at=now, actor_user_id=actor_id)
    return tag


async def delete(
    *, session: AsyncSession, tag_id: int, now: datetime, actor_id: int | None
) -> None:
    """Delete a tag: it also comes off every conversation that carried it.

    To stop offering a tag but keep it on past conversations, disable it instead.
    """
    tag = await get(session=session, tag_id=tag_id)
    gone = snapshot(tag)
    await repository.delete(session, tag)
    append_event(session, TagDeleted(tag=gone), occurred_at=now, actor_user_id=actor_id)

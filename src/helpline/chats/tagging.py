"""Tags on conversations: agents put the organization's enabled tags on their
conversations, and new custom ones when they have "Create custom tags".

Who may tag which conversation is the caller's decision (the API checks it); this module
keeps the rules of the tags themselves: a disabled tag is never put on, a deleted one
comes off by itself (``conversation_tags.tag_id`` cascades), a tag is on a conversation
once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.chats import repository
from helpline.chats.events import TagAdded, TagRemoved
from helpline.chats.models import Conversation, ConversationTag
from helpline.chats.service import snapshot
from helpline.errors import Invalid, NotAllowed, NotFound
from helpline.i18n import gettext as _
from helpline.storage.eventlog import append_event
from helpline.tags import repository as tag_repository
from helpline.tags import service as tag_service
from helpline.tags.models import Tag
from helpline.tags.schemas import CustomTagCreate, name_key


async def tags_of(*, session: AsyncSession, conversation_id: int) -> Sequence[Tag]:
    return await repository.conversation_tags(session, conversation_id)


def _snapshots(tags: Sequence[Tag]) -> list[dict[str, Any]]:
    return [tag_service.snapshot(tag) for tag in tags]


async def _tag_to_add(
    session: AsyncSession,
    *,
    tag_id: int | None,
    name: str | None,
    may_create: bool,
    now: datetime,
    actor_id: int,
) -> Tag:
    if tag_id is not None:
        tag = await tag_repository.get(session, tag_id)
        if tag is None:
            raise NotFound(
                _("There is no tag with the id %(id)d.") % {"id": tag_id}, field="tag_id"
            )
    else:
        assert name is not None
        tag = await tag_repository.get_by_name_key(session, name_key(name))
        if tag is None:
            if not may_create:
                raise NotAllowed(
                    _(
                        'There is no tag named "%(name)s", and you may not create tags: '
                        "choose one of the list."
                    )
                    % {"name": name},
                    field="name",
                )
            return await tag_service.create_custom(
                session=session, tag_in=CustomTagCreate(name=name), now=now, actor_id=actor_id
            )
    if not tag.enabled:
        raise Invalid(
            _('The tag "%(name)s" is disabled: it cannot be added.') % {"name": tag.name},
            field="tag_id" if tag_id is not None else "name",
        )
    return tag


async def add(
    *,
    session: AsyncSession,
    conversation: Conversation,
    tag_id: int | None,
    name: str | None,
    may_create: bool,
    now: datetime,
    actor_id: int,
) -> tuple[Sequence[Tag], bool]:
    """Put a tag on the conversation: an enabled one by id or by name, or (``may_create``)
    a new custom tag by name. Returns the conversation's tags and whether it was new on it."""
    tag = await _tag_to_add(
        session, tag_id=tag_id, name=name, may_create=may_create, now=now, actor_id=actor_id
    )
    if await repository.conversation_tag(session, conversation.id, tag.id) is not None:
        return await tags_of(session=session, conversation_id=conversation.id), False
    await repository.add(
        session,
        ConversationTag(
            conversation_id=conversation.id,
            tag_id=tag.id,
            added_by_user_id=actor_id,
            created_at=now,
        ),
    )
    tags = await tags_of(session=session, conversation_id=conversation.id)
    append_event(
        session,
        TagAdded(
            conversation=snapshot(conversation),
            tag=tag_service.snapshot(tag),
            tags=_snapshots(tags),
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return tags, True


async def remove(
    *, session: AsyncSession, conversation: Conversation, tag_id: int, now: datetime, actor_id: int
) -> Sequence[Tag]:
    """Take a tag off (a disabled one too). Returns the conversation's tags."""
    link = await repository.conversation_tag(session, conversation.id, tag_id)
    tag = await tag_repository.get(session, tag_id)
    if link is None or tag is None:
        raise NotFound(_("This conversation has no tag with the id %(id)d.") % {"id": tag_id})
    await repository.delete(session, link)
    tags = await tags_of(session=session, conversation_id=conversation.id)
    append_event(
        session,
        TagRemoved(
            conversation=snapshot(conversation),
            tag=tag_service.snapshot(tag),
            tags=_snapshots(tags),
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return tags

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.chats.models import (
    ChatAddress,
    ChatAttachment,
    ChatMessage,
    ChatOutbox,
    Conversation,
    ConversationTag,
    WebchatVisitor,
    WebchatWidget,
)
from helpline.tags.models import Tag

Row = (
    Conversation
    | ChatMessage
    | ChatAttachment
    | ChatOutbox
    | ChatAddress
    | WebchatWidget
    | WebchatVisitor
    | ConversationTag
)


async def add(session: AsyncSession, item: Row) -> None:
    session.add(item)
    await session.flush()


async def delete(session: AsyncSession, item: Row) -> None:
    await session.delete(item)
    await session.flush()


async def flush(session: AsyncSession) -> None:
    await session.flush()


async def get_conversation(
    session: AsyncSession, conversation_id: int, *, lock: bool = False
) -> Conversation | None:
    if lock:
        return await session.scalar(
            select(Conversation).where(Conversation.id == conversation_id).with_for_update()
        )
    return await session.get(Conversation, conversation_id)


async def conversation_at(
    session: AsyncSession, channel: str, our_address: str, customer_address: str
) -> Conversation | None:
    return await session.scalar(
        select(Conversation).where(
            Conversation.channel == channel,
            Conversation.our_address == our_address,
            Conversation.customer_address == customer_address,
        )
    )


async def conversation_by_acd_contact(
    session: AsyncSession, contact_id: str
) -> Conversation | None:
    return await session.scalar(
        select(Conversation).where(Conversation.acd_contact_id == contact_id)
    )


async def list_conversations(
    session: AsyncSession,
    *,
    statuses: Sequence[str],
    queue_ids: Sequence[int] | None = None,
    assigned_user_id: int | None = None,
    limit: int,
    offset: int,
) -> tuple[int, Sequence[Conversation]]:
    query = select(Conversation).where(Conversation.status.in_(list(statuses)))
    if queue_ids is not None:
        query = query.where(Conversation.queue_id.in_(list(queue_ids)))
    if assigned_user_id is not None:
        query = query.where(Conversation.assigned_user_id == assigned_user_id)
    total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await session.scalars(
        query.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, rows.all()


async def live_conversations(session: AsyncSession) -> Sequence[Conversation]:
    """Every conversation that is not resolved."""
    return (
        await session.scalars(select(Conversation).where(Conversation.status != "resolved"))
    ).all()


async def transcripts_due(
    session: AsyncSession, *, max_attempts: int, now: datetime
) -> Sequence[Conversation]:
    """Resolved conversations whose customer asked for the transcript, not sent yet, and
    not waiting before another attempt."""
    query = select(Conversation).where(
        Conversation.status == "resolved",
        Conversation.transcript_to.is_not(None),
        Conversation.transcript_sent_at.is_(None),
        Conversation.transcript_attempts < max_attempts,
        or_(Conversation.transcript_next_at.is_(None), Conversation.transcript_next_at <= now),
    )
    return (await session.scalars(query.order_by(Conversation.id).limit(50))).all()


async def visible_live(
    session: AsyncSession,
    *,
    user_id: int,
    supervised: Sequence[int],
    agent_queues: Sequence[int],
    limit: int = 500,
) -> Sequence[Conversation]:
    """Conversations not resolved that a user sees: assigned to them, waiting in their
    queues, or in the queues they supervise (the newest ``limit``)."""
    from sqlalchemy import and_, or_

    query = select(Conversation).where(
        Conversation.status != "resolved",
        or_(
            Conversation.assigned_user_id == user_id,
            Conversation.queue_id.in_(list(supervised)),
            and_(Conversation.status == "open", Conversation.queue_id.in_(list(agent_queues))),
        ),
    )
    rows = await session.scalars(
        query.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(limit)
    )
    return rows.all()


async def assigned_awaiting_reply(session: AsyncSession) -> Sequence[Conversation]:
    return (
        await session.scalars(
            select(Conversation).where(
                Conversation.status == "assigned", Conversation.awaiting_agent_since.is_not(None)
            )
        )
    ).all()


async def messages(
    session: AsyncSession, conversation_id: int, *, before_id: int | None, limit: int
) -> Sequence[ChatMessage]:
    """The newest ``limit`` messages (before ``before_id``), oldest first."""
    query = select(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
    if before_id is not None:
        query = query.where(ChatMessage.id < before_id)
    rows = (await session.scalars(query.order_by(ChatMessage.id.desc()).limit(limit))).all()
    return list(reversed(rows))


async def get_message(session: AsyncSession, message_id: int) -> ChatMessage | None:
    return await session.get(ChatMessage, message_id)


async def message_by_provider_id(
    session: AsyncSession, channel: str, direction: str, provider_message_id: str
) -> ChatMessage | None:
    return await session.scalar(
        select(ChatMessage).where(
            ChatMessage.channel == channel,
            ChatMessage.direction == direction,
            ChatMessage.provider_message_id == provider_message_id,
        )
    )


async def get_attachment(session: AsyncSession, attachment_id: int) -> ChatAttachment | None:
    return await session.get(ChatAttachment, attachment_id)


async def due_outbox(session: AsyncSession, now: datetime, limit: int) -> Sequence[ChatOutbox]:
    return (
        await session.scalars(
            select(ChatOutbox)
            .where(ChatOutbox.state == "pending", ChatOutbox.next_attempt_at <= now)
            .order_by(ChatOutbox.next_attempt_at, ChatOutbox.id)
            .limit(limit)
        )
    ).all()


async def outbox_for(session: AsyncSession, message_id: int) -> ChatOutbox | None:
    return await session.scalar(select(ChatOutbox).where(ChatOutbox.message_id == message_id))


async def next_outbox_due(session: AsyncSession) -> datetime | None:
    value: datetime | None = await session.scalar(
        select(func.min(ChatOutbox.next_attempt_at)).where(ChatOutbox.state == "pending")
    )
    return value


async def address(session: AsyncSession, channel: str, our_address: str) -> ChatAddress | None:
    return await session.scalar(
        select(ChatAddress).where(
            ChatAddress.channel == channel, ChatAddress.address == our_address
        )
    )


async def get_address(session: AsyncSession, address_id: int) -> ChatAddress | None:
    return await session.get(ChatAddress, address_id)


async def list_addresses(session: AsyncSession) -> Sequence[ChatAddress]:
    return (
        await session.scalars(
            select(ChatAddress).order_by(ChatAddress.channel, ChatAddress.address)
        )
    ).all()


async def get_widget(session: AsyncSession, widget_id: int) -> WebchatWidget | None:
    return await session.get(WebchatWidget, widget_id)


async def widget_by_key(session: AsyncSession, key: str) -> WebchatWidget | None:
    return await session.scalar(select(WebchatWidget).where(WebchatWidget.key == key))


async def list_widgets(session: AsyncSession) -> Sequence[WebchatWidget]:
    return (await session.scalars(select(WebchatWidget).order_by(WebchatWidget.name))).all()


async def visitor_by_token_hash(session: AsyncSession, token_hash: str) -> WebchatVisitor | None:
    return await session.scalar(
        select(WebchatVisitor).where(WebchatVisitor.token_hash == token_hash)
    )


async def visitor_by_public_id(session: AsyncSession, public_id: str) -> WebchatVisitor | None:
    return await session.scalar(select(WebchatVisitor).where(WebchatVisitor.public_id == public_id))


async def conversation_tags(session: AsyncSession, conversation_id: int) -> Sequence[Tag]:
    """The tags on a conversation, in alphabetical order."""
    query = (
        select(Tag)
        .join(ConversationTag, ConversationTag.tag_id == Tag.id)
        .where(ConversationTag.conversation_id == conversation_id)
        .order_by(Tag.name_key, Tag.id)
    )
    return (await session.scalars(query)).all()


async def conversation_tag(
    session: AsyncSession, conversation_id: int, tag_id: int
) -> ConversationTag | None:
    return await session.get(ConversationTag, (conversation_id, tag_id))

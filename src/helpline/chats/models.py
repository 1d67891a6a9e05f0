from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpline.storage.base import Base


class Conversation(Base):
    """One customer address on one of our addresses of a channel: reopened, never doubled."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "our_address", "customer_address"),
        Index("ix_conversations_status_queue", "status", "queue_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    our_address: Mapped[str] = mapped_column(String(200))
    customer_address: Mapped[str] = mapped_column(String(200))
    customer_name: Mapped[str] = mapped_column(String(200), default="")
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), default=None, index=True
    )
    queue_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_queues.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(20), default="open")  # open/assigned/resolved
    assigned_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    # The ACD contact of the current routing (a new one each time it goes to the queue).
    acd_contact_id: Mapped[str | None] = mapped_column(String(64), default=None)
    routings: Mapped[int] = mapped_column(Integer, default=0)
    last_message_preview: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    # Since when the customer waits for an agent's reply (None: the agent spoke last).
    awaiting_agent_since: Mapped[datetime | None] = mapped_column(default=None)
    # Since when it waits in the queue without an agent (None: assigned or resolved).
    unassigned_since: Mapped[datetime | None] = mapped_column(default=None)
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    # The customer asked for the transcript by email (webchat): sent once resolved.
    transcript_to: Mapped[str | None] = mapped_column(String(254), default=None)
    transcript_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    transcript_attempts: Mapped[int] = mapped_column(Integer, default=0)
    transcript_next_at: Mapped[datetime | None] = mapped_column(default=None)  # after a refusal
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    last_outbound_at: Mapped[datetime | None] = mapped_column(default=None)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    # Intake is idempotent on the provider's id (a retried webhook carries the same one).
    __table_args__ = (UniqueConstraint("channel", "direction", "provider_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(3))  # in / out
    author: Mapped[str] = mapped_column(String(10))  # customer / agent / system
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    text: Mapped[str] = mapped_column(Text, default="")
    provider_message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    # received (inbound); queued / sent / delivered / read / failed (outbound)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    status_at: Mapped[datetime]

    attachments: Mapped[list[ChatAttachment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ChatAttachment.id"
    )


class ChatAttachment(Base):
    """A file of a message; the bytes are on disk under the data directory."""

    __tablename__ = "chat_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(300))  # relative to the attachments directory
    created_at: Mapped[datetime]


class ChatOutbox(Base):
    """An outbound message waiting to be handed to its provider (retried with backoff)."""

    __tablename__ = "chat_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="CASCADE"), unique=True
    )
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending/done/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]


class ChatAddress(Base):
    """One of our addresses on a channel (an SMS number, a Facebook page, an Instagram
    account) and the chat queue its conversations go to."""

    __tablename__ = "chat_addresses"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    queue_id: Mapped[int] = mapped_column(ForeignKey("chat_queues.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


class ConversationTag(Base):
    """A tag on a conversation. Deleting the tag takes it off (``ON DELETE CASCADE``);
    disabling it keeps it here."""

    __tablename__ = "conversation_tags"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]


class WebchatWidget(Base):
    """A webchat widget a site embeds: the chat queue it feeds and how it looks."""

    __tablename__ = "webchat_widgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # public, in the script tag
    name: Mapped[str] = mapped_column(String(100))
    queue_id: Mapped[int] = mapped_column(ForeignKey("chat_queues.id", ondelete="CASCADE"))
    color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    text_color: Mapped[str] = mapped_column(String(7), default="#ffffff")
    greeting: Mapped[str] = mapped_column(String(500), default="")
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebchatVisitor(Base):
    """A browser that opened a widget: its token (kept in localStorage) is stored hashed."""

    __tablename__ = "webchat_visitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    widget_id: Mapped[int] = mapped_column(
        ForeignKey("webchat_widgets.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

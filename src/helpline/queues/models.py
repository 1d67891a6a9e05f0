from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class CallQueue(Base):
    __tablename__ = "call_queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    extension: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    queue_type: Mapped[str] = mapped_column(String(20), default="standard")
    strategy: Mapped[str] = mapped_column(String(20), default="longest_idle")
    priority_score: Mapped[int] = mapped_column(Integer, default=0)
    max_wait_seconds: Mapped[int] = mapped_column(Integer, default=600)
    timeout_target: Mapped[str | None] = mapped_column(String(100), default=None)
    service_level_seconds: Mapped[int] = mapped_column(Integer, default=20)
    wrap_up_seconds: Mapped[int] = mapped_column(Integer, default=30)
    agents_can_end_wrap_up: Mapped[bool] = mapped_column(Boolean, default=True)
    offer_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)
    auto_pause_after_missed: Mapped[int | None] = mapped_column(Integer, default=None)
    callback_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    callback_threshold_seconds: Mapped[int] = mapped_column(Integer, default=300)
    callback_caller_id: Mapped[str | None] = mapped_column(String(32), default=None)
    record_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ChatQueue(Base):
    __tablename__ = "chat_queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    strategy: Mapped[str] = mapped_column(String(20), default="longest_idle")
    priority_score: Mapped[int] = mapped_column(Integer, default=0)
    max_concurrent_chats: Mapped[int] = mapped_column(Integer, default=3)
    offer_timeout_seconds: Mapped[int] = mapped_column(Integer, default=30)
    reassign_after_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    outbound_caller_id: Mapped[str | None] = mapped_column(String(32), default=None)
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answer_timeout_seconds: Mapped[int] = mapped_column(Integer, default=20)
    allowed_number_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    record_calls: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_score: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class QueueAssignment(Base):
    """A user assigned to a call queue, chat queue or campaign as agent or supervisor."""

    __tablename__ = "queue_assignments"
    __table_args__ = (UniqueConstraint("queue_kind", "queue_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_kind: Mapped[str] = mapped_column(String(10))
    queue_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

"""Canned messages: personal ones per agent and public ones for everybody."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base

PUBLIC_SCOPE = "public"


def personal_scope(user_id: int) -> str:
    return f"user:{user_id}"


class CannedMessage(Base):
    __tablename__ = "canned_messages"
    # A shortcut is unique, regardless of case, among the public messages and among each
    # user's personal ones; a personal shortcut may repeat a public one.
    __table_args__ = (UniqueConstraint("scope_key", "shortcut_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a public message; the owner's id for a personal one.
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # "public", or "user:<owner id>" for a personal message.
    scope_key: Mapped[str] = mapped_column(String(30))
    shortcut: Mapped[str] = mapped_column(String(50))
    # Case-folded shortcut.
    shortcut_key: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Who wrote it (for a public message: the admin, supervisor or agent who added it).
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

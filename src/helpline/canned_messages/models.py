from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class CannedMessage(Base):
    __tablename__ = "canned_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a public message; the owner's id for a personal one.
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    shortcut: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

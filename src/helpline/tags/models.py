"""Tags agents put on conversations and calls.

Deleting a tag takes it off every conversation that carried it: a table that links
conversations (or calls) to tags references ``tags.id`` with ``ON DELETE CASCADE``.
Disabling a tag instead keeps it on the conversations that have it and only stops
offering it to agents.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Case-folded name: tags are unique regardless of case.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Added by an agent from a conversation (permission "Create custom tags").
    is_custom: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime]

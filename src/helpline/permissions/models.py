from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class PermissionSetting(Base):
    """A switch the admin changed from its default. Reset to defaults deletes the rows."""

    __tablename__ = "permission_settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]

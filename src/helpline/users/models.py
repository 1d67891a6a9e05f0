from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpline.storage.base import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: user names are unique regardless of case.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Play a sound with the chat notifications (the popup and the title badge always show).
    notification_sound: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=sa_true()
    )
    # Digest HA1 values of the SIP password (RFC 7616): phones authenticate with the user
    # name and this password; the password itself is never stored.
    sip_ha1_md5: Mapped[str | None] = mapped_column(String(64), default=None)
    sip_ha1_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )
    lines: Mapped[list[UserLine]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserLine.extension"
    )

    @property
    def has_sip_password(self) -> bool:
        return self.sip_ha1_md5 is not None

    @property
    def role_names(self) -> list[str]:
        return sorted(role.role for role in self.roles)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class UserLine(Base):
    """A line (extension) of a user; an agent with several picks one per session."""

    __tablename__ = "user_lines"
    __table_args__ = (UniqueConstraint("extension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    extension: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(100), default="")

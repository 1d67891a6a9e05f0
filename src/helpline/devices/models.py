from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class SipRegistration(Base):
    """One phone registered for one line (RFC 3261 section 10: a binding).

    Several phones may register the same line; a call to the line rings all of them. The
    binding keeps the address the REGISTER came from, because a phone behind NAT can only
    be reached there, not at the address its Contact names.
    """

    __tablename__ = "sip_registrations"
    __table_args__ = (UniqueConstraint("extension", "contact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    extension: Mapped[str] = mapped_column(String(20), index=True)
    contact: Mapped[str] = mapped_column(String(512))
    transport: Mapped[str] = mapped_column(String(8))
    source_host: Mapped[str] = mapped_column(String(64))
    source_port: Mapped[int] = mapped_column(Integer)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    call_id: Mapped[str] = mapped_column(String(255))
    cseq: Mapped[int] = mapped_column(Integer)
    registered_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)

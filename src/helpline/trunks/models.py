from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class Trunk(Base):
    """A SIP trunk to a carrier: where calls come from and go to outside the site."""

    __tablename__ = "trunks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Case-folded name: trunks are unique regardless of case.
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    # A host name or an IP address (IPv6 without brackets).
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(3))
    username: Mapped[str] = mapped_column(String(128), default="")
    # A Fernet token (see crypto.py), never the password itself; None: no password. Not a
    # hash: Helpline has to compute digest answers with the password when the carrier asks.
    password_encrypted: Mapped[str | None] = mapped_column(String(512), nullable=True)
    register: Mapped[bool] = mapped_column(Boolean, default=False)
    register_expires: Mapped[int] = mapped_column(Integer)
    from_domain: Mapped[str] = mapped_column(String(255), default="")
    caller_id: Mapped[str] = mapped_column(String(20), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # IP addresses and CIDR networks allowed to send calls from this trunk; empty: the
    # addresses the host resolves to.
    inbound_addresses: Mapped[list[str]] = mapped_column(JSON)
    # Outbound calls go through the first enabled trunk in this order.
    position: Mapped[int] = mapped_column(Integer, default=0)
    # "ok" or "failed" as the last REGISTER ended; None until one has been tried.
    registration_state: Mapped[str | None] = mapped_column(String(10), nullable=True)
    registration_detail: Mapped[str] = mapped_column(String(500), default="")
    registration_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TrunkNumber(Base):
    """A DID (E.164) that the carrier delivers through a trunk.

    Which call plan answers it is not stored here: the call plans' numbers
    (``call_plan_numbers``) decide that, for DIDs and internal numbers alike.
    """

    __tablename__ = "trunk_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique across trunks: a DID arrives through one carrier.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    trunk_id: Mapped[int] = mapped_column(ForeignKey("trunks.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]

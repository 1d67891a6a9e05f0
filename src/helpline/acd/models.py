from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class AcdState(Base):
    """The router's state as of the last command, written in that command's transaction.

    One row. After a restart the router is rebuilt from it: waiting contacts keep their
    place, open offers become waiting again (an offer never survives a restart).
    """

    __tablename__ = "acd_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]

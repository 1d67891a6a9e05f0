from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
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


class AcdAgentState(Base):
    """One agent's part of the router's state, beside :class:`AcdState` (which lists the
    agents in order). A batch writes only the agents it changed: the whole state was
    hundreds of kilobytes with 500 agents, written on every batch."""

    __tablename__ = "acd_agent_state"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base


class CallRecording(Base):
    """One WAV file of a call: the mix of its parties, or one party's leg.

    A call can have several segments: the recording restarts when a party joins or leaves
    (a 3-way), so that each file holds everyone who was on the call at the time.
    """

    __tablename__ = "call_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(200), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    queue_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    agent_id: Mapped[str | None] = mapped_column(String(40), default=None)
    segment: Mapped[int] = mapped_column(Integer, default=1)
    # "mixed", or the party whose leg it is: "caller", "agent", "third_party"
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(500))  # under the data directory
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)

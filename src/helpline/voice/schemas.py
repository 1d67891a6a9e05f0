from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from helpline.voice.controls import MonitorMode


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # An extension (digits) or an outside number in E.164; checked by the controls.
    target: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class MonitorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: MonitorMode


class RecordingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: str
    contact_id: str | None
    queue_id: str | None
    agent_id: str | None
    segment: int
    kind: str
    path: str
    started_at: datetime
    ended_at: datetime | None
    duration_ms: int | None

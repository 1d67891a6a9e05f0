from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

MAX_SDP_CHARS = 100_000


class OfferIn(BaseModel):
    """The browser's SDP offer (``RTCPeerConnection.localDescription`` after gathering)."""

    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)
    type: Literal["offer"] = "offer"


class AnswerOut(BaseModel):
    sdp: str
    type: Literal["answer"] = "answer"
    session_id: str
    codec: str | None


class DigitIn(BaseModel):
    digit: str = Field(pattern=r"^[0-9*#A-Da-d]$", description="one key: 0-9, *, #, A-D")


class SoftphoneState(BaseModel):
    active: bool = Field(description="the agent's softphone is on")
    session_id: str | None
    connection: str | None = Field(description="new, connecting, connected, failed or closed")
    codec: str | None
    since: datetime | None
    on_call: bool = Field(description="the agent is connected to a call (any device)")
    held: bool
    contact_id: str | None = Field(description="the ACD contact of that call")
    caller: str | None

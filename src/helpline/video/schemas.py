from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RoomIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: int


class RoomOut(BaseModel):
    room_id: str
    conversation_id: int
    agent_id: int
    opened_at: datetime
    expires_at: datetime
    agent_url: str  # the room page for the agent (logged in)
    customer_url: str  # the link sent to the customer (carries their key)
    customer_joined: bool

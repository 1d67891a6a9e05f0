from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    extension: str
    contact: str
    transport: str
    source_host: str
    source_port: int
    user_agent: str
    registered_at: datetime
    expires_at: datetime

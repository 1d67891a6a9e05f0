from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from helpline.core.acd.model import Strategy

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Extension = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{2,10}$")]
Seconds = Annotated[int, Field(ge=1, le=86_400)]
Priority = Annotated[int, Field(ge=0, le=100)]
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def _caller_id(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _E164.match(value):
        raise ValueError("caller ID must be an E.164 number such as +390612345678")
    return value


CallerId = Annotated[str | None, AfterValidator(_caller_id)]


class QueueKind(StrEnum):
    CALL = "call"
    CHAT = "chat"
    CAMPAIGN = "campaign"


class CallQueueType(StrEnum):
    STANDARD = "standard"
    INTELLIGENT = "intelligent"


class NumberType(StrEnum):
    """Kinds of numbers a callback or a campaign may dial."""

    INTERNAL = "internal"
    LOCAL = "local"
    NATIONAL = "national"
    MOBILE = "mobile"
    INTERNATIONAL = "international"
    PREMIUM = "premium"


class ChatChannel(StrEnum):
    WEBCHAT = "webchat"
    SMS = "sms"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


CHAT_STRATEGIES = (
    Strategy.LONGEST_IDLE,
    Strategy.ROUND_ROBIN,
    Strategy.FEWEST_TODAY,
    Strategy.SKILLS,
)


class CallQueueSettings(BaseModel):
    """Everything of a call queue but its identity; every field optional on update."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    extension: Extension | None = None
    queue_type: CallQueueType | None = None
    strategy: Strategy | None = None
    priority_score: Priority | None = None
    max_wait_seconds: Seconds | None = None
    timeout_target: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None
    ) = None
    service_level_seconds: Seconds | None = None
    wrap_up_seconds: Annotated[int, Field(ge=0, le=3600)] | None = None
    agents_can_end_wrap_up: bool | None = None
    offer_timeout_seconds: Annotated[int, Field(ge=5, le=600)] | None = None
    auto_pause_after_missed: Annotated[int, Field(ge=1, le=100)] | None = None
    callback_enabled: bool | None = None
    callback_threshold_seconds: Seconds | None = None
    callback_caller_id: CallerId = None
    record_calls: bool | None = None


class CallQueueCreate(CallQueueSettings):
    name: Name
    extension: Extension | None = Field(
        default=None, description="Left empty: the next free extension is chosen"
    )


class CallQueueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    extension: str
    name: str
    queue_type: CallQueueType
    strategy: Strategy
    priority_score: int
    max_wait_seconds: int
    timeout_target: str | None
    service_level_seconds: int
    wrap_up_seconds: int
    agents_can_end_wrap_up: bool
    offer_timeout_seconds: int
    auto_pause_after_missed: int | None
    callback_enabled: bool
    callback_threshold_seconds: int
    callback_caller_id: str | None
    record_calls: bool
    created_at: datetime
    updated_at: datetime


class ChatQueueSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    strategy: Strategy | None = None
    priority_score: Priority | None = None
    max_concurrent_chats: Annotated[int, Field(ge=1, le=20)] | None = None
    offer_timeout_seconds: Annotated[int, Field(ge=5, le=600)] | None = None
    reassign_after_seconds: Annotated[int, Field(ge=30, le=86_400)] | None = None
    channels: Annotated[list[ChatChannel], Field(max_length=4)] | None = None

    @model_validator(mode="after")
    def _chat_strategy(self) -> ChatQueueSettings:
        if self.strategy is not None and self.strategy not in CHAT_STRATEGIES:
            raise ValueError("ring all is for calls only: choose another strategy for chats")
        if self.channels is not None:
            self.channels = sorted(set(self.channels))
        return self


class ChatQueueCreate(ChatQueueSettings):
    name: Name


class ChatQueueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    strategy: Strategy
    priority_score: int
    max_concurrent_chats: int
    offer_timeout_seconds: int
    reassign_after_seconds: int | None
    channels: list[ChatChannel]
    created_at: datetime
    updated_at: datetime


_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _schedule(value: dict[str, Any]) -> dict[str, Any]:
    """{"mon": [["09:00", "17:00"]], ...}: opening ranges per weekday, local time."""
    for day, ranges in value.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}: use {', '.join(WEEKDAYS)}")
        if not isinstance(ranges, list):
            raise ValueError(f"{day}: a list of [start, end] ranges is expected")
        for entry in ranges:
            if (
                not isinstance(entry, list)
                or len(entry) != 2
                or not all(isinstance(t, str) and _TIME.match(t) for t in entry)
            ):
                raise ValueError(f'{day}: each range is ["HH:MM", "HH:MM"]')
            if entry[0] >= entry[1]:
                raise ValueError(f"{day}: a range must end after it starts")
    return value


Schedule = Annotated[dict[str, Any], AfterValidator(_schedule)]


class CampaignSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    outbound_caller_id: CallerId = None
    schedule: Schedule | None = None
    answer_timeout_seconds: Annotated[int, Field(ge=5, le=300)] | None = None
    allowed_number_types: Annotated[list[NumberType], Field(max_length=6)] | None = None
    record_calls: bool | None = None
    priority_score: Priority | None = None


class CampaignCreate(CampaignSettings):
    name: Name


class CampaignOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    outbound_caller_id: str | None
    schedule: dict[str, Any]
    answer_timeout_seconds: int
    allowed_number_types: list[NumberType]
    record_calls: bool
    priority_score: int
    created_at: datetime
    updated_at: datetime


class Assignments(BaseModel):
    """Who works a queue (agents) and who supervises it."""

    model_config = ConfigDict(extra="forbid")

    agents: Annotated[list[int], Field(max_length=5000)] = []
    supervisors: Annotated[list[int], Field(max_length=500)] = []


class AssignedUser(BaseModel):
    id: int
    username: str
    display_name: str


class AssignmentsOut(BaseModel):
    agents: list[AssignedUser]
    supervisors: list[AssignedUser]


class PriorityOut(BaseModel):
    kind: QueueKind
    id: int
    name: str
    priority_score: int


class PriorityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: QueueKind
    id: int
    priority_score: Priority

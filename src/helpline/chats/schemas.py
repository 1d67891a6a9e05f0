from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from helpline.channels.messaging import Channel
from helpline.tags.schemas import TagName, TagOut


class Status(StrEnum):
    OPEN = "open"  # waiting in the queue for an agent
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class Author(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


class ListFilter(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    RESOLVED = "resolved"
    ALL = "all"  # supervisors: every conversation of the queues they supervise


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: int
    direction: Direction
    author: Author
    author_user_id: int | None
    text: str
    status: str
    error: str | None
    provider_message_id: str | None
    created_at: datetime
    status_at: datetime
    attachments: list[AttachmentOut]


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: Channel
    our_address: str
    customer_address: str
    customer_name: str
    contact_id: int | None
    queue_id: int | None
    status: Status
    assigned_user_id: int | None
    unread_count: int
    acd_contact_id: str | None
    last_message_preview: str
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    awaiting_agent_since: datetime | None
    unassigned_since: datetime | None
    assigned_at: datetime | None
    resolved_at: datetime | None


class ConversationPage(BaseModel):
    total: int
    conversations: list[ConversationOut]


class ConversationDetail(BaseModel):
    conversation: ConversationOut
    messages: list[MessageOut]
    has_more: bool
    tags: list[TagOut] = []


class ConversationTagIn(BaseModel):
    """An enabled tag by ``tag_id``, or by ``name`` (a name no tag has becomes a custom
    tag, with the "Create custom tags" permission)."""

    model_config = ConfigDict(extra="forbid")

    tag_id: int | None = None
    name: TagName | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ConversationTagIn:
        if (self.tag_id is None) == (self.name is None):
            raise ValueError("give either tag_id or name")
        return self


class LinkContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: int | None


class TypingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    typing: bool = True


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    address: Annotated[str, Field(min_length=1, max_length=200)]
    queue_id: int


class AddressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: Channel
    address: str
    queue_id: int


_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def _color(value: str) -> str:
    if not _COLOR.match(value):
        raise ValueError(f"{value!r} is not a colour: write it as #RRGGBB")
    return value.lower()


def _origins(values: list[str]) -> list[str]:
    cleaned = []
    for value in values:
        origin = value.strip().rstrip("/").lower()
        if not _ORIGIN.match(origin):
            raise ValueError(
                f"{value!r} is not an origin: write scheme, host and optional port, "
                f"e.g. https://www.example.com"
            )
        cleaned.append(origin)
    return sorted(set(cleaned))


Color = Annotated[str, AfterValidator(_color)]
Origins = Annotated[list[str], Field(max_length=50), AfterValidator(_origins)]
Greeting = Annotated[str, Field(max_length=500)]
WidgetName = Annotated[str, Field(min_length=1, max_length=100)]


class WidgetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: WidgetName
    queue_id: int
    color: Color = "#1f6feb"
    text_color: Color = "#ffffff"
    greeting: Greeting = ""
    allowed_origins: Origins = []
    enabled: bool = True


class WidgetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: WidgetName | None = None
    queue_id: int | None = None
    color: Color | None = None
    text_color: Color | None = None
    greeting: Greeting | None = None
    allowed_origins: Origins | None = None
    enabled: bool | None = None


class WidgetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    name: str
    queue_id: int
    color: str
    text_color: str
    greeting: str
    allowed_origins: list[str]
    enabled: bool
    # The tag a site adds to its pages.
    snippet: str = ""

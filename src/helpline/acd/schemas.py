from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from helpline.core.acd.model import ContactKind

QueueKey = Annotated[
    str,
    StringConstraints(pattern=r"^(call|chat|campaign):[0-9]{1,9}$"),
    Field(description='A queue as "kind:id", e.g. "call:3"'),
]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue_ids: Annotated[list[QueueKey], Field(max_length=200)] | None = Field(
        default=None, description="Queues to log into; none: every assigned queue"
    )
    line: Annotated[str, StringConstraints(pattern=r"^[0-9]{2,10}$")] | None = Field(
        default=None, description="The line (extension) used for this session"
    )


class QueueTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    queue_id: QueueKey | None = None


class PauseIn(QueueTarget):
    reason: Reason | None = Field(
        default=None, description="An enabled pause reason; none only when no reason is enabled"
    )


class WrapUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class ContactIn(BaseModel):
    """A contact brought in by a channel or an integration."""

    model_config = ConfigDict(extra="forbid")

    queue_id: QueueKey
    kind: ContactKind = ContactKind.CALL
    caller_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    contact_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,100}$")] | None = None


class ContactOut(BaseModel):
    contact_id: str
    queue_id: str
    state: str | None


class QueueViewOut(BaseModel):
    queue_id: str
    kind: str
    id: int
    name: str
    agent_may_end_wrap_up: bool
    card: dict[str, Any]
    agents: list[dict[str, Any]]
    waiting: list[dict[str, Any]]


class CandidateOut(BaseModel):
    """A user a supervisor may log into a queue ("+ Log agents")."""

    id: int
    username: str
    display_name: str
    roles: list[str]
    agent: bool = Field(description="Has the agent role; without it a login is temporary")
    active: bool = Field(description="An active user account; deactivated users stay out")
    lines: list[dict[str, Any]]
    member: bool
    logged_in: bool
    can_log_in: bool
    why_not: str | None

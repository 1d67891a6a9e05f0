"""Every event the ACD core emits. Frozen, slotted dataclasses; ``at`` is the command's
``now`` (float seconds, see :mod:`helpline.core.clock`). Durations are seconds.

Outcome events (exactly one per contact): ``ContactAccepted`` (handled),
``ContactAbandoned``, ``ContactExpired``, ``CallbackRequested``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from helpline.core.acd.model import AgentStatus, CancelReason, ContactKind, EndedBy


@dataclass(frozen=True, slots=True)
class Event:
    at: float


# --- agents -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentStatusChanged(Event):
    agent_id: str
    status: AgentStatus
    previous: AgentStatus
    reason: str | None  # pause reason when status is paused


@dataclass(frozen=True, slots=True)
class AgentQueueLoggedIn(Event):
    agent_id: str
    queue_id: str
    temporary: bool  # logged into a queue they are not a member of


@dataclass(frozen=True, slots=True)
class AgentQueueLoggedOut(Event):
    agent_id: str
    queue_id: str


@dataclass(frozen=True, slots=True)
class AgentQueuePaused(Event):
    agent_id: str
    queue_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class AgentQueueResumed(Event):
    agent_id: str
    queue_id: str


@dataclass(frozen=True, slots=True)
class AgentAutoPaused(Event):
    agent_id: str
    queue_id: str
    missed_in_a_row: int


# --- contacts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactQueued(Event):
    contact_id: str
    queue_id: str
    kind: ContactKind
    queued_at: float
    position: int
    estimated_wait: float | None


@dataclass(frozen=True, slots=True)
class ContactRequeued(Event):
    """Back in its original place after a declined, missed or cancelled offer."""

    contact_id: str
    queue_id: str
    queued_at: float


@dataclass(frozen=True, slots=True)
class ContactOffered(Event):
    offer_id: int
    contact_id: str
    queue_id: str
    agent_id: str
    kind: ContactKind
    expires_at: float


@dataclass(frozen=True, slots=True)
class OfferTimedOut(Event):
    offer_id: int
    contact_id: str
    queue_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferDeclined(Event):
    offer_id: int
    contact_id: str
    queue_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class OfferCancelled(Event):
    offer_id: int
    contact_id: str
    queue_id: str
    agent_id: str
    reason: CancelReason


@dataclass(frozen=True, slots=True)
class ContactAccepted(Event):
    """The contact is connected to an agent: outcome *handled*."""

    offer_id: int
    contact_id: str
    queue_id: str
    agent_id: str
    kind: ContactKind
    wait: float


@dataclass(frozen=True, slots=True)
class WrapUpStarted(Event):
    contact_id: str
    queue_id: str
    agent_id: str
    talk: float
    ends_at: float


@dataclass(frozen=True, slots=True)
class WrapUpEnded(Event):
    """The contact is over; ``handle`` is connected -> end of wrap-up."""

    contact_id: str
    queue_id: str
    agent_id: str
    by: EndedBy
    handle: float


@dataclass(frozen=True, slots=True)
class ContactAbandoned(Event):
    contact_id: str
    queue_id: str
    kind: ContactKind
    wait: float


@dataclass(frozen=True, slots=True)
class ContactExpired(Event):
    contact_id: str
    queue_id: str
    kind: ContactKind
    wait: float


@dataclass(frozen=True, slots=True)
class CallbackOffered(Event):
    contact_id: str
    queue_id: str


@dataclass(frozen=True, slots=True)
class CallbackRequested(Event):
    """The caller accepted a callback: ``contact_id`` ends, ``callback_contact_id`` takes
    its place in line (same ``queued_at``)."""

    contact_id: str
    queue_id: str
    callback_contact_id: str
    wait: float


@dataclass(frozen=True, slots=True)
class EstimatedWaitUpdated(Event):
    contact_id: str
    queue_id: str
    position: int
    estimated_wait: float | None


@dataclass(frozen=True, slots=True)
class SkillRequirementWidened(Event):
    contact_id: str
    queue_id: str
    min_proficiency: int


OUTCOME_EVENTS = (ContactAccepted, ContactAbandoned, ContactExpired, CallbackRequested)

ALL_EVENT_TYPES: tuple[type[Event], ...] = (
    AgentStatusChanged,
    AgentQueueLoggedIn,
    AgentQueueLoggedOut,
    AgentQueuePaused,
    AgentQueueResumed,
    AgentAutoPaused,
    ContactQueued,
    ContactRequeued,
    ContactOffered,
    OfferTimedOut,
    OfferDeclined,
    OfferCancelled,
    ContactAccepted,
    WrapUpStarted,
    WrapUpEnded,
    ContactAbandoned,
    ContactExpired,
    CallbackOffered,
    CallbackRequested,
    EstimatedWaitUpdated,
    SkillRequirementWidened,
)


def event_to_dict(event: Event) -> dict[str, Any]:
    """Plain data for the event log: ``{"type": "ContactQueued", "at": ..., ...}``."""
    data: dict[str, Any] = {"type": type(event).__name__}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        data[f.name] = value.value if hasattr(value, "value") else value
    return data

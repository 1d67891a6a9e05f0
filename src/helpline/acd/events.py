"""The core's events as typed events of the event log (``acd.<snake_case name>``).

The payload is the core event's fields (``at`` in Unix seconds, enums as their values);
:func:`to_core` turns a stored payload back into the core event, so that counters can be
rebuilt by replaying the log. The live service adds a few events of its own
(:class:`AcdServiceEvent`): they have no core counterpart.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from enum import Enum
from typing import Any

from pydantic import ConfigDict

from helpline.core.acd import events as core
from helpline.storage.eventlog import Event


class AcdEvent(Event):
    """Base of the ACD's stored events; the fields are those of the core event."""

    model_config = ConfigDict(frozen=True, extra="allow")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


STORED_BY_CORE: dict[type[core.Event], type[AcdEvent]] = {}
CORE_BY_TYPE: dict[str, type[core.Event]] = {}
for _core_type in core.ALL_EVENT_TYPES:
    _stored: type[AcdEvent] = type(
        f"Acd{_core_type.__name__}",
        (AcdEvent,),
        {"type": f"acd.{_snake(_core_type.__name__)}", "__module__": __name__},
    )
    STORED_BY_CORE[_core_type] = _stored
    CORE_BY_TYPE[_stored.type] = _core_type


def to_stored(event: core.Event) -> AcdEvent:
    payload = core.event_to_dict(event)
    payload.pop("type")
    return STORED_BY_CORE[type(event)](**payload)


def to_core(event_type: str, payload: dict[str, Any]) -> core.Event:
    cls: Any = CORE_BY_TYPE[event_type]
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        value = payload[f.name]
        hint = hints[f.name]
        enum_type = next(
            (
                a
                for a in typing.get_args(hint) or (hint,)
                if isinstance(a, type) and issubclass(a, Enum)
            ),
            None,
        )
        values[f.name] = enum_type(value) if enum_type is not None and value is not None else value
    event: core.Event = cls(**values)
    return event


# ---------------------------------------------------------------------- the service's own


class AcdServiceEvent(Event):
    """Base of the events the live service adds to the core's (``at`` in Unix seconds)."""

    at: float
    agent_id: str


class TemporaryAgentAdded(AcdServiceEvent):
    """A supervisor logged a user without the agent role into a queue ("+ Log agents"):
    the distributor now has them as a temporary agent."""

    type = "acd.temporary_agent_added"
    queue_id: str


class TemporaryAgentRemoved(AcdServiceEvent):
    """A user without the agent role left the distributor: a temporary agent logged out
    of their last queue (or was logged out), or an agent whose role was taken away is no
    longer logged in."""

    type = "acd.temporary_agent_removed"


EVENT_TYPES = sorted([*CORE_BY_TYPE, TemporaryAgentAdded.type, TemporaryAgentRemoved.type])

from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class PauseReasonCreated(Event):
    type = "pause_reason.created"
    reason: dict[str, Any]
    # Ids of every reason in the order agents see them, after the change.
    order: list[int]


class PauseReasonUpdated(Event):
    type = "pause_reason.updated"
    reason: dict[str, Any]
    changed: list[str]
    order: list[int]


class PauseReasonDeleted(Event):
    """Agents paused with this reason keep its name: status events carry the text."""

    type = "pause_reason.deleted"
    reason: dict[str, Any]
    order: list[int]

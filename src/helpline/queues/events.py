from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class QueueCreated(Event):
    """A call queue, chat queue or campaign was created (``kind`` says which)."""

    type = "queue.created"
    kind: str
    queue: dict[str, Any]


class QueueUpdated(Event):
    type = "queue.updated"
    kind: str
    queue: dict[str, Any]
    changed: list[str]


class QueueDeleted(Event):
    type = "queue.deleted"
    kind: str
    queue_id: int
    name: str


class QueueAssignmentsChanged(Event):
    type = "queue.assignments_changed"
    kind: str
    queue_id: int
    agents: list[int]
    supervisors: list[int]

from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class ContactCreated(Event):
    type = "contact.created"
    contact: dict[str, Any]


class ContactUpdated(Event):
    type = "contact.updated"
    contact: dict[str, Any]
    changed: list[str]


class ContactsMerged(Event):
    """``merged_id`` is gone: its identities and history now belong to ``contact``."""

    type = "contact.merged"
    contact: dict[str, Any]
    merged_id: int

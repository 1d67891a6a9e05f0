from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class UserCreated(Event):
    type = "user.created"
    user: dict[str, Any]


class UserUpdated(Event):
    type = "user.updated"
    user: dict[str, Any]
    changed: list[str]

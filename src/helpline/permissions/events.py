from __future__ import annotations

from helpline.storage.eventlog import Event


class PermissionsChanged(Event):
    type = "permissions.changed"
    matrix: dict[str, bool]
    changed: list[str]
    reset_to_defaults: bool = False

from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class DeviceRegistered(Event):
    """A phone registered a line (refreshes of the same binding are not events)."""

    type = "device.registered"
    device: dict[str, Any]


class DeviceUnregistered(Event):
    type = "device.unregistered"
    device: dict[str, Any]
    # "phone" (it unregistered), "expired" (it stopped refreshing) or "line_removed".
    cause: str

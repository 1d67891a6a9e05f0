"""Events of canned messages. ``message`` is the message as the API shows it (after the
change; before it, for a deletion)."""

from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class CannedMessageCreated(Event):
    type = "canned_message.created"
    message: dict[str, Any]


class CannedMessageUpdated(Event):
    """``changed``: among ``shortcut``, ``category``, ``text``, ``public``."""

    type = "canned_message.updated"
    message: dict[str, Any]
    changed: list[str]


class CannedMessageEnabled(Event):
    type = "canned_message.enabled"
    message: dict[str, Any]


class CannedMessageDisabled(Event):
    type = "canned_message.disabled"
    message: dict[str, Any]


class CannedMessageDeleted(Event):
    type = "canned_message.deleted"
    message: dict[str, Any]

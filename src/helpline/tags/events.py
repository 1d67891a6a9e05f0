"""Events of the tags domain. ``tag`` is the tag as the API shows it (after the change)."""

from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class TagCreated(Event):
    type = "tag.created"
    tag: dict[str, Any]


class TagRenamed(Event):
    type = "tag.renamed"
    tag: dict[str, Any]
    previous_name: str


class TagEnabled(Event):
    type = "tag.enabled"
    tag: dict[str, Any]


class TagDisabled(Event):
    """Agents are no longer offered the tag; conversations that carry it keep it."""

    type = "tag.disabled"
    tag: dict[str, Any]


class TagDeleted(Event):
    """The tag is gone, and with it from every conversation that carried it."""

    type = "tag.deleted"
    tag: dict[str, Any]

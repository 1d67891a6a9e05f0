from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class TrunkCreated(Event):
    """``trunk``: the trunk as the API shows it (``has_password``, never the password)."""

    type = "trunk.created"
    trunk: dict[str, Any]
    # Ids of every trunk in the order outbound calls try them, after the change.
    order: list[int]


class TrunkUpdated(Event):
    type = "trunk.updated"
    trunk: dict[str, Any]
    # Field names; "password" says that it changed, never what it is.
    changed: list[str]
    order: list[int]


class TrunkDeleted(Event):
    type = "trunk.deleted"
    trunk_id: int
    name: str
    # The DIDs it brought; their routes in the call plans' numbers stay.
    numbers: list[str]
    order: list[int]


class TrunkRegistrationChanged(Event):
    """The outcome of Helpline's REGISTER to the carrier changed (a refresh that ends as
    the last one did is not an event)."""

    type = "trunk.registration_changed"
    trunk_id: int
    name: str
    state: str
    previous: str | None
    detail: str

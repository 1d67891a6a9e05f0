"""The real-time state a client registers for, and how events bring it forward.

A client registers, gets the initial state with the id of the last event it reflects,
then applies every later event with :func:`apply_event`. Tests check that applying
events to an old state gives the same result as fetching a fresh one.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.permissions import Action, Permission, Role, is_allowed
from helpline.permissions import service as permission_service
from helpline.storage.eventlog import StoredEvent, last_sequence
from helpline.users import service as user_service
from helpline.users.models import User

# Event types a client may register for, and the part of the state each one changes.
EVENT_TYPES: dict[str, str] = {
    "user.created": "users",
    "user.updated": "users",
    "permissions.changed": "permissions",
}


class RegistrationError(ValueError):
    pass


def check_event_types(requested: Collection[str]) -> list[str]:
    unknown = sorted(set(requested) - set(EVENT_TYPES))
    if unknown:
        raise RegistrationError(f"unknown event types: {', '.join(unknown)}")
    return sorted(set(requested))


async def fetch_initial_state(
    *, session: AsyncSession, user: User, event_types: Collection[str]
) -> tuple[dict[str, Any], int]:
    """The state and the sequence number of the last event it includes (read together)."""
    last_event_id = await last_sequence(session)
    matrix = await permission_service.get_matrix(session=session)
    roles = frozenset(Role(name) for name in user.role_names)
    state: dict[str, Any] = {"me": user_service.snapshot(user)}
    parts = {EVENT_TYPES[event_type] for event_type in event_types}
    if "users" in parts and is_allowed(roles, Action.MANAGE_USERS, matrix):
        users = await user_service.list_users(session=session)
        state["users"] = {str(u.id): user_service.snapshot(u) for u in users}
    if "permissions" in parts:
        state["permissions"] = {p.value: matrix[p] for p in Permission}
    return state, last_event_id


def visible_to(event: StoredEvent, *, user_id: int, can_manage_users: bool) -> bool:
    if event.type in ("user.created", "user.updated"):
        return can_manage_users or event.payload["user"]["id"] == user_id
    return True


def apply_event(state: dict[str, Any], event: StoredEvent | dict[str, Any]) -> dict[str, Any]:
    """Return a new state with ``event`` applied (the event as sent over the WebSocket)."""
    data = event.as_json() if isinstance(event, StoredEvent) else event
    new_state = copy.deepcopy(state)
    event_type, payload = data["type"], data["payload"]
    if event_type in ("user.created", "user.updated"):
        snapshot = payload["user"]
        if "users" in new_state:
            new_state["users"][str(snapshot["id"])] = snapshot
        if new_state.get("me", {}).get("id") == snapshot["id"]:
            new_state["me"] = snapshot
    elif event_type == "permissions.changed" and "permissions" in new_state:
        new_state["permissions"] = dict(payload["matrix"])
    return new_state

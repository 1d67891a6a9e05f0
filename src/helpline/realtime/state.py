"""The real-time state a client registers for, and how events bring it forward.

A client registers, gets the initial state with the id of the last event it reflects,
then applies every later event with :func:`apply_event`. Tests check that applying
events to an old state gives the same result as fetching a fresh one.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.acd.service import (
    AGENT_VIEW,
    QUEUE_VIEW,
    AcdService,
    agent_key,
    agent_queue_ids,
    visible_queue_ids,
)
from helpline.chats import repository as chat_repository
from helpline.chats.events import (
    TYPING,
    ContactLinked,
    ConversationAssigned,
    ConversationOpened,
    ConversationQueued,
    ConversationRead,
    ConversationReopened,
    ConversationResolved,
    ConversationUnassigned,
    MessageReceived,
    MessageSent,
    MessageStatusChanged,
    TagAdded,
    TagRemoved,
)
from helpline.chats.service import snapshot as conversation_snapshot
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
    QUEUE_VIEW: "acd",
    AGENT_VIEW: "acd",
}
# Chats: the conversations a user sees (their own, their queues' waiting ones, every one
# of the queues they supervise); messages and typing of those.
CHAT_LIST_TYPES = frozenset(
    {
        ConversationOpened.type,
        ConversationQueued.type,
        ConversationAssigned.type,
        ConversationUnassigned.type,
        ConversationResolved.type,
        ConversationReopened.type,
    }
)
CHAT_TYPES = CHAT_LIST_TYPES | {
    MessageReceived.type,
    MessageSent.type,
    MessageStatusChanged.type,
    ConversationRead.type,
    ContactLinked.type,
    TagAdded.type,
    TagRemoved.type,
    TYPING,
}
EVENT_TYPES.update(dict.fromkeys(sorted(CHAT_TYPES), "chats"))
# Published but never stored: sent even when their sequence number is not new.
TRANSIENT_TYPES = frozenset({TYPING})


@dataclass(frozen=True)
class Audience:
    """Who a registered client is, to decide which events they may see."""

    user_id: int
    can_manage_users: bool
    supervised_queues: frozenset[str]
    acd: AcdService | None


class RegistrationError(ValueError):
    pass


def check_event_types(requested: Collection[str]) -> list[str]:
    unknown = sorted(set(requested) - set(EVENT_TYPES))
    if unknown:
        raise RegistrationError(f"unknown event types: {', '.join(unknown)}")
    return sorted(set(requested))


async def audience_of(*, session: AsyncSession, user: User, acd: AcdService | None) -> Audience:
    matrix = await permission_service.get_matrix(session=session)
    roles = frozenset(Role(name) for name in user.role_names)
    supervised: list[str] = []
    if acd is not None and is_allowed(roles, Action.USE_SUPERVISOR_DASHBOARD, matrix):
        supervised = await visible_queue_ids(session=session, acd=acd, user=user, matrix=matrix)
    return Audience(
        user_id=user.id,
        can_manage_users=is_allowed(roles, Action.MANAGE_USERS, matrix),
        supervised_queues=frozenset(supervised),
        acd=acd,
    )


def _visible_queues(audience: Audience) -> set[str]:
    if audience.acd is None:
        return set()
    return set(audience.supervised_queues) | agent_queue_ids(audience.acd, audience.user_id)


async def fetch_initial_state(
    *, session: AsyncSession, user: User, event_types: Collection[str], audience: Audience
) -> tuple[dict[str, Any], int]:
    """The state and the sequence number of the last event it includes.

    Called with the ACD's lock-free views: the caller subscribes to the bus first, so an
    event committed meanwhile is either in this state or delivered afterwards.
    """
    last_event_id = await last_sequence(session)
    matrix = await permission_service.get_matrix(session=session)
    state: dict[str, Any] = {"me": user_service.snapshot(user)}
    parts = {EVENT_TYPES[event_type] for event_type in event_types}
    if "users" in parts and audience.can_manage_users:
        users = await user_service.list_users(session=session)
        state["users"] = {str(u.id): user_service.snapshot(u) for u in users}
    if "permissions" in parts:
        state["permissions"] = {p.value: matrix[p] for p in Permission}
    if "acd" in parts and audience.acd is not None:
        acd = audience.acd
        me = agent_key(user.id)
        state["acd"] = {
            "me": acd.agent_view(me) if me in acd.router.agent_ids() else None,
            "queues": {q: acd.queue_view(q) for q in sorted(_visible_queues(audience))},
        }
    if "chats" in parts and audience.acd is not None:
        state["chats"] = await _chat_state(session, audience)
    return state, last_event_id


def _chat_queue_ids(keys: Collection[str]) -> list[int]:
    return sorted(int(k.split(":", 1)[1]) for k in keys if k.startswith("chat:"))


async def _chat_state(session: AsyncSession, audience: Audience) -> dict[str, Any]:
    assert audience.acd is not None
    supervised = _chat_queue_ids(audience.supervised_queues)
    queues = _chat_queue_ids(agent_queue_ids(audience.acd, audience.user_id))
    rows = await chat_repository.visible_live(
        session, user_id=audience.user_id, supervised=supervised, agent_queues=queues
    )
    return {
        "supervised": supervised,
        "queues": queues,
        "conversations": {str(c.id): conversation_snapshot(c) for c in rows},
    }


def _chat_visible(event: StoredEvent, audience: Audience) -> bool:
    payload = event.payload
    conversation = payload.get("conversation", payload)
    key = f"chat:{conversation.get('queue_id')}"
    if key in audience.supervised_queues:
        return True
    if audience.user_id in (conversation.get("assigned_user_id"), payload.get("previous_user_id")):
        return True
    if audience.acd is None or key not in agent_queue_ids(audience.acd, audience.user_id):
        return False
    return event.type in CHAT_LIST_TYPES or conversation.get("status") == "open"


def visible_to(event: StoredEvent, audience: Audience) -> bool:
    if event.type in ("user.created", "user.updated"):
        return audience.can_manage_users or bool(event.payload["user"]["id"] == audience.user_id)
    if event.type == QUEUE_VIEW:
        return event.payload["queue_id"] in _visible_queues(audience)
    if event.type == AGENT_VIEW:
        return bool(event.payload["agent_id"] == agent_key(audience.user_id))
    if event.type in CHAT_TYPES:
        return _chat_visible(event, audience)
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
    elif event_type == QUEUE_VIEW and "acd" in new_state:
        new_state["acd"]["queues"][payload["queue_id"]] = payload
    elif event_type == AGENT_VIEW and "acd" in new_state:
        new_state["acd"]["me"] = payload
    elif event_type in CHAT_TYPES and "chats" in new_state and "conversation" in payload:
        chats = new_state["chats"]
        conversation = payload["conversation"]
        me = new_state.get("me", {}).get("id")
        queue_id = conversation["queue_id"]
        keep = conversation["status"] != "resolved" and (
            queue_id in chats["supervised"]
            or conversation["assigned_user_id"] == me
            or (conversation["status"] == "open" and queue_id in chats["queues"])
        )
        if keep:
            chats["conversations"][str(conversation["id"])] = conversation
        else:
            chats["conversations"].pop(str(conversation["id"]), None)
    return new_state

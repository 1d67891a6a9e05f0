"""Configuration of call queues, chat queues and campaigns, and who works them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.permissions import Permission, Role
from helpline.errors import Conflict, Invalid, NotFound
from helpline.queues import repository
from helpline.queues.events import (
    QueueAssignmentsChanged,
    QueueCreated,
    QueueDeleted,
    QueueUpdated,
)
from helpline.queues.models import CallQueue, Campaign, ChatQueue, QueueAssignment
from helpline.queues.repository import QueueModel
from helpline.queues.schemas import (
    Assignments,
    CallQueueCreate,
    CallQueueOut,
    CallQueueSettings,
    CampaignCreate,
    CampaignOut,
    CampaignSettings,
    ChatQueueCreate,
    ChatQueueOut,
    ChatQueueSettings,
    PriorityOut,
    QueueKind,
)
from helpline.storage.eventlog import append_event
from helpline.users import repository as user_repository
from helpline.users.models import User

# Queue extensions are suggested from here upwards, away from the agents' 2xx/3xx lines.
FIRST_QUEUE_EXTENSION = 500

OUT_SCHEMAS: dict[QueueKind, type[BaseModel]] = {
    QueueKind.CALL: CallQueueOut,
    QueueKind.CHAT: ChatQueueOut,
    QueueKind.CAMPAIGN: CampaignOut,
}
KIND_LABELS = {
    QueueKind.CALL: "call queue",
    QueueKind.CHAT: "chat queue",
    QueueKind.CAMPAIGN: "campaign",
}


def snapshot(kind: QueueKind, queue: QueueModel) -> dict[str, Any]:
    return OUT_SCHEMAS[kind].model_validate(queue).model_dump(mode="json")


async def next_free_extension(*, session: AsyncSession) -> str:
    used = await repository.used_extensions(session)
    candidate = FIRST_QUEUE_EXTENSION
    while str(candidate) in used:
        candidate += 1
    return str(candidate)


async def get(*, session: AsyncSession, kind: QueueKind, queue_id: int) -> QueueModel:
    queue = await repository.get(session, kind.value, queue_id)
    if queue is None:
        raise NotFound(f"no {KIND_LABELS[kind]} with id {queue_id}")
    return queue


def restricted_to_assigned(roles: frozenset[Role], matrix: dict[Permission, bool]) -> bool:
    """A supervisor (not an admin) who may see only the call queues assigned to them."""
    return Role.ADMIN not in roles and matrix.get(
        Permission.SUPERVISOR_RESTRICT_TO_ASSIGNED_CALL_QUEUES, False
    )


async def list_queues(
    *, session: AsyncSession, kind: QueueKind, only_supervised_by: int | None = None
) -> Sequence[QueueModel]:
    queues = await repository.list_queues(session, kind.value)
    if only_supervised_by is None:
        return queues
    mine = {
        a.queue_id
        for a in await repository.assignments_for_user(session, only_supervised_by)
        if a.queue_kind == kind.value and a.role == "supervisor"
    }
    return [queue for queue in queues if queue.id in mine]


async def _check_name(
    session: AsyncSession, kind: QueueKind, name: str, excluding_id: int | None
) -> None:
    if await repository.name_taken(session, kind.value, name, excluding_id=excluding_id):
        raise Conflict(f"a {KIND_LABELS[kind]} named {name!r} already exists", field="name")


async def _check_extension(session: AsyncSession, extension: str, queue_id: int | None) -> None:
    owner = await repository.call_queue_by_extension(session, extension)
    if owner is not None and owner.id != queue_id:
        raise Conflict(
            f"extension {extension} belongs to the queue {owner.name!r}", field="extension"
        )
    if owner is None and extension in await repository.used_extensions(session):
        raise Conflict(f"extension {extension} is a user's line", field="extension")


def _apply(queue: QueueModel, settings: BaseModel) -> list[str]:
    changed = []
    for name in sorted(settings.model_fields_set):
        value = getattr(settings, name)
        if value is None and name not in _NULLABLE:
            continue
        if isinstance(value, list):
            value = [getattr(item, "value", item) for item in value]
        else:
            value = getattr(value, "value", value)
        if getattr(queue, name) != value:
            setattr(queue, name, value)
            changed.append(name)
    return changed


# Fields where an explicit null means "none" rather than "leave as it is".
_NULLABLE = {
    "timeout_target",
    "auto_pause_after_missed",
    "callback_caller_id",
    "reassign_after_seconds",
    "outbound_caller_id",
}


async def create(
    *,
    session: AsyncSession,
    kind: QueueKind,
    queue_in: CallQueueCreate | ChatQueueCreate | CampaignCreate,
    now: datetime,
    actor_id: int | None,
) -> QueueModel:
    await _check_name(session, kind, queue_in.name, None)
    queue: QueueModel
    if kind is QueueKind.CALL:
        assert isinstance(queue_in, CallQueueCreate)
        extension = queue_in.extension or await next_free_extension(session=session)
        await _check_extension(session, extension, None)
        queue = CallQueue(extension=extension, name=queue_in.name, created_at=now, updated_at=now)
    elif kind is QueueKind.CHAT:
        queue = ChatQueue(name=queue_in.name, channels=["webchat"], created_at=now, updated_at=now)
    else:
        queue = Campaign(
            name=queue_in.name,
            schedule={},
            allowed_number_types=["local", "national", "mobile"],
            created_at=now,
            updated_at=now,
        )
    _apply(
        queue,
        queue_in.model_copy(update={"extension": None}) if kind is QueueKind.CALL else queue_in,
    )
    await repository.add(session, queue)
    append_event(
        session,
        QueueCreated(kind=kind.value, queue=snapshot(kind, queue)),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return queue


async def update(
    *,
    session: AsyncSession,
    kind: QueueKind,
    queue_id: int,
    settings: CallQueueSettings | ChatQueueSettings | CampaignSettings,
    now: datetime,
    actor_id: int | None,
) -> QueueModel:
    queue = await get(session=session, kind=kind, queue_id=queue_id)
    if settings.name is not None:
        await _check_name(session, kind, settings.name, queue.id)
    if isinstance(settings, CallQueueSettings) and settings.extension is not None:
        await _check_extension(session, settings.extension, queue.id)
    changed = _apply(queue, settings)
    if changed:
        queue.updated_at = now
        await repository.add(session, queue)
        append_event(
            session,
            QueueUpdated(kind=kind.value, queue=snapshot(kind, queue), changed=changed),
            occurred_at=now,
            actor_user_id=actor_id,
        )
    return queue


async def delete(
    *, session: AsyncSession, kind: QueueKind, queue_id: int, now: datetime, actor_id: int | None
) -> None:
    queue = await get(session=session, kind=kind, queue_id=queue_id)
    name = queue.name
    await repository.delete_queue(session, queue, kind.value)
    append_event(
        session,
        QueueDeleted(kind=kind.value, queue_id=queue_id, name=name),
        occurred_at=now,
        actor_user_id=actor_id,
    )


@dataclass
class QueueTeam:
    agents: list[User]
    supervisors: list[User]


async def team(*, session: AsyncSession, kind: QueueKind, queue_id: int) -> QueueTeam:
    await get(session=session, kind=kind, queue_id=queue_id)
    result = QueueTeam(agents=[], supervisors=[])
    for assignment in await repository.assignments_for_queue(session, kind.value, queue_id):
        user = await user_repository.get(session, assignment.user_id)
        if user is not None:
            (result.agents if assignment.role == "agent" else result.supervisors).append(user)
    result.agents.sort(key=lambda u: u.username)
    result.supervisors.sort(key=lambda u: u.username)
    return result


async def set_team(
    *,
    session: AsyncSession,
    kind: QueueKind,
    queue_id: int,
    assignments: Assignments,
    now: datetime,
    actor_id: int | None,
) -> QueueTeam:
    await get(session=session, kind=kind, queue_id=queue_id)
    rows: list[QueueAssignment] = []
    for role, user_ids, needed in (
        ("agent", assignments.agents, {Role.AGENT.value}),
        ("supervisor", assignments.supervisors, {Role.SUPERVISOR.value, Role.ADMIN.value}),
    ):
        for user_id in sorted(set(user_ids)):
            user = await user_repository.get(session, user_id)
            if user is None:
                raise Invalid(f"no user with id {user_id}", field=f"{role}s")
            if not needed & set(user.role_names):
                raise Invalid(f"{user.username} does not have the {role} role", field=f"{role}s")
            rows.append(
                QueueAssignment(
                    queue_kind=kind.value, queue_id=queue_id, user_id=user_id, role=role
                )
            )
    await repository.replace_assignments(session, kind.value, queue_id, rows)
    append_event(
        session,
        QueueAssignmentsChanged(
            kind=kind.value,
            queue_id=queue_id,
            agents=sorted(set(assignments.agents)),
            supervisors=sorted(set(assignments.supervisors)),
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return await team(session=session, kind=kind, queue_id=queue_id)


async def priorities(
    *, session: AsyncSession, search: str | None = None, kind: QueueKind | None = None
) -> list[PriorityOut]:
    rows: list[PriorityOut] = []
    for each in QueueKind:
        if kind is not None and each is not kind:
            continue
        for queue in await repository.list_queues(session, each.value):
            if search and search.lower() not in queue.name.lower():
                continue
            rows.append(
                PriorityOut(
                    kind=each, id=queue.id, name=queue.name, priority_score=queue.priority_score
                )
            )
    rows.sort(key=lambda row: (-row.priority_score, row.name.lower()))
    return rows


@dataclass
class Assigned:
    """The call queues, chat queues and campaigns a user is assigned to, by role."""

    call_queues: list[str] = field(default_factory=list)
    chat_queues: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)


async def assigned_to(*, session: AsyncSession, user_id: int, role: str) -> Assigned:
    assignments = [
        a for a in await repository.assignments_for_user(session, user_id) if a.role == role
    ]
    names = {
        "call": {q.id: q.name for q in await repository.list_call_queues(session)},
        "chat": {q.id: q.name for q in await repository.list_chat_queues(session)},
        "campaign": {c.id: c.name for c in await repository.list_campaigns(session)},
    }
    result = Assigned()
    target = {"call": result.call_queues, "chat": result.chat_queues, "campaign": result.campaigns}
    for assignment in assignments:
        name = names[assignment.queue_kind].get(assignment.queue_id)
        if name is not None:
            target[assignment.queue_kind].append(name)
    for names_list in target.values():
        names_list.sort()
    return result

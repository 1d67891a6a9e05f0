from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.queues.models import CallQueue, Campaign, ChatQueue, QueueAssignment
from helpline.users.models import UserLine

QueueModel = CallQueue | ChatQueue | Campaign
# Any: the three models share the columns these functions use.
MODELS: dict[str, Any] = {
    "call": CallQueue,
    "chat": ChatQueue,
    "campaign": Campaign,
}


async def add(session: AsyncSession, item: QueueModel | QueueAssignment) -> None:
    session.add(item)
    await session.flush()


async def get(session: AsyncSession, kind: str, queue_id: int) -> QueueModel | None:
    return await session.get(MODELS[kind], queue_id)


async def delete_queue(session: AsyncSession, queue: QueueModel, kind: str) -> None:
    await session.execute(
        delete(QueueAssignment).where(
            QueueAssignment.queue_kind == kind, QueueAssignment.queue_id == queue.id
        )
    )
    await session.delete(queue)
    await session.flush()


async def list_queues(session: AsyncSession, kind: str) -> Sequence[QueueModel]:
    model = MODELS[kind]
    return (await session.scalars(select(model).order_by(model.name, model.id))).all()


async def name_taken(
    session: AsyncSession, kind: str, name: str, *, excluding_id: int | None = None
) -> bool:
    model = MODELS[kind]
    rows = await session.scalars(select(model).where(func.lower(model.name) == name.lower()))
    return any(row.id != excluding_id for row in rows)


async def call_queue_by_extension(session: AsyncSession, extension: str) -> CallQueue | None:
    return await session.scalar(select(CallQueue).where(CallQueue.extension == extension))


async def used_extensions(session: AsyncSession) -> set[str]:
    queues = await session.scalars(select(CallQueue.extension))
    lines = await session.scalars(select(UserLine.extension))
    return set(queues) | set(lines)


async def list_call_queues(session: AsyncSession) -> Sequence[CallQueue]:
    return (await session.scalars(select(CallQueue).order_by(CallQueue.name))).all()


async def list_chat_queues(session: AsyncSession) -> Sequence[ChatQueue]:
    return (await session.scalars(select(ChatQueue).order_by(ChatQueue.name))).all()


async def list_campaigns(session: AsyncSession) -> Sequence[Campaign]:
    return (await session.scalars(select(Campaign).order_by(Campaign.name))).all()


async def assignments_for_user(session: AsyncSession, user_id: int) -> Sequence[QueueAssignment]:
    query = select(QueueAssignment).where(QueueAssignment.user_id == user_id)
    return (await session.scalars(query)).all()


async def assignments_for_queue(
    session: AsyncSession, kind: str, queue_id: int
) -> Sequence[QueueAssignment]:
    query = select(QueueAssignment).where(
        QueueAssignment.queue_kind == kind, QueueAssignment.queue_id == queue_id
    )
    return (await session.scalars(query.order_by(QueueAssignment.id))).all()


async def all_assignments(session: AsyncSession) -> Sequence[QueueAssignment]:
    return (await session.scalars(select(QueueAssignment).order_by(QueueAssignment.id))).all()


async def replace_assignments(
    session: AsyncSession, kind: str, queue_id: int, rows: list[QueueAssignment]
) -> None:
    await session.execute(
        delete(QueueAssignment).where(
            QueueAssignment.queue_kind == kind, QueueAssignment.queue_id == queue_id
        )
    )
    session.add_all(rows)
    await session.flush()

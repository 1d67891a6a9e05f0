from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.queues.models import CallQueue, Campaign, ChatQueue, QueueAssignment


async def add(
    session: AsyncSession, item: CallQueue | ChatQueue | Campaign | QueueAssignment
) -> None:
    session.add(item)
    await session.flush()


async def call_queue_by_extension(session: AsyncSession, extension: str) -> CallQueue | None:
    return await session.scalar(select(CallQueue).where(CallQueue.extension == extension))


async def list_call_queues(session: AsyncSession) -> Sequence[CallQueue]:
    return (await session.scalars(select(CallQueue).order_by(CallQueue.name))).all()


async def list_chat_queues(session: AsyncSession) -> Sequence[ChatQueue]:
    return (await session.scalars(select(ChatQueue).order_by(ChatQueue.name))).all()


async def list_campaigns(session: AsyncSession) -> Sequence[Campaign]:
    return (await session.scalars(select(Campaign).order_by(Campaign.name))).all()


async def assignments_for_user(session: AsyncSession, user_id: int) -> Sequence[QueueAssignment]:
    query = select(QueueAssignment).where(QueueAssignment.user_id == user_id)
    return (await session.scalars(query)).all()

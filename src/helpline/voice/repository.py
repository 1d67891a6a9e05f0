"""SQL of the voice domain: the calls' recordings."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.queues.models import CallQueue
from helpline.voice.models import CallRecording


async def queue_records_calls(session: AsyncSession, queue_number: int) -> bool:
    found = await session.scalar(select(CallQueue.record_calls).where(CallQueue.id == queue_number))
    return bool(found)


def add_recording(session: AsyncSession, recording: CallRecording) -> CallRecording:
    session.add(recording)
    return recording


async def finish_recordings(
    session: AsyncSession, ids: Collection[int], *, ended_at: datetime, duration_ms: int
) -> None:
    if not ids:
        return
    rows = await session.scalars(select(CallRecording).where(CallRecording.id.in_(list(ids))))
    for row in rows:
        row.ended_at = ended_at
        row.duration_ms = duration_ms


async def get_recording(session: AsyncSession, recording_id: int) -> CallRecording | None:
    return await session.get(CallRecording, recording_id)


async def list_recordings(
    session: AsyncSession,
    *,
    call_id: str | None = None,
    contact_id: str | None = None,
    queue_ids: Collection[str] | None = None,
    limit: int = 200,
) -> list[CallRecording]:
    query = select(CallRecording)
    if call_id is not None:
        query = query.where(CallRecording.call_id == call_id)
    if contact_id is not None:
        query = query.where(CallRecording.contact_id == contact_id)
    if queue_ids is not None:
        query = query.where(CallRecording.queue_id.in_(list(queue_ids)))
    query = query.order_by(CallRecording.id.desc()).limit(limit)
    return list(await session.scalars(query))

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.acd.models import AcdState
from helpline.storage.eventlog import EventRecord, StoredEvent

STATE_ROW = 1


async def load_state(session: AsyncSession) -> dict[str, Any] | None:
    row = await session.get(AcdState, STATE_ROW)
    return row.snapshot if row is not None else None


async def save_state(session: AsyncSession, snapshot: dict[str, Any], now: datetime) -> None:
    # An UPDATE without loading the row: decoding the previous snapshot only to replace
    # it cost as much as encoding the new one (profiled under the SIP benchmark).
    result = await session.execute(
        update(AcdState)
        .where(AcdState.id == STATE_ROW)
        .values(snapshot=snapshot, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.add(AcdState(id=STATE_ROW, snapshot=snapshot, updated_at=now))
        await session.flush()


async def acd_events_since(session: AsyncSession, since: datetime) -> list[StoredEvent]:
    """The ACD's stored events since ``since`` (to rebuild today's queue-card counters)."""
    query = (
        select(EventRecord)
        .where(EventRecord.type.like("acd.%"), EventRecord.occurred_at >= since)
        .order_by(EventRecord.seq)
    )
    rows = await session.scalars(query)
    return [StoredEvent(r.seq, r.type, r.payload, r.occurred_at, r.actor_user_id) for r in rows]


def start_of_day(now: datetime, tz: Any) -> datetime:
    """Midnight of ``now``'s day in the organization's time zone ("today" starts there)."""
    return now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.acd.models import AcdAgentState, AcdState
from helpline.storage.eventlog import EventRecord, StoredEvent

STATE_ROW = 1
_STATE = cast(Table, AcdState.__table__)
_AGENT_STATE = cast(Table, AcdAgentState.__table__)


async def load_state(session: AsyncSession) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The stored state (with its agents, whichever way they were stored) and the agent
    rows as stored (for :func:`save_state` to compare with); None before the first."""
    row = await session.get(AcdState, STATE_ROW)
    if row is None:
        return None
    snapshot = dict(row.snapshot)
    router = dict(snapshot["router"])
    rows: dict[str, Any] = {}
    if "agent_order" in router:
        result = await session.execute(select(AcdAgentState.agent_id, AcdAgentState.data))
        rows = {agent_id: data for agent_id, data in result.all()}
        router["agents"] = [rows[a] for a in router.pop("agent_order") if a in rows]
    snapshot["router"] = router
    return snapshot, rows


async def save_state(
    session: AsyncSession,
    snapshot: dict[str, Any],
    agents: dict[str, dict[str, Any]],
    now: datetime,
    stored: dict[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Write the state: ``snapshot`` without its agents (``router.agent_order`` lists
    them), and of ``agents`` (those that may have changed) the ones that differ from
    ``stored``, the agent rows as last written; the rows of agents no longer in the order
    go. Returns the agent rows as they now are."""
    order = snapshot["router"]["agent_order"]
    kept = set(order)
    missing = kept - stored.keys() - agents.keys()
    if missing:  # checked before anything is written
        raise ValueError(f"agents in the order without a row: {sorted(missing)[:5]}")
    # Statements on the tables rather than ORM objects: decoding the previous state only
    # to replace it cost as much as encoding the new one, and the ORM's bulk paths cost
    # more than the rows (both profiled under the SIP benchmark).
    state = _STATE
    result = await session.execute(
        update(state).where(state.c.id == STATE_ROW).values(snapshot=snapshot, updated_at=now)
    )
    if getattr(result, "rowcount", 0) == 0:
        await session.execute(insert(state).values(id=STATE_ROW, snapshot=snapshot, updated_at=now))
    rows = dict(stored)
    added = []
    changed = []
    for agent_id, data in agents.items():
        if agent_id not in stored:
            added.append({"agent_id": agent_id, "data": data})
        elif stored[agent_id] != data:
            changed.append({"row_agent_id": agent_id, "row_data": data})
        rows[agent_id] = data
    table = _AGENT_STATE
    if added:
        await session.execute(insert(table), added)
    if changed:
        await session.execute(
            update(table)
            .where(table.c.agent_id == bindparam("row_agent_id"))
            .values(data=bindparam("row_data")),
            changed,
        )
    gone = [agent_id for agent_id in rows if agent_id not in kept]
    if gone:
        await session.execute(delete(table).where(table.c.agent_id.in_(gone)))
        for agent_id in gone:
            del rows[agent_id]
    return rows


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

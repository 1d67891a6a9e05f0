from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.acd.models import AcdAgentState, AcdState
from helpline.storage.eventlog import EventRecord, StoredEvent

STATE_ROW = 1


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
    session: AsyncSession, snapshot: dict[str, Any], now: datetime, stored: dict[str, Any]
) -> dict[str, Any]:
    """Write ``snapshot``: the agents that differ from ``stored`` (the agent rows as last
    written) in their rows, the rest in the one state row. Returns the agent rows now."""
    agents = {agent["agent_id"]: agent for agent in snapshot["router"]["agents"]}
    header = {
        **snapshot,
        "router": {
            **{k: v for k, v in snapshot["router"].items() if k != "agents"},
            "agent_order": list(agents),
        },
    }
    # An UPDATE without loading the row: decoding the previous state only to replace it
    # cost as much as encoding the new one (profiled under the SIP benchmark).
    result = await session.execute(
        update(AcdState)
        .where(AcdState.id == STATE_ROW)
        .values(snapshot=header, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 0:
        session.add(AcdState(id=STATE_ROW, snapshot=header, updated_at=now))
    changed = [
        {"agent_id": agent_id, "data": data}
        for agent_id, data in agents.items()
        if agent_id in stored and stored[agent_id] != data
    ]
    if changed:
        await session.execute(update(AcdAgentState), changed)  # by primary key, one batch
    added = [AcdAgentState(agent_id=a, data=data) for a, data in agents.items() if a not in stored]
    session.add_all(added)
    gone = [agent_id for agent_id in stored if agent_id not in agents]
    if gone:
        await session.execute(delete(AcdAgentState).where(AcdAgentState.agent_id.in_(gone)))
    await session.flush()
    return agents


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

"""The router's stored state: one row for the router, one per agent, written by difference."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from helpline.acd import repository
from helpline.acd.models import AcdState
from helpline.storage.engine import create_engine, create_session_factory

NOW = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)


def _agent(agent_id: str, presence: str = "LOGGED_OUT") -> dict[str, Any]:
    return {"agent_id": agent_id, "presence": presence, "seats": []}


def _snapshot(*agents: dict[str, Any]) -> dict[str, Any]:
    return {
        "router": {"version": 1, "now": 1.0, "seq": 3, "agents": list(agents), "contacts": []},
        "lines": {"a1": "201"},
    }


def _save(session: Any, stored: dict[str, Any], *agents: dict[str, Any], changed: Any = None):  # type: ignore[no-untyped-def]
    """Save as the service does: the state without its agents, and the agents that may
    have changed (all of them unless ``changed`` names some)."""
    header = _snapshot(*agents)
    header["router"]["agent_order"] = [a["agent_id"] for a in header["router"].pop("agents")]
    rows = {a["agent_id"]: a for a in agents if changed is None or a["agent_id"] in changed}
    return repository.save_state(session, header, rows, NOW, stored)


def _in_session(database_url: str, work: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(database_url)
        async with create_session_factory(engine)() as session:
            result = await work(session)
            await session.commit()
        await engine.dispose()
        return result

    return asyncio.run(run())


def test_agents_are_written_by_difference_and_read_back_in_order(database_url: str) -> None:
    async def scenario(session: Any) -> None:
        assert await repository.load_state(session) is None
        rows = await _save(session, {}, _agent("a2"), _agent("a1"), _agent("a3"))
        # a1 changes, a3 leaves, a4 arrives; a2 is as it was and is not among the changed.
        rows = await _save(
            session,
            rows,
            _agent("a2", "PAUSED"),  # not named as changed: its row stays as it was
            _agent("a1", "READY"),
            _agent("a4"),
            changed={"a1", "a4"},
        )
        loaded = await repository.load_state(session)
        assert loaded is not None
        snapshot, stored = loaded
        assert snapshot == _snapshot(_agent("a2"), _agent("a1", "READY"), _agent("a4"))
        with pytest.raises(ValueError, match="without a row"):
            await _save(session, rows, _agent("a2"), _agent("a5"), changed=set())
        assert stored == rows == {a["agent_id"]: a for a in snapshot["router"]["agents"]}
        header = await session.get(AcdState, repository.STATE_ROW)
        assert "agents" not in header.snapshot["router"]  # they are in rows of their own
        assert header.snapshot["router"]["agent_order"] == ["a2", "a1", "a4"]

    _in_session(database_url, scenario)


def test_a_state_saved_whole_by_an_older_version_is_read_then_split(database_url: str) -> None:
    legacy = _snapshot(_agent("a1", "READY"), _agent("a2"))

    async def scenario(session: Any) -> None:
        session.add(AcdState(id=repository.STATE_ROW, snapshot=legacy, updated_at=NOW))
        await session.flush()
        loaded = await repository.load_state(session)
        assert loaded is not None
        snapshot, stored = loaded
        assert snapshot == legacy
        assert stored == {}  # no agent rows yet: the next write makes them all
        await _save(session, stored, *snapshot["router"]["agents"])
        session.expire_all()
        again = await repository.load_state(session)
        assert again is not None
        assert again[0] == legacy
        assert set(again[1]) == {"a1", "a2"}

    _in_session(database_url, scenario)


def test_downgrading_folds_the_agent_rows_back_into_the_state(database_url: str) -> None:
    from alembic import command

    from helpline.migrations import alembic_config, upgrade_database

    async def split(session: Any) -> None:
        await _save(session, {}, _agent("a1", "READY"), _agent("a2"))

    _in_session(database_url, split)
    command.downgrade(alembic_config(database_url), "0007")
    try:

        async def read(session: Any) -> Any:
            from sqlalchemy import text

            return (await session.execute(text("SELECT snapshot FROM acd_state"))).scalar_one()

        stored = _in_session(database_url, read)
        if isinstance(stored, str):  # SQLite hands JSON back as text to a raw query
            import json

            stored = json.loads(stored)
        assert stored == _snapshot(_agent("a1", "READY"), _agent("a2"))
    finally:
        upgrade_database(database_url)  # the next test's database needs every table

"""Group commit of events that change nothing else (the voice service's call events)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpline.storage.engine import create_engine, create_session_factory
from helpline.storage.event_writer import EventWriter
from helpline.storage.eventlog import Event, StoredEvent, read_events


class CallHappened(Event):
    type = "test.call_happened"
    number: int


NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def test_a_burst_is_written_in_one_transaction_in_order(database_url: str) -> None:
    published: list[list[StoredEvent]] = []

    async def publish(events: list[StoredEvent]) -> None:
        published.append(events)

    async def scenario() -> list[StoredEvent]:
        engine = create_engine(database_url)
        writer = EventWriter(create_session_factory(engine), publish)
        writer.start()
        for number in range(120):  # appended before the writer runs: one batch
            writer.append(CallHappened(number=number), occurred_at=NOW)
        await writer.flush()
        first = len(published)
        writer.append(CallHappened(number=120), occurred_at=NOW)  # alone: written at once
        await writer.flush()
        assert len(published) == first + 1
        async with create_session_factory(engine)() as session:
            stored = await read_events(session, types=["test.call_happened"])
        await writer.stop()
        await engine.dispose()
        return stored

    stored = asyncio.run(scenario())
    assert [e.payload["number"] for e in stored] == list(range(121))
    assert [len(batch) for batch in published] == [120, 1]
    assert [e.seq for batch in published for e in batch] == [e.seq for e in stored]


def test_stopping_writes_what_is_pending(database_url: str) -> None:
    async def scenario() -> list[StoredEvent]:
        engine = create_engine(database_url)
        writer = EventWriter(create_session_factory(engine), None)
        writer.start()
        writer.append(CallHappened(number=1), occurred_at=NOW)
        writer.append(CallHappened(number=2), occurred_at=NOW)
        await writer.stop()
        async with create_session_factory(engine)() as session:
            stored = await read_events(session, types=["test.call_happened"])
        await engine.dispose()
        return stored

    assert [e.payload["number"] for e in asyncio.run(scenario())] == [1, 2]


def test_a_naive_time_is_refused(database_url: str) -> None:
    async def scenario() -> None:
        engine = create_engine(database_url)
        writer = EventWriter(create_session_factory(engine), None)
        with pytest.raises(ValueError, match="timezone-aware"):
            writer.append(CallHappened(number=1), occurred_at=datetime(2026, 11, 22, 10, 0))
        await engine.dispose()

    asyncio.run(scenario())


def test_a_batch_that_cannot_be_written_is_retried_then_counted_lost(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, int]:
        # A real database without Helpline's tables: every attempt fails.
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
        writer = EventWriter(create_session_factory(engine), None, retry_seconds=(0.0, 0.0))
        writer.start()
        writer.append(CallHappened(number=1), occurred_at=NOW)
        writer.append(CallHappened(number=2), occurred_at=NOW)
        await writer.stop()
        await engine.dispose()
        return writer.written, writer.lost

    assert asyncio.run(scenario()) == (0, 2)

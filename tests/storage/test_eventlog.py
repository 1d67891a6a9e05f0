from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from helpline.storage.engine import create_engine, create_session_factory
from helpline.storage.eventlog import Event, append_event, last_sequence, read_events
from helpline.storage.unit_of_work import unit_of_work
from helpline.users.models import User


class SomethingHappened(Event):
    type = "test.something_happened"
    what: str


def _run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_events_are_written_in_the_same_transaction_as_the_state(database_url: str) -> None:
    published: list[list[int]] = []

    async def publish(events):  # type: ignore[no-untyped-def]
        published.append([event.seq for event in events])

    async def scenario() -> tuple[int, int, list[str]]:
        engine = create_engine(database_url)
        factory = create_session_factory(engine)
        now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

        def user(name: str) -> User:
            return User(
                username=name, display_name=name, password_hash="x", created_at=now, updated_at=now
            )

        async with unit_of_work(factory, publish) as session:
            session.add(user("kept"))
            append_event(session, SomethingHappened(what="kept"), occurred_at=now)

        async def failing_command() -> None:
            async with unit_of_work(factory, publish) as session:
                session.add(user("lost"))
                append_event(session, SomethingHappened(what="lost"), occurred_at=now)
                await session.flush()
                raise RuntimeError("the command failed")

        with pytest.raises(RuntimeError):
            await failing_command()
        async with factory() as session:
            users = await session.scalar(select(func.count()).select_from(User))
            events = await read_events(session)
            last = await last_sequence(session)
        await engine.dispose()
        return int(users or 0), last, [e.payload["what"] for e in events]

    users, last, whats = _run(scenario())
    assert users == 1
    assert whats == ["kept"]
    assert published == [[last]]


def test_sequence_is_monotonic_and_times_are_utc(database_url: str) -> None:
    rome = timezone(timedelta(hours=1))

    async def scenario():  # type: ignore[no-untyped-def]
        engine = create_engine(database_url)
        factory = create_session_factory(engine)
        for index in range(5):
            async with unit_of_work(factory) as session:
                append_event(
                    session,
                    SomethingHappened(what=str(index)),
                    occurred_at=datetime(2026, 11, 22, 10, index, tzinfo=rome),
                )
        async with factory() as session:
            events = await read_events(session, after=0)
            later = await read_events(session, after=events[1].seq, limit=2)
            typed = await read_events(session, types=["no.such.type"])
        await engine.dispose()
        return events, later, typed

    events, later, typed = _run(scenario())
    sequences = [event.seq for event in events]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == 5
    assert [e.payload["what"] for e in later] == ["2", "3"]
    assert typed == []
    first = events[0]
    assert first.occurred_at.tzinfo is not None
    assert first.occurred_at.utcoffset() == timedelta(0)
    assert first.occurred_at == datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert isinstance(first.typed(), SomethingHappened)


def test_naive_times_are_refused() -> None:
    from unittest.mock import MagicMock

    with pytest.raises(ValueError, match="timezone-aware"):
        append_event(MagicMock(), SomethingHappened(what="x"), occurred_at=datetime(2026, 1, 1))


def test_event_types_are_unique() -> None:
    with pytest.raises(TypeError, match="declared twice"):

        class Again(Event):
            type = "test.something_happened"
            what: str


def test_events_are_immutable_and_strict() -> None:
    event = SomethingHappened(what="x")
    with pytest.raises(ValueError, match="frozen"):
        event.what = "y"  # type: ignore[misc]
    with pytest.raises(ValueError, match="Extra inputs"):
        SomethingHappened(what="x", other=1)  # type: ignore[call-arg]

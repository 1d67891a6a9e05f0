"""One transaction per command: commit at the boundary, then publish its events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.storage.eventlog import StoredEvent, discard_pending_events, take_pending_events

Publisher = Callable[[list[StoredEvent]], Awaitable[None]]


async def commit_and_publish(session: AsyncSession, publish: Publisher | None) -> None:
    await session.commit()
    events = take_pending_events(session)
    if publish is not None and events:
        await publish(events)


@asynccontextmanager
async def unit_of_work(
    session_factory: async_sessionmaker[AsyncSession], publish: Publisher | None = None
) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        try:
            yield session
        except BaseException:
            discard_pending_events(session)
            await session.rollback()
            raise
        await commit_and_publish(session, publish)

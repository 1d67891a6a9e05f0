"""Group commit for events that change no other stored state (a call started, a call
ended): appended now, written with whatever else is waiting in one transaction.

A command whose events must commit with the state they describe uses a unit of work
instead. Here a burst of calls costs one transaction per batch rather than one a call;
when nothing else is waiting, an event is written at once (no added latency when idle).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.storage.eventlog import Event, append_event
from helpline.storage.unit_of_work import Publisher, unit_of_work

log = logging.getLogger(__name__)

MAX_BATCH = 500
RETRY_SECONDS = (0.1, 0.5, 2.0)  # then the batch is given up, and says so in the log


class EventWriter:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        publish: Publisher | None,
        *,
        retry_seconds: tuple[float, ...] = RETRY_SECONDS,
    ) -> None:
        self._factory = session_factory
        self._retry_seconds = retry_seconds
        self._publish = publish
        self._pending: list[tuple[Event, datetime, int | None]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.lost = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="event-writer")

    async def stop(self) -> None:
        """Write what is pending, then stop."""
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def append(
        self, event: Event, *, occurred_at: datetime, actor_user_id: int | None = None
    ) -> None:
        if occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware UTC")
        self._pending.append((event, occurred_at, actor_user_id))
        self._idle.clear()
        self._wake.set()

    async def flush(self) -> None:
        """Return once every event appended so far is written (or given up)."""
        if self._task is None or self._task.done():
            return
        await self._idle.wait()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._write(batch)
            if not self._pending:
                self._idle.set()

    async def _write(self, batch: list[tuple[Event, datetime, int | None]]) -> None:
        for attempt, pause in enumerate((*self._retry_seconds, None)):
            try:
                async with unit_of_work(self._factory, self._publish) as session:
                    for event, occurred_at, actor in batch:
                        append_event(session, event, occurred_at=occurred_at, actor_user_id=actor)
                self.written += len(batch)
                return
            except Exception:
                if pause is None:
                    self.lost += len(batch)
                    log.exception(
                        "gave up writing %d event(s) (%s) after %d attempts",
                        len(batch),
                        ", ".join(sorted({event.type for event, _, _ in batch})),
                        attempt + 1,
                    )
                    return
                log.warning("writing %d event(s) failed; retrying", len(batch), exc_info=True)
                await asyncio.sleep(pause)

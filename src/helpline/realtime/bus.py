"""In-process event bus.

A subscriber that falls too far behind is cut off instead of slowing the publisher: its
client must register again and fetch a fresh state (as Zulip does with expired queues).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from helpline.storage.eventlog import StoredEvent

DEFAULT_SUBSCRIBER_BACKLOG = 10_000


class SubscriptionLost(Exception):
    """The subscriber's backlog overflowed; events were dropped."""


class Subscription:
    def __init__(self, bus: EventBus, backlog: int) -> None:
        self._bus = bus
        self._queue: asyncio.Queue[StoredEvent | None] = asyncio.Queue(maxsize=backlog)
        self.lost = False

    def _deliver(self, event: StoredEvent) -> None:
        if self.lost:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lost = True
            self._queue = asyncio.Queue(maxsize=1)
            self._queue.put_nowait(None)

    async def get(self) -> StoredEvent:
        event = await self._queue.get()
        if event is None:
            raise SubscriptionLost
        return event

    def drain(self) -> list[StoredEvent]:
        drained: list[StoredEvent] = []
        while not self._queue.empty():
            event = self._queue.get_nowait()
            if event is None:
                raise SubscriptionLost
            drained.append(event)
        return drained

    def close(self) -> None:
        self._bus._subscribers.discard(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class EventBus:
    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()

    def subscribe(self, backlog: int = DEFAULT_SUBSCRIBER_BACKLOG) -> Subscription:
        subscription = Subscription(self, backlog)
        self._subscribers.add(subscription)
        return subscription

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def publish(self, events: Iterable[StoredEvent]) -> None:
        batch = list(events)
        for subscription in list(self._subscribers):
            for event in batch:
                subscription._deliver(event)

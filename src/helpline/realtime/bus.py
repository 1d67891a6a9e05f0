"""In-process event bus.

A subscriber that falls too far behind is cut off instead of slowing the publisher: its
client must register again and fetch a fresh state (as Zulip does with expired queues).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence

from helpline.storage.eventlog import StoredEvent

DEFAULT_SUBSCRIBER_BACKLOG = 10_000

log = logging.getLogger(__name__)

Listener = Callable[[Sequence[StoredEvent]], None]


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
        self._listeners: list[Listener] = []

    def subscribe(self, backlog: int = DEFAULT_SUBSCRIBER_BACKLOG) -> Subscription:
        subscription = Subscription(self, backlog)
        self._subscribers.add(subscription)
        return subscription

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with each batch before ``publish`` returns: for caches that
        must not serve the old value once the request that changed it has answered.
        Returns the function that stops listening."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def publish(self, events: Iterable[StoredEvent]) -> None:
        batch = list(events)
        for listener in list(self._listeners):
            try:
                listener(batch)
            except Exception:  # one bad listener must not cost the others their events
                log.exception("an event listener failed")
        for subscription in list(self._subscribers):
            for event in batch:
                subscription._deliver(event)

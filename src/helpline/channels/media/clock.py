"""The one 20 ms clock that paces every player, relay and recorder of the media engine.

Pure scheduling: the caller reads the monotonic clock and sleeps. Tick ``n`` is due at
``start + n * interval``, always computed from the start rather than by adding intervals
to the last wake-up, so sleeping late never makes the clock drift. A loop that wakes up
late runs the ticks it missed back to back (the far end's jitter buffer absorbs the burst);
one that is very late (the machine stalled) skips to the present and counts an overrun,
since a second of audio sent in one burst is worse than a gap.

The engine's loop::

    clock = FrameClock(time.monotonic())
    while running:
        for _ in range(clock.ticks_due(time.monotonic())):
            tick()
        await asyncio.sleep(max(0.0, clock.next_deadline() - time.monotonic()))
"""

from __future__ import annotations

import math

FRAME_INTERVAL = 0.020


class FrameClock:
    __slots__ = ("interval", "max_catch_up", "overruns", "skipped", "start", "tick")

    def __init__(
        self, start: float, *, interval: float = FRAME_INTERVAL, max_catch_up: int = 5
    ) -> None:
        if interval <= 0:
            raise ValueError("the frame interval must be positive")
        if max_catch_up < 1:
            raise ValueError("max_catch_up must be at least one tick")
        self.start = start
        self.interval = interval
        self.max_catch_up = max_catch_up
        self.tick = 0  # index of the next tick to run; also the number run or skipped so far
        self.overruns = 0  # times the loop was so late that ticks were skipped
        self.skipped = 0  # ticks skipped in all

    def deadline(self, tick: int) -> float:
        return self.start + tick * self.interval

    def next_deadline(self) -> float:
        """When the next tick is due (in the past if the caller is behind)."""
        return self.deadline(self.tick)

    def due(self, now: float) -> int:
        """How many ticks are due at ``now`` and not yet run (without consuming them)."""
        last = math.floor((now - self.start) / self.interval)
        # the division rounds; settle on exactly the ticks whose deadline(), as next_deadline()
        # reports it, is not after now, so that waking at a deadline always runs that tick
        while self.deadline(last + 1) <= now:
            last += 1
        while last >= self.tick and self.deadline(last) > now:
            last -= 1
        return max(0, last + 1 - self.tick)

    def ticks_due(self, now: float) -> int:
        """Consume and return the number of ticks to run now.

        Up to ``max_catch_up`` late ticks are returned so that none is lost; beyond that the
        clock skips all but the latest (an overrun) and the loop resumes on the same grid.
        """
        due = self.due(now)
        if due > self.max_catch_up:
            self.overruns += 1
            self.skipped += due - 1
            self.tick += due
            return 1
        self.tick += due
        return due

    def lateness(self, now: float) -> float:
        """Seconds by which ``now`` is past the oldest tick not yet run (0 if none is due)."""
        return max(0.0, now - self.next_deadline())

    def reset(self, start: float) -> None:
        self.start = start
        self.tick = 0

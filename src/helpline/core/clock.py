"""Injected clocks.

The core never reads the wall clock. Every command receives ``now`` as ``float`` seconds
since an epoch chosen by the caller; the live service passes Unix time
(``time.time()``), the simulator and the tests a virtual time starting at 0.0. Floats keep
the hot path free of ``datetime`` arithmetic; convert with :func:`to_datetime` at the edge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current time in seconds since its epoch."""

    def now(self) -> float: ...


class TimeWentBackwardsError(ValueError):
    """Raised when a clock or a command is given a time earlier than one already seen."""


class ManualClock:
    """A clock that only moves when told to (tests and the simulator)."""

    __slots__ = ("_now",)

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise TimeWentBackwardsError(f"cannot advance by a negative amount ({seconds})")
        self._now += seconds
        return self._now

    def set(self, now: float) -> float:
        if now < self._now:
            raise TimeWentBackwardsError(f"clock at {self._now}, cannot go back to {now}")
        self._now = float(now)
        return self._now


def to_datetime(seconds: float) -> datetime:
    """Convert Unix-epoch seconds (as used by the live service) to an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)


def from_datetime(moment: datetime) -> float:
    """Convert an aware datetime to Unix-epoch seconds; naive datetimes are rejected."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware datetime")
    return moment.timestamp()

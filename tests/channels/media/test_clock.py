from __future__ import annotations

import random

import pytest

from helpline.channels.media.clock import FrameClock


def test_first_tick_is_due_at_the_start() -> None:
    clock = FrameClock(100.0)
    assert clock.next_deadline() == 100.0
    assert clock.ticks_due(99.99) == 0
    assert clock.ticks_due(100.0) == 1
    assert clock.ticks_due(100.0) == 0
    assert clock.next_deadline() == pytest.approx(100.02)


def test_a_tick_every_20_ms() -> None:
    clock = FrameClock(0.0)
    assert clock.ticks_due(0.0) == 1
    assert clock.ticks_due(0.019) == 0
    assert clock.ticks_due(0.020) == 1
    assert clock.ticks_due(0.039) == 0
    assert clock.tick == 2


@pytest.mark.parametrize("start", [0.0, 1234.567, 987654.321])
def test_waking_exactly_at_each_deadline_runs_each_tick_once(start: float) -> None:
    clock = FrameClock(start)
    for n in range(2000):
        assert clock.ticks_due(start + n * 0.020) == 1
    assert clock.tick == 2000


def test_late_loop_catches_up() -> None:
    clock = FrameClock(0.0, max_catch_up=5)
    clock.ticks_due(0.0)
    # woke up 65 ms late: ticks 1, 2 and 3 are due
    assert clock.ticks_due(0.085) == 4
    assert clock.overruns == 0
    assert clock.next_deadline() == pytest.approx(0.100)


def test_very_late_loop_skips_ahead_and_counts_an_overrun() -> None:
    clock = FrameClock(0.0, max_catch_up=5)
    clock.ticks_due(0.0)
    # stalled for a second: 50 ticks due, only one runs, the rest are skipped
    assert clock.ticks_due(1.0) == 1
    assert clock.overruns == 1
    assert clock.skipped == 49
    # back on the same grid, the next deadline just ahead of now
    assert clock.next_deadline() == pytest.approx(1.02)
    assert clock.ticks_due(1.01) == 0
    assert clock.ticks_due(1.02) == 1


def test_no_drift_whatever_the_wake_up_lateness() -> None:
    rng = random.Random(5)
    clock = FrameClock(10.0, max_catch_up=5)
    now = 10.0
    ran = 0
    for _ in range(20_000):
        ran += clock.ticks_due(now)
        # sleep until the deadline, but wake up 0-30 ms late
        now = max(now, clock.next_deadline()) + rng.uniform(0, 0.030)
    ran += clock.ticks_due(now)
    # every deadline up to now has been run, none ahead of it: the clock kept time
    assert clock.tick == int((now - 10.0) / 0.020) + 1
    assert clock.deadline(clock.tick - 1) <= now < clock.next_deadline()
    assert ran == clock.tick
    assert clock.overruns == 0  # 30 ms of lateness never needs more than two ticks at once


def test_due_does_not_consume_and_lateness() -> None:
    clock = FrameClock(0.0)
    assert clock.due(0.05) == 3
    assert clock.due(0.05) == 3
    assert clock.lateness(0.05) == pytest.approx(0.05)
    clock.ticks_due(0.05)
    assert clock.lateness(0.05) == 0.0


def test_reset() -> None:
    clock = FrameClock(0.0)
    clock.ticks_due(1.0)
    clock.reset(5.0)
    assert (clock.tick, clock.next_deadline()) == (0, 5.0)


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="interval"):
        FrameClock(0.0, interval=0)
    with pytest.raises(ValueError, match="max_catch_up"):
        FrameClock(0.0, max_catch_up=0)

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from helpline.core.clock import ManualClock, TimeWentBackwardsError, from_datetime, to_datetime


def test_manual_clock_moves_forward_only() -> None:
    clock = ManualClock(10.0)
    assert clock.advance(5) == 15.0
    assert clock.set(20.0) == 20.0
    with pytest.raises(TimeWentBackwardsError):
        clock.set(19.0)
    with pytest.raises(TimeWentBackwardsError):
        clock.advance(-1)
    assert clock.now() == 20.0


def test_datetime_conversion_is_utc_aware() -> None:
    moment = datetime(2026, 11, 22, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    seconds = from_datetime(moment)
    assert to_datetime(seconds) == moment.astimezone(UTC)
    assert to_datetime(seconds).tzinfo is UTC
    with pytest.raises(ValueError, match="naive"):
        from_datetime(datetime(2026, 1, 1))

"""Erlang C against the published reference case and known properties."""

from __future__ import annotations

import math

import pytest

from helpline.core import erlang


def test_reference_staffing_case() -> None:
    """100 contacts / 30 min, AHT 180 s, 80 % in 20 s, shrinkage 30 %, max occupancy 85 %."""
    result = erlang.staffing(
        contacts=100,
        interval_seconds=1800,
        aht_seconds=180,
        target_seconds=20,
        service_level_target=0.80,
        shrinkage=0.30,
        max_occupancy=0.85,
    )
    assert result.traffic == pytest.approx(10.0)
    assert result.raw_agents == 14
    assert result.scheduled_agents == 20
    assert round(result.service_level, 3) == 0.888
    assert round(result.occupancy, 3) == 0.714
    assert round(result.wait_probability, 3) == 0.174
    assert result.average_speed_of_answer == pytest.approx(0.1741 * 180 / 4, rel=1e-3)


def test_thirteen_agents_miss_the_target() -> None:
    assert erlang.service_level(13, 10.0, 180, 20) < 0.80 < erlang.service_level(14, 10.0, 180, 20)


def test_max_occupancy_can_drive_staffing() -> None:
    # a lax service level: occupancy <= 50 % needs 20 agents for 10 Erlangs
    result = erlang.staffing(100, 1800, 180, 60, 0.5, max_occupancy=0.5)
    assert result.raw_agents == 20
    assert result.occupancy == pytest.approx(0.5)


def test_erlang_b_and_c_small_cases() -> None:
    assert erlang.erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang.erlang_b(2, 1.0) == pytest.approx(0.2)
    # M/M/1: P(wait) = rho
    assert erlang.erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang.erlang_c(5, 5.0) == 1.0
    assert erlang.erlang_c(5, 0.0) == 0.0
    assert erlang.service_level(5, 6.0, 180, 20) == 0.0
    assert math.isinf(erlang.average_speed_of_answer(5, 5.0, 180))


def test_large_traffic_is_numerically_stable() -> None:
    result = erlang.staffing(50_000, 1800, 300, 20, 0.8)
    assert 8300 < result.raw_agents < 8500
    assert 0.8 <= result.service_level < 0.9
    assert 0.0 < result.wait_probability < 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_level_target": 1.0}, "service_level_target"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"max_occupancy": 0.0}, "max_occupancy"),
        ({"target_seconds": -1}, "target_seconds"),
    ],
)
def test_staffing_rejects_bad_inputs(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float] = {
        "contacts": 100,
        "interval_seconds": 1800,
        "aht_seconds": 180,
        "target_seconds": 20,
        "service_level_target": 0.8,
    } | kwargs
    with pytest.raises(ValueError, match=message):
        erlang.staffing(**args)


def test_zero_traffic_needs_nobody() -> None:
    assert erlang.staffing(0, 1800, 180, 20, 0.8).raw_agents == 0

"""The simulator drives the real Router; on an M/M/N queue it must agree with Erlang C."""

from __future__ import annotations

import math

import pytest

from helpline.core import erlang
from helpline.core.acd import QueueConfig, QueueKind, SkillStep, Strategy
from helpline.core.simulator import (
    HandleTime,
    SimAgentGroup,
    SimQueue,
    SimulationSpec,
    format_report,
    simulate,
)

AHT = 180.0
AGENTS = 10
TRAFFIC = 8.5  # Erlangs: 85 % utilisation


def mmn_spec(seed: int, duration: float) -> SimulationSpec:
    return SimulationSpec(
        queues=(
            SimQueue(
                QueueConfig("q", service_level_seconds=20),
                arrivals_per_hour=TRAFFIC * 3600 / AHT,
                handle_time=HandleTime("exponential", AHT),
            ),
        ),
        agents=(SimAgentGroup("agent", AGENTS, ("q",)),),
        duration=duration,
        warmup=3600,
        seed=seed,
    )


def test_mmn_matches_erlang_c() -> None:
    """~94,000 calls at 85 % utilisation. Across seeds the simulated service level and
    P(wait) have a standard deviation of about 0.009 at this length (calls are strongly
    correlated at this load); the tolerance of 0.03 is over 3 sigma. ASA is noisier
    (sd about 2.5 s of 63.6 s): 12 %."""
    result = simulate(mmn_spec(seed=20261122, duration=2_000_000)).queue("q")
    assert result.abandoned == 0
    assert result.expired == 0
    assert result.answered > 90_000
    expected_sl = erlang.service_level(AGENTS, TRAFFIC, AHT, 20)
    expected_wait = erlang.erlang_c(AGENTS, TRAFFIC)
    expected_asa = erlang.average_speed_of_answer(AGENTS, TRAFFIC, AHT)
    assert result.service_level == pytest.approx(expected_sl, abs=0.03)
    assert result.wait_probability == pytest.approx(expected_wait, abs=0.03)
    assert result.average_speed_of_answer == pytest.approx(expected_asa, rel=0.12)
    assert result.occupancy == pytest.approx(TRAFFIC / AGENTS, abs=0.02)
    assert result.average_handle_time == pytest.approx(AHT, rel=0.02)


def test_same_seed_same_result_and_seed_matters() -> None:
    a = simulate(mmn_spec(seed=1, duration=20_000))
    b = simulate(mmn_spec(seed=1, duration=20_000))
    c = simulate(mmn_spec(seed=2, duration=20_000))
    assert a == b
    assert a != c


def test_patience_abandonment_priorities_skills_and_chat() -> None:
    spec = SimulationSpec(
        queues=(
            SimQueue(
                QueueConfig("vip", priority=10, wrap_up_seconds=10),
                arrivals_per_hour=60,
                handle_time=HandleTime("lognormal", 200, 0.5),
                patience_mean=120,
            ),
            SimQueue(
                QueueConfig("normal", priority=1, max_wait=300),
                arrivals_per_hour=60,
                handle_time=HandleTime("fixed", 200),
                patience_mean=120,
            ),
            SimQueue(
                QueueConfig(
                    "skills",
                    strategy=Strategy.SKILLS,
                    required_skills=("de",),
                    skill_steps=(SkillStep(0, 4), SkillStep(30, 1)),
                ),
                arrivals_per_hour=10,
            ),
            SimQueue(QueueConfig("chat", kind=QueueKind.CHAT), arrivals_per_hour=30),
        ),
        agents=(
            SimAgentGroup("shared", 6, ("vip", "normal")),
            SimAgentGroup("de", 2, ("skills", "chat"), skills={"de": 2}, chat_capacity=3),
        ),
        duration=4 * 3600,
        seed=5,
        answer_delay=2,
    )
    result = simulate(spec)
    vip, normal = result.queue("vip"), result.queue("normal")
    assert vip.abandoned + normal.abandoned > 0
    # agents serve the high-priority queue first: it waits less
    assert vip.average_speed_of_answer < normal.average_speed_of_answer
    assert vip.service_level > normal.service_level
    assert result.queue("skills").answered > 0
    assert result.queue("chat").answered > 0
    total = result.overall
    assert total.arrived == total.answered + total.abandoned + total.expired
    assert 0 < total.occupancy <= 1
    report = format_report(result)
    assert "vip" in report
    assert "overall" in report
    assert not math.isnan(vip.average_handle_time)


def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="unknown queue"):
        SimulationSpec(queues=(), agents=(SimAgentGroup("a", 1, ("nope",)),))
    with pytest.raises(ValueError, match="distribution"):
        HandleTime("gamma")

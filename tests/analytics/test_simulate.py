"""``helpline simulate CONFIG``: config loading, validation messages, report."""

from __future__ import annotations

import json
import pathlib

import pytest

from helpline.analytics.simulate import SimulationConfigError, load_spec, run

EXAMPLE = pathlib.Path(__file__).parents[2] / "docs" / "examples" / "simulation.toml"

MINIMAL = {
    "simulation": {"duration_hours": 1, "seed": 3},
    "queues": [{"id": "support", "arrivals_per_hour": 30, "patience_seconds": 120}],
    "agents": [{"name": "team", "count": 3, "queues": ["support"]}],
}


def write(tmp_path: pathlib.Path, data: object, name: str = "sim.json") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_example_config_runs() -> None:
    report = run(EXAMPLE)
    assert "support" in report
    assert "sales" in report
    assert "webchat" in report
    assert "overall" in report
    assert "seed 42" in report
    assert report == run(EXAMPLE)  # deterministic


def test_json_config(tmp_path: pathlib.Path) -> None:
    report = run(write(tmp_path, MINIMAL))
    assert "support" in report
    spec = load_spec(write(tmp_path, MINIMAL))
    assert spec.duration == 3600
    assert spec.seed == 3
    assert spec.queues[0].patience_mean == 120


def test_toml_config(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(
        '[simulation]\nduration_seconds = 600\n\n[[queues]]\nid = "q"\narrivals_per_hour = 60\n'
        'handle_time = { distribution = "fixed", mean_seconds = 60 }\n\n'
        '[[agents]]\nname = "a"\ncount = 2\nqueues = ["q"]\n'
    )
    spec = load_spec(path)
    assert spec.queues[0].handle_time.distribution == "fixed"
    assert "q" in run(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["queues"][0].update(arrivals_per_hour="many"), "queues[0].arrivals_per_hour"),
        (lambda d: d["queues"][0].update(arrivals_per_hour=-1), "queues[0].arrivals_per_hour"),
        (lambda d: d["queues"][0].update(strategy="random"), "queues[0].strategy"),
        (lambda d: d["queues"][0].update(colour="red"), "queues[0].colour: unknown field"),
        (
            lambda d: d["queues"][0].update(handle_time={"distribution": "gamma"}),
            "queues[0].handle_time.distribution",
        ),
        (
            lambda d: d["queues"][0].update(skill_steps=[[0, 9]]),
            "queues[0].skill_steps[0]",
        ),
        (lambda d: d["agents"][0].update(count=0), "agents[0].count"),
        (lambda d: d["agents"][0].update(queues=["nope"]), "agents[0].queues: unknown queue"),
        (lambda d: d["agents"][0].update(skills={"fr": 7}), "agents[0].skills.fr"),
        (lambda d: d["simulation"].update(seed=1.5), "simulation.seed"),
        (lambda d: d["simulation"].update(warmup_minutes=120), "simulation.warmup"),
        (lambda d: d.pop("agents"), "agents:"),
        (lambda d: d["queues"].append(dict(d["queues"][0])), "queues[1].id: duplicate"),
    ],
)
def test_invalid_configs_name_the_field(
    tmp_path: pathlib.Path, change: object, message: str
) -> None:
    data = json.loads(json.dumps(MINIMAL))
    change(data)  # type: ignore[operator]
    with pytest.raises(SimulationConfigError) as info:
        load_spec(write(tmp_path, data))
    assert message in str(info.value)


def test_unreadable_files(tmp_path: pathlib.Path) -> None:
    with pytest.raises(SimulationConfigError, match="cannot read"):
        run(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[simulation\n")
    with pytest.raises(SimulationConfigError, match="not valid TOML"):
        run(bad)
    with pytest.raises(SimulationConfigError, match=r"\.toml or \.json"):
        run(write(tmp_path, MINIMAL, "sim.yaml"))

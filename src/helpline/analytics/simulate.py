"""``helpline simulate CONFIG``: read a what-if scenario, run the core simulator, report.

The configuration is TOML (``.toml``) or JSON (``.json``); see ``docs/simulator.md`` and
``docs/examples/simulation.toml``. Every problem is reported as a
:class:`SimulationConfigError` naming the field, e.g. ``queues[1].arrivals_per_hour: must
be a number >= 0, got 'many'``.
"""

from __future__ import annotations

import json
import math
import pathlib
import tomllib
from typing import Any

from helpline.core.acd.model import QueueConfig, QueueKind, SkillStep, Strategy
from helpline.core.simulator import (
    DISTRIBUTIONS,
    HandleTime,
    SimAgentGroup,
    SimQueue,
    SimulationSpec,
    format_report,
    simulate,
)


class SimulationConfigError(ValueError):
    """The simulation configuration is unreadable or invalid; the message names the field."""


_SIMULATION_KEYS = {
    "duration_hours",
    "duration_seconds",
    "warmup_minutes",
    "warmup_seconds",
    "seed",
    "answer_delay_seconds",
}
_QUEUE_KEYS = {
    "id",
    "name",
    "kind",
    "strategy",
    "priority",
    "arrivals_per_hour",
    "handle_time",
    "patience_seconds",
    "wrap_up_seconds",
    "max_wait_seconds",
    "offer_timeout_seconds",
    "service_level_seconds",
    "required_skills",
    "skill_steps",
}
_HANDLE_KEYS = {"distribution", "mean_seconds", "sigma"}
_AGENT_KEYS = {"name", "count", "queues", "skills", "chat_capacity"}


def run(config_path: pathlib.Path) -> str:
    """Load ``config_path``, run the simulation and return the report text."""
    spec = load_spec(config_path)
    result = simulate(spec)
    return f"Scenario: {config_path.name} (seed {spec.seed})\n" + format_report(result)


def load_spec(config_path: pathlib.Path) -> SimulationSpec:
    data = _read(config_path)
    return parse_spec(data)


def _read(path: pathlib.Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SimulationConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8"))
        elif suffix == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            raise SimulationConfigError(f"{path}: use a .toml or .json file")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SimulationConfigError(f"{path}: not valid {suffix[1:].upper()}: {exc}") from exc
    if not isinstance(data, dict):
        raise SimulationConfigError(f"{path}: the top level must be a table/object")
    return data


def parse_spec(data: dict[str, Any]) -> SimulationSpec:
    """Validate plain data (as read from TOML or JSON) into a :class:`SimulationSpec`."""
    _no_unknown(data, {"simulation", "queues", "agents"}, "")
    sim = data.get("simulation", {})
    _require_table(sim, "simulation")
    _no_unknown(sim, _SIMULATION_KEYS, "simulation.")
    if "duration_hours" in sim and "duration_seconds" in sim:
        raise SimulationConfigError("simulation: give duration_hours or duration_seconds, not both")
    if "duration_seconds" in sim:
        duration = _number(sim, "duration_seconds", "simulation.", minimum=1.0)
    else:
        duration = 3600.0 * _number(sim, "duration_hours", "simulation.", default=8.0, minimum=0.01)
    if "warmup_seconds" in sim:
        warmup = _number(sim, "warmup_seconds", "simulation.", minimum=0.0)
    else:
        warmup = 60.0 * _number(sim, "warmup_minutes", "simulation.", default=0.0, minimum=0.0)
    if warmup >= duration:
        raise SimulationConfigError("simulation.warmup: must be shorter than the duration")
    seed = sim.get("seed", 1)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SimulationConfigError(f"simulation.seed: must be an integer, got {seed!r}")
    answer_delay = _number(sim, "answer_delay_seconds", "simulation.", default=0.0, minimum=0.0)

    queues_data = data.get("queues")
    if not isinstance(queues_data, list) or not queues_data:
        raise SimulationConfigError("queues: need a list of at least one queue ([[queues]])")
    queues = [_queue(q, f"queues[{i}].") for i, q in enumerate(queues_data)]
    ids = [q.config.queue_id for q in queues]
    for i, queue_id in enumerate(ids):
        if queue_id in ids[:i]:
            raise SimulationConfigError(f"queues[{i}].id: duplicate queue id {queue_id!r}")

    agents_data = data.get("agents")
    if not isinstance(agents_data, list) or not agents_data:
        raise SimulationConfigError("agents: need a list of at least one agent group ([[agents]])")
    agents = [_agents(a, f"agents[{i}].", set(ids)) for i, a in enumerate(agents_data)]
    names = [a.name for a in agents]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise SimulationConfigError(f"agents[{i}].name: duplicate group name {name!r}")
    return SimulationSpec(
        queues=tuple(queues),
        agents=tuple(agents),
        duration=duration,
        warmup=warmup,
        seed=seed,
        answer_delay=answer_delay,
    )


def _queue(data: Any, where: str) -> SimQueue:
    _require_table(data, where.rstrip("."))
    _no_unknown(data, _QUEUE_KEYS, where)
    queue_id = _string(data, "id", where)
    kind = _choice(data, "kind", where, [k.value for k in QueueKind], "call")
    strategy = _choice(data, "strategy", where, [s.value for s in Strategy], "longest_idle")
    priority = data.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise SimulationConfigError(f"{where}priority: must be an integer, got {priority!r}")
    arrivals = _number(data, "arrivals_per_hour", where, minimum=0.0)
    handle = data.get("handle_time", {})
    _require_table(handle, f"{where}handle_time")
    _no_unknown(handle, _HANDLE_KEYS, f"{where}handle_time.")
    distribution = _choice(
        handle, "distribution", f"{where}handle_time.", DISTRIBUTIONS, "exponential"
    )
    mean = _number(handle, "mean_seconds", f"{where}handle_time.", default=180.0, positive=True)
    sigma = _number(handle, "sigma", f"{where}handle_time.", default=0.5, minimum=0.0)
    patience = (
        _number(data, "patience_seconds", where, positive=True)
        if "patience_seconds" in data
        else None
    )
    max_wait = (
        _number(data, "max_wait_seconds", where, positive=True)
        if "max_wait_seconds" in data
        else None
    )
    skills = data.get("required_skills", [])
    if not isinstance(skills, list) or not all(isinstance(s, str) and s for s in skills):
        raise SimulationConfigError(f"{where}required_skills: must be a list of skill names")
    steps_data = data.get("skill_steps", [])
    steps: list[SkillStep] = []
    if not isinstance(steps_data, list):
        raise SimulationConfigError(f"{where}skill_steps: must be a list of [seconds, level]")
    last = -1.0
    for j, step in enumerate(steps_data):
        field = f"{where}skill_steps[{j}]"
        if (
            not isinstance(step, list)
            or len(step) != 2
            or not _is_number(step[0])
            or not isinstance(step[1], int)
            or isinstance(step[1], bool)
        ):
            raise SimulationConfigError(f"{field}: must be [seconds, min_proficiency]")
        if not 0 <= step[1] <= 5:
            raise SimulationConfigError(f"{field}: min_proficiency must be within 0..5")
        if float(step[0]) <= last or step[0] < 0:
            raise SimulationConfigError(f"{field}: seconds must be >= 0 and increasing")
        last = float(step[0])
        steps.append(SkillStep(float(step[0]), int(step[1])))
    if (skills or steps) and strategy != "skills":
        raise SimulationConfigError(f"{where}required_skills: only used with strategy = 'skills'")
    config = QueueConfig(
        queue_id=queue_id,
        name=str(data.get("name", queue_id)),
        kind=QueueKind(kind),
        strategy=Strategy(strategy),
        priority=priority,
        max_wait=max_wait,
        offer_timeout=_number(data, "offer_timeout_seconds", where, default=20.0, positive=True),
        wrap_up_seconds=_number(data, "wrap_up_seconds", where, default=0.0, minimum=0.0),
        service_level_seconds=_number(
            data, "service_level_seconds", where, default=20.0, minimum=0.0
        ),
        required_skills=tuple(skills),
        skill_steps=tuple(steps),
        default_handle_time=mean,
    )
    return SimQueue(config, arrivals, HandleTime(distribution, mean, sigma), patience)


def _agents(data: Any, where: str, queue_ids: set[str]) -> SimAgentGroup:
    _require_table(data, where.rstrip("."))
    _no_unknown(data, _AGENT_KEYS, where)
    name = _string(data, "name", where)
    count = data.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise SimulationConfigError(f"{where}count: must be an integer >= 1, got {count!r}")
    queues = data.get("queues")
    if not isinstance(queues, list) or not queues or not all(isinstance(q, str) for q in queues):
        raise SimulationConfigError(f"{where}queues: must be a non-empty list of queue ids")
    for queue_id in queues:
        if queue_id not in queue_ids:
            raise SimulationConfigError(f"{where}queues: unknown queue {queue_id!r}")
    skills = data.get("skills", {})
    _require_table(skills, f"{where}skills")
    for skill, level in skills.items():
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            raise SimulationConfigError(f"{where}skills.{skill}: proficiency must be 1..5")
    capacity = data.get("chat_capacity", 1)
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
        raise SimulationConfigError(f"{where}chat_capacity: must be an integer >= 1")
    return SimAgentGroup(name, count, tuple(queues), dict(skills), capacity)


# -- small validators ------------------------------------------------------------------------


def _require_table(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise SimulationConfigError(f"{where}: must be a table/object")


def _no_unknown(data: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise SimulationConfigError(
                f"{where}{key}: unknown field (expected one of {', '.join(sorted(allowed))})"
            )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(
    data: dict[str, Any],
    key: str,
    where: str,
    *,
    default: float | None = None,
    minimum: float | None = None,
    positive: bool = False,
) -> float:
    if key not in data:
        if default is None:
            raise SimulationConfigError(f"{where}{key}: missing")
        return default
    value = data[key]
    if not _is_number(value):
        raise SimulationConfigError(f"{where}{key}: must be a number, got {value!r}")
    if positive and value <= 0:
        raise SimulationConfigError(f"{where}{key}: must be > 0, got {value!r}")
    if minimum is not None and value < minimum:
        raise SimulationConfigError(f"{where}{key}: must be >= {minimum:g}, got {value!r}")
    return float(value)


def _string(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SimulationConfigError(f"{where}{key}: must be a non-empty string")
    return value


def _choice(data: dict[str, Any], key: str, where: str, choices: Any, default: str) -> str:
    value = data.get(key, default)
    if value not in choices:
        raise SimulationConfigError(
            f"{where}{key}: must be one of {', '.join(choices)}, got {value!r}"
        )
    return str(value)

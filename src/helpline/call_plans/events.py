from __future__ import annotations

from typing import Any

from helpline.storage.eventlog import Event


class CallPlanCreated(Event):
    """``call_plan``: the plan as the API shows it, graph included."""

    type = "call_plan.created"
    call_plan: dict[str, Any]


class CallPlanUpdated(Event):
    type = "call_plan.updated"
    call_plan: dict[str, Any]
    # Among "name", "description", "entry", "nodes".
    changed: list[str]


class CallPlanDeleted(Event):
    type = "call_plan.deleted"
    call_plan_id: int
    name: str


class CallPlanNumbersChanged(Event):
    """The numbers a plan answers, after the change (``added`` / ``removed``: the difference)."""

    type = "call_plan.numbers_changed"
    call_plan_id: int
    name: str
    numbers: list[dict[str, str]]
    added: list[str]
    removed: list[str]

"""The plan rules as pure functions: each message names its node by id and label."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from helpline.call_plans.drawing import DrawNode, draw
from helpline.call_plans.schemas import CallPlanGraph, ScheduleNode
from helpline.call_plans.validation import PlanError, check, check_graph, parse

SUPPORT = 7


def plan(*nodes: dict[str, Any], entry: str | None = None) -> dict[str, Any]:
    return {
        "name": "Main",
        "entry": entry if entry is not None else nodes[0]["id"],
        "nodes": list(nodes),
    }


def graph(*nodes: dict[str, Any], entry: str | None = None) -> CallPlanGraph:
    parsed, errors = parse(plan(*nodes, entry=entry))
    assert errors == []
    assert parsed is not None
    return parsed


def prompt(node_id: str, then: str | None = None, label: str = "") -> dict[str, Any]:
    return {"id": node_id, "type": "prompt", "label": label, "prompt": "welcome", "next": then}


def hangup(node_id: str = "end") -> dict[str, Any]:
    return {"id": node_id, "type": "hangup", "label": "Bye"}


def messages(errors: list[PlanError]) -> list[str]:
    return [error.message for error in errors]


def full_plan() -> CallPlanGraph:
    """One node of every type, all wired: valid."""
    return graph(
        prompt("welcome", "hours", "Welcome"),
        {
            "id": "hours",
            "type": "schedule",
            "label": "Office hours",
            "timezone": "Europe/Rome",
            "open_hours": [{"weekday": 0, "start": "08:00", "end": "20:00"}],
            "holidays": ["2026-12-25"],
            "on_open": "who",
            "on_closed": "vm",
        },
        {
            "id": "who",
            "type": "caller_info",
            "label": "Who calls",
            "rules": [
                {"field": "vip", "operator": "is_true", "next": "menu1"},
                {"field": "language", "operator": "equals", "value": "it", "next": "sales"},
            ],
            "otherwise": "menu1",
        },
        {
            "id": "menu1",
            "type": "menu",
            "label": "Main menu",
            "prompt": "main_menu",
            "choices": {"1": "support", "2": "sales", "9": "menu1"},
            "on_timeout": "support",
            "on_invalid": "menu1",
        },
        {
            "id": "support",
            "type": "queue",
            "label": "Support",
            "queue_id": SUPPORT,
            "timeout_seconds": 600,
            "on_timeout": "vm",
            "on_exit_star": "vm",
            "announce_position": True,
        },
        {"id": "sales", "type": "transfer", "label": "Sales desk", "target": "+39 02 1234 5678"},
        {"id": "vm", "type": "voicemail", "label": "Voicemail", "queue_id": SUPPORT},
        hangup(),
        entry="welcome",
    )


def test_a_plan_with_every_node_type_is_valid() -> None:
    parsed = full_plan()
    assert check(parsed, {SUPPORT}) == [
        PlanError("end", "node 'end' (Bye) cannot be reached from the entry")
    ]
    sales = parsed.node("sales")
    assert sales is not None
    assert sales.model_dump()["target"] == "+390212345678"
    menu = parsed.node("menu1")
    assert menu is not None
    assert [b.name for b in menu.branches()] == [
        "choice 1",
        "choice 2",
        "choice 9",
        "on timeout",
        "on invalid input",
    ]


def test_a_branch_to_a_missing_node_names_both() -> None:
    errors = check_graph(
        graph(
            {
                "id": "menu1",
                "type": "menu",
                "label": "Main menu",
                "prompt": "main_menu",
                "choices": {"1": "end", "3": "q9"},
            },
            hangup(),
        )
    )
    assert errors == [
        PlanError("menu1", "node 'menu1' (Main menu): choice 3 goes to 'q9', which does not exist")
    ]


@pytest.mark.parametrize(
    ("node", "branch"),
    [
        ({"type": "prompt", "prompt": "x", "next": "nowhere"}, "next"),
        ({"type": "queue", "queue_id": SUPPORT, "on_timeout": "nowhere"}, "on timeout"),
        ({"type": "queue", "queue_id": SUPPORT, "on_exit_star": "nowhere"}, "on exit by *"),
        (
            {"type": "menu", "prompt": "x", "choices": {"#": "a"}, "on_invalid": "nowhere"},
            "on invalid input",
        ),
        ({"type": "schedule", "on_open": "nowhere"}, "when open"),
        ({"type": "schedule", "on_closed": "nowhere"}, "when closed"),
        (
            {
                "type": "caller_info",
                "rules": [{"field": "known", "operator": "is_false", "next": "nowhere"}],
            },
            "rule 1",
        ),
        ({"type": "caller_info", "otherwise": "nowhere"}, "otherwise"),
    ],
)
def test_every_kind_of_branch_is_checked(node: dict[str, Any], branch: str) -> None:
    errors = check_graph(graph({"id": "a", "label": "A", **node}))
    assert messages(errors) == [f"node 'a' (A): {branch} goes to 'nowhere', which does not exist"]


def test_the_entry_must_be_a_node() -> None:
    errors = check_graph(graph(hangup(), entry="start"))
    assert errors == [PlanError(None, "the entry 'start' is not a node of the plan: choose one")]


def test_unreachable_nodes_are_errors_naming_them() -> None:
    errors = check_graph(graph(prompt("a", "b"), hangup("b"), prompt("island", label="Island")))
    assert errors == [
        PlanError("island", "node 'island' (Island) cannot be reached from the entry")
    ]


def test_a_loop_that_never_waits_is_refused() -> None:
    errors = check_graph(
        graph(
            prompt("p1", "s1", "Welcome"),
            {"id": "s1", "type": "schedule", "label": "Hours", "on_open": "p1", "on_closed": "p1"},
        )
    )
    assert messages(errors) == [
        "node 'p1' (Welcome): the loop p1 → s1 → p1 never waits for the caller: "
        "put a menu, a queue or a voicemail in it"
    ]
    assert errors[0].node == "p1"


def test_a_node_looping_on_itself_is_refused() -> None:
    errors = check_graph(graph(prompt("again", "again", "Again")))
    assert messages(errors) == [
        "node 'again' (Again): the loop again → again never waits for the caller: "
        "put a menu, a queue or a voicemail in it"
    ]


@pytest.mark.parametrize(
    "waiting",
    [
        {"type": "menu", "prompt": "main", "choices": {"1": "p"}},
        {"type": "queue", "queue_id": SUPPORT, "on_timeout": "p"},
    ],
)
def test_a_loop_through_a_node_that_waits_is_allowed(waiting: dict[str, Any]) -> None:
    # "Press 1 to hear the menu again": menu → prompt → menu.
    assert check_graph(graph({"id": "w", "label": "Wait", **waiting}, prompt("p", "w"))) == []


def test_every_loop_is_reported_once() -> None:
    errors = check_graph(
        graph(
            prompt("a", "b"),
            prompt("b", "a"),
            {"id": "m", "type": "menu", "prompt": "x", "choices": {"1": "c"}},
            prompt("c", "d"),
            prompt("d", "c"),
            entry="m",
        )
    )
    loops = [e.message for e in errors if "loop" in e.message]
    assert loops == [
        "node 'a': the loop a → b → a never waits for the caller: "
        "put a menu, a queue or a voicemail in it",
        "node 'c': the loop c → d → c never waits for the caller: "
        "put a menu, a queue or a voicemail in it",
    ]


def test_ids_must_be_unique() -> None:
    errors = check_graph(graph(prompt("a", "end"), hangup(), hangup()))
    assert messages(errors) == ["2 nodes have the id 'end': each node needs its own id"]


def test_a_menu_needs_a_choice() -> None:
    errors = check_graph(graph({"id": "m", "type": "menu", "label": "Menu", "prompt": "x"}))
    assert messages(errors) == ["node 'm' (Menu): a menu needs at least one choice"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"field": "vip", "operator": "equals", "value": "x"}, "'vip' is yes or no"),
        ({"field": "known", "operator": "is_true", "value": "x"}, "is_true takes no value"),
        ({"field": "tag", "operator": "is_true"}, "'tag' is compared with a value"),
        ({"field": "country_code", "operator": "equals"}, "give the value to compare with"),
        ({"field": "language", "operator": "contains", "value": "  "}, "give the value"),
    ],
)
def test_caller_info_rules_fit_their_field(rule: dict[str, Any], message: str) -> None:
    node = {
        "id": "who",
        "type": "caller_info",
        "label": "Who",
        "rules": [{"field": "vip", "operator": "is_true", "next": "end"}, {**rule, "next": "end"}],
        "otherwise": "end",
    }
    errors = check_graph(graph(node, hangup()))
    assert len(errors) == 1
    assert errors[0].node == "who"
    assert errors[0].message.startswith("node 'who' (Who): rule 2: ")
    assert message in errors[0].message


def test_queues_must_exist() -> None:
    errors = check(full_plan(), call_queue_ids={99})
    assert [e.node for e in errors if "queue" in e.message] == ["support", "vm"]
    assert (
        "node 'support' (Support): there is no call queue with id 7 (was it deleted?): "
        "choose another queue" in messages(errors)
    )


def test_all_problems_are_reported_together() -> None:
    errors = check(
        graph(
            {"id": "m", "type": "menu", "label": "Menu", "prompt": "x", "choices": {"1": "gone"}},
            {"id": "q", "type": "queue", "label": "Q", "queue_id": 5, "on_timeout": "m"},
            prompt("lost", "lost"),
            entry="m",
        ),
        call_queue_ids=set(),
    )
    assert messages(errors) == [
        "node 'm' (Menu): choice 1 goes to 'gone', which does not exist",
        "node 'q' (Q) cannot be reached from the entry",
        "node 'lost' cannot be reached from the entry",
        "node 'lost': the loop lost → lost never waits for the caller: "
        "put a menu, a queue or a voicemail in it",
        "node 'q' (Q): there is no call queue with id 5 (was it deleted?): choose another queue",
    ]


def test_an_empty_plan_is_refused() -> None:
    errors = check_graph(graph(entry="x"))
    assert errors == [PlanError(None, "a call plan needs at least one node")]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (
            {"id": "q", "label": "Q", "type": "queue", "queue_id": 1, "timeout_seconds": 2},
            "node 'q' (Q): timeout_seconds: Input should be greater than or equal to 5",
        ),
        (
            {"id": "q", "type": "queue", "queue_id": 1, "timeout_seconds": 86_401},
            "node 'q': timeout_seconds: Input should be less than or equal to 86400",
        ),
        ({"id": "q", "type": "queue"}, "node 'q': queue_id: Field required"),
        ({"id": "p", "type": "prompt", "prompt": "Hello!"}, "node 'p': prompt: 'Hello!' is not"),
        (
            {"id": "m", "type": "menu", "prompt": "x", "choices": {"A": "m"}},
            "node 'm': choices A",
        ),
        ({"id": "m", "type": "menu", "prompt": "x", "timeout_seconds": 61}, "timeout_seconds"),
        ({"id": "m", "type": "menu", "prompt": "x", "max_retries": 6}, "max_retries"),
        (
            {
                "id": "s",
                "type": "schedule",
                "open_hours": [{"weekday": 0, "start": "08:00", "end": "20:00"}] * 2
                + [{"weekday": 1, "start": "20:00", "end": "08:00"}],
            },
            "node 's': open_hours 3: a range must end after it starts (20:00-08:00)",
        ),
        (
            {
                "id": "s",
                "type": "schedule",
                "open_hours": [{"weekday": 7, "start": "8", "end": "9"}],
            },
            "node 's': open_hours 1 weekday",
        ),
        ({"id": "s", "type": "schedule", "timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
        ({"id": "s", "type": "schedule", "holidays": ["2026-13-01"]}, "node 's': holidays 1"),
        (
            {"id": "c", "type": "caller_info", "rules": [{"field": "age", "operator": "equals"}]},
            "node 'c': rules 1 field",
        ),
        ({"id": "t", "type": "transfer", "target": "0"}, "neither an extension"),
        ({"id": "t", "type": "transfer", "target": "+0123456789"}, "neither an extension"),
        ({"id": "v", "type": "voicemail", "queue_id": 1, "max_seconds": 5}, "max_seconds"),
        ({"id": "h", "type": "hangup", "next": "x"}, "node 'h': next: Extra inputs"),
        ({"id": "x", "type": "teleport"}, "node 'x': Input tag 'teleport'"),
        ({"id": "Bad Id", "type": "hangup"}, "node 'Bad Id': id: 'Bad Id' is not a node id"),
        ({"type": "hangup"}, "node 1: id: Field required"),
    ],
)
def test_field_errors_name_their_node(node: dict[str, Any], expected: str) -> None:
    parsed, errors = parse(plan(node, entry="x"))
    assert parsed is None
    assert any(expected in error.message for error in errors), messages(errors)
    assert all(error.node == node.get("id") for error in errors)


def test_field_errors_of_the_plan_itself_name_no_node() -> None:
    parsed, errors = parse({"name": " ", "entry": "a", "nodes": "nope"})
    assert parsed is None
    assert {error.node for error in errors} == {None}
    assert any("name: a call plan needs a name" in m for m in messages(errors))
    assert any(m.startswith("nodes: ") for m in messages(errors))


def test_a_schedule_knows_when_it_is_open() -> None:
    node = ScheduleNode(
        id="s",
        timezone="Europe/Rome",
        open_hours=[{"weekday": 0, "start": "08:00", "end": "20:00"}],  # type: ignore[list-item]
        holidays=["2026-12-28"],  # type: ignore[list-item]
    )
    # Monday 2026-11-23, 07:30 UTC is 08:30 in Rome; 19:30 UTC is 20:30.
    assert node.is_open(datetime(2026, 11, 23, 7, 30, tzinfo=UTC), "UTC")
    assert not node.is_open(datetime(2026, 11, 23, 19, 30, tzinfo=UTC), "UTC")
    assert not node.is_open(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "UTC")  # Tuesday
    assert not node.is_open(datetime(2026, 12, 28, 9, 0, tzinfo=UTC), "UTC")  # a holiday
    # Without its own zone, the organization's applies.
    local = ScheduleNode(id="s", open_hours=node.open_hours)
    assert not local.is_open(datetime(2026, 11, 23, 7, 30, tzinfo=UTC), "UTC")
    assert local.is_open(datetime(2026, 11, 23, 7, 30, tzinfo=UTC), "Europe/Rome")


def test_the_drawing_puts_nodes_in_columns_by_distance_from_the_entry() -> None:
    drawing = draw(
        [
            DrawNode("welcome", "prompt", "Welcome", [("next", "menu")]),
            DrawNode("menu", "menu", "Menu", [("1", "q"), ("2", "gone"), ("timeout", "q")]),
            DrawNode("q", "queue", "Support", [("*", "menu")]),
            DrawNode("island", "hangup", "Island"),
        ],
        "welcome",
    )
    boxes = {box.id: box for box in drawing.boxes}
    assert boxes["welcome"].entry
    assert boxes["welcome"].x < boxes["menu"].x < boxes["q"].x
    assert boxes["q"].x == boxes["gone"].x
    assert boxes["q"].y < boxes["gone"].y
    assert boxes["gone"].missing
    assert boxes["island"].unreachable
    assert boxes["island"].x > boxes["q"].x
    arrows = {(a.source, a.target): a.label for a in drawing.arrows}
    assert arrows == {
        ("welcome", "menu"): "next",
        ("menu", "q"): "1, timeout",
        ("menu", "gone"): "2",
        ("q", "menu"): "*",
    }
    assert drawing.width > boxes["island"].x
    assert drawing.height > boxes["gone"].y

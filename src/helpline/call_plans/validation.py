"""The rules a call plan must follow before it is saved, as pure functions.

Every function returns *all* the problems it finds, each naming its node by id and label,
so that the editor can show every message beside its node at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from helpline.call_plans.schemas import (
    YES_NO_FIELDS,
    CallerInfoNode,
    CallPlanGraph,
    CallPlanIn,
    MenuNode,
    Node,
    QueueNode,
    VoicemailNode,
)


@dataclass(frozen=True)
class PlanError:
    """A problem of a plan; ``node`` is the id of the node it is about, if any."""

    node: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"node": self.node, "message": self.message}


def describe(node_id: str, label: str | None) -> str:
    """How messages name a node: ``node 'menu1' (Main menu)``."""
    return f"node {node_id!r} ({label})" if label else f"node {node_id!r}"


def _ref(node: Node) -> str:
    return describe(node.id, node.label)


def check_graph(graph: CallPlanGraph) -> list[PlanError]:
    """Every rule that needs only the plan itself."""
    if not graph.nodes:
        return [PlanError(None, "a call plan needs at least one node")]
    errors: list[PlanError] = []
    errors += _duplicate_ids(graph)
    ids = {node.id for node in graph.nodes}
    entry_exists = graph.entry in ids
    if not entry_exists:
        errors.append(
            PlanError(None, f"the entry {graph.entry!r} is not a node of the plan: choose one")
        )
    for node in graph.nodes:
        errors += _dangling_branches(node, ids)
        errors += _node_rules(node)
    if entry_exists:
        errors += _unreachable(graph)
    errors += _loops_without_wait(graph)
    return errors


def check_queues(graph: CallPlanGraph, call_queue_ids: Collection[int]) -> list[PlanError]:
    """Queue and voicemail nodes must name call queues that exist."""
    errors = []
    for node in graph.nodes:
        if isinstance(node, QueueNode | VoicemailNode) and node.queue_id not in call_queue_ids:
            errors.append(
                PlanError(
                    node.id,
                    f"{_ref(node)}: there is no call queue with id {node.queue_id} "
                    "(was it deleted?): choose another queue",
                )
            )
    return errors


def check(graph: CallPlanGraph, call_queue_ids: Collection[int]) -> list[PlanError]:
    return check_graph(graph) + check_queues(graph, call_queue_ids)


def _duplicate_ids(graph: CallPlanGraph) -> list[PlanError]:
    seen: dict[str, int] = {}
    for node in graph.nodes:
        seen[node.id] = seen.get(node.id, 0) + 1
    return [
        PlanError(node_id, f"{count} nodes have the id {node_id!r}: each node needs its own id")
        for node_id, count in seen.items()
        if count > 1
    ]


def _dangling_branches(node: Node, ids: Collection[str]) -> list[PlanError]:
    return [
        PlanError(
            node.id,
            f"{_ref(node)}: {branch.name} goes to {branch.target!r}, which does not exist",
        )
        for branch in node.branches()
        if branch.target is not None and branch.target not in ids
    ]


def _node_rules(node: Node) -> list[PlanError]:
    errors = []
    if isinstance(node, MenuNode) and not node.choices:
        errors.append(PlanError(node.id, f"{_ref(node)}: a menu needs at least one choice"))
    if isinstance(node, CallerInfoNode):
        for number, rule in enumerate(node.rules, 1):
            where = f"{_ref(node)}: rule {number}"
            if rule.field in YES_NO_FIELDS:
                if rule.operator not in ("is_true", "is_false"):
                    errors.append(
                        PlanError(
                            node.id,
                            f"{where}: {rule.field!r} is yes or no: use is_true or is_false",
                        )
                    )
                elif rule.value:
                    errors.append(PlanError(node.id, f"{where}: {rule.operator} takes no value"))
            elif rule.operator not in ("equals", "contains"):
                errors.append(
                    PlanError(
                        node.id,
                        f"{where}: {rule.field!r} is compared with a value: use equals or contains",
                    )
                )
            elif not rule.value:
                errors.append(PlanError(node.id, f"{where}: give the value to compare with"))
    return errors


def _edges(graph: CallPlanGraph) -> dict[str, list[str]]:
    """Node id → ids of the existing nodes its branches lead to (first node of an id wins)."""
    ids = {node.id for node in graph.nodes}
    edges: dict[str, list[str]] = {}
    for node in graph.nodes:
        if node.id in edges:
            continue
        edges[node.id] = [
            branch.target
            for branch in node.branches()
            if branch.target is not None and branch.target in ids
        ]
    return edges


def depths(entry: str, edges: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Breadth-first distance of every node reachable from ``entry``."""
    found = {entry: 0}
    pending = deque([entry])
    while pending:
        current = pending.popleft()
        for target in edges.get(current, ()):
            if target not in found:
                found[target] = found[current] + 1
                pending.append(target)
    return found


def _unreachable(graph: CallPlanGraph) -> list[PlanError]:
    reached = depths(graph.entry, _edges(graph))
    return [
        PlanError(node.id, f"{_ref(node)} cannot be reached from the entry")
        for node in graph.nodes
        if node.id not in reached
    ]


def _loops_without_wait(graph: CallPlanGraph) -> list[PlanError]:
    """A loop through nodes where the caller never waits would run for ever, at once."""
    by_id: dict[str, Node] = {}
    for node in graph.nodes:
        by_id.setdefault(node.id, node)
    edges = {
        source: [target for target in targets if not by_id[target].waits_for_caller]
        for source, targets in _edges(graph).items()
        if not by_id[source].waits_for_caller
    }
    errors = []
    for component in _cycles(edges):
        start = next(node.id for node in graph.nodes if node.id in component)
        path = _cycle_through(start, edges, component)
        loop = " → ".join([*path, start])
        errors.append(
            PlanError(
                start,
                f"{_ref(by_id[start])}: the loop {loop} never waits for the caller: "
                "put a menu, a queue or a voicemail in it",
            )
        )
    return errors


def _cycles(edges: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Strongly connected components that contain a cycle (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, ())
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    found.append(component)
    return found


def _cycle_through(start: str, edges: Mapping[str, Sequence[str]], within: set[str]) -> list[str]:
    """The shortest path from ``start`` back to itself inside ``within`` (start first)."""
    previous: dict[str, str] = {}
    pending = deque([start])
    while pending:
        current = pending.popleft()
        for target in edges.get(current, ()):
            if target not in within:
                continue
            if target == start:
                path = [current]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return list(reversed(path))
            if target not in previous:
                previous[target] = current
                pending.append(target)
    return [start]


def _field_path(parts: Sequence[Any]) -> str:
    """``("open_hours", 0, "end")`` → ``open_hours 1 end`` (rows count from 1)."""
    return " ".join(str(part + 1) if isinstance(part, int) else str(part) for part in parts)


def _message(error: Mapping[str, Any]) -> str:
    return str(error.get("msg", "invalid")).removeprefix("Value error, ")


def input_errors(data: Any, errors: Iterable[Mapping[str, Any]]) -> list[PlanError]:
    """Pydantic's errors for a plan given as ``data``, each naming its node where it can.

    ``loc`` is as pydantic gives it (``("nodes", 2, "queue", "timeout_seconds")``), or as
    FastAPI does, under ``"body"``.
    """
    nodes = data.get("nodes") if isinstance(data, dict) else None
    result = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc[:1] == ["body"]:
            loc = loc[1:]
        message = _message(error)
        if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
            position = loc[1]
            raw = nodes[position] if isinstance(nodes, list) and position < len(nodes) else None
            node_id = raw.get("id") if isinstance(raw, dict) else None
            label = raw.get("label") if isinstance(raw, dict) else None
            rest = loc[2:]
            # After the position comes the union's tag (the node type): not a field.
            if rest and isinstance(raw, dict) and rest[0] == raw.get("type"):
                rest = rest[1:]
            where = (
                describe(node_id, label if isinstance(label, str) else None)
                if isinstance(node_id, str) and node_id
                else f"node {position + 1}"
            )
            field = f"{_field_path(rest)}: " if rest else ""
            result.append(
                PlanError(
                    node_id if isinstance(node_id, str) else None, f"{where}: {field}{message}"
                )
            )
        else:
            field = f"{_field_path(loc)}: " if loc else ""
            result.append(PlanError(None, f"{field}{message}"))
    return result


def parse(data: Any) -> tuple[CallPlanIn | None, list[PlanError]]:
    """The plan in ``data``, or None with the problems of its fields."""
    try:
        return CallPlanIn.model_validate(data), []
    except ValidationError as error:
        return None, input_errors(data, error.errors())

"""A simple layered drawing of a call plan, for the editor's inline SVG.

Columns are the breadth-first distance from the entry, rows the order in which the search
meets the nodes; nodes the entry cannot reach go in a last column. It works on the plan as
the editor holds it, which may be invalid: branches to missing nodes end at a red box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from helpline.call_plans.validation import depths

BOX_WIDTH = 160
BOX_HEIGHT = 56
COLUMN_GAP = 84
ROW_GAP = 40
MARGIN = 36
# Room above the first row for a node's arrow to itself.
TOP = 40
LOOP_HEIGHT = 30
# Arrows back to the left run below every box, each on its own level this far apart.
BACK_LEVEL = 16
# How far to the right of a column an arrow within that column bulges.
SIDE_BULGE = 44
LABEL_CHARACTERS = 20


@dataclass(frozen=True)
class DrawNode:
    id: str
    type: str
    label: str
    # (text on the arrow, id of the target node)
    branches: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Box:
    id: str
    type: str
    label: str
    x: int
    y: int
    entry: bool = False
    missing: bool = False
    unreachable: bool = False

    @property
    def short_label(self) -> str:
        text = self.label or self.id
        if len(text) <= LABEL_CHARACTERS:
            return text
        return text[: LABEL_CHARACTERS - 1] + "…"


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    label: str
    path: str
    label_x: int
    label_y: int
    back: bool = False


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    box_width: int = BOX_WIDTH
    box_height: int = BOX_HEIGHT


def draw(nodes: Sequence[DrawNode], entry: str | None) -> Drawing:
    by_id: dict[str, DrawNode] = {}
    for node in nodes:
        by_id.setdefault(node.id, node)
    edges = {node.id: [target for _text, target in node.branches] for node in by_id.values()}
    reached = depths(entry, edges) if entry in by_id else {}

    # Node id (found or missing) → column, in the order rows are given out.
    column = dict(reached)
    # What the entry misses goes further right, each part laid out the same way from the
    # first node of it in the plan.
    last = max(column.values(), default=-1) + 1
    for node in by_id.values():
        if node.id in column:
            continue
        rest = {
            source: [t for t in targets if t not in column] for source, targets in edges.items()
        }
        for node_id, depth in depths(node.id, rest).items():
            column.setdefault(node_id, last + depth)
    order = list(column)
    rows: dict[int, int] = {}
    boxes: dict[str, Box] = {}
    for node_id in order:
        col = column[node_id]
        row = rows.get(col, 0)
        rows[col] = row + 1
        x = MARGIN + col * (BOX_WIDTH + COLUMN_GAP)
        y = TOP + row * (BOX_HEIGHT + ROW_GAP)
        if node_id in by_id:
            node = by_id[node_id]
            boxes[node_id] = Box(
                node_id,
                node.type,
                node.label,
                x,
                y,
                entry=node_id == entry,
                unreachable=node_id not in reached,
            )
        else:
            boxes[node_id] = Box(node_id, "missing", "", x, y, missing=True)

    bottom = max((box.y for box in boxes.values()), default=0) + BOX_HEIGHT
    arrows = _arrows(by_id, boxes, bottom)
    backs = sum(1 for arrow in arrows if arrow.back)
    width = max((box.x for box in boxes.values()), default=0) + BOX_WIDTH + MARGIN + SIDE_BULGE
    height = bottom + MARGIN + (backs + 1) * BACK_LEVEL
    return Drawing(width, height, list(boxes.values()), arrows)


def _arrows(by_id: Mapping[str, DrawNode], boxes: Mapping[str, Box], bottom: int) -> list[Arrow]:
    merged: dict[tuple[str, str], list[str]] = {}
    for node in by_id.values():
        for text, target in node.branches:
            texts = merged.setdefault((node.id, target), [])
            if text not in texts:
                texts.append(text)
    arrows = []
    level = 0
    for (source, target), texts in merged.items():
        a, b = boxes[source], boxes[target]
        label = ", ".join(texts)
        if source == target:
            # A loop on itself: out of the top and back in, above the box.
            x, y = a.x + BOX_WIDTH - 56, a.y
            path = f"M{x},{y} C{x},{y - LOOP_HEIGHT} {x + 40},{y - LOOP_HEIGHT} {x + 40},{y}"
            arrows.append(Arrow(source, target, label, path, x + 20, y - LOOP_HEIGHT + 4))
        elif b.x > a.x:
            sx, sy = a.x + BOX_WIDTH, a.y + BOX_HEIGHT // 2
            tx, ty = b.x, b.y + BOX_HEIGHT // 2
            bend = (tx - sx) // 2
            path = f"M{sx},{sy} C{sx + bend},{sy} {tx - bend},{ty} {tx},{ty}"
            arrows.append(Arrow(source, target, label, path, (sx + tx) // 2, (sy + ty) // 2 - 4))
        elif b.x == a.x:
            # Within a column: out of the right side, bulging right, into the right side.
            x = a.x + BOX_WIDTH
            sy, ty = a.y + BOX_HEIGHT // 2 + 8, b.y + BOX_HEIGHT // 2 - 8
            path = f"M{x},{sy} C{x + SIDE_BULGE},{sy} {x + SIDE_BULGE},{ty} {x},{ty}"
            middle = (sy + ty) // 2
            arrows.append(Arrow(source, target, label, path, x + SIDE_BULGE * 3 // 4, middle))
        else:
            # Back to the left: out of the right side, down the gap beside the column,
            # along below every box, up the gap before the target's column and in from the
            # left, so that the line crosses no other box.
            level += 1
            low = bottom + level * BACK_LEVEL
            shift = 10 + (level % 4) * 6
            sx, sy = a.x + BOX_WIDTH, a.y + BOX_HEIGHT // 2 + 10
            tx, ty = b.x, b.y + BOX_HEIGHT // 2 + 10
            path = (
                f"M{sx},{sy} L{sx + shift},{sy} L{sx + shift},{low} "
                f"L{tx - shift},{low} L{tx - shift},{ty} L{tx},{ty}"
            )
            arrows.append(Arrow(source, target, label, path, (sx + tx) // 2, low - 3, back=True))
    return arrows

"""Admin pages: the list of call plans and the editor that draws the graph.

The editor works on the plan as the form holds it, which may be invalid: every node is a
dict of the values typed, so that a refused save shows the admin exactly what they sent,
with the messages beside the nodes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.call_plans import service, validation
from helpline.call_plans.drawing import Drawing, DrawNode, draw
from helpline.call_plans.schemas import (
    DIGITS,
    NODE_TYPES,
    CallPlanIn,
    CallPlanNumberIn,
    CallPlanUpdate,
)
from helpline.call_plans.service import PlanInvalid
from helpline.call_plans.validation import PlanError
from helpline.core.permissions import Action, Permission, is_allowed
from helpline.errors import DomainError
from helpline.http.deps import (
    CsrfProtected,
    MatrixDep,
    NowDep,
    SessionDep,
    SettingsDep,
    require,
    user_roles,
)
from helpline.http.templates import not_found_page, render
from helpline.i18n import gettext as _
from helpline.queues import service as queues_service
from helpline.queues.schemas import QueueKind
from helpline.users.models import User

router = APIRouter(prefix="/admin/call-plans", include_in_schema=False)

Viewer = Annotated[User, Depends(require(Action.VIEW_QUEUE_SETTINGS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]

LIST_URL = "/admin/call-plans"
# Empty rows the editor offers for one more opening range, rule or number.
SPARE_ROWS = 2
_NODE_KEY = re.compile(r"^n(\d+)\.id$")
# Node types whose forms have rows of several fields: their cards take two columns.
WIDE_TYPES = ("menu", "schedule", "caller_info")


def type_labels() -> dict[str, str]:
    return {
        "queue": _("Queue"),
        "prompt": _("Play prompt"),
        "menu": _("Menu"),
        "schedule": _("Schedule"),
        "caller_info": _("Caller info"),
        "transfer": _("Transfer"),
        "voicemail": _("Voicemail"),
        "hangup": _("Hang up"),
    }


def weekday_labels() -> list[str]:
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]


def caller_field_labels() -> dict[str, str]:
    return {
        "vip": _("VIP"),
        "tag": _("Tag"),
        "language": _("Language"),
        "country_code": _("Country code"),
        "known": _("Known contact"),
    }


def operator_labels() -> dict[str, str]:
    return {
        "equals": _("equals"),
        "contains": _("contains"),
        "is_true": _("is yes"),
        "is_false": _("is no"),
    }


def can_manage(request: Request, matrix: dict[Permission, bool]) -> bool:
    # The request's plain copy of the user: after a rollback the ORM object cannot load.
    return is_allowed(user_roles(request.state.user), Action.MANAGE_QUEUE_SETTINGS, matrix)


# --- The form: field names are "n<k>.<field>" and "n<k>.<type>.<field>" ----------------


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(value: str) -> str | None:
    return value or None


def form_to_plan(form: Mapping[str, Any]) -> dict[str, Any]:
    """The plan in the editor's form, as a dict for ``CallPlanIn`` (not validated).

    Branch selects name nodes by the id they had when the page was drawn; a node renamed
    in the same form keeps its branches, because each card also sends that id.
    """
    keys = sorted(int(match.group(1)) for name in form if (match := _NODE_KEY.match(name)))
    renamed: dict[str, str] = {}
    for k in keys:
        original = _text(form, f"n{k}.original_id")
        if original and original not in renamed:
            renamed[original] = _text(form, f"n{k}.id")

    def target(name: str) -> str | None:
        value = _text(form, name)
        return renamed.get(value, value) or None

    nodes = []
    for k in keys:
        prefix = f"n{k}."
        node_type = _text(form, prefix + "type")
        node: dict[str, Any] = {
            "id": _text(form, prefix + "id"),
            "label": _text(form, prefix + "label"),
            "type": node_type,
        }
        p = f"{prefix}{node_type}."
        if node_type == "queue":
            node |= {
                "queue_id": _text(form, p + "queue_id"),
                "timeout_seconds": _optional(_text(form, p + "timeout_seconds")),
                "on_timeout": target(p + "on_timeout"),
                "on_exit_star": target(p + "on_exit_star"),
                "announce_position": bool(form.get(p + "announce_position")),
            }
            if not node["queue_id"]:
                del node["queue_id"]
        elif node_type == "prompt":
            node |= {"prompt": _text(form, p + "prompt"), "next": target(p + "next")}
        elif node_type == "menu":
            choices = {
                digit: choice
                for digit in DIGITS
                if (choice := target(f"{p}choice.{digit}")) is not None
            }
            node |= {
                "prompt": _text(form, p + "prompt"),
                "choices": choices,
                "on_timeout": target(p + "on_timeout"),
                "on_invalid": target(p + "on_invalid"),
            }
            for name in ("timeout_seconds", "max_retries"):
                if value := _text(form, p + name):
                    node[name] = value
        elif node_type == "schedule":
            node |= {
                "timezone": _optional(_text(form, p + "timezone")),
                "open_hours": _rows(
                    form, p + "hours", ("weekday", "start", "end"), required=("start", "end")
                ),
                "holidays": [
                    day for day in re.split(r"[\s,;]+", _text(form, p + "holidays")) if day
                ],
                "on_open": target(p + "on_open"),
                "on_closed": target(p + "on_closed"),
            }
        elif node_type == "caller_info":
            rules: list[dict[str, Any]] = []
            for rule in _rows(
                form, p + "rule", ("field", "operator", "value", "next"), required=("field",)
            ):
                next_id = renamed.get(rule["next"], rule["next"])
                rules.append(rule | {"next": next_id} | {"value": rule["value"] or None})
            node |= {"rules": rules, "otherwise": target(p + "otherwise")}
        elif node_type == "transfer":
            node["target"] = _text(form, p + "target")
        elif node_type == "voicemail":
            node |= {
                "queue_id": _text(form, p + "queue_id"),
                "prompt": _optional(_text(form, p + "prompt")),
            }
            if not node["queue_id"]:
                del node["queue_id"]
            if value := _text(form, p + "max_seconds"):
                node["max_seconds"] = value
        nodes.append(node)
    entry = _text(form, "entry")
    return {
        "name": _text(form, "name"),
        "description": _text(form, "description"),
        "entry": renamed.get(entry, entry),
        "nodes": nodes,
    }


def _rows(
    form: Mapping[str, Any], prefix: str, names: Sequence[str], *, required: Sequence[str]
) -> list[dict[str, str]]:
    """Rows ``<prefix>.<r>.<name>``; a row whose ``required`` fields are all empty is skipped."""
    indexes = sorted(
        {
            int(match.group(1))
            for name in form
            if (match := re.match(re.escape(prefix) + r"\.(\d+)\.", name))
        }
    )
    rows = []
    for r in indexes:
        row = {name: _text(form, f"{prefix}.{r}.{name}") for name in names}
        if any(row[name] for name in required):
            rows.append(row)
    return rows


def _new_node(nodes: Sequence[Mapping[str, Any]], node_type: str) -> dict[str, Any]:
    taken = {node.get("id") for node in nodes}
    number = 1
    while f"{node_type.replace('_', '-')}{number}" in taken:
        number += 1
    node: dict[str, Any] = {
        "id": f"{node_type.replace('_', '-')}{number}",
        "label": type_labels().get(node_type, ""),
        "type": node_type,
    }
    if node_type == "menu":
        node["choices"] = {}
    return node


# --- Drawing ---------------------------------------------------------------------------


def branch_texts() -> dict[str, str]:
    return {
        "timeout": _("timeout"),
        "exit_star": "*",
        "invalid": _("invalid"),
        "next": _("next"),
        "open": _("open"),
        "closed": _("closed"),
        "otherwise": _("otherwise"),
    }


def _node_branches(node: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(arrow text, target id) of a node as the form holds it."""
    texts = branch_texts()
    fields = {
        "queue": ("on_timeout", "on_exit_star"),
        "prompt": ("next",),
        "menu": ("on_timeout", "on_invalid"),
        "schedule": ("on_open", "on_closed"),
        "caller_info": ("otherwise",),
    }.get(str(node.get("type")), ())
    found: list[tuple[str, str]] = []
    choices = node.get("choices")
    if isinstance(choices, dict):
        found += [(str(digit), str(t)) for digit, t in choices.items() if isinstance(t, str) and t]
    rules = node.get("rules")
    if isinstance(rules, list):
        for number, rule in enumerate(rules, 1):
            if isinstance(rule, dict) and isinstance(rule.get("next"), str) and rule["next"]:
                found.append((_("rule %(number)s") % {"number": number}, rule["next"]))
    for name in fields:
        value = node.get(name)
        if isinstance(value, str) and value:
            kind = name.removeprefix("on_")
            found.append((texts.get(kind, kind), value))
    return found


def drawing(plan: Mapping[str, Any]) -> Drawing:
    nodes = [
        DrawNode(
            id=str(node.get("id") or ""),
            type=str(node.get("type") or ""),
            label=str(node.get("label") or ""),
            branches=_node_branches(node),
        )
        for node in plan.get("nodes", [])
        if isinstance(node, dict)
    ]
    return draw(nodes, str(plan.get("entry") or "") or None)


# --- Rendering -------------------------------------------------------------------------


async def plan_errors(session: AsyncSession, data: Mapping[str, Any]) -> list[PlanError]:
    """Every problem of the plan the form holds: its fields first, then the graph's rules."""
    parsed, errors = validation.parse(data)
    if parsed is None:
        return errors
    return await service.problems(session=session, graph=parsed)


def _node_options(nodes: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    options = []
    for node in nodes:
        node_id = str(node.get("id") or "")
        if node_id:
            label = str(node.get("label") or "")
            options.append((node_id, f"{node_id} · {label}" if label else node_id))
    return options


def _number_rows(numbers: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    return [*numbers, *({"number": "", "label": ""} for _ in range(SPARE_ROWS))]


async def _editor(
    request: Request,
    session: AsyncSession,
    matrix: dict[Permission, bool],
    timezone: str,
    *,
    plan_id: int | None,
    version: int | None,
    data: Mapping[str, Any],
    errors: Sequence[PlanError] = (),
    messages: Sequence[str] = (),
    numbers: Sequence[Mapping[str, str]] | None = None,
    numbers_errors: Sequence[str] = (),
    flash: str | None = None,
    status_code: int = 200,
) -> Response:
    queues = await queues_service.list_queues(session=session, kind=QueueKind.CALL)
    if numbers is None:
        numbers = (
            [
                {"number": row.number, "label": row.label}
                for row in await service.numbers(session=session, plan_id=plan_id)
            ]
            if plan_id is not None
            else []
        )
    ids = {node.get("id") for node in data.get("nodes", [])}
    by_node: dict[str, list[str]] = {}
    general = list(messages)
    for error in errors:
        if error.node is not None and error.node in ids:
            by_node.setdefault(error.node, []).append(error.message)
        else:
            general.append(error.message)
    return render(
        request,
        "call_plans/editor.html",
        {
            "plan_id": plan_id,
            "version": version,
            "plan": data,
            "nodes": list(data.get("nodes", [])),
            "errors": [error.message for error in errors] + list(messages),
            "general_errors": general,
            "node_errors": by_node,
            "error_nodes": set(by_node),
            "drawing": drawing(data),
            "type_labels": type_labels(),
            "node_types": NODE_TYPES,
            "wide_types": WIDE_TYPES,
            "weekdays": weekday_labels(),
            "caller_fields": caller_field_labels(),
            "operators": operator_labels(),
            "digits": DIGITS,
            "branch_texts": branch_texts(),
            "node_options": _node_options(data.get("nodes", [])),
            "option_ids": {node_id for node_id, _text in _node_options(data.get("nodes", []))},
            "queues": [(queue.id, queue.name) for queue in queues],
            "organization_timezone": timezone,
            "spare_rows": SPARE_ROWS,
            "number_rows": _number_rows(numbers),
            "numbers_errors": list(numbers_errors),
            "can_manage": can_manage(request, matrix),
            "flash": flash,
            "active_section": "admin",
        },
        status_code=status_code,
        matrix=matrix,
    )


def _not_found(request: Request, matrix: dict[Permission, bool]) -> Response:
    return not_found_page(request, matrix, _("There is no such call plan."))


def _starter() -> dict[str, Any]:
    return {
        "name": "",
        "description": "",
        "entry": "welcome",
        "nodes": [
            {
                "id": "welcome",
                "label": _("Welcome"),
                "type": "prompt",
                "prompt": "welcome",
                "next": "end",
            },
            {"id": "end", "label": _("Hang up"), "type": "hangup"},
        ],
    }


def _stored(plan: Any) -> dict[str, Any]:
    graph = service.graph_of(plan)
    return {
        "name": plan.name,
        "description": plan.description,
        **graph.model_dump(mode="json"),
    }


def _edit_operation(data: dict[str, Any], op: str, form: Mapping[str, Any]) -> bool:
    """Apply "add" / "delete:<k>" to the form's plan; False for any other operation."""
    nodes: list[dict[str, Any]] = data["nodes"]
    if op == "add":
        node_type = _text(form, "add_type")
        if node_type in NODE_TYPES:
            nodes.append(_new_node(nodes, node_type))
        return True
    if op.startswith("delete:"):
        keys = sorted(int(match.group(1)) for name in form if (match := _NODE_KEY.match(name)))
        try:
            position = keys.index(int(op.removeprefix("delete:")))
        except ValueError:
            return True
        # Branches to the deleted node stay: the editor then says where they dangle.
        del nodes[position]
        return True
    return False


# --- Routes ----------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def call_plans_page(
    request: Request, session: SessionDep, _user: Viewer, matrix: MatrixDep, done: str | None = None
) -> Response:
    plans = await service.describe_all(session=session)
    messages = {"deleted": _("The call plan was deleted.")}
    return render(
        request,
        "call_plans/list.html",
        {
            "plans": plans,
            "can_manage": can_manage(request, matrix),
            "done": messages.get(done or ""),
            "active_section": "admin",
        },
        matrix=matrix,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_call_plan_page(
    request: Request, session: SessionDep, _user: Manager, matrix: MatrixDep, settings: SettingsDep
) -> Response:
    return await _editor(
        request, session, matrix, settings.timezone, plan_id=None, version=None, data=_starter()
    )


@router.post("/preview", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def preview_call_plan(
    request: Request, session: SessionDep, _user: Manager, matrix: MatrixDep
) -> Response:
    """The drawing and the problems of the plan in the form (htmx), saving nothing."""
    data = form_to_plan(await request.form())
    errors = await plan_errors(session, data)
    return render(
        request,
        "call_plans/graph.html",
        {
            "drawing": drawing(data),
            "type_labels": type_labels(),
            "errors": [error.message for error in errors],
            "error_nodes": {error.node for error in errors},
        },
        matrix=matrix,
    )


@router.post("", dependencies=[CsrfProtected])
async def create_call_plan_submit(
    request: Request,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    form = await request.form()
    data = form_to_plan(form)
    op = _text(form, "op") or "save"
    tz = settings.timezone
    if _edit_operation(data, op, form) or op == "preview":
        errors = await plan_errors(session, data)
        return await _editor(
            request, session, matrix, tz, plan_id=None, version=None, data=data, errors=errors
        )
    try:
        plan_in = CallPlanIn.model_validate(data)
        plan = await service.create(session=session, plan_in=plan_in, now=now, actor_id=manager.id)
    except ValidationError as error:
        errors = validation.input_errors(data, error.errors())
        return await _editor(
            request,
            session,
            matrix,
            tz,
            plan_id=None,
            version=None,
            data=data,
            errors=errors,
            status_code=422,
        )
    except PlanInvalid as error:
        await session.rollback()
        return await _editor(
            request,
            session,
            matrix,
            tz,
            plan_id=None,
            version=None,
            data=data,
            errors=error.errors,
            status_code=422,
        )
    except DomainError as error:
        await session.rollback()
        return await _editor(
            request,
            session,
            matrix,
            tz,
            plan_id=None,
            version=None,
            data=data,
            messages=[error.message],
            status_code=422,
        )
    return RedirectResponse(f"{LIST_URL}/{plan.id}?done=created", status_code=303)


@router.get("/{plan_id}", response_class=HTMLResponse)
async def call_plan_page(
    request: Request,
    plan_id: int,
    session: SessionDep,
    _user: Viewer,
    matrix: MatrixDep,
    settings: SettingsDep,
    done: str | None = None,
) -> Response:
    try:
        plan = await service.get(session=session, plan_id=plan_id)
    except DomainError:
        return _not_found(request, matrix)
    data = _stored(plan)
    # A plan saved valid can break later (a queue deleted): say so beside the node.
    errors = await plan_errors(session, data)
    flashes = {
        "created": _("The call plan was created."),
        "saved": _("The call plan was saved."),
        "numbers": _("The numbers were saved."),
    }
    return await _editor(
        request,
        session,
        matrix,
        settings.timezone,
        plan_id=plan.id,
        version=plan.version,
        data=data,
        errors=errors,
        flash=flashes.get(done or ""),
    )


@router.post("/{plan_id}", dependencies=[CsrfProtected])
async def update_call_plan_submit(
    request: Request,
    plan_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    try:
        await service.get(session=session, plan_id=plan_id)
    except DomainError:
        return _not_found(request, matrix)
    form = await request.form()
    data = form_to_plan(form)
    op = _text(form, "op") or "save"
    version_text = _text(form, "version")
    version = int(version_text) if version_text.isdigit() else None
    tz = settings.timezone

    async def again(
        *, errors: Sequence[PlanError] = (), messages: Sequence[str] = (), code: int = 422
    ) -> Response:
        return await _editor(
            request,
            session,
            matrix,
            tz,
            plan_id=plan_id,
            version=version,
            data=data,
            errors=errors,
            messages=messages,
            status_code=code,
        )

    if _edit_operation(data, op, form) or op == "preview":
        return await again(errors=await plan_errors(session, data), code=200)
    try:
        plan_in = CallPlanUpdate.model_validate({**data, "version": version})
        await service.update(
            session=session, plan_id=plan_id, plan_in=plan_in, now=now, actor_id=manager.id
        )
    except ValidationError as error:
        return await again(errors=validation.input_errors(data, error.errors()))
    except PlanInvalid as error:
        await session.rollback()
        return await again(errors=error.errors)
    except DomainError as error:
        await session.rollback()
        return await again(messages=[error.message], code=409)
    return RedirectResponse(f"{LIST_URL}/{plan_id}?done=saved", status_code=303)


@router.post("/{plan_id}/numbers", dependencies=[CsrfProtected])
async def call_plan_numbers_submit(
    request: Request,
    plan_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    try:
        plan = await service.get(session=session, plan_id=plan_id)
    except DomainError:
        return _not_found(request, matrix)
    data, version = _stored(plan), plan.version
    form = await request.form()
    rows = _rows(form, "number", ("number", "label"), required=("number",))
    try:
        numbers_in = [CallPlanNumberIn.model_validate(row) for row in rows]
        await service.set_numbers(
            session=session, plan_id=plan_id, numbers_in=numbers_in, now=now, actor_id=manager.id
        )
    except (ValidationError, DomainError) as error:
        await session.rollback()
        if isinstance(error, ValidationError):
            messages = [str(e["msg"]).removeprefix("Value error, ") for e in error.errors()]
        else:
            messages = [error.message]
        return await _editor(
            request,
            session,
            matrix,
            settings.timezone,
            plan_id=plan_id,
            version=version,
            data=data,
            errors=await plan_errors(session, data),
            numbers=rows,
            numbers_errors=messages,
            status_code=409 if isinstance(error, DomainError) else 422,
        )
    return RedirectResponse(f"{LIST_URL}/{plan_id}?done=numbers", status_code=303)


@router.get("/{plan_id}/delete", response_class=HTMLResponse)
async def delete_call_plan_page(
    request: Request, plan_id: int, session: SessionDep, _manager: Manager, matrix: MatrixDep
) -> Response:
    try:
        plan = await service.get(session=session, plan_id=plan_id)
    except DomainError:
        return _not_found(request, matrix)
    numbers = await service.numbers(session=session, plan_id=plan_id)
    return render(
        request,
        "call_plans/delete.html",
        {"plan": plan, "numbers": numbers, "errors": [], "active_section": "admin"},
        matrix=matrix,
    )


@router.post("/{plan_id}/delete", dependencies=[CsrfProtected])
async def delete_call_plan_submit(
    request: Request,
    plan_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    try:
        plan = await service.get(session=session, plan_id=plan_id)
    except DomainError:
        return _not_found(request, matrix)
    try:
        await service.delete(session=session, plan_id=plan_id, now=now, actor_id=manager.id)
    except DomainError as error:
        numbers = await service.numbers(session=session, plan_id=plan_id)
        return render(
            request,
            "call_plans/delete.html",
            {
                "plan": plan,
                "numbers": numbers,
                "errors": [error.message],
                "active_section": "admin",
            },
            status_code=409,
            matrix=matrix,
        )
    return RedirectResponse(f"{LIST_URL}?done=deleted", status_code=status.HTTP_303_SEE_OTHER)

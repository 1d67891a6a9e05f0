"""Admin pages: call queues, chat queues, campaigns, their teams, and queue priorities."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from helpline.core.acd.model import Strategy
from helpline.core.permissions import Action, Permission, Role, is_allowed
from helpline.errors import DomainError
from helpline.http.deps import CsrfProtected, MatrixDep, NowDep, SessionDep, require, user_roles
from helpline.http.templates import render
from helpline.i18n import gettext as _
from helpline.queues import service
from helpline.queues.schemas import (
    CHAT_STRATEGIES,
    WEEKDAYS,
    Assignments,
    CallQueueCreate,
    CallQueueSettings,
    CallQueueType,
    CampaignCreate,
    CampaignSettings,
    ChatChannel,
    ChatQueueCreate,
    ChatQueueSettings,
    NumberType,
    QueueKind,
)
from helpline.users import service as user_service
from helpline.users.models import User
from helpline.users.pages import error_messages

router = APIRouter(prefix="/admin", include_in_schema=False)

Viewer = Annotated[User, Depends(require(Action.VIEW_QUEUE_SETTINGS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]

PATHS = {
    QueueKind.CALL: "call-queues",
    QueueKind.CHAT: "chat-queues",
    QueueKind.CAMPAIGN: "campaigns",
}
CREATE: dict[QueueKind, Any] = {
    QueueKind.CALL: CallQueueCreate,
    QueueKind.CHAT: ChatQueueCreate,
    QueueKind.CAMPAIGN: CampaignCreate,
}
SETTINGS: dict[QueueKind, Any] = {
    QueueKind.CALL: CallQueueSettings,
    QueueKind.CHAT: ChatQueueSettings,
    QueueKind.CAMPAIGN: CampaignSettings,
}


@dataclass
class Field:
    """One input of a settings form."""

    name: str
    label: str
    kind: str  # text | number | checkbox | select | multi
    options: list[tuple[str, str]] = field(default_factory=list)
    help: str = ""
    optional: bool = False


def strategy_labels() -> dict[str, str]:
    return {
        Strategy.LONGEST_IDLE.value: _("Longest idle"),
        Strategy.ROUND_ROBIN.value: _("Round robin"),
        Strategy.RING_ALL.value: _("Ring all"),
        Strategy.FEWEST_TODAY.value: _("Fewest contacts today"),
        Strategy.SKILLS.value: _("Skills-based"),
    }


def titles() -> dict[QueueKind, tuple[str, str, str]]:
    """(plural title, add button, singular) per kind."""
    return {
        QueueKind.CALL: (_("Call queues"), _("+ Add call queue"), _("Call queue")),
        QueueKind.CHAT: (_("Chat queues"), _("+ Add chat queue"), _("Chat queue")),
        QueueKind.CAMPAIGN: (_("Campaigns"), _("+ Add campaign"), _("Campaign")),
    }


def fields(kind: QueueKind) -> list[Field]:
    strategies = strategy_labels()
    if kind is QueueKind.CALL:
        return [
            Field("name", _("Name"), "text"),
            Field("extension", _("Extension"), "text"),
            Field(
                "queue_type",
                _("Type"),
                "select",
                [
                    (CallQueueType.STANDARD.value, _("Standard")),
                    (CallQueueType.INTELLIGENT.value, _("Intelligent routing")),
                ],
            ),
            Field("strategy", _("Distribution"), "select", list(strategies.items())),
            Field("max_wait_seconds", _("Maximum wait (seconds)"), "number"),
            Field(
                "timeout_target",
                _("On timeout, go to"),
                "text",
                help=_("An extension or a call-plan node; empty: the call plan's next node."),
                optional=True,
            ),
            Field("service_level_seconds", _("Service level threshold (seconds)"), "number"),
            Field("wrap_up_seconds", _("Wrap-up (seconds)"), "number"),
            Field("agents_can_end_wrap_up", _("Agents may end wrap-up early"), "checkbox"),
            Field("offer_timeout_seconds", _("Offer timeout (seconds)"), "number"),
            Field(
                "auto_pause_after_missed",
                _("Pause an agent after this many missed offers"),
                "number",
                help=_("Empty: never."),
                optional=True,
            ),
            Field("callback_enabled", _("Offer callbacks"), "checkbox"),
            Field(
                "callback_threshold_seconds",
                _("Offer a callback when the average wait exceeds (seconds)"),
                "number",
            ),
            Field(
                "callback_caller_id",
                _("Caller ID shown on callbacks"),
                "text",
                help=_("E.164, e.g. +390612345678"),
                optional=True,
            ),
            Field("record_calls", _("Record calls"), "checkbox"),
        ]
    if kind is QueueKind.CHAT:
        return [
            Field("name", _("Name"), "text"),
            Field(
                "strategy",
                _("Distribution"),
                "select",
                [(s.value, strategies[s.value]) for s in CHAT_STRATEGIES],
            ),
            Field("max_concurrent_chats", _("Maximum concurrent chats per agent"), "number"),
            Field("offer_timeout_seconds", _("Offer timeout (seconds)"), "number"),
            Field(
                "reassign_after_seconds",
                _("Reassign when the agent has not replied for (seconds)"),
                "number",
                help=_("Empty: never."),
                optional=True,
            ),
            Field(
                "channels",
                _("Channels"),
                "multi",
                [(c.value, c.value.capitalize()) for c in ChatChannel],
            ),
        ]
    return [
        Field("name", _("Name"), "text"),
        Field(
            "outbound_caller_id",
            _("Outbound caller ID"),
            "text",
            help=_("E.164, e.g. +390612345678"),
            optional=True,
        ),
        Field(
            "answer_timeout_seconds",
            _("Seconds an agent has to answer before another agent is tried"),
            "number",
        ),
        Field(
            "allowed_number_types",
            _("Numbers that may be called"),
            "multi",
            [(t.value, t.value.capitalize()) for t in NumberType],
        ),
        Field("record_calls", _("Record calls"), "checkbox"),
        Field("schedule", _("Schedule"), "schedule"),
    ]


def _form_values(kind: QueueKind, form: Any) -> dict[str, Any]:
    """Form fields → the settings schema's input (empty optional numbers mean none)."""
    values: dict[str, Any] = {}
    for spec in fields(kind):
        if spec.kind == "checkbox":
            values[spec.name] = form.get(spec.name) == "on"
        elif spec.kind == "multi":
            values[spec.name] = form.getlist(spec.name)
        elif spec.kind == "schedule":
            schedule: dict[str, list[list[str]]] = {}
            for day in WEEKDAYS:
                start, end = form.get(f"{day}_start", ""), form.get(f"{day}_end", "")
                if start or end:
                    schedule[day] = [[str(start), str(end)]]
            values["schedule"] = schedule
        else:
            raw = str(form.get(spec.name, "")).strip()
            if raw == "":
                if spec.optional:
                    values[spec.name] = None
                continue
            values[spec.name] = raw
    return values


def _can_manage(roles: frozenset[Role], matrix: dict[Permission, bool]) -> bool:
    return is_allowed(roles, Action.MANAGE_QUEUE_SETTINGS, matrix)


def list_route(kind: QueueKind) -> Any:
    async def page(
        request: Request, session: SessionDep, user: Viewer, matrix: MatrixDep
    ) -> Response:
        supervised = (
            user.id
            if kind is QueueKind.CALL and service.restricted_to_assigned(user_roles(user), matrix)
            else None
        )
        queues = await service.list_queues(
            session=session, kind=kind, only_supervised_by=supervised
        )
        teams = {
            q.id: await service.team(session=session, kind=kind, queue_id=q.id) for q in queues
        }
        suggested = (
            await service.next_free_extension(session=session) if kind is QueueKind.CALL else ""
        )
        return render(
            request,
            "queues/list.html",
            {
                "kind": kind.value,
                "path": PATHS[kind],
                "title": titles()[kind],
                "queues": queues,
                "teams": teams,
                "strategies": strategy_labels(),
                "suggested_extension": suggested,
                "can_manage": _can_manage(user_roles(user), matrix),
                "errors": [],
                "active_section": "admin",
            },
            matrix=matrix,
        )

    return page


def create_route(kind: QueueKind) -> Any:
    async def submit(
        request: Request, session: SessionDep, user: Manager, now: NowDep, matrix: MatrixDep
    ) -> Response:
        form = await request.form()
        data: dict[str, Any] = {"name": str(form.get("name", ""))}
        if kind is QueueKind.CALL:
            data["extension"] = str(form.get("extension", "")).strip() or None
            data["queue_type"] = str(form.get("queue_type", "standard"))
        try:
            queue = await service.create(
                session=session,
                kind=kind,
                queue_in=CREATE[kind].model_validate(data),
                now=now,
                actor_id=user.id,
            )
        except (ValidationError, DomainError) as error:
            await session.rollback()
            queues = await service.list_queues(session=session, kind=kind)
            return render(
                request,
                "queues/list.html",
                {
                    "kind": kind.value,
                    "path": PATHS[kind],
                    "title": titles()[kind],
                    "queues": queues,
                    "teams": {
                        q.id: await service.team(session=session, kind=kind, queue_id=q.id)
                        for q in queues
                    },
                    "strategies": strategy_labels(),
                    "suggested_extension": data.get("extension") or "",
                    "can_manage": True,
                    "errors": error_messages(error),
                    "active_section": "admin",
                },
                status_code=422,
                matrix=matrix,
            )
        return RedirectResponse(
            f"/admin/{PATHS[kind]}/{queue.id}?created=1", status_code=status.HTTP_303_SEE_OTHER
        )

    return submit


async def _detail(
    request: Request,
    session: Any,
    kind: QueueKind,
    queue_id: int,
    user_id: int,
    roles: frozenset[Role],
    matrix: dict[Permission, bool],
    *,
    errors: list[str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    try:
        queue = await service.get(session=session, kind=kind, queue_id=queue_id)
    except DomainError:
        return render(
            request,
            "error.html",
            {"title": _("Not found"), "message": _("There is no such queue.")},
            status_code=404,
            matrix=matrix,
        )
    # The caller passes the user's id and roles, not the ORM object: after a rollback that
    # object can no longer load anything.
    supervised = kind is QueueKind.CALL and service.restricted_to_assigned(roles, matrix)
    team = await service.team(session=session, kind=kind, queue_id=queue_id)
    if supervised and user_id not in {s.id for s in team.supervisors}:
        return render(
            request,
            "error.html",
            {
                "title": _("Not allowed"),
                "message": _("You may see only the call queues assigned to you."),
            },
            status_code=403,
            matrix=matrix,
        )
    agents = await user_service.list_users(session=session, role=Role.AGENT, include_inactive=False)
    supervisors = [
        u
        for u in await user_service.list_users(session=session, include_inactive=False)
        if {"supervisor", "admin"} & set(u.role_names)
    ]
    return render(
        request,
        "queues/detail.html",
        {
            "kind": kind.value,
            "path": PATHS[kind],
            "title": titles()[kind],
            "queue": queue,
            "fields": fields(kind),
            "weekdays": WEEKDAYS,
            "team_agent_ids": {u.id for u in team.agents},
            "team_supervisor_ids": {u.id for u in team.supervisors},
            "agents": agents,
            "supervisors": supervisors,
            "can_manage": _can_manage(roles, matrix),
            "errors": errors or [],
            "saved": saved
            or request.query_params.get("created") == "1"
            or request.query_params.get("saved") == "1",
            "active_section": "admin",
        },
        status_code=status_code,
        matrix=matrix,
    )


def detail_route(kind: QueueKind) -> Any:
    async def page(
        request: Request, queue_id: int, session: SessionDep, user: Viewer, matrix: MatrixDep
    ) -> Response:
        return await _detail(request, session, kind, queue_id, user.id, user_roles(user), matrix)

    return page


def settings_route(kind: QueueKind) -> Any:
    async def submit(
        request: Request,
        queue_id: int,
        session: SessionDep,
        user: Manager,
        now: NowDep,
        matrix: MatrixDep,
    ) -> Response:
        form = await request.form()
        user_id, roles = user.id, user_roles(user)
        try:
            settings = SETTINGS[kind].model_validate(_form_values(kind, form))
            await service.update(
                session=session,
                kind=kind,
                queue_id=queue_id,
                settings=settings,
                now=now,
                actor_id=user.id,
            )
        except (ValidationError, DomainError) as error:
            await session.rollback()
            return await _detail(
                request,
                session,
                kind,
                queue_id,
                user_id,
                roles,
                matrix,
                errors=error_messages(error),
                status_code=422,
            )
        return RedirectResponse(
            f"/admin/{PATHS[kind]}/{queue_id}?saved=1", status_code=status.HTTP_303_SEE_OTHER
        )

    return submit


def team_route(kind: QueueKind) -> Any:
    async def submit(
        request: Request,
        queue_id: int,
        session: SessionDep,
        user: Manager,
        now: NowDep,
        matrix: MatrixDep,
    ) -> Response:
        form = await request.form()
        user_id, roles = user.id, user_roles(user)
        try:
            assignments = Assignments(
                agents=[int(str(v)) for v in form.getlist("agents")],
                supervisors=[int(str(v)) for v in form.getlist("supervisors")],
            )
            await service.set_team(
                session=session,
                kind=kind,
                queue_id=queue_id,
                assignments=assignments,
                now=now,
                actor_id=user.id,
            )
        except (ValueError, DomainError) as error:
            await session.rollback()
            messages = (
                error_messages(error)
                if isinstance(error, (ValidationError, DomainError))
                else [str(error)]
            )
            return await _detail(
                request,
                session,
                kind,
                queue_id,
                user_id,
                roles,
                matrix,
                errors=messages,
                status_code=422,
            )
        return RedirectResponse(
            f"/admin/{PATHS[kind]}/{queue_id}?saved=1", status_code=status.HTTP_303_SEE_OTHER
        )

    return submit


def delete_route(kind: QueueKind) -> Any:
    async def submit(queue_id: int, session: SessionDep, user: Manager, now: NowDep) -> Response:
        # Already gone is fine: the list shows the truth.
        with contextlib.suppress(DomainError):
            await service.delete(
                session=session, kind=kind, queue_id=queue_id, now=now, actor_id=user.id
            )
        return RedirectResponse(f"/admin/{PATHS[kind]}", status_code=status.HTTP_303_SEE_OTHER)

    return submit


for _kind in QueueKind:
    _path = PATHS[_kind]
    router.add_api_route(
        f"/{_path}", list_route(_kind), methods=["GET"], response_class=HTMLResponse
    )
    router.add_api_route(
        f"/{_path}", create_route(_kind), methods=["POST"], dependencies=[CsrfProtected]
    )
    router.add_api_route(
        f"/{_path}/{{queue_id}}", detail_route(_kind), methods=["GET"], response_class=HTMLResponse
    )
    router.add_api_route(
        f"/{_path}/{{queue_id}}",
        settings_route(_kind),
        methods=["POST"],
        dependencies=[CsrfProtected],
    )
    router.add_api_route(
        f"/{_path}/{{queue_id}}/team",
        team_route(_kind),
        methods=["POST"],
        dependencies=[CsrfProtected],
    )
    router.add_api_route(
        f"/{_path}/{{queue_id}}/delete",
        delete_route(_kind),
        methods=["POST"],
        dependencies=[CsrfProtected],
    )


@router.get("/priorities", response_class=HTMLResponse)
async def priorities_page(
    request: Request,
    session: SessionDep,
    user: Viewer,
    matrix: MatrixDep,
    search: str | None = None,
    kind: QueueKind | None = None,
) -> Response:
    rows = await service.priorities(session=session, search=search, kind=kind)
    return render(
        request,
        "queues/priorities.html",
        {
            "rows": rows,
            "search": search or "",
            "kind": kind.value if kind else "",
            "kind_titles": {k.value: titles()[k][2] for k in QueueKind},
            "can_manage": _can_manage(user_roles(user), matrix),
            "active_section": "admin",
        },
        matrix=matrix,
    )


@router.post("/priorities", dependencies=[CsrfProtected])
async def priorities_submit(
    request: Request, session: SessionDep, user: Manager, now: NowDep
) -> Response:
    form = await request.form()
    try:
        kind = QueueKind(str(form.get("kind")))
        queue_id = int(str(form.get("id")))
        queue = await service.get(session=session, kind=kind, queue_id=queue_id)
        step = str(form.get("step", ""))
        score = queue.priority_score + (1 if step == "up" else -1 if step == "down" else 0)
        if step not in ("up", "down"):
            score = int(str(form.get("priority_score", "")))
        settings = SETTINGS[kind].model_validate({"priority_score": max(0, min(100, score))})
        await service.update(
            session=session,
            kind=kind,
            queue_id=queue_id,
            settings=settings,
            now=now,
            actor_id=user.id,
        )
    except (ValueError, DomainError):
        await session.rollback()
        return RedirectResponse("/admin/priorities?error=1", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse("/admin/priorities", status_code=status.HTTP_303_SEE_OTHER)

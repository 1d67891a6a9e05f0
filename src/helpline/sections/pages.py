from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from helpline.core.permissions import Action, is_allowed
from helpline.http.deps import MatrixDep, SessionDep, require, user_roles
from helpline.http.templates import render
from helpline.queues import service as queue_service
from helpline.storage.eventlog import read_events
from helpline.users.models import User

router = APIRouter(include_in_schema=False)


@router.get("/agent", response_class=HTMLResponse)
async def agent_section(
    request: Request,
    session: SessionDep,
    user: Annotated[User, Depends(require(Action.USE_AGENT_DASHBOARD))],
    matrix: MatrixDep,
) -> Response:
    assigned = await queue_service.assigned_to(session=session, user_id=user.id, role="agent")
    return render(
        request,
        "sections/agent.html",
        {"assigned": assigned, "active_section": "agent"},
        matrix=matrix,
    )


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor_section(
    request: Request,
    session: SessionDep,
    user: Annotated[User, Depends(require(Action.USE_SUPERVISOR_DASHBOARD))],
    matrix: MatrixDep,
) -> Response:
    assigned = await queue_service.assigned_to(session=session, user_id=user.id, role="supervisor")
    return render(
        request,
        "sections/supervisor.html",
        {"assigned": assigned, "active_section": "supervisor"},
        matrix=matrix,
    )


@router.get("/admin", response_class=HTMLResponse)
async def admin_section(
    request: Request,
    user: Annotated[User, Depends(require(Action.ACCESS_CONFIG_PORTAL))],
    matrix: MatrixDep,
) -> Response:
    roles = user_roles(user)
    return render(
        request,
        "sections/admin.html",
        {
            "can_manage_users": is_allowed(roles, Action.MANAGE_USERS, matrix),
            "can_manage_permissions": is_allowed(roles, Action.MANAGE_PERMISSIONS, matrix),
            "can_view_events": is_allowed(roles, Action.VIEW_EVENT_LOG, matrix),
            "can_view_queues": is_allowed(roles, Action.VIEW_QUEUE_SETTINGS, matrix),
            "active_section": "admin",
        },
        matrix=matrix,
    )


@router.get("/admin/events", response_class=HTMLResponse)
async def event_log_page(
    request: Request,
    session: SessionDep,
    _admin: Annotated[User, Depends(require(Action.VIEW_EVENT_LOG))],
    matrix: MatrixDep,
    after: int = 0,
) -> Response:
    events = await read_events(session, after=max(after, 0), limit=200)
    return render(
        request,
        "sections/events.html",
        {"events": events, "active_section": "admin"},
        matrix=matrix,
    )


@router.get("/analytics", response_class=HTMLResponse)
async def analytics_section(
    request: Request,
    _user: Annotated[User, Depends(require(Action.VIEW_ANALYTICS))],
    matrix: MatrixDep,
) -> Response:
    return render(
        request, "sections/analytics.html", {"active_section": "analytics"}, matrix=matrix
    )

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from helpline.core.permissions import DEFAULT_MATRIX, Action, Permission
from helpline.http.deps import CsrfProtected, MatrixDep, NowDep, SessionDep, require
from helpline.http.templates import render
from helpline.i18n import gettext as _
from helpline.permissions import service
from helpline.users.models import User

router = APIRouter(prefix="/admin/permissions", include_in_schema=False)

Admin = Annotated[User, Depends(require(Action.MANAGE_PERMISSIONS))]


def permission_groups() -> list[tuple[str, list[tuple[Permission, str]]]]:
    return [
        (
            _("Organization"),
            [
                (
                    Permission.ALLOW_UNASSIGNED_QUEUE_LOGIN,
                    _("Allow users to log into queues they are not assigned to"),
                )
            ],
        ),
        (
            _("Supervisor"),
            [
                (Permission.SUPERVISOR_ACCESS_CONFIG_PORTAL, _("Access the configuration portal")),
                (
                    Permission.SUPERVISOR_RESTRICT_TO_ASSIGNED_CALL_QUEUES,
                    _("Restrict access to assigned call queues"),
                ),
                (Permission.SUPERVISOR_VIEW_QUEUE_SETTINGS, _("View queue settings")),
                (Permission.SUPERVISOR_MANAGE_QUEUE_SETTINGS, _("Manage queue settings")),
                (Permission.SUPERVISOR_VIEW_PAUSE_REASONS, _("View pause reasons")),
                (Permission.SUPERVISOR_MANAGE_PAUSE_REASONS, _("Manage pause reasons")),
                (
                    Permission.SUPERVISOR_VIEW_SKILLS,
                    _("View skills and their assignment to agents"),
                ),
                (
                    Permission.SUPERVISOR_MANAGE_SKILLS,
                    _("Manage skills and their assignment to agents"),
                ),
            ],
        ),
        (
            _("Agent"),
            [
                (Permission.AGENT_MANAGE_PRERECORDED_MESSAGES, _("Manage prerecorded messages")),
                (
                    Permission.AGENT_MANAGE_PUBLIC_CANNED_MESSAGES,
                    _("Manage public canned messages"),
                ),
                (Permission.AGENT_CREATE_CUSTOM_TAGS, _("Create custom tags")),
            ],
        ),
    ]


@router.get("", response_class=HTMLResponse)
async def permissions_page(
    request: Request, _admin: Admin, matrix: MatrixDep, saved: bool = False
) -> Response:
    return render(
        request,
        "permissions/matrix.html",
        {
            "groups": permission_groups(),
            "current": matrix,
            "defaults": DEFAULT_MATRIX,
            "saved": saved,
            "active_section": "admin",
        },
        matrix=matrix,
    )


@router.post("", dependencies=[CsrfProtected])
async def permissions_submit(
    request: Request, session: SessionDep, admin: Admin, now: NowDep
) -> Response:
    form = await request.form()
    # A checkbox that is not sent is off: every switch is set from the form.
    changes = {permission: form.get(permission.value) == "on" for permission in Permission}
    await service.update(session=session, changes=changes, now=now, actor_id=admin.id)
    return RedirectResponse("/admin/permissions?saved=1", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/reset", dependencies=[CsrfProtected])
async def permissions_reset(session: SessionDep, admin: Admin, now: NowDep) -> Response:
    await service.reset_to_defaults(session=session, now=now, actor_id=admin.id)
    return RedirectResponse("/admin/permissions?saved=1", status_code=status.HTTP_303_SEE_OTHER)

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from helpline.config import Settings
from helpline.core.permissions import Action, Permission, Role, is_allowed
from helpline.errors import DomainError
from helpline.help import service
from helpline.help.api import base_url, smtp_relay
from helpline.help.schemas import ShareGuide
from helpline.http.deps import (
    CsrfProtected,
    CurrentUser,
    MatrixDep,
    SettingsDep,
    require,
    user_roles,
)
from helpline.http.templates import render
from helpline.i18n import current_language, ngettext
from helpline.i18n import gettext as _
from helpline.users.models import User

router = APIRouter(prefix="/help", include_in_schema=False)


def _missing(request: Request, matrix: dict[Permission, bool], error: DomainError) -> Response:
    return render(
        request,
        "error.html",
        {"title": _("Not found"), "message": error.message},
        status_code=404,
        matrix=matrix,
    )


def _index(
    request: Request,
    user: User,
    matrix: dict[Permission, bool],
    settings: Settings,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        guides = service.list_guides(language=current_language())
    except DomainError as missing:
        return _missing(request, matrix, missing)
    base = base_url(request, settings)
    return render(
        request,
        "help/index.html",
        {
            "guides": [(g, service.guide_url(base, g.role)) for g in guides],
            "can_share": is_allowed(user_roles(user), Action.SHARE_HELP, matrix),
            "message": message,
            "error": error,
            "active_section": "help",
        },
        status_code=status_code,
        matrix=matrix,
    )


@router.get("", response_class=HTMLResponse)
async def help_index(
    request: Request, user: CurrentUser, matrix: MatrixDep, settings: SettingsDep
) -> Response:
    return _index(request, user, matrix, settings)


@router.get("/{role}", response_class=HTMLResponse)
async def help_guide(
    request: Request, role: Role, _user: CurrentUser, matrix: MatrixDep
) -> Response:
    try:
        guide = service.guide(role=role, language=current_language())
    except DomainError as missing:
        return _missing(request, matrix, missing)
    return render(
        request, "help/guide.html", {"guide": guide, "active_section": "help"}, matrix=matrix
    )


@router.post("/share", dependencies=[CsrfProtected])
async def help_share(
    request: Request,
    admin: Annotated[User, Depends(require(Action.SHARE_HELP))],
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    form = await request.form()
    recipients = [
        part.strip()
        for part in str(form.get("recipients", "")).replace(";", ",").replace("\n", ",").split(",")
        if part.strip()
    ]
    try:
        share = ShareGuide.model_validate({"role": form.get("role"), "recipients": recipients})
        await service.share_by_email(
            relay=smtp_relay(settings),
            role=share.role,
            recipients=share.recipients,
            base_url=base_url(request, settings),
            sender_name=admin.display_name,
        )
    except ValidationError:
        return _index(
            request,
            admin,
            matrix,
            settings,
            error=_("Give a guide and one or more valid email addresses, separated by commas."),
            status_code=422,
        )
    except DomainError as error:
        return _index(request, admin, matrix, settings, error=error.message, status_code=422)
    return _index(
        request,
        admin,
        matrix,
        settings,
        message=ngettext(
            "The link was sent to %(count)s person.",
            "The link was sent to %(count)s people.",
            len(share.recipients),
        )
        % {"count": len(share.recipients)},
    )

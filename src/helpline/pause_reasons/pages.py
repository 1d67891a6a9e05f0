from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.permissions import Action, Permission, is_allowed
from helpline.errors import DomainError
from helpline.http.deps import CsrfProtected, MatrixDep, NowDep, SessionDep, require, user_roles
from helpline.http.forms import (
    change_or_relist,
    enabled_choice,
    error_messages,
    redirect_done,
)
from helpline.http.templates import not_found_page, render
from helpline.i18n import gettext as _
from helpline.pause_reasons import service
from helpline.pause_reasons.schemas import PauseReasonCreate, PauseReasonUpdate
from helpline.users.models import User

router = APIRouter(prefix="/admin/pause-reasons", include_in_schema=False)

Viewer = Annotated[User, Depends(require(Action.VIEW_PAUSE_REASONS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_PAUSE_REASONS))]

LIST_URL = "/admin/pause-reasons"


def can_manage(request: Request, matrix: dict[Permission, bool]) -> bool:
    # The request's plain copy of the user: after a rollback the ORM object cannot load.
    return is_allowed(user_roles(request.state.user), Action.MANAGE_PAUSE_REASONS, matrix)


def _done(flash: str) -> Response:
    return redirect_done(LIST_URL, flash)


async def _list_page(
    request: Request,
    session: AsyncSession,
    matrix: dict[Permission, bool],
    *,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    edit: int | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    reasons = await service.list_reasons(session=session)
    messages = {
        "created": _("The pause reason was added."),
        "renamed": _("The pause reason was renamed."),
        "enabled": _("The pause reason is enabled."),
        "disabled": _("The pause reason is disabled."),
        "moved": _("The order was saved."),
        "deleted": _("The pause reason was deleted."),
    }
    return render(
        request,
        "pause_reasons/list.html",
        {
            "reasons": reasons,
            "status_menu": any(reason.enabled for reason in reasons),
            "can_manage": can_manage(request, matrix),
            "errors": errors or [],
            "values": values or {"name": ""},
            "edit": edit,
            "done": messages.get(done or ""),
            "active_section": "admin",
        },
        status_code=status_code,
        matrix=matrix,
    )


def _not_found(request: Request, matrix: dict[Permission, bool]) -> Response:
    return not_found_page(request, matrix, _("There is no such pause reason."))


@router.get("", response_class=HTMLResponse)
async def pause_reasons_page(
    request: Request,
    session: SessionDep,
    _user: Viewer,
    matrix: MatrixDep,
    edit: int | None = None,
    done: str | None = None,
) -> Response:
    return await _list_page(request, session, matrix, edit=edit, done=done)


@router.post("", dependencies=[CsrfProtected])
async def create_pause_reason_submit(
    request: Request, session: SessionDep, manager: Manager, now: NowDep, matrix: MatrixDep
) -> Response:
    form = await request.form()
    name = str(form.get("name", ""))
    try:
        reason_in = PauseReasonCreate.model_validate({"name": name})
        await service.create(session=session, reason_in=reason_in, now=now, actor_id=manager.id)
    except (ValidationError, DomainError) as error:
        await session.rollback()
        return await _list_page(
            request,
            session,
            matrix,
            errors=error_messages(error),
            values={"name": name},
            status_code=422,
        )
    return _done("created")


async def _change(
    request: Request,
    session: AsyncSession,
    manager: User,
    matrix: dict[Permission, bool],
    now: datetime,
    reason_id: int,
    data: dict[str, Any],
    flash: str,
) -> Response:
    async def relist(errors: list[str]) -> Response:
        edit = reason_id if "name" in data else None
        return await _list_page(request, session, matrix, errors=errors, edit=edit, status_code=422)

    async def update() -> None:
        await service.update(
            session=session,
            reason_id=reason_id,
            reason_in=PauseReasonUpdate.model_validate(data),
            now=now,
            actor_id=manager.id,
        )

    return await change_or_relist(
        session=session,
        exists=lambda: service.get(session=session, reason_id=reason_id),
        change=update,
        not_found=lambda: _not_found(request, matrix),
        relist=relist,
        done=lambda: _done(flash),
    )


@router.post("/{reason_id}", dependencies=[CsrfProtected])
async def rename_pause_reason_submit(
    request: Request,
    reason_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    form = await request.form()
    data = {"name": str(form.get("name", ""))}
    return await _change(request, session, manager, matrix, now, reason_id, data, "renamed")


@router.post("/{reason_id}/enabled", dependencies=[CsrfProtected])
async def enable_pause_reason_submit(
    request: Request,
    reason_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    enabled = enabled_choice(await request.form())
    flash = "enabled" if enabled is True else "disabled"
    return await _change(
        request, session, manager, matrix, now, reason_id, {"enabled": enabled}, flash
    )


@router.post("/{reason_id}/move", dependencies=[CsrfProtected])
async def move_pause_reason_submit(
    request: Request,
    reason_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    form = await request.form()
    offset = {"up": -1, "down": 1}.get(str(form.get("direction", "")))
    if offset is None:
        return await _list_page(
            request,
            session,
            matrix,
            errors=[_("Choose to move the reason up or down.")],
            status_code=422,
        )
    try:
        await service.move(
            session=session, reason_id=reason_id, offset=offset, now=now, actor_id=manager.id
        )
    except DomainError:
        return _not_found(request, matrix)
    return _done("moved")


@router.get("/{reason_id}/delete", response_class=HTMLResponse)
async def delete_pause_reason_page(
    request: Request, reason_id: int, session: SessionDep, _manager: Manager, matrix: MatrixDep
) -> Response:
    try:
        reason = await service.get(session=session, reason_id=reason_id)
    except DomainError:
        return _not_found(request, matrix)
    return render(
        request,
        "pause_reasons/delete.html",
        {"reason": reason, "active_section": "admin"},
        matrix=matrix,
    )


@router.post("/{reason_id}/delete", dependencies=[CsrfProtected])
async def delete_pause_reason_submit(
    request: Request,
    reason_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    try:
        await service.delete(session=session, reason_id=reason_id, now=now, actor_id=manager.id)
    except DomainError:
        return _not_found(request, matrix)
    return _done("deleted")

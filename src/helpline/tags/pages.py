"""Admin → Tags: the list (with a search), add, rename, enable or disable, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.permissions import Action, Permission
from helpline.errors import DomainError
from helpline.http.deps import CsrfProtected, MatrixDep, NowDep, SessionDep, require
from helpline.http.forms import (
    change_or_relist,
    enabled_choice,
    error_messages,
    redirect_done,
)
from helpline.http.templates import not_found_page, render
from helpline.i18n import gettext as _
from helpline.tags import service
from helpline.tags.schemas import MAX_NAME_LENGTH, MAX_SEARCH_LENGTH, TagCreate, TagUpdate
from helpline.users import service as user_service
from helpline.users.models import User

router = APIRouter(prefix="/admin/tags", include_in_schema=False)

Manager = Annotated[User, Depends(require(Action.MANAGE_TAGS))]
Matrix = dict[Permission, bool]

LIST_URL = "/admin/tags"


def _flash(done: str | None) -> str | None:
    messages = {
        "created": _("The tag was added."),
        "renamed": _("The tag was renamed."),
        "enabled": _("The tag is enabled: agents are offered it."),
        "disabled": _("The tag is disabled: agents are no longer offered it."),
        "deleted": _("The tag was deleted."),
    }
    return messages.get(done or "")


def _done(flash: str) -> Response:
    return redirect_done(LIST_URL, flash)


def _not_found(request: Request, matrix: Matrix) -> Response:
    return not_found_page(request, matrix, _("There is no such tag."))


async def _list_page(
    request: Request,
    session: AsyncSession,
    matrix: Matrix,
    *,
    search: str = "",
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    edit: int | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    search = search[:MAX_SEARCH_LENGTH]
    tags = await service.list_tags(session=session, search=search)
    authors = {
        user.id: user.display_name
        for user in await user_service.list_users(session=session)
        if any(tag.created_by_user_id == user.id for tag in tags)
    }
    return render(
        request,
        "tags/list.html",
        {
            "tags": tags,
            "authors": authors,
            "search": search,
            "max_length": MAX_NAME_LENGTH,
            "errors": errors or [],
            "values": values or {"name": ""},
            "edit": edit,
            "done": _flash(done),
            "active_section": "admin",
        },
        status_code=status_code,
        matrix=matrix,
    )


@router.get("", response_class=HTMLResponse)
async def tags_page(
    request: Request,
    session: SessionDep,
    _manager: Manager,
    matrix: MatrixDep,
    search: str = "",
    edit: int | None = None,
    done: str | None = None,
) -> Response:
    return await _list_page(request, session, matrix, search=search, edit=edit, done=done)


@router.post("", dependencies=[CsrfProtected])
async def create_tag_submit(
    request: Request, session: SessionDep, manager: Manager, now: NowDep, matrix: MatrixDep
) -> Response:
    form = await request.form()
    name = str(form.get("name", ""))
    try:
        tag_in = TagCreate.model_validate({"name": name})
        await service.create(session=session, tag_in=tag_in, now=now, actor_id=manager.id)
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
    matrix: Matrix,
    now: datetime,
    tag_id: int,
    data: dict[str, Any],
    flash: str,
) -> Response:
    async def relist(errors: list[str]) -> Response:
        edit = tag_id if "name" in data else None
        return await _list_page(request, session, matrix, errors=errors, edit=edit, status_code=422)

    async def update() -> None:
        await service.update(
            session=session,
            tag_id=tag_id,
            tag_in=TagUpdate.model_validate(data),
            now=now,
            actor_id=manager.id,
        )

    return await change_or_relist(
        session=session,
        exists=lambda: service.get(session=session, tag_id=tag_id),
        change=update,
        not_found=lambda: _not_found(request, matrix),
        relist=relist,
        done=lambda: _done(flash),
    )


@router.post("/{tag_id}", dependencies=[CsrfProtected])
async def rename_tag_submit(
    request: Request,
    tag_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    form = await request.form()
    data = {"name": str(form.get("name", ""))}
    return await _change(request, session, manager, matrix, now, tag_id, data, "renamed")


@router.post("/{tag_id}/enabled", dependencies=[CsrfProtected])
async def enable_tag_submit(
    request: Request,
    tag_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    enabled = enabled_choice(await request.form())
    flash = "enabled" if enabled is True else "disabled"
    return await _change(
        request, session, manager, matrix, now, tag_id, {"enabled": enabled}, flash
    )


@router.get("/{tag_id}/delete", response_class=HTMLResponse)
async def delete_tag_page(
    request: Request, tag_id: int, session: SessionDep, _manager: Manager, matrix: MatrixDep
) -> Response:
    try:
        tag = await service.get(session=session, tag_id=tag_id)
    except DomainError:
        return _not_found(request, matrix)
    return render(
        request, "tags/delete.html", {"tag": tag, "active_section": "admin"}, matrix=matrix
    )


@router.post("/{tag_id}/delete", dependencies=[CsrfProtected])
async def delete_tag_submit(
    request: Request,
    tag_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    try:
        await service.delete(session=session, tag_id=tag_id, now=now, actor_id=manager.id)
    except DomainError:
        return _not_found(request, matrix)
    return _done("deleted")

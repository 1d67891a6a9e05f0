"""Pages of canned messages.

- ``/agent/canned-messages``: an agent's own (personal) messages, and the public ones to
  read; agents who may manage public messages tick "Public" to share one.
- ``/admin/canned-messages``: the public messages, for admins, supervisors and agents with
  "Manage public canned messages". Personal messages never show there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from helpline.canned_messages import service
from helpline.canned_messages.models import CannedMessage
from helpline.canned_messages.schemas import (
    MAX_CATEGORY_LENGTH,
    MAX_QUERY_LENGTH,
    MAX_SHORTCUT_LENGTH,
    MAX_TEXT_LENGTH,
    CannedMessageCreate,
    CannedMessageUpdate,
)
from helpline.core.permissions import Action, Permission, is_allowed
from helpline.errors import DomainError, NotAllowed
from helpline.http.deps import CsrfProtected, MatrixDep, NowDep, SessionDep, require, user_roles
from helpline.http.forms import enabled_choice, error_messages
from helpline.http.templates import not_found_page, render
from helpline.i18n import gettext as _
from helpline.users import service as user_service
from helpline.users.models import User

agent_router = APIRouter(prefix="/agent/canned-messages", include_in_schema=False)
admin_router = APIRouter(prefix="/admin/canned-messages", include_in_schema=False)

Owner = Annotated[User, Depends(require(Action.USE_AGENT_DASHBOARD))]
PublicManager = Annotated[User, Depends(require(Action.MANAGE_PUBLIC_CANNED_MESSAGES))]
Matrix = dict[Permission, bool]
FIELDS = ("shortcut", "category", "text")


@dataclass(frozen=True)
class Area:
    """The agent's own messages (``public`` False) or the public ones."""

    public: bool
    url: str
    section: str

    def holds(self, message: CannedMessage) -> bool:
        return message.is_public is self.public


PERSONAL = Area(public=False, url="/agent/canned-messages", section="agent")
PUBLIC = Area(public=True, url="/admin/canned-messages", section="admin")


def _status(error: ValidationError | DomainError) -> int:
    return 403 if isinstance(error, NotAllowed) else 422


def _rights(request: Request, matrix: Matrix) -> tuple[bool, bool]:
    # The request's plain copy of the user: after a rollback the ORM object cannot load.
    roles = user_roles(request.state.user)
    return (
        is_allowed(roles, Action.MANAGE_PUBLIC_CANNED_MESSAGES, matrix),
        is_allowed(roles, Action.USE_AGENT_DASHBOARD, matrix),
    )


def _flash(done: str | None) -> str | None:
    messages = {
        "created": _("The canned message was added."),
        "saved": _("The canned message was saved."),
        "enabled": _("The canned message is enabled."),
        "disabled": _("The canned message is disabled: it is not offered in chats."),
        "deleted": _("The canned message was deleted."),
        "published": _("The canned message is public now: everybody may use it."),
        "made_private": _(
            "The canned message is private now: it is one of your personal messages."
        ),
    }
    return messages.get(done or "")


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def _not_found(request: Request, matrix: Matrix) -> Response:
    return not_found_page(request, matrix, _("There is no such canned message."))


def _limits() -> dict[str, int]:
    return {
        "shortcut": MAX_SHORTCUT_LENGTH,
        "category": MAX_CATEGORY_LENGTH,
        "text": MAX_TEXT_LENGTH,
        "query": MAX_QUERY_LENGTH,
    }


def _section(request: Request, matrix: Matrix, area: Area) -> str:
    """The top bar's highlighted section (a supervisor without the portal has no Admin)."""
    if area.public and not is_allowed(
        user_roles(request.state.user), Action.ACCESS_CONFIG_PORTAL, matrix
    ):
        return "supervisor"
    return area.section


async def _list_page(
    request: Request,
    session: AsyncSession,
    matrix: Matrix,
    area: Area,
    *,
    search: str = "",
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    may_manage_public, may_keep_personal = _rights(request, matrix)
    search = search[:MAX_QUERY_LENGTH]
    viewer_id = request.state.user.id
    if area.public:
        messages = await service.list_public(session=session, search=search or None)
        shared: list[CannedMessage] = []
    else:
        messages = await service.list_personal(
            session=session, owner_id=viewer_id, search=search or None
        )
        shared = await service.list_public(session=session, enabled=True, search=search or None)
    authors = {}
    if area.public:
        ids = {m.created_by_user_id for m in messages}
        authors = {
            u.id: u.display_name
            for u in await user_service.list_users(session=session)
            if u.id in ids
        }
    categories = await service.categories(session=session, user_id=viewer_id)
    return render(
        request,
        "canned_messages/list.html",
        {
            "area": area,
            "messages": messages,
            "shared": shared,
            "authors": authors,
            "categories": categories,
            "search": search,
            "may_manage_public": may_manage_public,
            "may_keep_personal": may_keep_personal,
            "limits": _limits(),
            "errors": errors or [],
            "values": values or {"shortcut": "", "category": "", "text": "", "public": False},
            "done": _flash(done),
            "active_section": _section(request, matrix, area),
        },
        status_code=status_code,
        matrix=matrix,
    )


async def _edit_page(
    request: Request,
    session: AsyncSession,
    matrix: Matrix,
    area: Area,
    message: CannedMessage,
    *,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    may_manage_public, may_keep_personal = _rights(request, matrix)
    current = {
        "shortcut": message.shortcut,
        "category": message.category,
        "text": message.text,
        "public": message.is_public,
    }
    return render(
        request,
        "canned_messages/edit.html",
        {
            "area": area,
            "message": message,
            "values": values or current,
            "categories": await service.categories(session=session, user_id=request.state.user.id),
            "may_manage_public": may_manage_public,
            "may_keep_personal": may_keep_personal,
            "limits": _limits(),
            "errors": errors or [],
            "active_section": _section(request, matrix, area),
        },
        status_code=status_code,
        matrix=matrix,
    )


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {key: str(form.get(key, "")) for key in FIELDS}
    values["public"] = form.get("public") == "on"
    return values


async def _message_in_area(
    session: AsyncSession, area: Area, message_id: int, actor_id: int, may_manage_public: bool
) -> CannedMessage | None:
    """The message if this area shows it and the viewer may change it; None otherwise."""
    try:
        message = await service.get_for(
            session=session,
            message_id=message_id,
            actor_id=actor_id,
            may_manage_public=may_manage_public,
        )
    except DomainError:
        return None
    return message if area.holds(message) else None


async def _create(
    request: Request,
    session: AsyncSession,
    user: User,
    matrix: Matrix,
    now: datetime,
    area: Area,
) -> Response:
    form = await request.form()
    values = _form_values(form)
    may_manage_public, _keep = _rights(request, matrix)
    public = area.public or values["public"]
    try:
        if public and not may_manage_public:
            raise NotAllowed(_("You may not make canned messages public."))
        message_in = CannedMessageCreate.model_validate({k: values[k] for k in FIELDS})
        await service.create(
            session=session, message_in=message_in, public=public, now=now, actor_id=user.id
        )
    except (ValidationError, DomainError) as error:
        await session.rollback()
        return await _list_page(
            request,
            session,
            matrix,
            area,
            errors=error_messages(error),
            values=values,
            status_code=_status(error),
        )
    return _redirect(f"{area.url}?done={'published' if public and not area.public else 'created'}")


async def _save(
    request: Request,
    session: AsyncSession,
    user: User,
    matrix: Matrix,
    now: datetime,
    area: Area,
    message_id: int,
) -> Response:
    may_manage_public, may_keep_personal = _rights(request, matrix)
    message = await _message_in_area(session, area, message_id, user.id, may_manage_public)
    if message is None:
        return _not_found(request, matrix)
    form = await request.form()
    values = _form_values(form)
    data: dict[str, Any] = {k: values[k] for k in FIELDS}
    # The "Public" box is on the form only for those who may move the message.
    if form.get("public_choice") == "1":
        data["public"] = values["public"]
    try:
        message_in = CannedMessageUpdate.model_validate(data)
        await service.update(
            session=session,
            message_id=message_id,
            message_in=message_in,
            now=now,
            actor_id=user.id,
            may_manage_public=may_manage_public,
            may_keep_personal=may_keep_personal,
        )
    except (ValidationError, DomainError) as error:
        await session.rollback()
        message = await service.get(session=session, message_id=message_id)
        return await _edit_page(
            request,
            session,
            matrix,
            area,
            message,
            errors=error_messages(error),
            values=values,
            status_code=_status(error),
        )
    if message_in.public is not None and message_in.public is not area.public:
        # The message left this area: say where it went, from the area it is in now.
        if message_in.public:
            return _redirect(f"{PERSONAL.url}?done=published")
        return _redirect(f"{PERSONAL.url}?done=made_private")
    return _redirect(f"{area.url}?done=saved")


async def _toggle(
    request: Request,
    session: AsyncSession,
    user: User,
    matrix: Matrix,
    now: datetime,
    area: Area,
    message_id: int,
) -> Response:
    may_manage_public, may_keep_personal = _rights(request, matrix)
    if await _message_in_area(session, area, message_id, user.id, may_manage_public) is None:
        return _not_found(request, matrix)
    enabled = enabled_choice(await request.form())
    try:
        message_in = CannedMessageUpdate.model_validate({"enabled": enabled})
        await service.update(
            session=session,
            message_id=message_id,
            message_in=message_in,
            now=now,
            actor_id=user.id,
            may_manage_public=may_manage_public,
            may_keep_personal=may_keep_personal,
        )
    except (ValidationError, DomainError) as error:
        await session.rollback()
        return await _list_page(
            request, session, matrix, area, errors=error_messages(error), status_code=422
        )
    return _redirect(f"{area.url}?done={'enabled' if enabled else 'disabled'}")


async def _delete_page(
    request: Request, session: AsyncSession, user: User, matrix: Matrix, area: Area, message_id: int
) -> Response:
    may_manage_public, _keep = _rights(request, matrix)
    message = await _message_in_area(session, area, message_id, user.id, may_manage_public)
    if message is None:
        return _not_found(request, matrix)
    return render(
        request,
        "canned_messages/delete.html",
        {"area": area, "message": message, "active_section": _section(request, matrix, area)},
        matrix=matrix,
    )


async def _delete(
    request: Request,
    session: AsyncSession,
    user: User,
    matrix: Matrix,
    now: datetime,
    area: Area,
    message_id: int,
) -> Response:
    may_manage_public, _keep = _rights(request, matrix)
    if await _message_in_area(session, area, message_id, user.id, may_manage_public) is None:
        return _not_found(request, matrix)
    await service.delete(
        session=session,
        message_id=message_id,
        now=now,
        actor_id=user.id,
        may_manage_public=may_manage_public,
    )
    return _redirect(f"{area.url}?done=deleted")


# The agent's own messages.


@agent_router.get("", response_class=HTMLResponse)
async def personal_page(
    request: Request,
    session: SessionDep,
    _owner: Owner,
    matrix: MatrixDep,
    search: str = "",
    done: str | None = None,
) -> Response:
    return await _list_page(request, session, matrix, PERSONAL, search=search, done=done)


@agent_router.post("", dependencies=[CsrfProtected])
async def personal_create(
    request: Request, session: SessionDep, owner: Owner, now: NowDep, matrix: MatrixDep
) -> Response:
    return await _create(request, session, owner, matrix, now, PERSONAL)


@agent_router.get("/{message_id}", response_class=HTMLResponse)
async def personal_edit(
    request: Request, message_id: int, session: SessionDep, owner: Owner, matrix: MatrixDep
) -> Response:
    may_manage_public, _keep = _rights(request, matrix)
    message = await _message_in_area(session, PERSONAL, message_id, owner.id, may_manage_public)
    if message is None:
        return _not_found(request, matrix)
    return await _edit_page(request, session, matrix, PERSONAL, message)


@agent_router.post("/{message_id}", dependencies=[CsrfProtected])
async def personal_save(
    request: Request,
    message_id: int,
    session: SessionDep,
    owner: Owner,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    return await _save(request, session, owner, matrix, now, PERSONAL, message_id)


@agent_router.post("/{message_id}/enabled", dependencies=[CsrfProtected])
async def personal_toggle(
    request: Request,
    message_id: int,
    session: SessionDep,
    owner: Owner,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    return await _toggle(request, session, owner, matrix, now, PERSONAL, message_id)


@agent_router.get("/{message_id}/delete", response_class=HTMLResponse)
async def personal_delete_page(
    request: Request, message_id: int, session: SessionDep, owner: Owner, matrix: MatrixDep
) -> Response:
    return await _delete_page(request, session, owner, matrix, PERSONAL, message_id)


@agent_router.post("/{message_id}/delete", dependencies=[CsrfProtected])
async def personal_delete(
    request: Request,
    message_id: int,
    session: SessionDep,
    owner: Owner,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    return await _delete(request, session, owner, matrix, now, PERSONAL, message_id)


# The public messages.


@admin_router.get("", response_class=HTMLResponse)
async def public_page(
    request: Request,
    session: SessionDep,
    _manager: PublicManager,
    matrix: MatrixDep,
    search: str = "",
    done: str | None = None,
) -> Response:
    return await _list_page(request, session, matrix, PUBLIC, search=search, done=done)


@admin_router.post("", dependencies=[CsrfProtected])
async def public_create(
    request: Request, session: SessionDep, manager: PublicManager, now: NowDep, matrix: MatrixDep
) -> Response:
    return await _create(request, session, manager, matrix, now, PUBLIC)


@admin_router.get("/{message_id}", response_class=HTMLResponse)
async def public_edit(
    request: Request,
    message_id: int,
    session: SessionDep,
    manager: PublicManager,
    matrix: MatrixDep,
) -> Response:
    message = await _message_in_area(session, PUBLIC, message_id, manager.id, True)
    if message is None:
        return _not_found(request, matrix)
    return await _edit_page(request, session, matrix, PUBLIC, message)


@admin_router.post("/{message_id}", dependencies=[CsrfProtected])
async def public_save(
    request: Request,
    message_id: int,
    session: SessionDep,
    manager: PublicManager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    return await _save(request, session, manager, matrix, now, PUBLIC, message_id)


@admin_router.post("/{message_id}/enabled", dependencies=[CsrfProtected])
async def public_toggle(
    request: Request,
    message_id: int,
    session: SessionDep,
    manager: PublicManager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    return await _toggle(request, session, manager, matrix, now, PUBLIC, message_id)


@admin_router.get("/{message_id}/delete", response_class=HTMLResponse)
async def public_delete_page(
    request: Request,
    message_id: int,
    session: SessionDep,
    manager: PublicManager,
    matrix: MatrixDep,
) -> Response:
    return await _delete_page(request, session, manager, matrix, PUBLIC, message_id)


@admin_router.post("/{message_id}/delete", dependencies=[CsrfProtected])
async def public_delete(
    request: Request,
    message_id: int,
    session: SessionDep,
    manager: PublicManager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    return await _delete(request, session, manager, matrix, now, PUBLIC, message_id)

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from helpline.core.permissions import Action, Role
from helpline.errors import DomainError
from helpline.http.deps import CsrfProtected, MatrixDep, NowDep, SessionDep, require
from helpline.http.templates import render
from helpline.i18n import gettext as _
from helpline.users import service
from helpline.users.models import User
from helpline.users.schemas import UserCreate, UserUpdate

router = APIRouter(prefix="/admin/users", include_in_schema=False)

Admin = Annotated[User, Depends(require(Action.MANAGE_USERS))]


EMPTY_FORM: dict[str, object] = {
    "username": "",
    "display_name": "",
    "email": "",
    "language": "en",
    "roles": [],
    "lines_text": "",
    "is_active": True,
}


def parse_lines(text: str) -> list[dict[str, str]]:
    """One line per row: the extension, then an optional label."""
    lines = []
    for row in text.splitlines():
        row = row.strip()
        if not row:
            continue
        extension, _sep, label = row.partition(" ")
        lines.append({"extension": extension, "label": label.strip()})
    return lines


def error_messages(error: ValidationError | DomainError) -> list[str]:
    if isinstance(error, DomainError):
        return [error.message]
    messages = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        messages.append(f"{where}: {item['msg']}")
    return messages


async def _form(request: Request) -> dict[str, object]:
    form = await request.form()
    return {
        "username": str(form.get("username", "")),
        "display_name": str(form.get("display_name", "")),
        "email": str(form.get("email", "")) or None,
        "password": str(form.get("password", "")),
        "sip_password": str(form.get("sip_password", "")),
        "language": str(form.get("language", "en")),
        "roles": [str(value) for value in form.getlist("roles")],
        "lines_text": str(form.get("lines", "")),
        "is_active": form.get("is_active") == "on",
    }


@router.get("", response_class=HTMLResponse)
async def users_page(
    request: Request,
    session: SessionDep,
    _admin: Admin,
    matrix: MatrixDep,
    search: str | None = None,
    role: Role | None = None,
    created: int | None = None,
    updated: int | None = None,
) -> Response:
    users = await service.list_users(session=session, search=search, role=role)
    return render(
        request,
        "users/list.html",
        {
            "users": users,
            "search": search or "",
            "role": role.value if role else "",
            "created": created,
            "updated": updated,
            "active_section": "admin",
        },
        matrix=matrix,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_user_page(request: Request, _admin: Admin, matrix: MatrixDep) -> Response:
    return render(
        request,
        "users/form.html",
        {
            "editing": None,
            "values": EMPTY_FORM,
            "errors": [],
            "active_section": "admin",
        },
        matrix=matrix,
    )


@router.post("/new", dependencies=[CsrfProtected])
async def create_user_submit(
    request: Request, session: SessionDep, admin: Admin, now: NowDep, matrix: MatrixDep
) -> Response:
    values = await _form(request)
    try:
        user_in = UserCreate.model_validate(
            {
                key: values[key]
                for key in ("username", "display_name", "email", "password", "language", "roles")
            }
            | {"lines": parse_lines(str(values["lines_text"]))}
            | ({"sip_password": values["sip_password"]} if values["sip_password"] else {})
        )
        user = await service.create(session=session, user_in=user_in, now=now, actor_id=admin.id)
    except (ValidationError, DomainError) as error:
        return render(
            request,
            "users/form.html",
            {
                "editing": None,
                "values": values,
                "errors": error_messages(error),
                "active_section": "admin",
            },
            status_code=422,
            matrix=matrix,
        )
    return RedirectResponse(
        f"/admin/users?created={user.id}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.get("/{user_id}", response_class=HTMLResponse)
async def edit_user_page(
    request: Request, user_id: int, session: SessionDep, _admin: Admin, matrix: MatrixDep
) -> Response:
    try:
        user = await service.get(session=session, user_id=user_id)
    except DomainError:
        return render(
            request,
            "error.html",
            {"title": _("Not found"), "message": _("There is no such user.")},
            status_code=404,
            matrix=matrix,
        )
    values = {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email or "",
        "language": user.language,
        "roles": user.role_names,
        "lines_text": "\n".join(f"{ln.extension} {ln.label}".strip() for ln in user.lines),
        "is_active": user.is_active,
    }
    return render(
        request,
        "users/form.html",
        {"editing": user, "values": values, "errors": [], "active_section": "admin"},
        matrix=matrix,
    )


@router.post("/{user_id}", dependencies=[CsrfProtected])
async def edit_user_submit(
    request: Request,
    user_id: int,
    session: SessionDep,
    admin: Admin,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    values = await _form(request)
    data: dict[str, object] = {
        "display_name": values["display_name"],
        "email": values["email"],
        "language": values["language"],
        "roles": values["roles"],
        "lines": parse_lines(str(values["lines_text"])),
        "is_active": values["is_active"],
    }
    if values["password"]:
        data["password"] = values["password"]
    if values["sip_password"]:
        data["sip_password"] = values["sip_password"]
    try:
        user = await service.get(session=session, user_id=user_id)
        await service.update(
            session=session,
            user_id=user_id,
            user_in=UserUpdate.model_validate(data),
            now=now,
            actor_id=admin.id,
        )
    except (ValidationError, DomainError) as error:
        await session.rollback()
        editing = await service.get(session=session, user_id=user_id)
        return render(
            request,
            "users/form.html",
            {
                "editing": editing,
                "values": values | {"username": editing.username},
                "errors": error_messages(error),
                "active_section": "admin",
            },
            status_code=422,
            matrix=matrix,
        )
    return RedirectResponse(
        f"/admin/users?updated={user.id}", status_code=status.HTTP_303_SEE_OTHER
    )

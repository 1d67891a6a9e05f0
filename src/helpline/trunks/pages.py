from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from helpline.core.permissions import Action, Permission
from helpline.errors import DomainError
from helpline.http.deps import CsrfProtected, MatrixDep, NowDep, SessionDep, SettingsDep, require
from helpline.http.templates import not_found_page, render
from helpline.i18n import gettext as _
from helpline.trunks import service
from helpline.trunks.schemas import (
    DEFAULT_PORT,
    DEFAULT_REGISTER_EXPIRES,
    TrunkCreate,
    TrunkOut,
    TrunkUpdate,
)
from helpline.users.models import User

router = APIRouter(prefix="/admin/trunks", include_in_schema=False)

# As the API: trunks hold carrier credentials, so even reading needs the manage right.
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]

LIST_URL = "/admin/trunks"
SPARE_ROWS = 3
_TEXT_FIELDS = ("name", "host", "transport", "username", "from_domain", "caller_id")
_LIST_SEPARATORS = re.compile(r"[\s,;]+")


def _labels() -> dict[str, str]:
    return {
        "name": _("Name"),
        "host": _("Host"),
        "port": _("Port"),
        "transport": _("Transport"),
        "username": _("User name"),
        "password": _("Password"),
        "register": _("Register"),
        "register_expires": _("Registration interval"),
        "from_domain": _("From domain"),
        "caller_id": _("Caller ID"),
        "inbound_addresses": _("Inbound addresses"),
        "numbers": _("Numbers"),
    }


def _error_messages(error: ValidationError | DomainError) -> list[str]:
    if isinstance(error, DomainError):
        return [error.message]
    labels = _labels()
    messages = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        field = str(item["loc"][0]) if item["loc"] else ""
        messages.append(f"{labels[field]}: {message}" if field in labels else message)
    return messages


def _number(text: str) -> Any:
    # Anything but digits reaches the schema as text, which refuses it with its message.
    text = text.strip()
    return int(text) if text.isdigit() else text


def _form_values(form: FormData) -> dict[str, Any]:
    """What the form holds, as the page shows it again (text, lists of rows)."""
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in _TEXT_FIELDS}
    values["port"] = str(form.get("port", ""))
    values["register_expires"] = str(form.get("register_expires", ""))
    values["password"] = str(form.get("password", ""))
    values["register"] = form.get("register") is not None
    values["enabled"] = form.get("enabled") is not None
    values["inbound_addresses"] = str(form.get("inbound_addresses", ""))
    rows = []
    index = 0
    while f"number.{index}.number" in form:
        number = str(form.get(f"number.{index}.number", "")).strip()
        plan = str(form.get(f"number.{index}.call_plan_id", "")).strip()
        if number:
            rows.append({"number": number, "call_plan_id": plan})
        index += 1
    values["numbers"] = rows
    return values


def _data(values: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values as the API's input."""
    return {
        **{name: values[name] for name in _TEXT_FIELDS},
        "port": _number(values["port"]),
        "register_expires": _number(values["register_expires"]),
        "password": values["password"],
        "register": values["register"],
        "enabled": values["enabled"],
        "inbound_addresses": [
            item for item in _LIST_SEPARATORS.split(values["inbound_addresses"]) if item
        ],
        # The page shows every DID's plan, so what it sends is the routing wanted.
        "numbers": [
            {"number": row["number"], "call_plan_id": _number(row["call_plan_id"]) or None}
            for row in values["numbers"]
        ],
    }


def _values_of(trunk: TrunkOut) -> dict[str, Any]:
    return {
        "name": trunk.name,
        "host": trunk.host,
        "port": str(trunk.port),
        "transport": trunk.transport,
        "username": trunk.username,
        "password": "",
        "register": trunk.register_,
        "register_expires": str(trunk.register_expires),
        "from_domain": trunk.from_domain,
        "caller_id": trunk.caller_id,
        "enabled": trunk.enabled,
        "inbound_addresses": "\n".join(trunk.inbound_addresses),
        "numbers": [
            {"number": row.number, "call_plan_id": str(row.call_plan_id or "")}
            for row in trunk.numbers
        ],
    }


def _blank() -> dict[str, Any]:
    return {
        **dict.fromkeys(_TEXT_FIELDS, ""),
        "transport": "UDP",
        "port": str(DEFAULT_PORT),
        "register_expires": str(DEFAULT_REGISTER_EXPIRES),
        "password": "",
        "register": False,
        "enabled": True,
        "inbound_addresses": "",
        "numbers": [],
    }


def _done(flash: str, trunk_id: int | None = None) -> Response:
    url = f"{LIST_URL}/{trunk_id}?done={flash}" if trunk_id else f"{LIST_URL}?done={flash}"
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def _not_found(request: Request, matrix: dict[Permission, bool]) -> Response:
    return not_found_page(request, matrix, _("There is no such trunk."))


async def _form_page(
    request: Request,
    session: AsyncSession,
    matrix: dict[Permission, bool],
    *,
    trunk: TrunkOut | None,
    values: Mapping[str, Any],
    errors: Sequence[str] = (),
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    plans = await service.call_plan_choices(session=session)
    rows = [*values["numbers"], *({"number": "", "call_plan_id": ""} for _ in range(SPARE_ROWS))]
    flashes = {"created": _("The trunk was created."), "saved": _("The trunk was saved.")}
    return render(
        request,
        "trunks/form.html",
        {
            "trunk": trunk,
            "values": values,
            "number_rows": rows,
            "plans": [(str(plan_id), name) for plan_id, name in plans],
            "errors": list(errors),
            "done": flashes.get(done or ""),
            "active_section": "admin",
        },
        status_code=status_code,
        matrix=matrix,
    )


@router.get("", response_class=HTMLResponse)
async def trunks_page(
    request: Request,
    session: SessionDep,
    _user: Manager,
    matrix: MatrixDep,
    done: str | None = None,
) -> Response:
    messages = {
        "deleted": _("The trunk was deleted."),
        "moved": _("The order was saved."),
    }
    return render(
        request,
        "trunks/list.html",
        {
            "trunks": await service.describe_all(session=session),
            "done": messages.get(done or ""),
            "errors": [],
            "active_section": "admin",
        },
        matrix=matrix,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_trunk_page(
    request: Request, session: SessionDep, _user: Manager, matrix: MatrixDep
) -> Response:
    return await _form_page(request, session, matrix, trunk=None, values=_blank())


@router.post("", dependencies=[CsrfProtected])
async def create_trunk_submit(
    request: Request,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    values = _form_values(await request.form())
    try:
        trunk_in = TrunkCreate.model_validate(_data(values))
        trunk = await service.create(
            session=session,
            trunk_in=trunk_in,
            secret_key=settings.secret_key,
            now=now,
            actor_id=manager.id,
        )
    except (ValidationError, DomainError) as error:
        await session.rollback()
        return await _form_page(
            request,
            session,
            matrix,
            trunk=None,
            # A password typed is not sent back to the browser.
            values={**values, "password": ""},
            errors=_error_messages(error),
            status_code=422,
        )
    return _done("created", trunk.id)


@router.get("/{trunk_id}", response_class=HTMLResponse)
async def trunk_page(
    request: Request,
    trunk_id: int,
    session: SessionDep,
    _user: Manager,
    matrix: MatrixDep,
    done: str | None = None,
) -> Response:
    try:
        trunk = await service.get(session=session, trunk_id=trunk_id)
    except DomainError:
        return _not_found(request, matrix)
    out = await service.describe(session=session, trunk=trunk)
    return await _form_page(request, session, matrix, trunk=out, values=_values_of(out), done=done)


@router.post("/{trunk_id}", dependencies=[CsrfProtected])
async def update_trunk_submit(
    request: Request,
    trunk_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    try:
        trunk = await service.get(session=session, trunk_id=trunk_id)
    except DomainError:
        return _not_found(request, matrix)
    values = _form_values(await request.form())
    try:
        trunk_in = TrunkUpdate.model_validate(_data(values))
        await service.update(
            session=session,
            trunk_id=trunk_id,
            trunk_in=trunk_in,
            secret_key=settings.secret_key,
            now=now,
            actor_id=manager.id,
        )
    except (ValidationError, DomainError) as error:
        await session.rollback()
        trunk = await service.get(session=session, trunk_id=trunk_id)
        return await _form_page(
            request,
            session,
            matrix,
            trunk=await service.describe(session=session, trunk=trunk),
            values={**values, "password": ""},
            errors=_error_messages(error),
            status_code=422,
        )
    return _done("saved", trunk_id)


@router.post("/{trunk_id}/move", dependencies=[CsrfProtected])
async def move_trunk_submit(
    request: Request,
    trunk_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    form = await request.form()
    offset = {"up": -1, "down": 1}.get(str(form.get("direction", "")))
    if offset is None:
        return render(
            request,
            "trunks/list.html",
            {
                "trunks": await service.describe_all(session=session),
                "done": None,
                "errors": [_("Choose to move the trunk up or down.")],
                "active_section": "admin",
            },
            status_code=422,
            matrix=matrix,
        )
    try:
        await service.move(
            session=session, trunk_id=trunk_id, offset=offset, now=now, actor_id=manager.id
        )
    except DomainError:
        return _not_found(request, matrix)
    return _done("moved")


@router.get("/{trunk_id}/delete", response_class=HTMLResponse)
async def delete_trunk_page(
    request: Request, trunk_id: int, session: SessionDep, _manager: Manager, matrix: MatrixDep
) -> Response:
    try:
        trunk = await service.get(session=session, trunk_id=trunk_id)
    except DomainError:
        return _not_found(request, matrix)
    return render(
        request,
        "trunks/delete.html",
        {"trunk": await service.describe(session=session, trunk=trunk), "active_section": "admin"},
        matrix=matrix,
    )


@router.post("/{trunk_id}/delete", dependencies=[CsrfProtected])
async def delete_trunk_submit(
    request: Request,
    trunk_id: int,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    try:
        await service.delete(session=session, trunk_id=trunk_id, now=now, actor_id=manager.id)
    except DomainError:
        return _not_found(request, matrix)
    return _done("deleted")

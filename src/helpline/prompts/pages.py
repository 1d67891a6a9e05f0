"""The admin's Prompts page: listen to every prompt and the hold music, replace, reset."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from helpline.core.permissions import Action, Permission, is_allowed
from helpline.errors import DomainError, Invalid
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
from helpline.http.uploads import allow_uploads
from helpline.i18n import LANGUAGES as LANGUAGE_NAMES
from helpline.i18n import gettext as _
from helpline.prompts import catalog, service
from helpline.prompts.files import MAX_UPLOAD_BYTES
from helpline.prompts.schemas import DEFAULT_MUSIC, PromptOut
from helpline.users.models import User

router = APIRouter(prefix="/admin/prompts", include_in_schema=False)

PAGE_URL = "/admin/prompts"
allow_uploads(PAGE_URL, MAX_UPLOAD_BYTES)

Viewer = Annotated[User, Depends(require(Action.VIEW_QUEUE_SETTINGS))]
Manager = Annotated[User, Depends(require(Action.MANAGE_QUEUE_SETTINGS))]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _can_manage(request: Request, matrix: dict[Permission, bool]) -> bool:
    # The request's plain copy of the user: after a rollback the ORM object cannot load.
    return is_allowed(user_roles(request.state.user), Action.MANAGE_QUEUE_SETTINGS, matrix)


def _messages() -> dict[str, str]:
    return {
        "replaced": _("The prompt was replaced."),
        "reset": _("The prompt is back to the default."),
        "music_uploaded": _("The music was uploaded."),
        "music_deleted": _("The music was deleted."),
        "music_reset": _("The hold music is back to the default."),
    }


def _common(request: Request, matrix: dict[Permission, bool]) -> dict[str, Any]:
    return {
        "can_manage": _can_manage(request, matrix),
        "max_upload_bytes": MAX_UPLOAD_BYTES,
        "default_music": DEFAULT_MUSIC,
        "sentence_keys": catalog.SENTENCES,
        "cell_error": None,
        "cell_done": None,
        "music_error": None,
        "music_done": None,
        "active_section": "admin",
    }


def _rows(prompts: list[PromptOut], keys: tuple[str, ...]) -> list[tuple[str, list[PromptOut]]]:
    by_key: dict[str, list[PromptOut]] = {}
    for prompt in prompts:
        by_key.setdefault(prompt.key, []).append(prompt)
    return [(key, by_key[key]) for key in keys]


async def _page(
    request: Request,
    session: AsyncSession,
    matrix: dict[Permission, bool],
    *,
    errors: list[str] | None = None,
    done: str | None = None,
    numbers: bool = False,
    status_code: int = 200,
) -> Response:
    prompts = await service.list_prompts(session=session)
    sentences = (*catalog.SENTENCES, catalog.BEEP)
    return render(
        request,
        "prompts/page.html",
        {
            **_common(request, matrix),
            "prompt_languages": [(code, LANGUAGE_NAMES[code]) for code in catalog.LANGUAGES],
            "sentence_rows": _rows(prompts, sentences),
            "number_rows": _rows(prompts, catalog.NUMBER_KEYS) if numbers else [],
            "music": await service.list_music(session=session),
            "errors": errors or [],
            "done": _messages().get(done or ""),
        },
        status_code=status_code,
        matrix=matrix,
    )


def _cell(
    request: Request,
    matrix: dict[Permission, bool],
    prompt: PromptOut,
    *,
    error: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "prompts/_prompt_cell.html",
        {**_common(request, matrix), "p": prompt, "cell_error": error, "cell_done": done},
        status_code=status_code,
        matrix=matrix,
    )


async def _music_section(
    request: Request,
    session: AsyncSession,
    matrix: dict[Permission, bool],
    *,
    error: str | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "prompts/_music.html",
        {
            **_common(request, matrix),
            "music": await service.list_music(session=session),
            "music_error": error,
            "music_done": done,
        },
        status_code=status_code,
        matrix=matrix,
    )


def _done(flash: str, anchor: str = "", *, numbers: bool = False) -> Response:
    query = f"done={flash}&numbers=1" if numbers else f"done={flash}"
    return RedirectResponse(f"{PAGE_URL}?{query}{anchor}", status_code=status.HTTP_303_SEE_OTHER)


def _not_found(request: Request, matrix: dict[Permission, bool], message: str) -> Response:
    return not_found_page(request, matrix, message)


async def _uploaded_file(request: Request) -> UploadFile | None:
    value = (await request.form()).get("file")
    # An empty file input still sends a part, with no file name.
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


@router.get("", response_class=HTMLResponse)
async def prompts_page(
    request: Request,
    session: SessionDep,
    _user: Viewer,
    matrix: MatrixDep,
    done: str | None = None,
    numbers: bool = False,
) -> Response:
    """``numbers``: also the 400 number prompts (the page opens faster without them)."""
    return await _page(request, session, matrix, done=done, numbers=numbers)


# Declared before the prompt routes: "/music/…" must not be taken for a prompt key.
@router.post("/music", dependencies=[CsrfProtected])
async def upload_music_submit(
    request: Request,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    form = await request.form()
    key = str(form.get("key", ""))
    upload = await _uploaded_file(request)
    try:
        if upload is None:
            raise Invalid(_("Choose a WAV file to upload."), field="file")
        await service.upload_music(
            session=session,
            key=key,
            upload=upload.file,
            filename=upload.filename,
            data_dir=settings.data_dir,
            now=now,
            actor_id=manager.id,
        )
    except DomainError as error:
        await session.rollback()
        if _is_htmx(request):
            return await _music_section(
                request, session, matrix, error=error.message, status_code=422
            )
        return await _page(request, session, matrix, errors=[error.message], status_code=422)
    if _is_htmx(request):
        done = _messages()["music_uploaded"]
        return await _music_section(request, session, matrix, done=done)
    return _done("music_uploaded", "#hold-music")


@router.post("/music/{key}/delete", dependencies=[CsrfProtected])
async def delete_music_submit(
    request: Request,
    key: str,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    try:
        await service.delete_music(
            session=session, key=key, data_dir=settings.data_dir, now=now, actor_id=manager.id
        )
    except DomainError as error:
        return _not_found(request, matrix, error.message)
    flash = "music_reset" if key == DEFAULT_MUSIC else "music_deleted"
    if _is_htmx(request):
        return await _music_section(request, session, matrix, done=_messages()[flash])
    return _done(flash, "#hold-music")


@router.post("/{key}/{language}", dependencies=[CsrfProtected])
async def replace_prompt_submit(
    request: Request,
    key: str,
    language: str,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    try:
        before = await service.get_prompt(session=session, key=key, language=language)
    except DomainError as error:
        return _not_found(request, matrix, error.message)
    upload = await _uploaded_file(request)
    try:
        if upload is None:
            raise Invalid(_("Choose a WAV file to upload."), field="file")
        prompt = await service.replace_prompt(
            session=session,
            key=key,
            language=language,
            upload=upload.file,
            filename=upload.filename,
            data_dir=settings.data_dir,
            now=now,
            actor_id=manager.id,
        )
    except DomainError as error:
        await session.rollback()
        if _is_htmx(request):
            return _cell(request, matrix, before, error=error.message, status_code=422)
        return await _page(
            request,
            session,
            matrix,
            errors=[error.message],
            numbers=key in catalog.NUMBER_KEYS,
            status_code=422,
        )
    if _is_htmx(request):
        return _cell(request, matrix, prompt, done=_messages()["replaced"])
    return _done("replaced", f"#prompt-{key}-{language}", numbers=key in catalog.NUMBER_KEYS)


@router.post("/{key}/{language}/reset", dependencies=[CsrfProtected])
async def reset_prompt_submit(
    request: Request,
    key: str,
    language: str,
    session: SessionDep,
    manager: Manager,
    now: NowDep,
    matrix: MatrixDep,
    settings: SettingsDep,
) -> Response:
    try:
        prompt = await service.reset_prompt(
            session=session,
            key=key,
            language=language,
            data_dir=settings.data_dir,
            now=now,
            actor_id=manager.id,
        )
    except DomainError as error:
        return _not_found(request, matrix, error.message)
    if _is_htmx(request):
        return _cell(request, matrix, prompt, done=_messages()["reset"])
    return _done("reset", f"#prompt-{key}-{language}", numbers=key in catalog.NUMBER_KEYS)

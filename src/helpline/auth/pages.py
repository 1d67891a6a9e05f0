from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from helpline.auth import service
from helpline.auth.api import set_session_cookie, throttle_policy
from helpline.core.permissions import Role
from helpline.errors import DomainError
from helpline.http.deps import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    CsrfProtected,
    CurrentUser,
    MatrixDep,
    NowDep,
    OptionalUser,
    SessionDep,
    SettingsDep,
    session_token_from,
    user_roles,
)
from helpline.http.templates import render
from helpline.i18n import gettext as _
from helpline.users import service as user_service
from helpline.users.models import User
from helpline.users.schemas import MeUpdate

router = APIRouter(include_in_schema=False)


def home_for(user: User) -> str:
    roles = user_roles(user)
    if Role.AGENT in roles:
        return "/agent"
    if Role.SUPERVISOR in roles:
        return "/supervisor"
    if Role.ADMIN in roles:
        return "/admin"
    return "/help"


def safe_next(value: str | None) -> str | None:
    # Only paths on this site: never an open redirect to another host.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


@router.get("/")
async def home(user: OptionalUser) -> Response:
    if user is None:
        return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse(home_for(user), status_code=status.HTTP_303_SEE_OTHER)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next) or home_for(user), status.HTTP_303_SEE_OTHER)
    return render(request, "auth/login.html", {"next": safe_next(next) or "", "error": None})


@router.post("/login", dependencies=[CsrfProtected])
async def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    result = await service.authenticate(
        session=session,
        username=username,
        password=password,
        client_address=request.client.host if request.client else None,
        policy=throttle_policy(settings),
        now=now,
    )
    if result.user is None:
        locked = result.outcome is service.LoginOutcome.LOCKED
        error = (
            _("Too many failed logins. Try again in %(seconds)s seconds.")
            % {"seconds": result.retry_after_seconds}
            if locked
            else _("Wrong user name or password.")
        )
        return render(
            request,
            "auth/login.html",
            {"next": safe_next(next) or "", "error": error, "username": username},
            status_code=429 if locked else 401,
        )
    token = await service.start_web_session(
        session=session,
        user=result.user,
        now=now,
        max_age=timedelta(seconds=settings.session_max_age_seconds),
    )
    response = RedirectResponse(
        safe_next(next) or home_for(result.user), status_code=status.HTTP_303_SEE_OTHER
    )
    set_session_cookie(response, settings, token, result.user.language)
    return response


@router.post("/logout", dependencies=[CsrfProtected])
async def logout_submit(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    token = session_token_from(request, settings)
    if token:
        await service.end_web_session(session=session, token=token, now=now)
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", response_class=HTMLResponse)
async def account_page(
    request: Request, session: SessionDep, user: CurrentUser, matrix: MatrixDep
) -> Response:
    tokens = await service.list_api_tokens(session=session, user=user)
    return render(
        request,
        "auth/account.html",
        {"tokens": tokens, "new_token": None, "message": None, "error": None},
        matrix=matrix,
    )


@router.post("/account/language", dependencies=[CsrfProtected])
async def account_language(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    language: Annotated[str, Form(max_length=8)],
) -> Response:
    try:
        await user_service.update_me(
            session=session, user=user, me_in=MeUpdate(language=language), now=now
        )
    except (DomainError, ValueError):
        return RedirectResponse("/account?error=language", status_code=status.HTTP_303_SEE_OTHER)
    response = RedirectResponse("/account", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response


@router.post("/account/notifications", dependencies=[CsrfProtected])
async def account_notifications(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    sound: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """The chat notifications' sound: on when the box is ticked (a form leaves out an
    unticked box)."""
    await user_service.update_me(
        session=session, user=user, me_in=MeUpdate(notification_sound=sound is not None), now=now
    )
    return RedirectResponse("/account?saved=notifications", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/account/password", dependencies=[CsrfProtected])
async def account_password(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    matrix: MatrixDep,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    message = error = None
    try:
        me_in = MeUpdate(current_password=current_password, new_password=new_password)
        await user_service.update_me(session=session, user=user, me_in=me_in, now=now)
        message = _("Your password was changed.")
    except ValidationError:
        error = _("The new password needs at least 8 characters.")
    except DomainError:
        error = _("The current password is wrong.")
    tokens = await service.list_api_tokens(session=session, user=user)
    return render(
        request,
        "auth/account.html",
        {"tokens": tokens, "new_token": None, "message": message, "error": error},
        status_code=422 if error else 200,
        matrix=matrix,
    )


@router.post("/account/tokens", dependencies=[CsrfProtected])
async def account_create_token(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    matrix: MatrixDep,
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    error = None
    new_token = None
    if not name.strip():
        error = _("Give the token a name.")
    else:
        _token, new_token = await service.create_api_token(
            session=session, user=user, name=name.strip(), now=now
        )
    tokens = await service.list_api_tokens(session=session, user=user)
    return render(
        request,
        "auth/account.html",
        {"tokens": tokens, "new_token": new_token, "message": None, "error": error},
        status_code=422 if error else 200,
        matrix=matrix,
    )


@router.post("/account/tokens/{token_id}/revoke", dependencies=[CsrfProtected])
async def account_revoke_token(
    token_id: int, session: SessionDep, user: CurrentUser, now: NowDep
) -> Response:
    try:
        await service.revoke_api_token(session=session, user=user, token_id=token_id, now=now)
    except DomainError:
        return RedirectResponse("/account?error=token", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse("/account", status_code=status.HTTP_303_SEE_OTHER)

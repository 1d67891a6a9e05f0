from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from helpline.auth import service
from helpline.auth.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenOut, LoginIn, MeOut
from helpline.config import Settings
from helpline.core.permissions import Permission, allowed_actions
from helpline.errors import DomainError
from helpline.http.deps import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    MatrixDep,
    NowDep,
    SessionDep,
    SettingsDep,
    session_token_from,
    sign_session_token,
    user_roles,
)
from helpline.http.errors import http_error
from helpline.users.models import User
from helpline.users.schemas import UserOut

router = APIRouter(prefix="/auth", tags=["auth"])
tokens_router = APIRouter(prefix="/tokens", tags=["api tokens"])


def throttle_policy(settings: Settings) -> service.ThrottlePolicy:
    return service.ThrottlePolicy(
        max_failures=settings.login_max_failures,
        lockout=timedelta(seconds=settings.login_lockout_seconds),
    )


def set_session_cookie(response: Response, settings: Settings, token: str, language: str) -> None:
    # The language cookie lets pages that run no dependency (a 404) speak the user's language.
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 86400,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    response.set_cookie(
        SESSION_COOKIE,
        sign_session_token(settings, token),
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )


def me_out(user: User, matrix: dict[Permission, bool]) -> MeOut:
    roles = sorted(user_roles(user))
    return MeOut(
        user=UserOut.model_validate(user),
        roles=roles,
        allowed_actions=allowed_actions(roles, matrix),
    )


@router.post(
    "/login",
    response_model=MeOut,
    responses={401: {"description": "Wrong user name or password"}, 429: {"description": "Locked"}},
)
async def login(
    body: LoginIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    matrix: MatrixDep,
) -> Response:
    result = await service.authenticate(
        session=session,
        username=body.username,
        password=body.password,
        client_address=request.client.host if request.client else None,
        policy=throttle_policy(settings),
        now=now,
    )
    # Failures are answered, not raised, so that the failure count is committed.
    if result.outcome is service.LoginOutcome.LOCKED:
        return JSONResponse(
            {"detail": "too many failed logins: try again later"},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(result.retry_after_seconds)},
        )
    if result.user is None:
        return JSONResponse(
            {"detail": "wrong user name or password"}, status_code=status.HTTP_401_UNAUTHORIZED
        )
    token = await service.start_web_session(
        session=session,
        user=result.user,
        now=now,
        max_age=timedelta(seconds=settings.session_max_age_seconds),
    )
    response = JSONResponse(me_out(result.user, matrix).model_dump(mode="json"))
    set_session_cookie(response, settings, token, result.user.language)
    return response


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request, session: SessionDep, settings: SettingsDep, now: NowDep, _user: CurrentUser
) -> Response:
    token = session_token_from(request, settings)
    if token:
        await service.end_web_session(session=session, token=token, now=now)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut)
async def me(user: CurrentUser, matrix: MatrixDep) -> MeOut:
    return me_out(user, matrix)


@tokens_router.get("", response_model=list[ApiTokenOut])
async def list_tokens(session: SessionDep, user: CurrentUser) -> list[ApiTokenOut]:
    tokens = await service.list_api_tokens(session=session, user=user)
    return [ApiTokenOut.model_validate(token) for token in tokens]


@tokens_router.post("", response_model=ApiTokenCreated, status_code=status.HTTP_201_CREATED)
async def create_token(
    body: ApiTokenCreate, session: SessionDep, user: CurrentUser, now: NowDep
) -> ApiTokenCreated:
    token, secret = await service.create_api_token(
        session=session, user=user, name=body.name, now=now
    )
    return ApiTokenCreated.model_validate(
        {**ApiTokenOut.model_validate(token).model_dump(), "token": secret}
    )


@tokens_router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    token_id: int,
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
) -> Response:
    try:
        await service.revoke_api_token(session=session, user=user, token_id=token_id, now=now)
    except DomainError as error:
        raise http_error(error) from error
    return Response(status_code=status.HTTP_204_NO_CONTENT)

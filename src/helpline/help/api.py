from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from helpline.channels.email import SmtpRelay
from helpline.config import Settings
from helpline.core.permissions import Action
from helpline.errors import DomainError
from helpline.help import service
from helpline.help.schemas import GuideOut, ShareGuide, ShareGuideOut
from helpline.http.deps import CurrentUser, SettingsDep, require
from helpline.http.errors import http_error
from helpline.i18n import current_language
from helpline.users.models import User

router = APIRouter(prefix="/help", tags=["help"])


def base_url(request: Request, settings: Settings) -> str:
    return settings.public_url or str(request.base_url)


def smtp_relay(settings: Settings) -> SmtpRelay | None:
    if not settings.smtp_host:
        return None
    return SmtpRelay(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_sender,
        username=settings.smtp_username,
        password=settings.smtp_password,
    )


@router.get("/guides", response_model=list[GuideOut])
async def list_guides(
    request: Request, settings: SettingsDep, _user: CurrentUser
) -> list[GuideOut]:
    try:
        guides = service.list_guides(language=current_language())
    except DomainError as error:
        raise http_error(error) from error
    return [
        GuideOut(
            role=g.role,
            language=g.language,
            title=g.title,
            url=service.guide_url(base_url(request, settings), g.role),
        )
        for g in guides
    ]


@router.post("/share", response_model=ShareGuideOut)
async def share_guide(
    body: ShareGuide,
    request: Request,
    settings: SettingsDep,
    admin: Annotated[User, Depends(require(Action.SHARE_HELP))],
) -> ShareGuideOut:
    try:
        link = await service.share_by_email(
            relay=smtp_relay(settings),
            role=body.role,
            recipients=body.recipients,
            base_url=base_url(request, settings),
            sender_name=admin.display_name,
        )
    except DomainError as error:
        raise http_error(error) from error
    return ShareGuideOut(link=link, recipients=len(body.recipients))

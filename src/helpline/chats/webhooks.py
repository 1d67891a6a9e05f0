"""Provider webhooks: SMS/MMS from Twilio, Messenger and Instagram from Meta.

Each request is verified first (a bad or missing signature gets 403 and nothing is
stored), then parsed by the provider's adapter (``helpline.channels``), its media fetched
within the attachment limits, and handed to the chat service, which stores it
idempotently on the provider's message id: a webhook the provider retries is answered
200 again and adds nothing. A provider is answered 200 for what Helpline cannot use
(no chat queue takes the channel, an unknown message's status): retrying would not help.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import PlainTextResponse, Response

from helpline.channels.errors import MediaFetchError, ProviderPayloadError
from helpline.channels.messaging import DeliveryUpdate, InboundMessage
from helpline.channels.meta import webhooks as meta
from helpline.channels.meta.send import MetaSender
from helpline.channels.sms import twilio
from helpline.channels.sms.twilio import TwilioSender
from helpline.chats.api import ChatsDep
from helpline.chats.attachments import IncomingFile
from helpline.chats.service import ChatService
from helpline.config import Settings
from helpline.errors import Invalid
from helpline.http.deps import SettingsDep

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", include_in_schema=False)

# What Twilio expects back from a messaging webhook: nothing to reply automatically.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def called_url(request: Request, settings: Settings) -> str:
    """The URL the provider called, as it signed it: behind a proxy, the public one."""
    if settings.public_url:
        url = settings.public_url.rstrip("/") + request.url.path
        return f"{url}?{request.url.query}" if request.url.query else url
    return str(request.url)


def get_twilio(request: Request) -> TwilioSender:
    sender: TwilioSender | None = getattr(request.app.state, "twilio", None)
    if sender is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "SMS through Twilio is not configured")
    return sender


def get_meta(request: Request) -> MetaSender:
    sender: MetaSender | None = getattr(request.app.state, "meta", None)
    if sender is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Messenger and Instagram are not configured")
    return sender


TwilioDep = Annotated[TwilioSender, Depends(get_twilio)]
MetaDep = Annotated[MetaSender, Depends(get_meta)]


async def _twilio_form(request: Request, settings: Settings) -> dict[str, list[str]]:
    received = await request.form()
    form = {
        name: [value for value in received.getlist(name) if isinstance(value, str)]
        for name in received
    }
    signature = request.headers.get("X-Twilio-Signature")
    assert settings.twilio_auth_token is not None  # the sender exists only when configured
    if not twilio.valid_signature(
        settings.twilio_auth_token, called_url(request, settings), form, signature
    ):
        log.warning("refused a Twilio webhook with a bad signature from %s", request.client)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "bad X-Twilio-Signature")
    return form


async def _media(
    message: InboundMessage, fetcher: TwilioSender | MetaSender, limit: int
) -> list[IncomingFile]:
    files = []
    for number, media in enumerate(message.media, start=1):
        try:
            data, content_type = await fetcher.fetch_media(media.url, max_bytes=limit)
        except (ProviderPayloadError, MediaFetchError) as error:
            # The message is kept without this file; the limit check says why to the agent.
            log.warning(
                "media %d of %s not fetched: %s", number, message.provider_message_id, error
            )
            files.append(IncomingFile(f"attachment-{number}", b"", media.content_type))
            continue
        files.append(IncomingFile(f"attachment-{number}", data, content_type))
    return files


async def _receive(chats: ChatService, message: InboundMessage, files: list[IncomingFile]) -> None:
    try:
        await chats.receive(message=message, files=files)
    except Invalid as error:
        log.warning(
            "a %s message to %s was not taken: %s", message.channel, message.recipient, error
        )


@router.post("/twilio/messages")
async def twilio_message(
    request: Request, chats: ChatsDep, settings: SettingsDep, sender: TwilioDep
) -> Response:
    form = await _twilio_form(request, settings)
    try:
        message = twilio.parse_inbound(form)
    except ProviderPayloadError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    files = await _media(message, sender, settings.chat_max_attachment_bytes)
    await _receive(chats, message, files)
    return Response(EMPTY_TWIML, media_type="application/xml")


@router.post("/twilio/status")
async def twilio_status(
    request: Request, chats: ChatsDep, settings: SettingsDep, _sender: TwilioDep
) -> Response:
    form = await _twilio_form(request, settings)
    try:
        update = twilio.parse_status(form)
    except ProviderPayloadError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    await chats.delivery_update(update=update)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/meta")
async def meta_handshake(request: Request, settings: SettingsDep, _sender: MetaDep) -> Response:
    assert settings.meta_verify_token is not None
    challenge = meta.handshake(dict(request.query_params), settings.meta_verify_token)
    if challenge is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "wrong hub.mode or hub.verify_token")
    return PlainTextResponse(challenge)


@router.post("/meta")
async def meta_events(
    request: Request, chats: ChatsDep, settings: SettingsDep, sender: MetaDep
) -> Response:
    body = await request.body()
    assert settings.meta_app_secret is not None
    if not meta.valid_signature(
        settings.meta_app_secret, body, request.headers.get("X-Hub-Signature-256")
    ):
        log.warning("refused a Meta webhook with a bad signature from %s", request.client)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "bad X-Hub-Signature-256")
    try:
        items = meta.parse_webhook(json.loads(body))
    except (ValueError, ProviderPayloadError) as error:  # JSONDecodeError is a ValueError
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    for item in items:
        if isinstance(item, DeliveryUpdate):
            await chats.delivery_update(update=item)
        else:
            files = await _media(item, sender, settings.chat_max_attachment_bytes)
            await _receive(chats, item, files)
    return PlainTextResponse("EVENT_RECEIVED")

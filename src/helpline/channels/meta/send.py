"""Replies to Messenger and Instagram conversations through Meta's Send API.

``POST {base_url}/{api_version}/me/messages?access_token=<page access token>`` with
``{"recipient": {"id": ...}, "messaging_type": "RESPONSE", "message": {...}}``: the text in
one message, then one message per attachment (``{"attachment": {"type", "payload": {"url",
"is_reusable"}}}``), because the Send API takes one attachment a message. The answer names
the message (``{"recipient_id", "message_id"}``); failures come as Graph API errors
(``{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}``).
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from helpline.channels._http import client_for, fetch_limited, retryable_status
from helpline.channels.errors import ProviderSendError
from helpline.channels.messaging import Channel, OutboundMessage, SendResult

# Graph API error codes for throttling: API too many calls (4), user request limit (17),
# page request limit (32), calls to this API exceeded the rate limit (613).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
CHANNELS = frozenset({Channel.MESSENGER, Channel.INSTAGRAM})
# The extensions of the media Messenger and Instagram show inline; a fixed table, so that
# the answer does not depend on the host's /etc/mime.types.
EXTENSIONS: dict[str, str] = {
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "bmp"), "image"),
    **dict.fromkeys(("mp4", "m4v", "mov", "3gp", "webm", "avi", "mkv", "mpeg", "mpg"), "video"),
    **dict.fromkeys(("mp3", "m4a", "aac", "ogg", "oga", "opus", "wav", "amr", "flac"), "audio"),
}
# Python's own table only (MimeTypes() without files reads no system configuration).
_BUILTIN_TYPES = mimetypes.MimeTypes()


def attachment_type(url: str) -> str:
    """``image``, ``video``, ``audio`` or ``file``, from the media type the URL's file
    extension suggests (``photo.JPG`` → image); ``file`` when it suggests nothing."""
    path = unquote(urlsplit(url).path).lower()
    name = path.rsplit("/", 1)[-1]
    _, dot, extension = name.rpartition(".")
    if dot and extension in EXTENSIONS:
        return EXTENSIONS[extension]
    guessed, _ = _BUILTIN_TYPES.guess_type(name, strict=False) if name else (None, None)
    if guessed:
        major = guessed.split("/", 1)[0]
        if major in ("image", "video", "audio"):
            return major
    return "file"


def _graph_error(response: httpx.Response) -> tuple[int | None, str, bool]:
    """``(code, message, is_transient)`` from a Graph API error answer."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, f"HTTP {response.status_code}", False
    code = error.get("code")
    message = error.get("message")
    return (
        code if isinstance(code, int) and not isinstance(code, bool) else None,
        message if isinstance(message, str) and message else f"HTTP {response.status_code}",
        error.get("is_transient") is True,
    )


class MetaSender:
    """Sends Messenger and Instagram replies through the Send API (``MessageSender``).

    Retryable (:class:`ProviderSendError` with ``retryable=True``): network errors, 429,
    5xx, Graph errors with a rate-limit code (4, 17, 32, 613) or ``is_transient``. Anything
    else (an expired token, a person outside the 24-hour window, a blocked user) is not,
    and carries the Graph error's code and message. A message with text and attachments is
    several Send API calls: when a later one fails, the earlier ones were delivered, and a
    retry sends them again."""

    def __init__(
        self,
        *,
        page_access_token: str,
        base_url: str = "https://graph.facebook.com",
        api_version: str = "v19.0",
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._token = page_access_token
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version.strip("/")
        self._timeout = timeout
        self._client, self._owns_client = client_for(client, timeout)

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/{self.api_version}/me/messages"

    async def _post(self, recipient: str, message: dict[str, Any]) -> str:
        body = {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": message}
        try:
            response = await self._client.post(
                self.messages_url,
                params={"access_token": self._token},
                json=body,
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            raise ProviderSendError(
                f"Meta unreachable: {type(exc).__name__}: {exc}", retryable=True
            ) from exc
        if not response.is_success:
            code, text, transient = _graph_error(response)
            raise ProviderSendError(
                f"Meta refused the message: {text}" + (f" (code {code})" if code else ""),
                retryable=retryable_status(response.status_code)
                or transient
                or code in RATE_LIMIT_CODES,
                code=str(code) if code is not None else None,
                http_status=response.status_code,
            )
        try:
            answer: Any = response.json()
        except ValueError:
            answer = None
        message_id = answer.get("message_id") if isinstance(answer, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise ProviderSendError(
                "Meta accepted the message but gave no message_id",
                retryable=False,
                http_status=response.status_code,
            )
        return message_id

    async def send(self, message: OutboundMessage) -> SendResult:
        if message.channel not in CHANNELS:
            raise ProviderSendError(
                f"the Send API serves Messenger and Instagram, not {message.channel.value}",
                retryable=False,
            )
        if not message.text and not message.media_urls:
            raise ProviderSendError("nothing to send: no text and no media", retryable=False)
        parts: list[dict[str, Any]] = []
        if message.text:
            parts.append({"text": message.text})
        for url in message.media_urls:
            parts.append(
                {
                    "attachment": {
                        "type": attachment_type(url),
                        "payload": {"url": url, "is_reusable": True},
                    }
                }
            )
        message_id = ""
        for part in parts:
            message_id = await self._post(message.recipient, part)
        return SendResult(provider_message_id=message_id)

    async def fetch_media(self, url: str, *, max_bytes: int) -> tuple[bytes, str]:
        """The content and media type of an attachment's ``payload.url`` (Meta's CDN needs
        no credentials: none are sent). Same limits and errors as
        :meth:`helpline.channels.sms.twilio.TwilioSender.fetch_media`."""
        return await fetch_limited(self._client, url, max_bytes=max_bytes)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> MetaSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

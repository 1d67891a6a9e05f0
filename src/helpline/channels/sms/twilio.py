"""SMS and MMS through Twilio (Programmable Messaging), in Twilio's own formats.

Webhooks
    Twilio posts ``application/x-www-form-urlencoded`` forms: the incoming-message webhook
    (:func:`parse_inbound`) and the status callbacks of messages we sent
    (:func:`parse_status`). Each carries ``X-Twilio-Signature``: base64 of the HMAC-SHA1,
    keyed with the account's auth token, of the full URL Twilio requested followed by every
    POST parameter's name and value, names sorted (:func:`request_signature`).
    :func:`valid_signature` checks it as Twilio's own ``RequestValidator`` does: the URL
    with and without its default port (Twilio's side is not consistent about it), values of
    a repeated parameter sorted and de-duplicated, and a constant-time comparison. Twilio
    products that post JSON sign the URL alone and put the body's SHA-256 in the URL's
    ``bodySHA256`` query parameter (:func:`valid_json_signature`).

Sending
    :class:`TwilioSender` creates a Message resource through the REST API (base URL
    configurable so that a local fake stands in during tests) and downloads the media of
    incoming MMS (:meth:`TwilioSender.fetch_media`).

Twilio documents new webhook parameters as appearing without notice: parsers ignore what
they do not know, and the signature covers every parameter received.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import httpx

from helpline.channels._http import client_for, fetch_limited, origin, retryable_status
from helpline.channels.errors import ProviderPayloadError, ProviderSendError
from helpline.channels.messaging import (
    Channel,
    DeliveryStatus,
    DeliveryUpdate,
    InboundMessage,
    MediaRef,
    OutboundMessage,
    SendResult,
)

SIGNATURE_HEADER = "X-Twilio-Signature"

Params = Mapping[str, str | Sequence[str]]

# Twilio's message statuses (Message resource, "message status values") in our terms. Every
# status before delivery is SENT: for Helpline, QUEUED means not yet handed to the provider.
STATUS_MAP: dict[str, DeliveryStatus] = {
    "accepted": DeliveryStatus.SENT,
    "scheduled": DeliveryStatus.SENT,
    "queued": DeliveryStatus.SENT,
    "sending": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,
    "partially_delivered": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}
# Statuses of messages that someone sent *to* us: never a news about one of ours.
INBOUND_STATUSES = frozenset({"receiving", "received"})

_SID = re.compile(r"[A-Za-z0-9]{1,64}")
_COUNT = re.compile(r"[0-9]{1,4}")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+")


# -- signatures ---------------------------------------------------------------------------


def _values(params: Params, name: str) -> list[str]:
    """Every value of ``name``: multidicts (Starlette's ``FormData``, Django's ``QueryDict``,
    ``multidict``) are asked for all of them; a plain mapping holds a string or a list."""
    getall = getattr(params, "getall", None)
    if callable(getall):
        return list(getall(name))
    getlist = getattr(params, "getlist", None)
    if callable(getlist):
        return list(getlist(name))
    value = params[name]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise TypeError(f"{name}: neither text nor a list of texts")


def request_signature(auth_token: str, url: str, params: Params) -> str:
    """``X-Twilio-Signature`` for a request to ``url`` with these POST parameters: the URL,
    then for each parameter name in sorted order each of its distinct values in sorted
    order, name and value concatenated; HMAC-SHA1 with the auth token; base64."""
    pieces = [url]
    for name in sorted(set(params)):
        for value in sorted(set(_values(params, name))):
            pieces.append(name)
            pieces.append(value)
    mac = hmac.new(auth_token.encode("utf-8"), "".join(pieces).encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def _url_variants(url: str) -> tuple[str, ...]:
    """The URL without and with its port, as Twilio's validator tries them: ``:443`` or
    ``:80`` added when there is none, the port removed when there is one."""
    parsed = urlparse(url)
    port = parsed.port  # ValueError for a port that is not a number in range
    if not port:
        default = 443 if parsed.scheme == "https" else 80
        with_port = parsed._replace(netloc=f"{parsed.netloc}:{default}")
        return parsed.geturl(), with_port.geturl()
    without_port = parsed._replace(netloc=parsed.netloc.rpartition(":")[0])
    return without_port.geturl(), parsed.geturl()


def _matches(auth_token: str, url: str, params: Params, signature: str) -> bool:
    expected = signature.encode("utf-8")
    valid = False
    for candidate in _url_variants(url):
        computed = request_signature(auth_token, candidate, params).encode("ascii")
        valid |= hmac.compare_digest(computed, expected)
    return valid


def valid_signature(auth_token: str, url: str, params: Params, signature: str | None) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) signs this form POST to
    ``url`` (the full URL Twilio requested, query string included). A missing header, an
    empty auth token, a URL that cannot be parsed or a parameter that is not text (a file in
    a multipart form) is never valid."""
    if not signature or not auth_token:
        return False
    try:
        return _matches(auth_token, url, params, signature)
    except (ValueError, UnicodeError, TypeError):
        return False


def valid_json_signature(auth_token: str, url: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` signs a JSON POST: the URL's ``bodySHA256`` query parameter
    must be the hex SHA-256 of the raw ``body``, and the signature that of the URL alone
    (with or without its default port). Without ``bodySHA256`` nothing is valid."""
    if not signature or not auth_token:
        return False
    try:
        hashes = parse_qs(urlparse(url).query).get("bodySHA256")
        if not hashes:
            return False
        body_hash = hashlib.sha256(body).hexdigest().encode("ascii")
        valid_hash = hmac.compare_digest(body_hash, hashes[0].encode("utf-8"))
        return _matches(auth_token, url, {}, signature) and valid_hash
    except (ValueError, UnicodeError):
        return False


# -- webhooks -----------------------------------------------------------------------------


def _field(params: Params, name: str, *, required: bool) -> str | None:
    """One text field of a form; a field given twice or not text is malformed."""
    if name not in params:
        if required:
            raise ProviderPayloadError(name, "missing")
        return None
    try:
        values = _values(params, name)
    except TypeError:
        raise ProviderPayloadError(name, "not text") from None
    if len(values) != 1:
        raise ProviderPayloadError(name, "given more than once" if values else "missing")
    value = values[0]
    if not isinstance(value, str):
        raise ProviderPayloadError(name, "not text")
    return value


def _required(params: Params, name: str) -> str:
    value = _field(params, name, required=True)
    assert value is not None
    if not value.strip():
        raise ProviderPayloadError(name, "empty")
    return value.strip()


def _sid(params: Params) -> str:
    sid = _required(params, "MessageSid")
    if not _SID.fullmatch(sid):
        raise ProviderPayloadError("MessageSid", "not a Twilio SID")
    return sid


def _form(params: object) -> Params:
    if not isinstance(params, Mapping):
        raise ProviderPayloadError("payload", "not a form")
    return params


def parse_inbound(params: Params) -> InboundMessage:
    """An incoming SMS or MMS (Twilio's "request to your incoming message webhook URL")
    as a provider-neutral message. ``MediaUrl{N}``/``MediaContentType{N}`` for every N
    below ``NumMedia``; ``ProfileName`` (given on some channels) is the sender's name.
    Raises :class:`ProviderPayloadError` naming the first bad field."""
    params = _form(params)
    sid = _sid(params)
    sender = _required(params, "From")
    recipient = _required(params, "To")
    body = _field(params, "Body", required=False) or ""
    raw_count = _field(params, "NumMedia", required=False)
    count = 0
    if raw_count is not None:
        if not _COUNT.fullmatch(raw_count.strip()):
            raise ProviderPayloadError("NumMedia", "not a whole number")
        count = int(raw_count.strip())
    media = []
    for index in range(count):
        url = _required(params, f"MediaUrl{index}")
        if origin(url) is None:
            raise ProviderPayloadError(f"MediaUrl{index}", "not an http(s) URL")
        content_type = _field(params, f"MediaContentType{index}", required=False)
        if content_type is not None:
            content_type = content_type.strip().lower()
            if not _MEDIA_TYPE.fullmatch(content_type):
                raise ProviderPayloadError(f"MediaContentType{index}", "not a media type")
        media.append(MediaRef(url=url, content_type=content_type))
    name = (_field(params, "ProfileName", required=False) or "").strip()
    return InboundMessage(
        channel=Channel.SMS,
        provider_message_id=sid,
        sender=sender,
        recipient=recipient,
        text=body,
        media=tuple(media),
        sender_name=name or None,
    )


def parse_status(params: Params) -> DeliveryUpdate:
    """A status callback about a message we sent. ``MessageStatus`` (``SmsStatus`` in old
    callbacks) is mapped by :data:`STATUS_MAP`; ``ErrorCode`` and ``ErrorMessage``, when
    given, become ``error``. Twilio gives no time of the change (``RawDlrDoneDate`` is the
    carrier's, without a time zone), so ``at`` stays None: the receiver's clock decides."""
    params = _form(params)
    sid = _sid(params)
    field = "MessageStatus" if "MessageStatus" in params else "SmsStatus"
    if field not in params:
        raise ProviderPayloadError("MessageStatus", "missing")
    raw_status = _required(params, field).lower()
    if raw_status in INBOUND_STATUSES:
        raise ProviderPayloadError(field, f"{raw_status!r} is the status of an incoming message")
    status = STATUS_MAP.get(raw_status)
    if status is None:
        raise ProviderPayloadError(field, f"unknown status {raw_status[:40]!r}")
    code = (_field(params, "ErrorCode", required=False) or "").strip()
    text = (_field(params, "ErrorMessage", required=False) or "").strip()
    error = ": ".join(part for part in (code, text) if part) or None
    return DeliveryUpdate(channel=Channel.SMS, provider_message_id=sid, status=status, error=error)


# -- REST API -----------------------------------------------------------------------------


def _twilio_error(response: httpx.Response) -> tuple[str | None, str]:
    """Twilio's error body: ``{"code": 21211, "message": "...", "more_info": ..., "status"}``."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("code")
        message = body.get("message")
        return (
            str(code) if isinstance(code, int | str) and not isinstance(code, bool) else None,
            message if isinstance(message, str) and message else f"HTTP {response.status_code}",
        )
    return None, f"HTTP {response.status_code}"


class TwilioSender:
    """Sends SMS/MMS through Twilio's Messages API (``MessageSender``).

    ``send`` posts ``From``, ``To``, ``Body``, one ``MediaUrl`` per attachment and
    ``StatusCallback`` (when configured) with HTTP basic auth (account SID, auth token).
    Network errors, 429 and 5xx raise a retryable :class:`ProviderSendError`; other
    refusals a non-retryable one with Twilio's error code and message. A timeout may hide
    a message that Twilio did create: a retry can then send it twice."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        base_url: str = "https://api.twilio.com",
        status_callback_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self.base_url = base_url.rstrip("/")
        self.status_callback_url = status_callback_url
        self._timeout = timeout
        self._client, self._owns_client = client_for(client, timeout)

    @property
    def messages_url(self) -> str:
        account = quote(self.account_sid, safe="")
        return f"{self.base_url}/2010-04-01/Accounts/{account}/Messages.json"

    async def send(self, message: OutboundMessage) -> SendResult:
        if message.channel is not Channel.SMS:
            raise ProviderSendError(
                f"Twilio sends SMS/MMS, not {message.channel.value}", retryable=False
            )
        if not message.text and not message.media_urls:
            raise ProviderSendError("nothing to send: no text and no media", retryable=False)
        form: dict[str, str | list[str]] = {"To": message.recipient, "From": message.sender}
        if message.text:
            form["Body"] = message.text
        if message.media_urls:
            form["MediaUrl"] = list(message.media_urls)
        if self.status_callback_url:
            form["StatusCallback"] = self.status_callback_url
        try:
            response = await self._client.post(
                self.messages_url,
                data=form,
                auth=self._auth,
                timeout=self._timeout,
            )
        except httpx.TransportError as exc:
            raise ProviderSendError(
                f"Twilio unreachable: {type(exc).__name__}: {exc}", retryable=True
            ) from exc
        if not response.is_success:
            code, text = _twilio_error(response)
            raise ProviderSendError(
                f"Twilio refused the message: {text}" + (f" (error {code})" if code else ""),
                retryable=retryable_status(response.status_code),
                code=code,
                http_status=response.status_code,
            )
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        sid = body.get("sid") if isinstance(body, dict) else None
        if not isinstance(sid, str) or not sid:
            # Twilio answered 2xx: the message may exist, so a retry could send it twice.
            raise ProviderSendError(
                "Twilio accepted the message but gave no sid",
                retryable=False,
                http_status=response.status_code,
            )
        raw_status = body.get("status")
        status = DeliveryStatus.SENT
        if isinstance(raw_status, str):
            status = STATUS_MAP.get(raw_status, DeliveryStatus.SENT)
        return SendResult(provider_message_id=sid, status=status)

    async def fetch_media(self, url: str, *, max_bytes: int) -> tuple[bytes, str]:
        """The content and media type of an incoming MMS's ``MediaUrl``. Twilio may protect
        media with HTTP basic auth (account SID, auth token): the credentials go only to
        URLs on the API's own origin (``base_url``), never to another host, and are dropped
        when Twilio redirects to its CDN. More than ``max_bytes`` raises
        :class:`ProviderPayloadError` without reading the rest; other failures raise
        :class:`~helpline.channels.errors.MediaFetchError`."""
        auth = self._auth if origin(url) == origin(self.base_url) else None
        return await fetch_limited(self._client, url, max_bytes=max_bytes, auth=auth)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> TwilioSender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

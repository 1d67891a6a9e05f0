"""A fake Meta Graph API: the Send API and attachment hosting, on a real HTTP server.

Usage::

    with FakeMeta() as meta:                         # starts on http://127.0.0.1:<port>
        sender = MetaSender(page_access_token=meta.page_access_token,
                            base_url=meta.base_url, api_version=meta.api_version)
        ...
        meta.messages[-1].json["message"]           # what was sent
        meta.requests                               # every request, in order

What it serves (``base_url`` plays ``https://graph.facebook.com``):

- ``POST /{api_version}/me/messages?access_token=…``: checks the token (400, Graph error
  190 ``OAuthException``), the JSON body (``recipient.id``; ``message`` with exactly one of
  ``text`` and ``attachment`` whose ``type`` is image/video/audio/file and whose
  ``payload.url`` is set; ``messaging_type``) (400, error 100); answers 200 with
  ``{"recipient_id", "message_id": "m_…"}``. Accepted sends are in :attr:`FakeMeta.messages`.
- attachments as Meta's CDN hosts them (no credentials): :meth:`FakeMeta.add_media` returns
  the URL to put in a webhook's ``attachments[].payload.url``.

Scripted failures: :meth:`FakeMeta.script` queues answers for the next requests to
``/me/messages``, one per request, before any check: ``Reply(500)``,
``FakeMeta.graph_error(400, 613, "Calls to this api have exceeded the rate limit.")``,
``FakeMeta.graph_error(400, 10, "...", is_transient=False)``, ``Reply.drop()``.

Webhook helpers for tests that play Meta towards Helpline: :meth:`FakeMeta.sign` (the
``X-Hub-Signature-256`` header for a raw body, computed here from Meta's definition),
:func:`message_event` and :func:`webhook` (payloads shaped like Meta's).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import BackgroundServer, RecordedRequest, Reply, Script, record

ATTACHMENT_TYPES = frozenset({"image", "video", "audio", "file"})
MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG"})


@dataclass(frozen=True)
class SentMessage:
    message_id: str
    request: RecordedRequest

    @property
    def json(self) -> Any:
        return self.request.json


class FakeMeta:
    """See the module's docstring."""

    def __init__(
        self,
        *,
        page_access_token: str | None = None,
        app_secret: str | None = None,
        api_version: str = "v19.0",
    ) -> None:
        self.page_access_token = page_access_token or "EAAB" + secrets.token_urlsafe(24)
        self.app_secret = app_secret or secrets.token_hex(16)
        self.api_version = api_version
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._messages: list[SentMessage] = []
        self._media: dict[str, tuple[bytes, str]] = {}
        self._script = Script()
        self._server = BackgroundServer(self._app())

    def __enter__(self) -> FakeMeta:
        self._server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._messages.clear()
            self._media.clear()
        self._script.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def messages(self) -> list[SentMessage]:
        with self._lock:
            return list(self._messages)

    def script(self, *replies: Reply) -> None:
        self._script.extend(replies)

    @staticmethod
    def graph_error(
        status: int,
        code: int,
        message: str,
        *,
        error_type: str = "OAuthException",
        is_transient: bool | None = None,
        subcode: int | None = None,
    ) -> Reply:
        """A Graph API error answer."""
        body = _graph_error_body(code, message, error_type, is_transient, subcode)
        return Reply(status, json=body)

    def add_media(self, content: bytes, content_type: str, name: str = "file") -> str:
        """Host ``content`` as Meta's CDN would; returns the attachment's URL."""
        token = secrets.token_hex(8)
        with self._lock:
            self._media[token] = (content, content_type)
        return f"{self.base_url}/cdn/{token}/{name}"

    def sign(self, body: bytes) -> str:
        """``X-Hub-Signature-256`` for ``body``: ``sha256=`` and the hex HMAC-SHA256 of the
        raw body keyed with the app secret."""
        digest = hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        return "sha256=" + digest

    # -- the app ------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        recorded = await record(request)
        with self._lock:
            self._requests.append(recorded)
        scripted = self._script.next()
        if scripted is not None:
            return scripted.response()
        if recorded.query.get("access_token") != [self.page_access_token]:
            return _graph_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        problem = _check_send(recorded.json)
        if problem:
            return _graph_error(400, 100, f"(#100) {problem}")
        message_id = "m_" + secrets.token_urlsafe(24)
        with self._lock:
            self._messages.append(SentMessage(message_id, recorded))
        recipient = recorded.json["recipient"]["id"]
        return JSONResponse({"recipient_id": recipient, "message_id": message_id})

    async def _cdn(self, request: Request) -> Response:
        recorded = await record(request)
        with self._lock:
            self._requests.append(recorded)
            media = self._media.get(request.path_params["token"])
        if media is None:
            return Response(status_code=404)
        return Response(media[0], media_type=media[1])

    async def _unknown(self, request: Request) -> Response:
        recorded = await record(request)
        with self._lock:
            self._requests.append(recorded)
        return _graph_error(400, 2500, "Unknown path components", error_type="OAuthException")

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(f"/{self.api_version}/me/messages", self._send, methods=["POST"]),
                Route("/cdn/{token}/{name}", self._cdn, methods=["GET"]),
                Route("/{path:path}", self._unknown, methods=["GET", "POST"]),
            ]
        )


def _check_send(body: Any) -> str | None:
    """What is wrong with a Send API request body, as the Graph API would say it."""
    if not isinstance(body, dict):
        return "The parameter recipient is required"
    recipient = body.get("recipient")
    if not isinstance(recipient, dict) or not isinstance(recipient.get("id"), str):
        return "The parameter recipient is required"
    if body.get("messaging_type") not in MESSAGING_TYPES:
        return "Param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG"
    message = body.get("message")
    if not isinstance(message, dict):
        return "The parameter message is required"
    has_text = isinstance(message.get("text"), str) and bool(message["text"])
    attachment = message.get("attachment")
    if has_text == (attachment is not None):
        return "Exactly one of text and attachment must be set"
    if attachment is not None:
        if not isinstance(attachment, dict) or attachment.get("type") not in ATTACHMENT_TYPES:
            return "Param message[attachment][type] must be one of image, video, audio, file"
        payload = attachment.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("url"), str):
            return "Param message[attachment][payload][url] is required"
    return None


def _graph_error_body(
    code: int,
    message: str,
    error_type: str = "OAuthException",
    is_transient: bool | None = None,
    subcode: int | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": error_type,
        "code": code,
        "fbtrace_id": "A" + secrets.token_urlsafe(16),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    return {"error": error}


def _graph_error(
    status: int, code: int, message: str, error_type: str = "OAuthException"
) -> JSONResponse:
    return JSONResponse(_graph_error_body(code, message, error_type), status_code=status)


def message_event(
    *,
    sender: str,
    recipient: str,
    text: str | None = None,
    attachments: Sequence[tuple[str, str]] = (),
    mid: str | None = None,
    timestamp_ms: int = 1_700_000_000_000,
) -> dict[str, Any]:
    """One ``messaging`` event carrying a customer's message (``attachments``: (type, url))."""
    message: dict[str, Any] = {"mid": mid or "m_" + secrets.token_urlsafe(24)}
    if text is not None:
        message["text"] = text
    if attachments:
        message["attachments"] = [
            {"type": kind, "payload": {"url": url}} for kind, url in attachments
        ]
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": timestamp_ms,
        "message": message,
    }


def webhook(obj: str, account_id: str, *events: dict[str, Any]) -> dict[str, Any]:
    """A webhook body (``obj``: ``"page"`` or ``"instagram"``) with one entry."""
    return {
        "object": obj,
        "entry": [{"id": account_id, "time": 1_700_000_000_500, "messaging": list(events)}],
    }

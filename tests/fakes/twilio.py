"""A fake Twilio: the parts of the REST API Helpline uses, on a real HTTP server.

Usage::

    with FakeTwilio() as twilio:                     # starts on http://127.0.0.1:<port>
        sender = TwilioSender(account_sid=twilio.account_sid,
                              auth_token=twilio.auth_token, base_url=twilio.base_url)
        ...
        twilio.messages[-1].field("Body")            # what was sent
        twilio.requests                              # every request, in order

What it serves (``base_url`` plays ``https://api.twilio.com``):

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: checks HTTP basic auth
  (401, Twilio error 20003), the account (404, 20404), ``To`` (21604 missing, 21211 not
  E.164), ``From`` (21603), ``Body`` or ``MediaUrl`` (21602); answers 201 with a Message
  resource (``sid`` ``SM…``, ``status`` ``queued``). Accepted sends are in
  :attr:`FakeTwilio.messages`.
- media: :meth:`FakeTwilio.add_media` stores content and returns its URL under
  ``/2010-04-01/Accounts/{sid}/Messages/MM…/Media/ME…`` (as in an MMS webhook's
  ``MediaUrl0``). ``protected=True`` (the default) requires the account's basic auth (401
  otherwise); ``via_cdn=True`` answers with a 307 to ``/cdn/…`` as Twilio redirects to its
  storage. :meth:`FakeTwilio.add_generated_media` streams ``size`` bytes made on the fly
  (with or without ``Content-Length``) and counts what it actually sent
  (:meth:`FakeTwilio.bytes_served`).

Scripted failures: :meth:`FakeTwilio.script` queues answers for the next requests to
``Messages.json``, consumed one per request before any check: ``Reply(429)``,
``Reply(500)``, ``FakeTwilio.error(400, 21610, "Attempt to send to unsubscribed
recipient")``, ``Reply.drop()`` (a connection cut in the middle of the answer). Scripted
requests are recorded in ``requests`` but create no message.

Webhook helpers for tests that play Twilio towards Helpline: :meth:`FakeTwilio.sign`
(``X-Twilio-Signature`` computed by the official ``twilio`` package),
:func:`inbound_form` and :func:`status_form` (forms shaped like Twilio's).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from tests.fakes.server import BackgroundServer, RecordedRequest, Reply, Script, record

API = "/2010-04-01"
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass(frozen=True)
class SentMessage:
    """A Message that the fake created: its sid and the form that asked for it."""

    sid: str
    request: RecordedRequest

    def field(self, name: str) -> str | None:
        return self.request.field(name)

    def fields(self, name: str) -> list[str]:
        return list((self.request.form or {}).get(name, []))


@dataclass
class _Media:
    content: bytes | None
    content_type: str
    protected: bool
    via_cdn: bool
    size: int = 0
    declare_length: bool = True
    served: int = 0


class FakeTwilio:
    """See the module's docstring."""

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
    ) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._messages: list[SentMessage] = []
        self._media: dict[str, _Media] = {}
        self._script = Script()
        self._server = BackgroundServer(self._app())

    # -- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> FakeTwilio:
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

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}{API}/Accounts/{self.account_sid}/Messages.json"

    def reset(self) -> None:
        """Forget requests, messages, media and the script (the server keeps running)."""
        with self._lock:
            self._requests.clear()
            self._messages.clear()
            self._media.clear()
        self._script.clear()

    # -- what happened ------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def messages(self) -> list[SentMessage]:
        with self._lock:
            return list(self._messages)

    # -- scripting ----------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        self._script.extend(replies)

    @staticmethod
    def error(status: int, code: int, message: str) -> Reply:
        """A Twilio REST error answer."""
        return Reply(status, json=_error_body(status, code, message))

    def add_media(
        self,
        content: bytes,
        content_type: str,
        *,
        protected: bool = True,
        via_cdn: bool = False,
    ) -> str:
        """Serve ``content``; returns its URL, shaped like an MMS webhook's ``MediaUrlN``."""
        return self._add(_Media(content, content_type, protected, via_cdn, size=len(content)))

    def add_generated_media(
        self,
        size: int,
        content_type: str = "video/mp4",
        *,
        declare_length: bool = False,
        protected: bool = True,
    ) -> str:
        """Serve ``size`` bytes generated in 64 KiB chunks while they are sent."""
        media = _Media(None, content_type, protected, False, size, declare_length)
        return self._add(media)

    def bytes_served(self, url: str) -> int:
        """How many bytes of the media at ``url`` the server has handed to the network."""
        with self._lock:
            return self._media[url.rsplit("/", 1)[-1]].served

    def _add(self, media: _Media) -> str:
        media_sid = new_sid("ME")
        with self._lock:
            self._media[media_sid] = media
        return (
            f"{self.base_url}{API}/Accounts/{self.account_sid}/Messages/"
            f"{new_sid('MM')}/Media/{media_sid}"
        )

    # -- webhooks towards Helpline ------------------------------------------------------

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """``X-Twilio-Signature`` for a form POST to ``url``, by Twilio's own library."""
        return RequestValidator(self.auth_token).compute_signature(url, dict(params))

    # -- the app ------------------------------------------------------------------------

    def _authorized(self, request: RecordedRequest) -> bool:
        return request.basic_auth == (self.account_sid, self.auth_token)

    async def _create_message(self, request: Request) -> Response:
        recorded = await record(request)
        with self._lock:
            self._requests.append(recorded)
        scripted = self._script.next()
        if scripted is not None:
            return scripted.response()
        if not self._authorized(recorded):
            return _error(401, 20003, "Authenticate")
        if request.path_params["account"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        to, sender = recorded.field("To"), recorded.field("From")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not E164.fullmatch(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not sender:
            return _error(400, 21603, "A 'From' phone number is required.")
        media_urls = (recorded.form or {}).get("MediaUrl", [])
        if not recorded.field("Body") and not media_urls:
            return _error(400, 21602, "Message body is required.")
        sid = new_sid("SM")
        with self._lock:
            self._messages.append(SentMessage(sid, recorded))
        now = format_datetime(datetime.now(UTC), usegmt=True)
        uri = f"{API}/Accounts/{self.account_sid}/Messages/{sid}.json"
        return JSONResponse(
            {
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "body": recorded.field("Body") or "",
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": sender,
                "messaging_service_sid": None,
                "num_media": str(len(media_urls)),
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
                "to": to,
                "uri": uri,
            },
            status_code=201,
        )

    async def _media_request(self, request: Request) -> Response:
        recorded = await record(request)
        with self._lock:
            self._requests.append(recorded)
            media = self._media.get(request.path_params["media"])
        if media is None or request.path_params["account"] != self.account_sid:
            return _error(404, 20404, "The requested resource was not found")
        if media.protected and not self._authorized(recorded):
            return _error(401, 20003, "Authenticate")
        if media.via_cdn:
            return RedirectResponse(f"/cdn/{request.path_params['media']}", status_code=307)
        return self._content(media)

    async def _cdn(self, request: Request) -> Response:
        recorded = await record(request)
        with self._lock:
            self._requests.append(recorded)
            media = self._media.get(request.path_params["media"])
        if media is None:
            return Response(status_code=404)
        return self._content(media)

    def _content(self, media: _Media) -> Response:
        if media.content is not None:
            with self._lock:
                media.served += len(media.content)
            return Response(media.content, media_type=media.content_type)
        return StreamingResponse(
            self._generate(media),
            media_type=media.content_type,
            headers={"content-length": str(media.size)} if media.declare_length else None,
        )

    async def _generate(self, media: _Media) -> AsyncIterator[bytes]:
        chunk = b"\0" * 65536
        left = media.size
        while left > 0:
            piece = chunk[: min(left, len(chunk))]
            left -= len(piece)
            with self._lock:
                media.served += len(piece)
            yield piece
            # Let the server notice a client that went away (uvicorn then drops what we
            # send without waiting, and only a pause lets Starlette cancel the stream).
            await asyncio.sleep(0)

    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    API + "/Accounts/{account}/Messages.json",
                    self._create_message,
                    methods=["POST"],
                ),
                Route(
                    API + "/Accounts/{account}/Messages/{message}/Media/{media}",
                    self._media_request,
                    methods=["GET"],
                ),
                Route("/cdn/{media}", self._cdn, methods=["GET"]),
            ]
        )


def _error_body(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(_error_body(status, code, message), status_code=status)


def inbound_form(
    *,
    account_sid: str,
    sender: str,
    to: str,
    body: str = "",
    media: Sequence[tuple[str, str]] = (),
    message_sid: str | None = None,
) -> dict[str, str]:
    """An incoming-message webhook form as Twilio posts it (``media``: (url, type) pairs)."""
    sid = message_sid or new_sid("MM" if media else "SM")
    form = {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": str(len(media)),
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    for index, (url, content_type) in enumerate(media):
        form[f"MediaUrl{index}"] = url
        form[f"MediaContentType{index}"] = content_type
    return form


def status_form(
    *,
    account_sid: str,
    message_sid: str,
    status: str,
    sender: str,
    to: str,
    error_code: str | None = None,
) -> dict[str, str]:
    """A status callback form as Twilio posts it for an outbound message."""
    form = {
        "SmsSid": message_sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": message_sid,
        "AccountSid": account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        form["ErrorCode"] = error_code
    return form

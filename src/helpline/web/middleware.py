"""ASGI middleware: body size limit, CSRF cookie, security headers, request metrics."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpline.http.deps import anonymous_language
from helpline.http.uploads import body_limit
from helpline.i18n import set_request_locale

HTTP_REQUESTS = Counter(
    "helpline_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "helpline_http_request_seconds", "Time to answer an HTTP request", ["method", "route"]
)


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse bodies over the limit with 413, whether or not Content-Length is declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = body_limit(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > max_bytes
            except ValueError:
                await self._refuse(send, 400, "Content-Length is not a number")
                return
            if too_large:
                await self._refuse(send, 413, self._message(max_bytes))
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(send, 413, self._message(max_bytes))

    @staticmethod
    def _message(max_bytes: int) -> str:
        return f"request body too large: the limit is {max_bytes} bytes"

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RequestLocale:
    """Every request starts in the anonymous visitor's language; a login overrides it.

    Set here, before routing, so that pages no dependency runs for (404s, failed logins)
    are translated too.
    """

    def __init__(self, app: ASGIApp, *, timezone: str, default_language: str) -> None:
        self.app = app
        self.timezone = timezone
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            connection = HTTPConnection(scope)
            set_request_locale(
                anonymous_language(connection, default=self.default_language), self.timezone
            )
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Headers every answer carries, the CSRF cookie, and request metrics."""

    def __init__(self, app: ASGIApp, *, csrf_cookie: str, secure_cookies: bool) -> None:
        self.app = app
        self.csrf_cookie = csrf_cookie
        self.secure_cookies = secure_cookies

    def _has_csrf_cookie(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"cookie" and f"{self.csrf_cookie}=".encode() in value:
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder: dict[str, Any] = {}

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                ]
                state = scope.get("state") or {}
                new_token = state.get("new_csrf_token")
                if new_token is None and not self._has_csrf_cookie(scope):
                    # Every browser gets its token early, so any later form can use it.
                    new_token = secrets.token_urlsafe(32)
                if new_token:
                    cookie = f"{self.csrf_cookie}={new_token}; Path=/; HttpOnly; SameSite=Lax"
                    if self.secure_cookies:
                        cookie += "; Secure"
                    headers.append((b"set-cookie", cookie.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, wrapped_send)
        finally:
            route = scope.get("route")
            app = scope.get("app")
            paths = getattr(getattr(app, "state", None), "route_paths", {}) if app else {}
            route_path = paths.get(id(route), getattr(route, "path", "unmatched"))
            method = scope.get("method", "")
            HTTP_REQUESTS.labels(method, route_path, str(status_holder.get("status", 500))).inc()
            HTTP_LATENCY.labels(method, route_path).observe(time.perf_counter() - started)

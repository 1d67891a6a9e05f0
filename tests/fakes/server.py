"""Plumbing shared by the fake providers: a real HTTP server on 127.0.0.1, what it
recorded, and the scripted answers that make it fail on purpose.

- :class:`BackgroundServer` serves an ASGI app with uvicorn in a thread of its own, on a
  free port of 127.0.0.1 (bound before the thread starts, so there is no race for it);
  ``with BackgroundServer(app) as server: server.base_url``.
- :class:`RecordedRequest`: method, path, query, headers (lower-case names), raw body, the
  parsed form (every value of every field) or JSON, and ``basic_auth``.
- :class:`Reply`: a scripted answer: ``Reply(status, json=...)`` or ``Reply.drop()``, which
  sends the status line and headers, a few bytes of a body it promised to be longer, and
  closes the connection (the client sees a broken response: a network error).
"""

from __future__ import annotations

import base64
import binascii
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

STARTUP_LIMIT_SECONDS = 15.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    form: dict[str, list[str]] | None = None
    json: Any = None

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        """``(user, password)`` from an ``Authorization: Basic`` header, else None."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (user, password) if sep else None

    def field(self, name: str) -> str | None:
        """The single value of a form field (None when absent)."""
        values = (self.form or {}).get(name)
        return values[-1] if values else None


async def record(request: Request) -> RecordedRequest:
    body = await request.body()
    form = None
    json_body: Any = None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    elif content_type.startswith("application/json"):
        try:
            json_body = await request.json()
        except ValueError:
            json_body = None
    return RecordedRequest(
        method=request.method,
        path=request.url.path,
        query=parse_qs(request.url.query, keep_blank_values=True),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        form=form,
        json=json_body,
    )


class _Drop(Response):
    """Promises 1,000 bytes, sends 10, then lets the connection die."""

    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"1000"), (b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"sid": "S', "more_body": True})
        # Returning without finishing the body makes uvicorn close the connection.


@dataclass(frozen=True)
class Reply:
    """A scripted answer to the next request on a fake's send endpoint."""

    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    dropped: bool = False

    @classmethod
    def drop(cls) -> Reply:
        return cls(dropped=True)

    def response(self) -> Response:
        if self.dropped:
            return _Drop()
        if self.json is None:
            return Response(status_code=self.status, headers=self.headers)
        return JSONResponse(self.json, status_code=self.status, headers=self.headers)


class Script:
    """A thread-safe queue of scripted replies, consumed one per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()

    def extend(self, replies: Iterable[Reply]) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def clear(self) -> None:
        with self._lock:
            self._replies.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._replies)


class BackgroundServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        if not self.port:
            raise RuntimeError("the server is not running")
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level="critical",
            access_log=False,
            loop="asyncio",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._socket = sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake provider's server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self.port = 0

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

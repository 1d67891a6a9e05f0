"""The SIP transaction user that runs inside ``helpline serve``.

It answers REGISTER (the registrar for agents' phones, with digest authentication),
OPTIONS (phones and trunks probe liveness with it) and refuses what it does not serve
with the response RFC 3261 asks for. Every REGISTER is one unit of work: the binding and
its events are committed before the phone hears 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.channels.sip.auth import SIP_REALM, DigestServer, parse_credentials
from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.message import (
    Request,
    Response,
    SipParseError,
    parse_cseq,
    parse_name_addr,
)
from helpline.channels.sip.transaction import ServerTransaction, Timers, new_tag
from helpline.channels.sip.transport import Peer
from helpline.devices import service as devices
from helpline.devices.service import (
    ContactBinding,
    IntervalTooBrief,
    OutOfOrder,
    Registration,
)
from helpline.errors import DomainError, NotAllowed
from helpline.storage.eventlog import StoredEvent
from helpline.storage.unit_of_work import unit_of_work
from helpline.timeutil import utcnow
from helpline.users import repository as users

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO"
EXPIRY_SWEEP_SECONDS = 30.0

Publisher = Callable[[list[StoredEvent]], Awaitable[None]]


class VoiceService:
    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        publish: Publisher | None,
        secret_key: str,
        timers: Timers | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._session_factory = session_factory
        self._publish = publish
        self._now = clock
        self.digest = DigestServer(
            realm=SIP_REALM,
            secret=f"sip-digest:{secret_key}".encode(),
            # MD5 first: sipp and many desk phones answer only the first challenge and
            # fail on an algorithm they do not know; RFC 8760 clients still find SHA-256.
            algorithms=("MD5", "SHA-256"),
        )
        self.endpoint = SipEndpoint(self, timers=timers)
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int) -> None:
        await self.endpoint.start(host, port)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_expired())
        log.info("SIP listening on %s:%d (UDP and TCP)", self.endpoint.host, self.endpoint.port)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for task in list(self._tasks):
            task.cancel()
        await self.endpoint.stop()

    @property
    def port(self) -> int:
        return self.endpoint.port

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("SIP request handling failed")

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- TransactionUser ----------------------------------------------------------------

    def on_request(self, transaction: ServerTransaction) -> None:
        request = transaction.request
        method = request.method
        if method == "REGISTER":
            self._spawn(self._register(transaction))
        elif method == "OPTIONS":
            transaction.respond(
                self.endpoint.response(
                    request,
                    200,
                    to_tag=new_tag(),
                    headers=[("Allow", ALLOW), ("Accept", "application/sdp")],
                )
            )
        elif method in ("INVITE", "BYE", "INFO"):
            # Calls arrive with the call plans; until then nobody is reachable here.
            status = 480 if method == "INVITE" else 481
            transaction.respond(self.endpoint.response(request, status, to_tag=new_tag()))
        else:
            transaction.respond(
                self.endpoint.response(request, 405, to_tag=new_tag(), headers=[("Allow", ALLOW)])
            )

    def on_cancel(self, transaction: ServerTransaction) -> None:
        log.debug("INVITE %s cancelled", transaction.request.headers.get("Call-ID"))

    def on_ack(self, request: Request, peer: Peer) -> None:
        log.debug("ACK from %s", peer)

    def on_stray_response(self, response: Response, peer: Peer) -> None:
        log.debug("stray %d from %s", response.status, peer)

    # ---- registrar ----------------------------------------------------------------------

    def _challenge(self, transaction: ServerTransaction, *, stale: bool = False) -> None:
        headers = [
            ("WWW-Authenticate", value)
            for value in self.digest.challenges(time.time(), stale=stale)
        ]
        transaction.respond(
            self.endpoint.response(transaction.request, 401, to_tag=new_tag(), headers=headers)
        )

    def _reject(
        self,
        transaction: ServerTransaction,
        status: int,
        reason: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        transaction.respond(
            self.endpoint.response(
                transaction.request, status, reason, to_tag=new_tag(), headers=headers or []
            )
        )

    async def _register(self, transaction: ServerTransaction) -> None:
        request = transaction.request
        authorization = request.headers.get("Authorization")
        if authorization is None:
            self._challenge(transaction)
            return
        try:
            credentials = parse_credentials(authorization)
            registration = _registration(request, transaction.peer)
        except SipParseError as error:
            self._reject(transaction, 400, error.reason or str(error))
            return
        now = self._now()
        try:
            async with unit_of_work(self._session_factory, self._publish) as session:
                user = await users.get_by_username(session, credentials.username.lower())
                ha1_value = None
                if user is not None and user.is_active:
                    ha1_value = (
                        user.sip_ha1_sha256
                        if credentials.algorithm == "SHA-256"
                        else user.sip_ha1_md5
                    )
                verdict = self.digest.check(
                    credentials, method="REGISTER", ha1_value=ha1_value, now=time.time()
                )
                if verdict == "stale":
                    self._challenge(transaction, stale=True)
                    return
                if verdict != "ok" or user is None:
                    log.info(
                        "SIP registration of %r from %s refused: wrong credentials",
                        credentials.username,
                        transaction.peer,
                    )
                    self._reject(transaction, 403, "Wrong user name or SIP password")
                    return
                bindings = await devices.register(
                    session=session, user=user, registration=registration, now=now
                )
                contacts = [
                    ("Contact", f"<{b.contact}>;expires={_remaining(b.expires_at, now)}")
                    for b in bindings
                ]
        except IntervalTooBrief as error:
            self._reject(transaction, 423, headers=[("Min-Expires", str(error.min_expires))])
            return
        except OutOfOrder as error:
            self._reject(transaction, 500, error.message)
            return
        except NotAllowed as error:
            self._reject(transaction, 403, error.message)
            return
        except DomainError as error:
            self._reject(transaction, 400, error.message)
            return
        transaction.respond(
            self.endpoint.response(
                request,
                200,
                to_tag=new_tag(),
                headers=[*contacts, ("Date", _http_date(now))],
            )
        )

    async def _sweep_expired(self) -> None:
        while True:
            await asyncio.sleep(EXPIRY_SWEEP_SECONDS)
            try:
                async with unit_of_work(self._session_factory, self._publish) as session:
                    await devices.expire(session=session, now=self._now())
            except Exception:
                log.exception("sweeping expired SIP registrations failed")


def _registration(request: Request, peer: Peer) -> Registration:
    aor = parse_name_addr(request.headers.get("To") or "")
    if aor.uri.user is None:
        raise SipParseError("the To header names no line (sip:EXTENSION@host)")
    contacts: list[ContactBinding] = []
    wildcard = False
    for value in request.headers.values("Contact"):
        contact = parse_name_addr(value)
        if contact.wildcard:
            wildcard = True
            continue
        expires = contact.params.get("expires")
        contacts.append(
            ContactBinding(uri=str(contact.uri), expires=_seconds(expires) if expires else None)
        )
    header = request.headers.get("Expires")
    number, _ = parse_cseq(request.headers.get("CSeq") or "")
    return Registration(
        extension=aor.uri.user,
        contacts=contacts,
        wildcard=wildcard,
        expires_header=_seconds(header) if header is not None else None,
        call_id=request.headers.get("Call-ID") or "",
        cseq=number,
        transport=peer.transport,
        source_host=peer.host,
        source_port=peer.port,
        user_agent=request.headers.get("User-Agent") or "",
    )


def _seconds(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise SipParseError(f"expires must be a number of seconds, not {text!r}") from None
    if value < 0:
        raise SipParseError("expires cannot be negative")
    return min(value, 2**32 - 1)


def _remaining(expires_at: datetime, now: datetime) -> int:
    return max(0, int((expires_at - now).total_seconds()))


def _http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")

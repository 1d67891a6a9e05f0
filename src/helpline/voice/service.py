"""The SIP transaction user that runs inside ``helpline serve``.

It answers REGISTER (the registrar for agents' phones, with digest authentication),
OPTIONS (phones and trunks probe liveness with it) and INVITE: a call to a number that a
call plan answers is answered and walks through the plan (``helpline.voice.calls``),
with its audio in the media engine, a child process this service starts. Every REGISTER
is one unit of work: the binding and its events are committed before the phone hears
200. What it does not serve gets the response RFC 3261 asks for.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from helpline.acd.service import AcdService
from helpline.call_plans import service as call_plans
from helpline.call_plans.models import CallPlan
from helpline.call_plans.schemas import CallPlanGraph
from helpline.channels.media.client import MediaEngineClient
from helpline.channels.sip.auth import SIP_REALM, DigestServer, parse_credentials
from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.message import (
    Request,
    Response,
    SipParseError,
    parse_cseq,
    parse_name_addr,
    parse_uri,
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
from helpline.errors import DomainError, NotAllowed, NotFound
from helpline.i18n import normalize_language
from helpline.prompts import catalog as prompt_catalog
from helpline.prompts import service as prompts
from helpline.realtime.bus import EventBus
from helpline.storage.event_writer import EventWriter
from helpline.storage.eventlog import StoredEvent, append_event
from helpline.storage.unit_of_work import unit_of_work
from helpline.timeutil import utcnow
from helpline.trunks import service as trunks
from helpline.trunks.addresses import parse_ip, resolve_host
from helpline.trunks.registration import RegistrationResult, TrunkRegistrar
from helpline.trunks.schemas import TrunkSettings
from helpline.users import repository as users
from helpline.voice.calls import InboundCall
from helpline.voice.controls import CallControls
from helpline.voice.events import CallEnded, CallStarted, VoicemailLeft
from helpline.voice.legs import CallLeg, InboundLeg, OutboundLeg

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO"
EXPIRY_SWEEP_SECONDS = 30.0
# What the calls read on every call and admins seldom change: kept in memory, forgotten
# when one of these events says it changed.
CACHED_CONFIGURATION_EVENTS = ("call_plan.", "prompt.", "music.")
PHONE_EVENTS = ("device.", "user.")  # phones registered; users' lines
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
CALLER_EVENTS = ("device.", "user.", "trunk.")  # who may place calls
ANYONE: tuple[IPNetwork, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
MAX_CACHED_CALLERS = 4096
MAX_CACHED_UNKNOWN_NUMBERS = 10_000  # scanners dial random numbers: bound what they cost

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
        acd: AcdService | None = None,
        data_dir: Path = Path("."),
        timezone: str = "UTC",
        language: str = "en",
        rtp_ports: tuple[int, int] | None = None,
        digest_algorithms: tuple[str, ...] = ("MD5",),
        bus: EventBus | None = None,
        trusted_networks: Sequence[IPNetwork] = ANYONE,
    ) -> None:
        self._session_factory = session_factory
        self._trusted_networks = tuple(trusted_networks)
        # source address -> whether it may place calls (trusted, a trunk, a phone)
        self._callers: dict[str, bool] = {}
        self._bus = bus
        # None: no call plan answers the number.
        self._plans: dict[str, tuple[CallPlan, CallPlanGraph] | None] = {}
        self._prompt_paths: dict[tuple[str, str], Path] = {}
        self._music_path: Path | None = None
        # extension -> (binding expiry, (extension, address, URI)) of its registered phones
        self._phones: dict[str, list[tuple[datetime, tuple[str, Peer, str]]]] = {}
        self._first_lines: dict[str, str | None] = {}  # agent -> first line, when no session
        self._stop_listening: Callable[[], None] | None = None
        self.events = EventWriter(session_factory, publish)
        self._acd = acd
        self.data_dir = data_dir
        self.timezone = timezone
        self.language = language
        self._rtp_ports = rtp_ports
        self._media: MediaEngineClient | None = None
        self.media_host = "127.0.0.1"
        self.calls: dict[str, InboundCall] = {}  # by SIP Call-ID of the caller's leg
        self.legs: dict[str, CallLeg] = {}  # every leg by Call-ID
        self._by_contact: dict[str, InboundCall] = {}
        self._ending_legs: set[str] = set()  # Call-IDs of finished calls' legs
        self._by_media_leg: dict[str, InboundCall] = {}
        # Agents whose browser softphone is connected: agent id -> its engine leg.
        self.softphones: dict[str, str] = {}
        self._publish = publish
        self._now = clock
        self.digest = DigestServer(
            realm=SIP_REALM,
            secret=f"sip-digest:{secret_key}".encode(),
            algorithms=digest_algorithms,
        )
        self._secret_key = secret_key
        self.endpoint = SipEndpoint(self, timers=timers)
        self._trunk_registrar = TrunkRegistrar(on_result=self._trunk_registration_result)
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.controls = CallControls(self, session_factory=session_factory, publish=publish)

    async def start(self, host: str, port: int) -> None:
        await self.endpoint.start(host, port)
        self.media_host = self.endpoint.host
        if self._rtp_ports is not None:
            self._media = MediaEngineClient(
                host=self.media_host, rtp_ports=self._rtp_ports, on_event=self._on_media_event
            )
            await self._media.start()
        if self._acd is not None:
            self._acd.observe(self._on_acd_events)
        self.events.start()
        if self._bus is not None:
            self._stop_listening = self._bus.listen(self._configuration_changed)
        self._trunk_registrar.start(self.endpoint, self._wanted_trunks)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_expired())
        log.info("SIP listening on %s:%d (UDP and TCP)", self.endpoint.host, self.endpoint.port)

    async def stop(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._trunk_registrar.stop(), 5)
        if self._media is not None:
            await self._media.stop()
        await self.endpoint.stop()
        await self.events.stop()  # the calls' last events (ended) are written

    @property
    def port(self) -> int:
        return self.endpoint.port

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("SIP request handling failed")

        task = asyncio.get_running_loop().create_task(run())
        # Cancelled before it ran (at shutdown): close the work so it is not left pending.
        task.add_done_callback(lambda done: work.close() if done.cancelled() else None)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- TransactionUser ----------------------------------------------------------------

    def on_request(self, transaction: ServerTransaction) -> None:
        request = transaction.request
        method = request.method
        leg = self.legs.get(request.headers.get("Call-ID") or "")
        if leg is not None and method not in ("REGISTER",):
            if method == "INVITE" and not _has_to_tag(request):
                # A retransmission with a new branch, or a forked copy: one call per Call-ID.
                transaction.respond(self.endpoint.response(request, 482, to_tag=new_tag()))
                return
            leg.on_request(transaction)
            return
        if method == "INVITE" and not _has_to_tag(request):
            self._spawn(self._incoming_call(transaction))
            return
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
        elif method in ("INVITE", "BYE", "INFO", "UPDATE"):
            # In-dialog requests for no dialog we know (RFC 3261 12.2.2).
            transaction.respond(self.endpoint.response(request, 481, to_tag=new_tag()))
        else:
            transaction.respond(
                self.endpoint.response(request, 405, to_tag=new_tag(), headers=[("Allow", ALLOW)])
            )

    def on_cancel(self, transaction: ServerTransaction) -> None:
        leg = self.legs.get(transaction.request.headers.get("Call-ID") or "")
        if isinstance(leg, InboundLeg):
            leg.on_cancel()

    def on_ack(self, request: Request, peer: Peer) -> None:
        leg = self.legs.get(request.headers.get("Call-ID") or "")
        if isinstance(leg, InboundLeg):
            leg.on_ack()

    def on_stray_response(self, response: Response, peer: Peer) -> None:
        leg = self.legs.get(response.headers.get("Call-ID") or "")
        cseq = (response.headers.get("CSeq") or "").split()
        if (
            isinstance(leg, OutboundLeg)
            and 200 <= response.status < 300
            and cseq[-1:] == ["INVITE"]
        ):
            leg.on_stray_2xx()  # our ACK was lost: the phone retransmits its 200

    # ---- calls --------------------------------------------------------------------------

    @property
    def media(self) -> MediaEngineClient:
        if self._media is None:
            raise RuntimeError("the media engine is not running")
        return self._media

    @property
    def acd(self) -> AcdService:
        if self._acd is None:
            raise RuntimeError("the ACD is not running")
        return self._acd

    def now(self) -> datetime:
        return self._now()

    async def _incoming_call(self, transaction: ServerTransaction) -> None:
        request = transaction.request
        try:
            number = request.parsed_uri().user or ""
        except SipParseError:
            number = ""
        leg = InboundLeg(self.endpoint, transaction)
        if self._media is None or not self._media.running or self._acd is None:
            leg.reject(503, "Voice is not running")
            return
        source = transaction.peer.host
        if not await self._may_call(source):
            log.warning(
                "call to %s from %s refused: not a trunk, phone or trusted network", number, source
            )
            leg.reject(403, "Calls are accepted from trunks and registered phones")
            return
        # Known at once: a CANCEL may arrive while the plan is looked up.
        self.legs[leg.call_id] = leg
        found = await self._plan_for(number)
        if found is None:
            leg.reject(404, f"No call plan answers {number}"[:80])
            self.legs.pop(leg.call_id, None)
            return
        if transaction.cancelled:
            self.legs.pop(leg.call_id, None)
            return
        plan, graph = found
        self.events.append(
            CallStarted(
                call_id=leg.call_id, number=number, caller=leg.caller, call_plan_id=plan.id
            ),
            occurred_at=self._now(),
        )
        call = InboundCall(self, leg, number, graph)
        self.calls[leg.call_id] = call
        self._by_media_leg[call.media_leg] = call
        leg.ring()
        await call.run()

    def call_finished(self, call: InboundCall) -> None:
        self.calls.pop(call.leg.call_id, None)
        self.legs.pop(call.leg.call_id, None)
        self._by_media_leg.pop(call.media_leg, None)
        for contact_id in call.tracked_contacts:
            if self._by_contact.get(contact_id) is call:
                del self._by_contact[contact_id]
        # An agent's leg may still be hanging up: kept until it has ended (a later call's
        # end looks again), so that its BYE's answer finds it. Only these few are looked
        # at: scanning every leg at every call's end cost O(calls) a call.
        self._ending_legs.update(call.tracked_legs)
        for leg_id in list(self._ending_legs):
            leg = self.legs.get(leg_id)
            if leg is None or leg.state.value == "ended":
                self._ending_legs.discard(leg_id)
                self.legs.pop(leg_id, None)
        self.events.append(
            CallEnded(call_id=call.leg.call_id, number=call.number, outcome=call.outcome),
            occurred_at=self._now(),
        )

    # ---- configuration the calls read, cached --------------------------------------------

    async def _plan_for(self, number: str) -> tuple[CallPlan, CallPlanGraph] | None:
        if number in self._plans:  # None is remembered too: no plan answers it
            return self._plans[number]
        async with self._session_factory() as session:
            found = await call_plans.plan_for_number(session=session, number=number)
        if found is None and len(self._plans) >= MAX_CACHED_UNKNOWN_NUMBERS:
            self._plans = {key: value for key, value in self._plans.items() if value is not None}
        self._plans[number] = found
        return found

    async def _may_call(self, host: str) -> bool:
        """Whether a call from ``host`` is accepted: a trusted network, an enabled trunk's
        address, or the address a user's phone registered from."""
        allowed = self._callers.get(host)
        if allowed is not None:
            return allowed
        address = parse_ip(host)
        if address is None:
            allowed = False
        elif any(address in network for network in self._trusted_networks):
            allowed = True
        else:
            async with self._session_factory() as session:
                allowed = await trunks.trunk_for_source(
                    session=session, host=host
                ) is not None or await devices.registered_from(
                    session=session, host=host, now=self._now()
                )
        if len(self._callers) >= MAX_CACHED_CALLERS:
            self._callers.clear()
        self._callers[host] = allowed
        return allowed

    def forget_configuration(self) -> None:
        self._plans.clear()
        self._prompt_paths.clear()
        self._music_path = None

    def _configuration_changed(self, events: Sequence[StoredEvent]) -> None:
        if any(event.type.startswith(CACHED_CONFIGURATION_EVENTS) for event in events):
            self.forget_configuration()
        if any(event.type.startswith(PHONE_EVENTS) for event in events):
            self._phones.clear()
            self._first_lines.clear()
        if any(event.type.startswith(CALLER_EVENTS) for event in events):
            self._callers.clear()

    def track_contact(self, contact_id: str, call: InboundCall) -> None:
        self._by_contact[contact_id] = call
        call.tracked_contacts.add(contact_id)

    def track_leg(self, leg: CallLeg, call: InboundCall) -> None:
        self.legs[leg.call_id] = leg
        call.tracked_legs.add(leg.call_id)

    def _on_acd_events(self, events: Sequence[Any]) -> None:
        for event in events:
            contact_id = getattr(event, "contact_id", None)
            call = self._by_contact.get(contact_id) if contact_id else None
            if call is not None:
                call.on_acd_event(event)

    def _on_media_event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "engine_restarted":
            log.error("the media engine restarted: ending %d call(s)", len(self.calls))
            for call in list(self.calls.values()):
                self._spawn(call.leg.hangup())
            return
        owner = self._by_media_leg.get(str(event.get("leg")))
        if owner is not None:
            owner.on_media_event(event)

    @property
    def prompt_language(self) -> str:
        """The callers' language: the organization's, where Helpline ships prompts in it."""
        language = normalize_language(self.language)
        return (
            language if language in prompt_catalog.LANGUAGES else prompt_catalog.FALLBACK_LANGUAGE
        )

    async def prompt(self, key: str) -> Path:
        cache_key = (key, self.language)
        cached = self._prompt_paths.get(cache_key)
        if cached is not None:
            return cached
        async with self._session_factory() as session:
            path = await prompts.prompt_path(
                session=session, key=key, language=self.language, data_dir=self.data_dir
            )
        self._prompt_paths[cache_key] = path
        return path

    async def hold_music(self) -> Path:
        if self._music_path is None:
            async with self._session_factory() as session:
                self._music_path = await prompts.hold_music_path(
                    session=session, data_dir=self.data_dir
                )
        return self._music_path

    async def position_prompts(self, position: int, estimated_wait: float | None) -> list[Path]:
        """ "You are number 3 in line. Your estimated wait is 4 minutes." """
        language = self.prompt_language
        keys = prompts.position_prompts(position, language)
        if estimated_wait is not None:
            keys += prompts.wait_prompts(estimated_wait, language)
        files = []
        for key in keys:
            try:
                files.append(await self.prompt(key))
            except NotFound:
                log.warning("prompt %s is missing: the announcement skips it", key)
        return files

    async def agent_devices(self, agent_id: str) -> list[tuple[str, Peer, str]]:
        """The registered phones of the agent's session line: (extension, address, URI)."""
        extension = self.acd.lines.get(agent_id)
        if extension is None:
            if agent_id not in self._first_lines:
                async with self._session_factory() as session:
                    user = await users.get(session, int(agent_id))
                line = user.lines[0].extension if user is not None and user.lines else None
                self._first_lines[agent_id] = line
            extension = self._first_lines[agent_id]
            if extension is None:
                return []
        return await self.extension_devices(extension)

    async def extension_devices(self, extension: str) -> list[tuple[str, Peer, str]]:
        """Registered phones from memory (every offer rings them): read again after any
        ``device.*`` or ``user.*`` event; a binding that expired since is left out."""
        now = self._now()
        cached = self._phones.get(extension)
        if cached is None:
            async with self._session_factory() as session:
                rows = await devices.bindings_of(session=session, extension=extension, now=now)
            cached = [
                (row.expires_at, (row.extension, _device_peer(row), row.contact)) for row in rows
            ]
            self._phones[extension] = cached
        return [device for expires_at, device in cached if expires_at > now]

    # ---- trunks ---------------------------------------------------------------------------

    async def _wanted_trunks(self) -> list[TrunkSettings]:
        async with unit_of_work(self._session_factory, self._publish) as session:
            return await trunks.registrations_wanted(session=session, secret_key=self._secret_key)

    async def _trunk_registration_result(
        self, trunk: TrunkSettings, result: RegistrationResult
    ) -> None:
        async with unit_of_work(self._session_factory, self._publish) as session:
            await trunks.record_registration_state(
                session=session,
                trunk_id=trunk.id,
                state=result.state,
                detail=result.detail,
                now=self._now(),
            )

    def trunks_changed(self) -> None:
        self._trunk_registrar.reload()

    async def outbound_target(
        self, number: str
    ) -> tuple[Peer, str, str, tuple[str, str] | None] | None:
        """How to dial an outside number: (address, Request-URI, From URI, credentials)."""
        async with self._session_factory() as session:
            route = await trunks.outbound_route(
                session=session, number=number, secret_key=self._secret_key
            )
        if route is None:
            return None
        trunk = route.trunk
        literal = parse_ip(trunk.host)
        addresses = (literal,) if literal is not None else await resolve_host(trunk.host)
        if not addresses:
            return None
        address = sorted(addresses, key=lambda item: item.version)[0]
        domain = trunk.from_domain or trunk.host
        credentials = (
            (route.credentials.username, route.credentials.password) if route.credentials else None
        )
        caller_id = trunk.caller_id or "anonymous"
        return (
            Peer(trunk.transport, str(address), trunk.port),
            f"sip:{number}@{trunk.host}:{trunk.port}",
            f"sip:{caller_id}@{domain}",
            credentials,
        )

    # ---- the browser softphone (helpline.softphone attaches and detaches it) -----------

    def softphone_attached(self, agent_id: str, media_leg: str) -> None:
        self.softphones[agent_id] = media_leg

    def softphone_detached(self, agent_id: str) -> None:
        self.softphones.pop(agent_id, None)
        for call in self.calls.values():
            if call.softphone_agent == agent_id:
                call.agent_done.set()  # the agent's audio is gone: end the call

    def call_of_agent(self, agent_id: str) -> InboundCall | None:
        """The call the agent is connected to, through any device."""
        for call in self.calls.values():
            if call.connected and agent_id in (call.softphone_agent, call.connected_agent):
                return call
        return None

    async def hold(self, agent_id: str) -> None:
        """The caller hears hold music; the agent hears nothing from them."""
        call = self.call_of_agent(agent_id)
        if call is None:
            raise NotFound("you are not on a call")
        agent_leg = call.agent_media
        if agent_leg is None:
            raise NotFound("you are not on a call")
        # Holding the agent's leg: its partner, the caller, hears the music.
        await self.media.hold(agent_leg, [str(await self.hold_music())])

    async def unhold(self, agent_id: str) -> None:
        call = self.call_of_agent(agent_id)
        if call is None:
            raise NotFound("you are not on a call")
        agent_leg = call.agent_media
        if agent_leg is None:
            raise NotFound("you are not on a call")
        await self.media.unhold(agent_leg)

    async def send_digit(self, agent_id: str, digit: str) -> None:
        """The agent's keypad: RFC 4733 towards the caller (an IVR on the far end)."""
        call = self.call_of_agent(agent_id)
        if call is None:
            raise NotFound("you are not on a call")
        await self.media.send_dtmf(call.media_leg, digit)

    def offer_display(self, queue_id: str | None, leg: InboundLeg) -> str:
        """What the agent's phone shows: the queue, then who calls."""
        queue = self.acd.queue_names.get(queue_id or "", "") if queue_id else ""
        caller = leg.caller_name or leg.caller or "anonymous"
        return f"{queue}: {caller}" if queue else caller

    def voicemail_path(self, call_id: str) -> Path:
        safe = "".join(c if c.isalnum() else "_" for c in call_id)[:80]
        return self.data_dir / "voicemail" / f"{self._now():%Y%m%d-%H%M%S}-{safe}.wav"

    async def voicemail_left(
        self, call: InboundCall, contact_id: str, path: Path, queue_id: str
    ) -> None:
        async with unit_of_work(self._session_factory, self._publish) as session:
            append_event(
                session,
                VoicemailLeft(
                    call_id=call.leg.call_id,
                    caller=call.leg.caller,
                    queue_id=queue_id,
                    contact_id=contact_id,
                    recording=str(path.relative_to(self.data_dir))
                    if path.is_relative_to(self.data_dir)
                    else str(path),
                ),
                occurred_at=self._now(),
            )

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
        # A refresh publishes no event, but may move the phone or extend its binding.
        self._phones.pop(registration.extension, None)
        if self._callers.get(transaction.peer.host) is False:
            del self._callers[transaction.peer.host]  # it may call now
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


def _device_peer(binding: Any) -> Peer:
    """Where to send a request for a registered phone.

    A phone that wrote its own address in Contact and registered from it is reached there.
    One whose Contact names another host (a private address behind NAT) is reached where its
    REGISTER came from, as is any phone on TCP (the connection it opened is the way in).
    """
    source = Peer(binding.transport, binding.source_host, binding.source_port)
    if binding.transport != "UDP":
        return source
    try:
        uri = parse_uri(binding.contact)
    except SipParseError:
        return source
    if uri.host.strip("[]") != binding.source_host:
        return source
    return Peer("UDP", binding.source_host, uri.port or 5060)


def _has_to_tag(request: Request) -> bool:
    return ";tag=" in (request.headers.get("To") or "").replace(" ", "").lower()


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

"""Registering Helpline to carriers (RFC 3261 section 10, the client side).

Many carriers deliver a trunk's calls only to an address that has registered with the
trunk's credentials. ``register_once`` sends one REGISTER through our SIP stack, answers
one digest challenge (401 or 407, RFC 7616/8760) and reports what the registrar granted
or why it refused. ``TrunkRegistrar`` keeps every wanted trunk registered: it refreshes
at 90 % of the granted time and, after a failure, tries again after 30 s, 60 s, 120 s …
at most every 300 s.

Nothing here touches the database: the voice service gives the registrar a function that
loads the wanted trunks (``service.registrations_wanted``) and one that records each
outcome (``service.record_registration_state``), each in its own unit of work::

    async def load() -> list[TrunkSettings]:
        async with unit_of_work(factory, publish) as session:
            return await trunks.registrations_wanted(session=session, secret_key=key)

    async def report(trunk: TrunkSettings, result: RegistrationResult) -> None:
        async with unit_of_work(factory, publish) as session:
            await trunks.record_registration_state(
                session=session, trunk_id=trunk.id, state=result.state,
                detail=result.detail, now=utcnow())

    registrar = TrunkRegistrar(on_result=report)
    registrar.start(endpoint, load)      # after the endpoint started
    registrar.reload()                   # when trunks changed (or wait for the next poll)
    await registrar.stop()               # unregisters, before the endpoint stops
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from helpline.channels.sip.auth import answer_challenge
from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.message import (
    Headers,
    Request,
    Response,
    SipParseError,
    parse_auth_params,
    parse_name_addr,
)
from helpline.channels.sip.transaction import TransactionTimeout, new_call_id, new_tag
from helpline.channels.sip.transport import Peer
from helpline.trunks.addresses import Resolve, parse_ip, resolve_host
from helpline.trunks.schemas import TrunkSettings

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 300.0
REFRESH_RATIO = 0.9
# Below this a registrar's grant is refreshed at once rather than at 90 %: a registrar
# that grants 1 s would otherwise be hammered, one that grants 0 did not register us.
MIN_REFRESH_SECONDS = 1.0
RELOAD_SECONDS = 60.0

LoadTrunks = Callable[[], Awaitable[Sequence[TrunkSettings]]]


@dataclass(frozen=True, slots=True)
class RegistrationIds:
    """What RFC 3261 10.2.4 keeps across refreshes: Call-ID, From tag, a rising CSeq."""

    call_id: str
    from_tag: str
    cseq: int

    @classmethod
    def new(cls, host: str) -> RegistrationIds:
        return cls(call_id=new_call_id(host), from_tag=new_tag(), cseq=0)


@dataclass(frozen=True, slots=True)
class RegistrationResult:
    ok: bool
    # The final status of the last REGISTER; None when none came (timeout, DNS).
    status: int | None
    # Seconds the registrar granted (ok only).
    expires: int | None
    # For a person: "200 OK, registered for 600 s" or why it failed.
    detail: str
    # To pass to the next REGISTER of the same registration (its CSeq is the last used).
    ids: RegistrationIds

    @property
    def state(self) -> Literal["ok", "failed"]:
        return "ok" if self.ok else "failed"


def _uri_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _aor_user(trunk: TrunkSettings) -> str:
    if trunk.credentials is not None:
        return trunk.credentials.username
    return trunk.caller_id or "helpline"


def _contact(endpoint: SipEndpoint, trunk: TrunkSettings) -> str:
    params = ";transport=tcp" if trunk.transport == "TCP" else ""
    return f"<sip:{_aor_user(trunk)}@{_uri_host(endpoint.host)}:{endpoint.port}{params}>"


def _request_uri(trunk: TrunkSettings) -> str:
    # RFC 3261 10.2: the registrar's domain, no user part.
    if trunk.from_domain:
        return f"sip:{_uri_host(trunk.from_domain)}"
    port = "" if trunk.port == 5060 else f":{trunk.port}"
    return f"sip:{_uri_host(trunk.host)}{port}"


def _register(
    endpoint: SipEndpoint,
    trunk: TrunkSettings,
    ids: RegistrationIds,
    expires: int,
    authorization: tuple[str, str] | None,
) -> Request:
    aor = f"<sip:{_aor_user(trunk)}@{_uri_host(trunk.domain)}>"
    headers = Headers()
    headers.add("From", f"{aor};tag={ids.from_tag}")
    headers.add("To", aor)
    headers.add("Call-ID", ids.call_id)
    headers.add("CSeq", f"{ids.cseq} REGISTER")
    headers.add("Contact", _contact(endpoint, trunk))
    headers.add("Expires", str(expires))
    if authorization is not None:
        headers.add(*authorization)
    return Request("REGISTER", _request_uri(trunk), headers)


def _granted(response: Response, endpoint: SipEndpoint, requested: int) -> int:
    """The registrar's grant for our Contact (RFC 3261 10.2.4), else its Expires header."""
    for value in response.headers.values("Contact"):
        try:
            contact = parse_name_addr(value)
        except SipParseError:
            continue
        uri = contact.uri
        if uri.host.strip("[]") == endpoint.host and (uri.port or 5060) == endpoint.port:
            expires = contact.params.get("expires")
            if expires and expires.isdigit():
                return int(expires)
    header = response.headers.get("Expires")
    if header and header.strip().isdigit():
        return int(header.strip())
    return requested


def _answer(response: Response, trunk: TrunkSettings, request: Request) -> tuple[str, str] | None:
    """The (Proxy-)Authorization header for the first challenge we can answer."""
    assert trunk.credentials is not None
    if response.status == 407:
        challenges, name = response.headers.get_all("Proxy-Authenticate"), "Proxy-Authorization"
    else:
        challenges, name = response.headers.get_all("WWW-Authenticate"), "Authorization"
    for challenge in challenges:
        try:
            value = answer_challenge(
                challenge,
                method="REGISTER",
                uri=request.uri,
                username=trunk.credentials.username,
                password=trunk.credentials.password,
            )
        except SipParseError:
            continue  # a scheme or algorithm we do not know: the next may do
        return name, value
    return None


def _is_stale(response: Response) -> bool:
    for name in ("WWW-Authenticate", "Proxy-Authenticate"):
        for challenge in response.headers.get_all(name):
            with contextlib.suppress(SipParseError):
                if parse_auth_params(challenge)[1].get("stale", "").lower() == "true":
                    return True
    return False


def _status_text(response: Response) -> str:
    return f"{response.status} {response.reason}".strip()


async def _peer(trunk: TrunkSettings, resolve: Resolve) -> Peer | None:
    literal = parse_ip(trunk.host)
    addresses = (literal,) if literal is not None else await resolve(trunk.host)
    if not addresses:
        return None
    # IPv4 first: the SIP socket is usually bound to an IPv4 address.
    address = sorted(addresses, key=lambda item: item.version)[0]
    return Peer(trunk.transport, str(address), trunk.port)


async def register_once(
    endpoint: SipEndpoint,
    trunk: TrunkSettings,
    *,
    ids: RegistrationIds | None = None,
    expires: int | None = None,
    resolve: Resolve | None = None,
) -> RegistrationResult:
    """REGISTER ``trunk`` (``expires=0``: unregister), answering one challenge.

    ``ids`` continues an earlier registration (same Call-ID, next CSeq); without it a new
    one starts. Never raises for what the network or the carrier does: that is a failed
    result with its reason.
    """
    ids = ids or RegistrationIds.new(endpoint.host)
    requested = trunk.register_expires if expires is None else expires
    peer = await _peer(trunk, resolve or resolve_host)
    if peer is None:
        return RegistrationResult(False, None, None, f"cannot resolve {trunk.host}", ids)
    authorization: tuple[str, str] | None = None
    answered = 0
    retried_interval = False
    while True:
        ids = replace(ids, cseq=ids.cseq + 1)
        request = _register(endpoint, trunk, ids, requested, authorization)
        try:
            response = await endpoint.send_request(request, peer).final()
        except TransactionTimeout:
            return RegistrationResult(False, None, None, f"no answer from {peer}", ids)
        status = response.status
        if 200 <= status < 300:
            if requested == 0:
                return RegistrationResult(True, status, 0, "unregistered", ids)
            granted = _granted(response, endpoint, requested)
            if granted <= 0:
                return RegistrationResult(
                    False, status, None, f"{_status_text(response)} but no time granted", ids
                )
            detail = f"{_status_text(response)}, registered for {granted} s"
            return RegistrationResult(True, status, granted, detail, ids)
        if status in (401, 407):
            if trunk.credentials is None:
                reason = trunk.credentials_problem or "the trunk has no user name and password"
                return RegistrationResult(
                    False,
                    status,
                    None,
                    f"{_status_text(response)}: the carrier asks for credentials; {reason}",
                    ids,
                )
            # One challenge is answered; a second only if it says our nonce went stale.
            if answered >= 2 or (answered == 1 and not _is_stale(response)):
                return RegistrationResult(
                    False,
                    status,
                    None,
                    f"{_status_text(response)}: the carrier refused the credentials of "
                    f"{trunk.credentials.username!r}",
                    ids,
                )
            authorization = _answer(response, trunk, request)
            if authorization is None:
                return RegistrationResult(
                    False,
                    status,
                    None,
                    f"{_status_text(response)}: no challenge Helpline can answer "
                    "(digest with MD5 or SHA-256)",
                    ids,
                )
            answered += 1
            continue
        if status == 423 and not retried_interval:
            # Interval Too Brief: the registrar names the shortest time it accepts.
            minimum = (response.headers.get("Min-Expires") or "").strip()
            if minimum.isdigit() and requested < int(minimum):
                requested = int(minimum)
                retried_interval = True
                continue
        return RegistrationResult(False, status, None, _status_text(response), ids)


def retry_delay(failures: int, *, first: float, maximum: float) -> float:
    """Seconds to wait after the ``failures``-th failure in a row (1, 2, …): doubling."""
    return min(first * 2.0 ** max(failures - 1, 0), maximum)


OnResult = Callable[[TrunkSettings, RegistrationResult], Awaitable[None]]


class TrunkRegistrar:
    """Keeps every wanted trunk registered, each in its own task."""

    def __init__(
        self,
        *,
        on_result: OnResult | None = None,
        reload_seconds: float = RELOAD_SECONDS,
        first_retry: float = FIRST_RETRY_SECONDS,
        max_retry: float = MAX_RETRY_SECONDS,
        refresh_ratio: float = REFRESH_RATIO,
        resolve: Resolve | None = None,
    ) -> None:
        self._on_result = on_result
        self.reload_seconds = reload_seconds
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.refresh_ratio = refresh_ratio
        self._resolve = resolve
        self._endpoint: SipEndpoint | None = None
        self._load: LoadTrunks | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._keepers: dict[int, tuple[TrunkSettings, asyncio.Task[None]]] = {}
        self._ids: dict[int, RegistrationIds] = {}
        self._registered: dict[int, TrunkSettings] = {}
        self._cleanup: set[asyncio.Task[None]] = set()
        # The last outcome per trunk id.
        self.results: dict[int, RegistrationResult] = {}

    def start(self, endpoint: SipEndpoint, load_trunks: LoadTrunks) -> None:
        """Start keeping trunks registered; ``load_trunks`` is asked again on every poll."""
        if self._supervisor is not None:
            raise RuntimeError("the trunk registrar is already running")
        self._endpoint = endpoint
        self._load = load_trunks
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise())

    def reload(self) -> None:
        """Ask for the wanted trunks now (trunks were changed)."""
        self._wake.set()

    async def stop(self, *, unregister: bool = True, wait_seconds: float = 2.0) -> None:
        """Stop every task; unregister what is registered, waiting at most ``wait_seconds``."""
        tasks = [task for _, task in self._keepers.values()]
        if self._supervisor is not None:
            tasks.append(self._supervisor)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._keepers.clear()
        self._supervisor = None
        if unregister:
            for trunk in list(self._registered.values()):
                self._spawn_unregister(trunk)
        if self._cleanup:
            await asyncio.wait(list(self._cleanup), timeout=wait_seconds)
        for task in list(self._cleanup):
            task.cancel()

    # ---- inside ---------------------------------------------------------------------

    async def _supervise(self) -> None:
        assert self._load is not None
        while True:
            self._wake.clear()
            try:
                wanted = {trunk.id: trunk for trunk in await self._load()}
            except Exception:
                # A database hiccup must not unregister every trunk: keep what runs.
                log.exception("cannot load the trunks to register; trying again later")
            else:
                self._sync(wanted)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.reload_seconds):
                    await self._wake.wait()

    def _sync(self, wanted: dict[int, TrunkSettings]) -> None:
        for trunk_id, (settings, task) in list(self._keepers.items()):
            if wanted.get(trunk_id) != settings:
                task.cancel()
                del self._keepers[trunk_id]
                registered = self._registered.pop(trunk_id, None)
                if registered is not None and trunk_id not in wanted:
                    # Gone, disabled or no longer registering: tell the carrier.
                    self._spawn_unregister(registered)
        loop = asyncio.get_running_loop()
        for trunk_id, settings in wanted.items():
            if trunk_id not in self._keepers:
                self._keepers[trunk_id] = (settings, loop.create_task(self._keep(settings)))

    async def _keep(self, trunk: TrunkSettings) -> None:
        assert self._endpoint is not None
        failures = 0
        while True:
            ids = self._ids.get(trunk.id) or RegistrationIds.new(self._endpoint.host)
            try:
                result = await register_once(self._endpoint, trunk, ids=ids, resolve=self._resolve)
            except Exception:
                # A bug must not end the keeper: the trunk would silently stay unregistered.
                log.exception("registering trunk %r failed unexpectedly", trunk.name)
                result = RegistrationResult(False, None, None, "internal error", ids)
            self._ids[trunk.id] = result.ids
            self.results[trunk.id] = result
            if result.ok:
                self._registered[trunk.id] = trunk
            else:
                self._registered.pop(trunk.id, None)
            await self._report(trunk, result)
            if result.ok and result.expires:
                failures = 0
                delay = max(result.expires * self.refresh_ratio, MIN_REFRESH_SECONDS)
            else:
                failures += 1
                delay = retry_delay(failures, first=self.first_retry, maximum=self.max_retry)
                log.warning(
                    "trunk %r did not register (%s); trying again in %.0f s",
                    trunk.name,
                    result.detail,
                    delay,
                )
            await asyncio.sleep(delay)

    async def _report(self, trunk: TrunkSettings, result: RegistrationResult) -> None:
        if self._on_result is None:
            return
        try:
            await self._on_result(trunk, result)
        except Exception:
            log.exception("cannot record the registration of trunk %r", trunk.name)

    def _spawn_unregister(self, trunk: TrunkSettings) -> None:
        endpoint = self._endpoint
        ids = self._ids.pop(trunk.id, None)
        if endpoint is None or ids is None:
            return

        async def unregister() -> None:
            result = await register_once(endpoint, trunk, ids=ids, expires=0, resolve=self._resolve)
            if not result.ok:
                log.info("trunk %r: unregistering failed (%s)", trunk.name, result.detail)

        task = asyncio.get_running_loop().create_task(unregister())
        self._cleanup.add(task)
        task.add_done_callback(self._cleanup.discard)

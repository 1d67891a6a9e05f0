"""RFC 3261 section 17 transactions, with the RFC 6026 Accepted states.

Each transaction is a small state machine: every input (a message, a timer) is handled by
a method that returns the next state, and the transaction stores it. Timers only run
where RFC 3261 asks for them: retransmission timers only over UDP, the wait timers of the
Completed states shortened to zero over TCP.
"""

from __future__ import annotations

import asyncio
import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpline.channels.sip.message import Headers, Request, Response, parse_via
from helpline.channels.sip.transport import Peer

if TYPE_CHECKING:
    from helpline.channels.sip.endpoint import SipEndpoint

MAGIC_COOKIE = "z9hG4bK"


@dataclass(frozen=True, slots=True)
class Timers:
    """T1, T2 and T4 of RFC 3261 (tests shorten them)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0


def new_branch() -> str:
    return MAGIC_COOKIE + secrets.token_hex(8)


def new_tag() -> str:
    return secrets.token_hex(6)


def new_call_id(host: str) -> str:
    return f"{secrets.token_hex(10)}@{host}"


class TransactionTimeout(Exception):
    """No final response came in time (timer B or F); the TU treats it as a 408."""


class State(enum.Enum):
    TRYING = "trying"  # non-INVITE client and server
    CALLING = "calling"  # INVITE client
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"  # INVITE server, after the ACK of a failure
    ACCEPTED = "accepted"  # INVITE, after a 2xx (RFC 6026)
    TERMINATED = "terminated"


def server_key(request: Request) -> tuple[str, str, str] | None:
    """Matches retransmissions and ACK/CANCEL to a server transaction (RFC 3261 17.2.3)."""
    vias = request.headers.values("Via")
    if not vias:
        return None
    via = parse_via(vias[0])
    branch = via.branch
    if not branch or not branch.startswith(MAGIC_COOKIE) or branch == MAGIC_COOKIE:
        # A bare cookie identifies nothing (RFC 4475 3.2.1): serve it unmatched, as RFC 2543.
        return None
    sent_by = f"{via.host}:{via.port or 5060}"
    method = "INVITE" if request.method == "ACK" else request.method
    return branch, sent_by, method


class _Transaction:
    def __init__(self, endpoint: SipEndpoint, peer: Peer) -> None:
        self.endpoint = endpoint
        self.peer = peer
        self.reliable = peer.transport != "UDP"
        self.timers = endpoint.timers
        self.state = State.TRYING
        self._handles: dict[str, asyncio.TimerHandle] = {}

    def _start_timer(self, name: str, delay: float, fire: Callable[[], State]) -> None:
        self._stop_timer(name)

        def run() -> None:
            self._handles.pop(name, None)
            if self.state is not State.TERMINATED:
                self._enter(fire())

        self._handles[name] = self.endpoint.loop.call_later(delay, run)

    def _stop_timer(self, name: str) -> None:
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _enter(self, state: State) -> None:
        self.state = state
        if state is State.TERMINATED:
            for handle in self._handles.values():
                handle.cancel()
            self._handles.clear()
            self._terminated()

    def _terminated(self) -> None:
        raise NotImplementedError


class ServerTransaction(_Transaction):
    """A request we received and must answer; the TU answers with :meth:`respond`."""

    def __init__(
        self, endpoint: SipEndpoint, request: Request, peer: Peer, key: tuple[str, str, str] | None
    ) -> None:
        super().__init__(endpoint, peer)
        self.request = request
        self.key = key
        self.is_invite = request.method == "INVITE"
        self.state = State.PROCEEDING if self.is_invite else State.TRYING
        self.last_response: bytes | None = None
        self.final_status: int | None = None
        self.cancelled = False
        self.to_tag: str | None = None
        self._retransmit_interval = self.timers.t1
        if self.is_invite:
            # RFC 3261 17.2.1: a 100 within 200 ms stops the caller's retransmissions.
            self._start_timer("trying", 0.2, self._send_trying)

    def _send_trying(self) -> State:
        if self.last_response is None:
            self.respond(self.endpoint.response(self.request, 100))
        return self.state

    def respond(self, response: Response) -> None:
        if self.state in (State.COMPLETED, State.CONFIRMED, State.TERMINATED):
            return  # a final response was already sent; RFC 3261 forbids another
        if self.state is State.ACCEPTED and not 200 <= response.status < 300:
            return
        self._stop_timer("trying")
        if self.to_tag is None:
            to = response.headers.get("To") or ""
            if ";tag=" in to:
                self.to_tag = to.split(";tag=", 1)[1].split(";", 1)[0].strip()
        data = response.encode()
        self.last_response = data
        self.endpoint.transport.send(data, self.peer)
        self._enter(self._on_response_sent(response.status))

    def _on_response_sent(self, status: int) -> State:
        if status < 200:
            return State.PROCEEDING
        self.final_status = status
        if self.is_invite:
            if status < 300:
                # 2xx retransmissions belong to the TU (13.3.1.4); we only absorb INVITE
                # retransmissions and stay matchable for Timer L.
                self._start_timer("L", 64 * self.timers.t1, lambda: State.TERMINATED)
                return State.ACCEPTED
            if not self.reliable:
                self._start_timer("G", self._retransmit_interval, self._timer_g)
            self._start_timer("H", 64 * self.timers.t1, self._timer_h)
            return State.COMPLETED
        self._start_timer(
            "J", 0 if self.reliable else 64 * self.timers.t1, lambda: State.TERMINATED
        )
        return State.COMPLETED

    def _timer_g(self) -> State:
        if self.state is State.COMPLETED and self.last_response is not None:
            self.endpoint.transport.send(self.last_response, self.peer)
            self._retransmit_interval = min(2 * self._retransmit_interval, self.timers.t2)
            self._start_timer("G", self._retransmit_interval, self._timer_g)
        return self.state

    def _timer_h(self) -> State:
        # The caller never acknowledged our failure response.
        return State.TERMINATED

    def on_retransmission(self, request: Request) -> None:
        """A copy of the request, or the ACK of our non-2xx final response."""
        if request.method == "ACK":
            if self.state is State.COMPLETED:
                self._stop_timer("G")
                self._stop_timer("H")
                self._start_timer(
                    "I", 0 if self.reliable else self.timers.t4, lambda: State.TERMINATED
                )
                self._enter(State.CONFIRMED)
            return
        if self.state in (State.PROCEEDING, State.COMPLETED) and self.last_response is not None:
            self.endpoint.transport.send(self.last_response, self.peer)

    def _terminated(self) -> None:
        self.endpoint._forget_server(self)


ResponseCallback = Callable[[Response], None]


class ClientTransaction(_Transaction):
    """A request we sent; ``await final()`` gives its final response."""

    def __init__(
        self,
        endpoint: SipEndpoint,
        request: Request,
        peer: Peer,
        *,
        on_provisional: ResponseCallback | None = None,
        on_extra_2xx: ResponseCallback | None = None,
    ) -> None:
        super().__init__(endpoint, peer)
        self.request = request
        self.is_invite = request.method == "INVITE"
        top = parse_via(request.headers.values("Via")[0])
        assert top.branch is not None
        self.branch = top.branch
        self.key = (self.branch, request.method)
        self.on_provisional = on_provisional
        self.on_extra_2xx = on_extra_2xx
        self._final: asyncio.Future[Response] = endpoint.loop.create_future()
        self._data = request.encode()
        self._interval = self.timers.t1
        self.state = State.CALLING if self.is_invite else State.TRYING

    def start(self) -> None:
        self.endpoint.transport.send(self._data, self.peer)
        if not self.reliable:
            self._start_timer("A", self._interval, self._retransmit)
        self._start_timer("B", 64 * self.timers.t1, self._timeout)

    async def final(self) -> Response:
        return await asyncio.shield(self._final)

    def _retransmit(self) -> State:
        if self.state in (State.CALLING, State.TRYING) or (
            not self.is_invite and self.state is State.PROCEEDING
        ):
            self.endpoint.transport.send(self._data, self.peer)
            if self.is_invite:
                self._interval *= 2
            else:
                self._interval = min(2 * self._interval, self.timers.t2)
                if self.state is State.PROCEEDING:
                    self._interval = self.timers.t2
            self._start_timer("A", self._interval, self._retransmit)
        return self.state

    def _timeout(self) -> State:
        if self.is_invite and self.state is not State.CALLING:
            # Timer B only covers an INVITE that got no answer at all; once it rings, the
            # TU decides how long to wait and CANCELs.
            return self.state
        if not self._final.done():
            self._final.set_exception(TransactionTimeout(f"no answer to {self.request.method}"))
        return State.TERMINATED

    def cancel_timers_for_final(self) -> None:
        self._stop_timer("A")
        self._stop_timer("B")

    def on_response(self, response: Response) -> None:
        self._enter(self._handle_response(response))

    def _handle_response(self, response: Response) -> State:
        status = response.status
        if status < 200:
            if self.state in (State.CALLING, State.TRYING, State.PROCEEDING):
                if self.is_invite:
                    self._stop_timer("A")
                if self.on_provisional is not None:
                    self.on_provisional(response)
                return State.PROCEEDING
            return self.state
        if self.state is State.ACCEPTED:
            if status < 300 and self.on_extra_2xx is not None:
                self.on_extra_2xx(response)  # a forked or retransmitted 2xx: the TU ACKs it
            return self.state
        if self.state is State.COMPLETED:
            if self.is_invite and status >= 300:
                self._send_ack(response)  # our ACK was lost: send it again
            return self.state
        self.cancel_timers_for_final()
        if not self._final.done():
            self._final.set_result(response)
        if self.is_invite:
            if status < 300:
                self._start_timer("M", 64 * self.timers.t1, lambda: State.TERMINATED)
                return State.ACCEPTED
            self._send_ack(response)
            self._start_timer("D", 0 if self.reliable else 32.0, lambda: State.TERMINATED)
            return State.COMPLETED
        self._start_timer("K", 0 if self.reliable else self.timers.t4, lambda: State.TERMINATED)
        return State.COMPLETED

    def _send_ack(self, response: Response) -> None:
        """The ACK of a non-2xx final response belongs to the transaction (17.1.1.3)."""
        original = self.request.headers
        headers = Headers()
        headers.add("Via", original.values("Via")[0])
        for name in ("Route",):
            for value in original.get_all(name):
                headers.add(name, value)
        headers.add("Max-Forwards", "70")
        headers.add("From", original.get("From") or "")
        headers.add("To", response.headers.get("To") or original.get("To") or "")
        headers.add("Call-ID", original.get("Call-ID") or "")
        number = (original.get("CSeq") or "1").split()[0]
        headers.add("CSeq", f"{number} ACK")
        ack = Request("ACK", self.request.uri, headers)
        self.endpoint.transport.send(ack.encode(), self.peer)

    def _terminated(self) -> None:
        if not self._final.done():
            self._final.set_exception(TransactionTimeout(f"{self.request.method} ended unanswered"))
        self.endpoint._forget_client(self)

"""The SIP endpoint: transport plus transactions, and the interface to the TU.

The transaction user (the registrar, the call handling) sees whole requests as server
transactions to answer, and sends requests as client transactions to await. Everything
RFC 3261 puts below the TU happens here: matching retransmissions, ACK of failures,
CANCEL, 100 Trying, received/rport on the Via.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol

from helpline.channels.sip.message import (
    Headers,
    Message,
    Request,
    Response,
    SipParseError,
    parse_via,
    response_to,
)
from helpline.channels.sip.transaction import (
    MAGIC_COOKIE,
    ClientTransaction,
    ResponseCallback,
    ServerTransaction,
    Timers,
    new_branch,
    new_tag,
    server_key,
)
from helpline.channels.sip.transport import Peer, SipTransport

log = logging.getLogger(__name__)

SUPPORTED_SCHEMES = frozenset({"sip", "sips", "tel"})
USER_AGENT = "Helpline"


class TransactionUser(Protocol):
    def on_request(self, transaction: ServerTransaction) -> None:
        """A new request (never ACK or CANCEL); answer it with ``transaction.respond``."""

    def on_cancel(self, transaction: ServerTransaction) -> None:
        """The INVITE of this transaction was cancelled and has been answered with 487."""

    def on_ack(self, request: Request, peer: Peer) -> None:
        """The ACK of a 2xx to an INVITE (its own transaction, RFC 3261 17.1.1.3)."""

    def on_stray_response(self, response: Response, peer: Peer) -> None:
        """A response no transaction waits for (e.g. a retransmitted 2xx to INVITE)."""


class SipEndpoint:
    def __init__(
        self,
        user: TransactionUser,
        *,
        timers: Timers | None = None,
        advertised_host: str | None = None,
    ) -> None:
        self.user = user
        self.timers = timers or Timers()
        self.transport = SipTransport(self._on_message)
        self._advertised_host = advertised_host
        self._servers: dict[tuple[str, str, str], ServerTransaction] = {}
        self._clients: dict[tuple[str, str], ClientTransaction] = {}
        self.loop: asyncio.AbstractEventLoop

    async def start(self, host: str, port: int, *, tcp: bool = True) -> None:
        self.loop = asyncio.get_running_loop()
        await self.transport.start(host, port, tcp=tcp)

    async def stop(self) -> None:
        await self.transport.stop()

    @property
    def host(self) -> str:
        return self._advertised_host or self.transport.host

    @property
    def port(self) -> int:
        return self.transport.port

    # ---- building messages -------------------------------------------------------------

    def response(
        self,
        request: Request,
        status: int,
        reason: str | None = None,
        *,
        to_tag: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> Response:
        extra = list(headers)
        if not any(name.lower() == "server" for name, _ in extra):
            extra.append(("Server", USER_AGENT))
        return response_to(request, status, reason, to_tag=to_tag, headers=extra, body=body)

    def via(self, transport: str) -> str:
        return f"SIP/2.0/{transport} {self.host}:{self.port};branch={new_branch()};rport"

    # ---- sending ------------------------------------------------------------------------

    def send_request(
        self,
        request: Request,
        peer: Peer,
        *,
        on_provisional: ResponseCallback | None = None,
        on_extra_2xx: ResponseCallback | None = None,
    ) -> ClientTransaction:
        if not request.headers.get("Via"):
            request.headers.add("Via", self.via(peer.transport), first=True)
        if "Max-Forwards" not in request.headers:
            request.headers.add("Max-Forwards", "70")
        if "User-Agent" not in request.headers:
            request.headers.add("User-Agent", USER_AGENT)
        transaction = ClientTransaction(
            self, request, peer, on_provisional=on_provisional, on_extra_2xx=on_extra_2xx
        )
        self._clients[transaction.key] = transaction
        transaction.start()
        return transaction

    def send_ack(self, ack: Request, peer: Peer) -> None:
        """ACK of a 2xx: end to end, outside any transaction."""
        if not ack.headers.get("Via"):
            ack.headers.add("Via", self.via(peer.transport), first=True)
        if "Max-Forwards" not in ack.headers:
            ack.headers.add("Max-Forwards", "70")
        self.transport.send(ack.encode(), peer)

    def send_response(self, response: Response, peer: Peer) -> None:
        """A response outside a transaction (retransmissions of a 2xx to INVITE)."""
        self.transport.send(response.encode(), peer)

    def cancel(self, invite: ClientTransaction) -> ClientTransaction:
        """CANCEL an INVITE we sent (RFC 3261 9.1): same branch, Request-URI and Route."""
        original = invite.request.headers
        headers = Headers()
        headers.add("Via", original.values("Via")[0])
        for value in original.get_all("Route"):
            headers.add("Route", value)
        headers.add("Max-Forwards", "70")
        for name in ("From", "To", "Call-ID"):
            headers.add(name, original.get(name) or "")
        headers.add("CSeq", f"{(original.get('CSeq') or '1').split()[0]} CANCEL")
        request = Request("CANCEL", invite.request.uri, headers)
        transaction = ClientTransaction(self, request, invite.peer)
        self._clients[transaction.key] = transaction
        transaction.start()
        return transaction

    # ---- receiving ----------------------------------------------------------------------

    def _on_message(self, message: Message, peer: Peer) -> None:
        if isinstance(message, Response):
            self._on_response(message, peer)
        else:
            self._on_request(message, peer)

    def _on_response(self, response: Response, peer: Peer) -> None:
        vias = response.headers.values("Via")
        if not vias:
            return
        try:
            branch = parse_via(vias[0]).branch
        except SipParseError:
            return
        cseq = response.headers.get("CSeq", "") or ""
        method = cseq.split()[-1] if cseq.split() else ""
        transaction = self._clients.get((branch or "", method))
        if transaction is None:
            self.user.on_stray_response(response, peer)
            return
        transaction.on_response(response)

    def _stamp_via(self, request: Request, peer: Peer) -> None:
        """RFC 3261 18.2.1 received, RFC 3581 rport: where the response must really go."""
        values = request.headers.values("Via")
        top = parse_via(values[0])
        changed = False
        if top.host.strip("[]") != peer.host:
            top.params["received"] = peer.host
            changed = True
        if "rport" in top.params and top.params["rport"] is None:
            top.params["rport"] = str(peer.port)
            top.params["received"] = peer.host
            changed = True
        if changed:
            rest = values[1:]
            request.headers.remove("Via")
            request.headers.add("Via", str(top))
            for value in rest:
                request.headers.add("Via", value)

    def _on_request(self, request: Request, peer: Peer) -> None:
        try:
            self._stamp_via(request, peer)
            key = server_key(request)
        except (SipParseError, IndexError):
            log.info("request without a usable Via from %s dropped", peer)
            return
        if request.method == "ACK":
            existing = self._servers.get(key) if key else None
            if existing is not None and existing.final_status and existing.final_status >= 300:
                existing.on_retransmission(request)
            else:
                self.user.on_ack(request, peer)
            return
        if request.method == "CANCEL":
            self._on_cancel(request, peer, key)
            return
        if key is not None:
            existing = self._servers.get(key)
            if existing is not None:
                existing.on_retransmission(request)
                return
        transaction = ServerTransaction(self, request, peer, key)
        if key is not None:
            self._servers[key] = transaction
        scheme = request.uri.split(":", 1)[0].lower()
        if scheme not in SUPPORTED_SCHEMES:
            transaction.respond(self.response(request, 416, headers=[("Unsupported", scheme)]))
            return
        if not (key and key[0].startswith(MAGIC_COOKIE)):
            # RFC 2543 peers (no magic cookie) still get served; only matching is weaker.
            log.debug("request without an RFC 3261 branch from %s", peer)
        self.user.on_request(transaction)

    def _on_cancel(self, request: Request, peer: Peer, key: tuple[str, str, str] | None) -> None:
        invite_key = (key[0], key[1], "INVITE") if key else None
        cancel_key = key
        if cancel_key is not None and cancel_key in self._servers:
            self._servers[cancel_key].on_retransmission(request)
            return
        cancel_tx = ServerTransaction(self, request, peer, cancel_key)
        if cancel_key is not None:
            self._servers[cancel_key] = cancel_tx
        invite_tx = self._servers.get(invite_key) if invite_key else None
        if invite_tx is None or not invite_tx.is_invite:
            cancel_tx.respond(self.response(request, 481))
            return
        cancel_tx.respond(self.response(request, 200))
        if invite_tx.final_status is None:
            invite_tx.cancelled = True
            invite_tx.respond(
                self.response(invite_tx.request, 487, to_tag=invite_tx.to_tag or new_tag())
            )
            self.user.on_cancel(invite_tx)

    def _forget_server(self, transaction: ServerTransaction) -> None:
        if transaction.key is not None and self._servers.get(transaction.key) is transaction:
            del self._servers[transaction.key]

    def _forget_client(self, transaction: ClientTransaction) -> None:
        if self._clients.get(transaction.key) is transaction:
            del self._clients[transaction.key]

    @property
    def transaction_count(self) -> int:
        return len(self._servers) + len(self._clients)

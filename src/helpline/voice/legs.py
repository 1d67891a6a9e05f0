"""Call legs: one SIP dialog each, seen from Helpline's side.

An *inbound* leg is a caller's INVITE that we answer; an *outbound* leg is our INVITE to
an agent's phone. The voice service joins legs through the media engine; this module only
speaks SIP: provisional and final answers, the 2xx retransmission that RFC 3261 13.3.1.4
puts on the UAS core, ACK of our own 2xx, CANCEL, BYE, re-INVITE and INFO.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from helpline.channels.sip import sdp
from helpline.channels.sip.dialog import Dialog
from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.message import Headers, Request, Response, SipParseError
from helpline.channels.sip.transaction import (
    ClientTransaction,
    ServerTransaction,
    TransactionTimeout,
    new_call_id,
    new_tag,
)
from helpline.channels.sip.transport import Peer

log = logging.getLogger(__name__)

SDP = "application/sdp"


class LegState(enum.Enum):
    NEW = "new"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Media:
    """Where a leg's audio goes and how it is coded (the result of offer/answer)."""

    host: str
    port: int
    codec: str
    payload_type: int
    dtmf_payload_type: int | None


EndedCallback = Callable[["CallLeg", str], None]
DigitCallback = Callable[["CallLeg", str], None]


class CallLeg:
    def __init__(self, endpoint: SipEndpoint, call_id: str, peer: Peer) -> None:
        self.endpoint = endpoint
        self.call_id = call_id
        self.peer = peer
        self.state = LegState.NEW
        self.dialog: Dialog | None = None
        self.remote_media: Media | None = None
        self.local_sdp: bytes = b""
        self.on_ended: EndedCallback | None = None
        self.on_digit: DigitCallback | None = None
        self.on_media_changed: Callable[[CallLeg], None] | None = None
        self.ended_reason: str | None = None
        self._ended = asyncio.Event()
        self._session_version = 1
        self.session_id = secrets.randbelow(2**31)

    @property
    def contact(self) -> str:
        transport = (
            "" if self.peer.transport == "UDP" else f";transport={self.peer.transport.lower()}"
        )
        return f"<sip:helpline@{self.endpoint.host}:{self.endpoint.port}{transport}>"

    def _finish(self, reason: str) -> None:
        if self.state is LegState.ENDED:
            return
        self.state = LegState.ENDED
        self.ended_reason = reason
        self._ended.set()
        if self.on_ended is not None:
            self.on_ended(self, reason)

    async def wait_ended(self) -> str:
        await self._ended.wait()
        return self.ended_reason or ""

    async def hangup(self) -> None:
        """BYE an answered leg (the other ways to end depend on the direction)."""
        if self.state is not LegState.ANSWERED or self.dialog is None:
            return
        bye = self.dialog.request("BYE")
        transaction = self.endpoint.send_request(bye, self.dialog.peer)
        self._finish("local")
        with contextlib.suppress(TransactionTimeout):
            await transaction.final()

    def on_request(self, transaction: ServerTransaction) -> None:
        """An in-dialog request from the other side."""
        request = transaction.request
        if self.dialog is not None and not self.dialog.accept_remote_cseq(request):
            transaction.respond(self.endpoint.response(request, 500, "CSeq out of order"))
            return
        method = request.method
        if method == "BYE":
            transaction.respond(self.endpoint.response(request, 200))
            self._finish("remote")
        elif method == "INFO":
            from helpline.channels.media.dtmf import parse_sip_info_dtmf

            digit = parse_sip_info_dtmf(request.headers.get("Content-Type") or "", request.body)
            transaction.respond(self.endpoint.response(request, 200))
            if digit and self.on_digit is not None:
                self.on_digit(self, digit)
        elif method == "INVITE":
            self._reinvite(transaction)
        elif method in ("OPTIONS", "UPDATE"):
            transaction.respond(self.endpoint.response(request, 200))
        else:
            transaction.respond(self.endpoint.response(request, 405))

    def _reinvite(self, transaction: ServerTransaction) -> None:
        """Hold, resume or a session refresh: keep our side, follow the other's address."""
        request = transaction.request
        if request.body:
            try:
                chosen = sdp.negotiate(sdp.parse(request.body))
            except sdp.SdpError as error:
                transaction.respond(self.endpoint.response(request, 488, str(error)[:80]))
                return
            self.remote_media = Media(
                chosen.remote_address,
                chosen.remote_port,
                chosen.codec,
                chosen.payload_type,
                chosen.dtmf_payload_type,
            )
            if self.on_media_changed is not None:
                self.on_media_changed(self)
        self._session_version += 1
        body = _bump_version(self.local_sdp, self._session_version)
        transaction.respond(
            self.endpoint.response(
                request,
                200,
                headers=[("Contact", self.contact), ("Content-Type", SDP)],
                body=body,
            )
        )


def _bump_version(body: bytes, version: int) -> bytes:
    try:
        description = sdp.parse(body)
    except sdp.SdpError:
        return body
    description.session_version = version
    return description.encode()


def media_of(offer_or_answer: bytes, supported: tuple[str, ...] = ("PCMU", "PCMA")) -> Media:
    chosen = sdp.negotiate(sdp.parse(offer_or_answer), supported)
    return Media(
        chosen.remote_address,
        chosen.remote_port,
        chosen.codec,
        chosen.payload_type,
        chosen.dtmf_payload_type,
    )


class InboundLeg(CallLeg):
    """A call that reached us; answered with our media address."""

    def __init__(self, endpoint: SipEndpoint, transaction: ServerTransaction) -> None:
        request = transaction.request
        super().__init__(endpoint, request.headers.get("Call-ID") or "", transaction.peer)
        self.invite = transaction
        self.local_tag = new_tag()
        self._ack = asyncio.Event()
        self._retransmit: asyncio.Task[None] | None = None

    @property
    def caller(self) -> str | None:
        from helpline.channels.sip.message import parse_name_addr

        try:
            sender = parse_name_addr(self.invite.request.headers.get("From") or "")
        except SipParseError:
            return None
        return sender.uri.user

    @property
    def caller_name(self) -> str | None:
        from helpline.channels.sip.message import parse_name_addr

        try:
            return parse_name_addr(self.invite.request.headers.get("From") or "").display_name
        except SipParseError:
            return None

    def ring(self) -> None:
        if self.state is LegState.NEW:
            self.state = LegState.RINGING
            self.invite.respond(
                self.endpoint.response(self.invite.request, 180, to_tag=self.local_tag)
            )

    def reject(self, status: int, reason: str | None = None) -> None:
        if self.state in (LegState.NEW, LegState.RINGING):
            self.invite.respond(
                self.endpoint.response(self.invite.request, status, reason, to_tag=self.local_tag)
            )
            self._finish(f"rejected {status}")

    def answer(self, local_sdp: bytes) -> None:
        """200 OK with our SDP; retransmitted until the caller's ACK (RFC 3261 13.3.1.4)."""
        if self.state not in (LegState.NEW, LegState.RINGING):
            return
        self.local_sdp = local_sdp
        response = self.endpoint.response(
            self.invite.request,
            200,
            to_tag=self.local_tag,
            headers=[("Contact", self.contact), ("Content-Type", SDP), ("Allow", ALLOW)],
            body=local_sdp,
        )
        self.invite.respond(response)
        self.dialog = Dialog.as_uas(self.invite.request, response, self.peer, self.contact)
        self.state = LegState.ANSWERED
        self._retransmit = asyncio.get_running_loop().create_task(self._retransmit_2xx(response))

    async def _retransmit_2xx(self, response: Response) -> None:
        timers = self.endpoint.timers
        interval = timers.t1
        waited = 0.0
        reliable = self.peer.transport != "UDP"
        while waited < 64 * timers.t1:
            try:
                async with asyncio.timeout(interval):
                    await self._ack.wait()
                return
            except TimeoutError:
                waited += interval
                if not reliable:
                    self.endpoint.send_response(response, self.peer)
                interval = min(2 * interval, timers.t2)
        log.info("call %s: no ACK for our 200 OK, hanging up", self.call_id)
        await self.hangup()

    def on_ack(self) -> None:
        self._ack.set()

    def on_cancel(self) -> None:
        self._finish("cancelled")

    def _finish(self, reason: str) -> None:
        if self._retransmit is not None and not self._retransmit.done():
            self._ack.set()
        super()._finish(reason)


ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"


class OutboundLeg(CallLeg):
    """Our INVITE to a phone (an agent's device, a transfer target)."""

    def __init__(
        self,
        endpoint: SipEndpoint,
        *,
        peer: Peer,
        request_uri: str,
        from_uri: str,
        from_name: str | None,
        to_uri: str,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(endpoint, new_call_id(endpoint.host), peer)
        # (user, password) for a carrier that challenges our INVITE (401/407).
        self.credentials = credentials
        self.request_uri = request_uri
        self.from_uri = from_uri
        self.from_name = from_name
        self.to_uri = to_uri
        self.local_tag = new_tag()
        self._invite: ClientTransaction | None = None
        self.ringing = asyncio.Event()

    def _invite_request(self, local_sdp: bytes, cseq: int | None = None) -> Request:
        headers = Headers()
        display = ""
        if self.from_name:
            escaped = self.from_name.replace("\\", "\\\\").replace('"', '\\"')
            display = f'"{escaped}" '
        headers.add("From", f"{display}<{self.from_uri}>;tag={self.local_tag}")
        headers.add("To", f"<{self.to_uri}>")
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{cseq or secrets.randbelow(2**16) + 1} INVITE")
        headers.add("Contact", self.contact)
        headers.add("Allow", ALLOW)
        headers.add("Content-Type", SDP)
        return Request("INVITE", self.request_uri, headers, local_sdp)

    async def invite(self, local_sdp: bytes) -> Response:
        """Ring the phone; returns its final answer (2xx: the leg is answered and ACKed)."""
        self.local_sdp = local_sdp
        self.state = LegState.RINGING
        request = self._invite_request(local_sdp)

        def provisional(response: Response) -> None:
            if response.status in (180, 183):
                self.ringing.set()

        self._invite = self.endpoint.send_request(
            request, self.peer, on_provisional=provisional, on_extra_2xx=self._ack_again
        )
        try:
            response = await self._invite.final()
            if (
                response.status in (401, 407)
                and self.credentials
                and self.state is LegState.RINGING
            ):
                try:
                    request = self._authenticated(request, response)
                except SipParseError:
                    self._finish(f"rejected {response.status}")
                    return response
                self._invite = self.endpoint.send_request(
                    request, self.peer, on_provisional=provisional, on_extra_2xx=self._ack_again
                )
                response = await self._invite.final()
        except TransactionTimeout:
            self._finish("no answer")
            raise
        if 200 <= response.status < 300:
            if self.state is LegState.ENDED:
                # Cancelled while the phone answered: take the call and hang it up.
                self.dialog = Dialog.as_uac(request, response, self.peer, self.contact)
                self._send_ack()
                self.endpoint.send_request(self.dialog.request("BYE"), self.dialog.peer)
                return response
            self.dialog = Dialog.as_uac(request, response, self.peer, self.contact)
            self._send_ack()
            try:
                self.remote_media = media_of(response.body)
            except sdp.SdpError as error:
                log.warning("call %s: unusable answer SDP (%s), hanging up", self.call_id, error)
                self.endpoint.send_request(self.dialog.request("BYE"), self.dialog.peer)
                self._finish("bad answer")
                return Response(488, "Not Acceptable Here", response.headers)
            self.state = LegState.ANSWERED
        else:
            self._finish(f"rejected {response.status}")
        return response

    def _authenticated(self, request: Request, challenge: Response) -> Request:
        """The INVITE again, answering the carrier's digest challenge (RFC 3261 22.2)."""
        from helpline.channels.sip.auth import answer_challenge
        from helpline.channels.sip.message import parse_cseq

        assert self.credentials is not None
        proxy = challenge.status == 407
        header = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
        offered = challenge.headers.get_all(header)
        chosen = next((c for c in offered if "MD5" in c.upper()), offered[0] if offered else "")
        username, password = self.credentials
        answer = answer_challenge(
            chosen, method="INVITE", uri=request.uri, username=username, password=password
        )
        number, _ = parse_cseq(request.headers.get("CSeq") or "1 INVITE")
        again = self._invite_request(request.body, cseq=number + 1)
        again.headers.add("Proxy-Authorization" if proxy else "Authorization", answer)
        return again

    def _send_ack(self) -> None:
        assert self.dialog is not None
        self.endpoint.send_ack(self.dialog.request("ACK"), self.dialog.peer)

    def _ack_again(self, response: Response) -> None:
        if self.dialog is not None:
            self._send_ack()

    def on_stray_2xx(self) -> None:
        self._ack_again(Response(200, "OK", Headers()))

    def cancel(self) -> None:
        """Stop ringing (the offer went elsewhere, or the caller left)."""
        if self.state is LegState.RINGING and self._invite is not None:
            self.endpoint.cancel(self._invite)
            self._finish("cancelled")

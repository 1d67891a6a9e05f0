"""Transactions over real loopback sockets: two endpoints of our stack talk to each other.

Timers are shortened (T1 = 20 ms) so that retransmissions and timeouts happen quickly.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.message import Headers, Request, Response, parse_message
from helpline.channels.sip.transaction import (
    ServerTransaction,
    State,
    Timers,
    TransactionTimeout,
    new_call_id,
    new_tag,
)
from helpline.channels.sip.transport import Peer

FAST = Timers(t1=0.02, t2=0.16, t4=0.2)


class Recorder:
    """A TU that records what reaches it and answers as told."""

    def __init__(self) -> None:
        self.requests: list[ServerTransaction] = []
        self.cancelled: list[ServerTransaction] = []
        self.acks: list[Request] = []
        self.stray: list[Response] = []
        self.answer: int | None = 200
        self.endpoint: SipEndpoint

    def on_request(self, transaction: ServerTransaction) -> None:
        self.requests.append(transaction)
        if self.answer is not None:
            transaction.respond(
                self.endpoint.response(transaction.request, self.answer, to_tag=new_tag())
            )

    def on_cancel(self, transaction: ServerTransaction) -> None:
        self.cancelled.append(transaction)

    def on_ack(self, request: Request, peer: Peer) -> None:
        self.acks.append(request)

    def on_stray_response(self, response: Response, peer: Peer) -> None:
        self.stray.append(response)


async def _endpoint(timers: Timers = FAST) -> tuple[SipEndpoint, Recorder]:
    user = Recorder()
    endpoint = SipEndpoint(user, timers=timers)
    user.endpoint = endpoint
    await endpoint.start("127.0.0.1", 0)
    return endpoint, user


@pytest.fixture
async def pair() -> AsyncIterator[tuple[SipEndpoint, Recorder, SipEndpoint, Recorder]]:
    client, client_user = await _endpoint()
    server, server_user = await _endpoint()
    yield client, client_user, server, server_user
    await client.stop()
    await server.stop()


def _request(method: str, server: SipEndpoint, *, cseq: int = 1) -> Request:
    headers = Headers()
    headers.add("From", f"<sip:caller@127.0.0.1>;tag={new_tag()}")
    headers.add("To", f"<sip:201@127.0.0.1:{server.port}>")
    headers.add("Call-ID", new_call_id("127.0.0.1"))
    headers.add("CSeq", f"{cseq} {method}")
    headers.add("Contact", "<sip:caller@127.0.0.1>")
    return Request(method, f"sip:201@127.0.0.1:{server.port}", headers)


async def test_options_over_udp_gets_its_answer(pair) -> None:  # type: ignore[no-untyped-def]
    client, _, server, server_user = pair
    peer = Peer("UDP", "127.0.0.1", server.port)
    response = await client.send_request(_request("OPTIONS", server), peer).final()
    assert response.status == 200
    assert len(server_user.requests) == 1
    # The server saw where the request really came from (RFC 3581).
    via = server_user.requests[0].request.headers.values("Via")[0]
    assert f"rport={client.port}" in via


async def test_options_over_tcp(pair) -> None:  # type: ignore[no-untyped-def]
    client, _, server, server_user = pair
    peer = Peer("TCP", "127.0.0.1", server.port)
    response = await client.send_request(_request("OPTIONS", server), peer).final()
    assert response.status == 200
    assert server_user.requests[0].peer.transport == "TCP"


async def test_retransmissions_reach_the_tu_once_and_get_the_last_response(pair) -> None:  # type: ignore[no-untyped-def]
    client, _, server, server_user = pair
    server_user.answer = None  # the TU thinks for a while
    peer = Peer("UDP", "127.0.0.1", server.port)
    transaction = client.send_request(_request("MESSAGE", server), peer)
    await asyncio.sleep(0.2)  # timer E fired several times
    assert len(server_user.requests) == 1
    server_tx = server_user.requests[0]
    server_tx.respond(server.response(server_tx.request, 202, to_tag=new_tag()))
    response = await transaction.final()
    assert response.status == 202
    assert server_tx.state is State.COMPLETED


async def test_an_invite_rings_then_is_cancelled(pair) -> None:  # type: ignore[no-untyped-def]
    client, _, server, server_user = pair
    server_user.answer = None
    peer = Peer("UDP", "127.0.0.1", server.port)
    provisional: list[int] = []
    invite = client.send_request(
        _request("INVITE", server), peer, on_provisional=lambda r: provisional.append(r.status)
    )
    await asyncio.sleep(0.3)
    assert provisional
    assert provisional[0] == 100
    server_tx = server_user.requests[0]
    server_tx.respond(server.response(server_tx.request, 180, to_tag=new_tag()))
    await asyncio.sleep(0.05)
    cancel = await client.cancel(invite).final()
    assert cancel.status == 200
    final = await invite.final()
    assert final.status == 487
    assert server_user.cancelled == [server_tx]
    # The 487 keeps the tag of the 180, and the client's transaction ACKed it.
    assert (
        final.headers.get("To") == server_tx.request.headers.get("To") + f";tag={server_tx.to_tag}"
    )
    await asyncio.sleep(0.05)
    assert server_tx.state in (State.CONFIRMED, State.TERMINATED)
    assert server_user.acks == []  # the ACK of a failure stays inside the transaction


async def test_a_cancel_for_nothing_gets_481(pair) -> None:  # type: ignore[no-untyped-def]
    client, _, server, _ = pair
    peer = Peer("UDP", "127.0.0.1", server.port)
    request = _request("CANCEL", server)
    request.headers.add("Via", "SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnothing", first=True)
    response = await client.send_request(request, peer).final()
    assert response.status == 481


async def test_a_busy_answer_is_acknowledged_by_the_transaction(pair) -> None:  # type: ignore[no-untyped-def]
    client, _, server, server_user = pair
    server_user.answer = 486
    peer = Peer("UDP", "127.0.0.1", server.port)
    final = await client.send_request(_request("INVITE", server), peer).final()
    assert final.status == 486
    await asyncio.sleep(0.1)
    assert server_user.requests[0].state in (State.CONFIRMED, State.TERMINATED)


async def test_no_answer_times_out_after_64_t1() -> None:
    client, _ = await _endpoint()
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        peer = Peer("UDP", "127.0.0.1", silent.getsockname()[1])
        loop = asyncio.get_running_loop()
        started = loop.time()
        headers = Headers()
        headers.add("From", "<sip:a@b>;tag=1")
        headers.add("To", "<sip:c@d>")
        headers.add("Call-ID", "x@y")
        headers.add("CSeq", "1 OPTIONS")
        with pytest.raises(TransactionTimeout):
            await client.send_request(Request("OPTIONS", "sip:c@d", headers), peer).final()
        assert loop.time() - started >= 64 * FAST.t1 * 0.9
        silent.setblocking(False)
        copies = 0
        while True:
            try:
                silent.recv(65535)
            except BlockingIOError:
                break
            copies += 1
        assert copies >= 5  # timer E retransmitted
    finally:
        silent.close()
        await client.stop()


async def test_a_malformed_request_is_answered_400_and_garbage_dropped(pair) -> None:  # type: ignore[no-untyped-def]
    _, _, server, server_user = pair
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.settimeout(2)
    try:
        bad = (
            b"INVITE sip:201@127.0.0.1 SIP/2.0\r\n"
            b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad\r\n"
            b"From: <sip:a@b>;tag=1\r\nTo: <sip:201@127.0.0.1>\r\n"
            b"Call-ID: bad@test\r\nCSeq: 1 INVITE\r\nContent-Length: 50\r\n\r\nshort"
        )
        raw.sendto(bad, ("127.0.0.1", server.port))
        # The server runs in this event loop: wait for its answer in a thread.
        reply = parse_message(await asyncio.to_thread(raw.recv, 65535))
        assert isinstance(reply, Response)
        assert 400 <= reply.status < 500
        raw.sendto(b"\x00\x01garbage that is not SIP at all", ("127.0.0.1", server.port))
        raw.sendto(b"X" * 60000, ("127.0.0.1", server.port))
        raw.settimeout(0.3)
        with pytest.raises(TimeoutError):
            await asyncio.to_thread(raw.recv, 65535)
        assert server_user.requests == []
        assert server.transport.dropped >= 2
    finally:
        raw.close()

"""SIP over UDP and TCP on asyncio (RFC 3261 section 18).

One UDP socket and one TCP listener on the SIP port. Datagrams are whole messages; TCP
streams are framed by Content-Length. Responses to a request go back where it came from
(symmetric response routing, RFC 3581), which is what phones behind NAT need. Input that
cannot be parsed never raises out of here: it is answered with 400 when enough of it can
be read to address a response, otherwise dropped, and both are logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from helpline.channels.sip.message import (
    MAX_MESSAGE_SIZE,
    Headers,
    Message,
    Response,
    SipParseError,
    StreamFramer,
    parse_message,
)

log = logging.getLogger(__name__)

# Measured here: with default buffers sipp and Kamailio start losing datagrams near
# 3,000 calls/s on loopback; 4 MB buffers carry the load that the stack can process.
SOCKET_BUFFER_BYTES = 4 * 1024 * 1024
EPHEMERAL_ATTEMPTS = 20  # port 0: UDP ports tried until TCP has the same one free
TCP_IDLE_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Peer:
    """Where a message came from or goes to."""

    transport: str  # "UDP" or "TCP"
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.transport.lower()}:{self.host}:{self.port}"


MessageHandler = Callable[[Message, Peer], None]

_ECHOED = ("Via", "From", "To", "Call-ID", "CSeq")


def reply_to_unparsable(data: bytes, error: SipParseError) -> bytes | None:
    """A 4xx for a request we could not parse, when its headers allow addressing one.

    RFC 3261 asks servers to answer malformed requests with 400 where they can; the
    response needs the request's Via, From, To, Call-ID and CSeq copied verbatim.
    """
    head = data.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    if not lines or lines[0].startswith(b"SIP/") or b" SIP/" not in lines[0]:
        return None
    if lines[0].split(b" ", 1)[0] == b"ACK":
        return None  # ACKs are never answered
    compact = {b"v": b"Via", b"f": b"From", b"t": b"To", b"i": b"Call-ID"}
    found: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            continue
        key = name.strip()
        key = compact.get(key.lower(), key)
        for wanted in _ECHOED:
            if key.lower() == wanted.lower().encode():
                if wanted != "Via" and any(name == wanted for name, _ in found):
                    break  # one To, From, Call-ID and CSeq: the first (RFC 4475 3.3.8)
                if b"\r" in value or b"\n" in value:
                    return None  # a stray CR or LF would end our header line early
                try:
                    found.append((wanted, value.strip().decode("utf-8")))
                except UnicodeDecodeError:
                    return None
    present = {name for name, _ in found}
    if not all(name in present for name in _ECHOED):
        return None
    status = error.status if 400 <= error.status < 600 else 400
    reason = (error.reason or "Bad Request").replace("\r", " ").replace("\n", " ")[:100]
    return Response(status, reason, Headers(found)).encode()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, transport: SipTransport) -> None:
        self._owner = transport

    def datagram_received(
        self, data: bytes, addr: tuple[str, int] | tuple[str, int, int, int]
    ) -> None:
        self._owner._received(data, Peer("UDP", addr[0], addr[1]), None)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable for a phone that went away: nothing to do but note it.
        log.debug("UDP error: %s", exc)


class _TcpConnection(asyncio.Protocol):
    def __init__(self, owner: SipTransport) -> None:
        self._owner = owner
        self._framer = StreamFramer()
        self.transport: asyncio.Transport | None = None
        self.peer: Peer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = Peer("TCP", host, port)
        self._owner._connections[(host, port)] = self

    def data_received(self, data: bytes) -> None:
        assert self.peer is not None
        assert self.transport is not None
        try:
            messages = self._framer.feed(data)
        except SipParseError as error:
            # A stream that lost its framing cannot be resynchronised: close it.
            log.warning("closing SIP TCP connection from %s: %s", self.peer, error)
            self.transport.close()
            return
        for raw in messages:
            self._owner._received(raw, self.peer, self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None:
            key = (self.peer.host, self.peer.port)
            if self._owner._connections.get(key) is self:
                del self._owner._connections[key]

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


class SipTransport:
    """The SIP sockets; hands every parsed message to ``on_message``."""

    def __init__(self, on_message: MessageHandler) -> None:
        self._on_message = on_message
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._connections: dict[tuple[str, int], _TcpConnection] = {}
        self._connecting: dict[tuple[str, int], asyncio.Task[None]] = {}
        self._pending: dict[tuple[str, int], list[bytes]] = {}
        self.host = "127.0.0.1"
        self.port = 0
        self.dropped = 0

    async def start(self, host: str, port: int, *, tcp: bool = True) -> None:
        """Listen on ``port`` over UDP and TCP; port 0: a free port, the same for both."""
        attempts = EPHEMERAL_ATTEMPTS if port == 0 else 1
        for attempt in range(attempts):
            await self._start_udp(host, port)
            if not tcp:
                return
            try:
                self._tcp_server = await asyncio.get_running_loop().create_server(
                    lambda: _TcpConnection(self), host, self.port, reuse_address=True
                )
                return
            except OSError as error:
                # The port the system gave UDP may be taken for TCP (a client's connection):
                # with port 0, try another.
                if error.errno != errno.EADDRINUSE or attempt == attempts - 1:
                    raise
                assert self._udp is not None
                self._udp.close()
                self._udp = None

    async def _start_udp(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for option in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER_BYTES)
        sock.bind((host, port))
        sock.setblocking(False)
        self._udp, _ = await loop.create_datagram_endpoint(lambda: _UdpProtocol(self), sock=sock)
        self.host, self.port = sock.getsockname()[:2]

    async def stop(self) -> None:
        for task in self._connecting.values():
            task.cancel()
        for connection in list(self._connections.values()):
            if connection.transport is not None:
                connection.transport.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp_server.wait_closed(), 1.0)
        if self._udp is not None:
            self._udp.close()

    def _received(self, data: bytes, peer: Peer, connection: _TcpConnection | None) -> None:
        if len(data) > MAX_MESSAGE_SIZE:
            self.dropped += 1
            log.warning("dropped an oversized SIP message (%d bytes) from %s", len(data), peer)
            return
        stripped = data.strip(b"\r\n")
        if not stripped:
            return  # keep-alive (RFC 5626 double CRLF)
        try:
            message = parse_message(data)
        except SipParseError as error:
            self.dropped += 1
            reply = reply_to_unparsable(data, error)
            log.info(
                "malformed SIP message from %s: %s (%s)",
                peer,
                error,
                "answered" if reply else "dropped",
            )
            if reply is not None:
                self._write(reply, peer, connection)
            return
        try:
            self._on_message(message, peer)
        except Exception:
            # One bad message must never stop the stack from serving the others.
            log.exception("error handling a SIP message from %s", peer)

    def _write(self, data: bytes, peer: Peer, connection: _TcpConnection | None) -> None:
        if connection is not None:
            connection.write(data)
        else:
            self.send(data, peer)

    def send(self, data: bytes, peer: Peer) -> None:
        if peer.transport == "UDP":
            if self._udp is not None:
                self._udp.sendto(data, (peer.host, peer.port))
            return
        key = (peer.host, peer.port)
        connection = self._connections.get(key)
        if connection is not None:
            connection.write(data)
            return
        self._pending.setdefault(key, []).append(data)
        if key not in self._connecting:
            self._connecting[key] = asyncio.get_running_loop().create_task(self._connect(key))

    async def _connect(self, key: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(lambda: _TcpConnection(self), key[0], key[1]), 5.0
            )
        except (OSError, TimeoutError) as error:
            lost = self._pending.pop(key, [])
            log.warning(
                "SIP TCP connection to %s:%s failed (%s); %d message(s) lost",
                key[0],
                key[1],
                error,
                len(lost),
            )
            return
        finally:
            self._connecting.pop(key, None)
        # The connection registers itself under its peer name, which is this key.
        for data in self._pending.pop(key, []):
            protocol.write(data)

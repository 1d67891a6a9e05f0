"""One browser softphone: an aiortc peer connection bridged by plain RTP to a media engine leg.

The browser sends an SDP offer; :meth:`WebRtcGateway.answer` creates a leg in the media
engine, a UDP socket of its own that the leg sends to, and an aiortc peer connection that
answers the offer (PCMU preferred, then PCMA, then Opus)::

    browser ══ WebRTC ══ aiortc ─┬─ browser's track → 8 kHz mono → 20 ms PCMU RTP ──→ engine leg
                                 └─ outgoing track ← jitter buffer ← re-cut ← RTP ←── engine leg

The gateway lives while the agent has the softphone switched on, not for one call: the
voice service bridges a caller's leg to this one when the agent accepts a call, and
unbridges it when the call ends. In between, the engine sends nothing and the browser
hears silence.

- aiortc's sender encodes whatever its track returns, so the outgoing track returns one
  20 ms frame (160 samples at 8 kHz) every 20 ms, always: the engine relays the far end's
  packetization as it comes (30 ms from some phones), so packets of another length are
  re-cut into 20 ms frames first, then go through a jitter buffer that the track reads at
  its own pace; silence fills the gaps (no call, hold, loss).
- ICE gathers on the media host only (the address of the RTP engine, which the admin made
  reachable for phones), with no STUN server (aiortc's default is a public one). mDNS
  candidates (``….local``) are always dropped: resolving them would multicast, and a page
  that has microphone access offers real addresses anyway.
- A media host on loopback (a laptop, the tests) is only reachable from the same machine:
  the browser's other candidates are dropped. Browsers leave loopback out of their own
  candidates (Chromium unless ``--allow-loopback-in-peer-connection``), so their checks
  then come from their other local addresses, which ICE learns as peer-reflexive; but
  when the browser does offer a loopback candidate, checks from other addresses are
  ignored, so that the media stays on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import ipaddress
import logging
import secrets
from collections.abc import Callable
from typing import Any, Protocol

import aioice.ice
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import SessionDescription
from av import AudioFrame, AudioResampler

from helpline.channels.media import g711
from helpline.channels.media.engine import Recutter
from helpline.channels.media.jitter import JitterBuffer
from helpline.channels.media.rtp import RtpError, RtpPacket, RtpSender

log = logging.getLogger(__name__)

RATE = 8000
FRAME_SAMPLES = 160  # 20 ms at 8 kHz
FRAME_SECONDS = FRAME_SAMPLES / RATE
PCM_FRAME_BYTES = 2 * FRAME_SAMPLES
SILENCE = bytes(PCM_FRAME_BYTES)
TIME_BASE = fractions.Fraction(1, RATE)
JITTER_DEPTH_FRAMES = 3
# A track that fell this far behind (the loop stalled) skips ahead instead of bursting.
MAX_LAG_SECONDS = 0.2
CONNECT_TIMEOUT_SECONDS = 30.0
MAX_OFFER_CHARS = 100_000
# In decreasing order of preference: G.711 needs no transcoding in the engine.
CODEC_PREFERENCE = ("audio/PCMU", "audio/PCMA", "audio/opus")
_DECODERS: dict[int, Callable[[bytes], bytes]] = {
    0: g711.pcmu_decode,
    8: g711.pcma_decode,
}


class GatewayError(Exception):
    """The offer cannot be answered; the message says why, for a person to read."""


class MediaLegs(Protocol):
    """What the gateway needs of the media engine (``MediaEngineClient`` has it)."""

    host: str

    async def create_leg(self, leg_id: str) -> int: ...

    async def connect_leg(
        self,
        leg_id: str,
        *,
        remote_host: str,
        remote_port: int,
        codec: str,
        payload_type: int,
        dtmf_payload_type: int | None = 101,
    ) -> None: ...

    async def destroy_leg(self, leg_id: str) -> None: ...


# ---- ICE on the media host only ----------------------------------------------------------

_all_host_addresses = aioice.ice.get_host_addresses
_ice_hosts: list[str] | None = None


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    if _ice_hosts is None:
        return list(_all_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6))
    return list(_ice_hosts)


def use_ice_host(host: str) -> None:
    """Gather ICE candidates on ``host`` only (every interface for 0.0.0.0 or ::).

    aioice asks one module-level function for the host's addresses (and leaves loopback
    out); replacing it is the only way to choose. Every gateway of a process uses the one
    media host, so this is process-wide.
    """
    global _ice_hosts
    _ice_hosts = None if _unspecified(host) else [host]
    aioice.ice.get_host_addresses = _host_addresses


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


# ---- the offer ---------------------------------------------------------------------------


def check_offer(sdp: str, *, loopback_only: bool) -> str:
    """The offer as aiortc will read it, or ``GatewayError`` saying what is wrong with it.

    Only audio: one audio section with PCMU, PCMA or Opus, nothing else. The candidates
    that cannot be reached from the media host are taken out (see the module's notes).
    """
    if not sdp.strip():
        raise GatewayError("the offer is empty")
    if len(sdp) > MAX_OFFER_CHARS:
        raise GatewayError(f"the offer is longer than {MAX_OFFER_CHARS} characters")
    if not sdp.lstrip().startswith("v=0"):
        raise GatewayError("the offer is not a session description (it must start with v=0)")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as error:  # noqa: BLE001 - any parse failure is a bad offer
        raise GatewayError(f"the offer is not a session description we can read: {error}") from None
    kinds = [media.kind for media in parsed.media]
    if "audio" not in kinds:
        raise GatewayError("the offer has no audio section (m=audio)")
    if kinds != ["audio"]:
        raise GatewayError(
            "the softphone carries one audio stream and nothing else; the offer has: "
            + ", ".join(kinds)
        )
    names = {codec.mimeType.lower() for codec in parsed.media[0].rtp.codecs}
    if not names & {name.lower() for name in CODEC_PREFERENCE}:
        raise GatewayError("the offer has no codec the softphone speaks (PCMU, PCMA or Opus)")
    lines = []
    for line in sdp.splitlines():
        if line.startswith("a=candidate:") and not _usable_candidate(line, loopback_only):
            continue
        lines.append(line)
    return "\r\n".join(lines) + "\r\n"


def _usable_candidate(line: str, loopback_only: bool) -> bool:
    # a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...
    parts = line.split()
    if len(parts) < 8:
        return False
    transport, address = parts[2].lower(), parts[4]
    if transport != "udp" or address.lower().endswith(".local"):
        return False
    return not loopback_only or _is_loopback(address)


def _offers_loopback(sdp: str) -> bool:
    return any(
        line.startswith("a=candidate:") and len(line.split()) > 4 and _is_loopback(line.split()[4])
        for line in sdp.splitlines()
    )


def _ignore_checks_from_elsewhere(transceiver: Any) -> None:
    """Answer ICE checks only from loopback addresses (see the module's notes)."""
    try:
        connection = transceiver.receiver.transport.transport.iceGatherer._connection
        answer = connection.request_received
    except AttributeError:  # pragma: no cover - another aiortc: checks stay as they are
        log.warning("softphone: cannot keep ICE on loopback with this aiortc")
        return

    def request_received(message: Any, addr: tuple[Any, ...], protocol: Any) -> None:
        if _is_loopback(str(addr[0])):
            answer(message, addr, protocol)

    connection.request_received = request_received


def _answer_codec(sdp: str) -> str:
    """The codec the answer sends with: the first payload type of its audio line."""
    rtpmap: dict[str, str] = {}
    first = None
    for line in sdp.splitlines():
        if line.startswith("m=audio") and first is None:
            fields = line.split()
            first = fields[3] if len(fields) > 3 else None
        elif line.startswith("a=rtpmap:"):
            number, _, name = line[len("a=rtpmap:") :].partition(" ")
            rtpmap.setdefault(number, name.split("/")[0])
    return rtpmap.get(first or "", "unknown")


# ---- audio toward the browser ------------------------------------------------------------


class EngineTrack(MediaStreamTrack):
    """What the engine sends the softphone's leg, as 20 ms frames at a steady 20 ms pace."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.jitter = JitterBuffer(JITTER_DEPTH_FRAMES)
        self._recut = Recutter()
        self._start: float | None = None
        self._pts = 0
        self.frames = 0  # frames handed to aiortc
        self.audible = 0  # of which carried audio from the engine (not filling silence)

    def put(self, packet: RtpPacket) -> None:
        if packet.payload_type not in _DECODERS:
            return  # telephone events, comfort noise: nothing to play
        if len(packet.payload) == FRAME_SAMPLES:
            self.jitter.put(packet)
            return
        for frame in self._recut.feed(
            packet.payload_type, packet.timestamp, packet.ssrc, packet.payload
        ):
            self.jitter.put(frame)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += FRAME_SAMPLES
            due = self._start + self._pts / RATE
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -MAX_LAG_SECONDS:
                self._start -= wait  # behind by a stall: carry on from now
        packet = self.jitter.pop_packet()
        pcm = SILENCE
        if packet is not None:
            pcm = _DECODERS[packet.payload_type](packet.payload)
            self.audible += 1
        self.frames += 1
        frame = AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
        frame.planes[0].update(pcm)
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = TIME_BASE
        return frame


class _EngineSide(asyncio.DatagramProtocol):
    def __init__(self, gateway: WebRtcGateway) -> None:
        self.gateway = gateway

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.gateway._from_engine(data, addr)


# ---- the gateway -------------------------------------------------------------------------


class WebRtcGateway:
    """One softphone session: the peer connection, the RTP socket, the engine leg."""

    def __init__(
        self,
        *,
        media: MediaLegs,
        leg_id: str,
        host: str,
        on_closed: Callable[[WebRtcGateway], None] | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        self.media = media
        self.leg_id = leg_id
        self.host = host
        self.on_closed = on_closed
        self.connect_timeout = connect_timeout
        self.codec: str | None = None
        self.close_reason: str | None = None
        self.to_engine = 0  # RTP packets sent to the engine leg
        self.from_engine = 0  # RTP packets the engine leg sent us
        self.outgoing = EngineTrack()
        self._pc: RTCPeerConnection | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._engine: tuple[str, int] | None = None
        self._rtp = RtpSender(secrets.randbits(32), 0)
        self._resampler: AudioResampler | None = None
        self._pcm = bytearray()
        self._tasks: set[asyncio.Task[None]] = set()
        self._leg_created = False
        self._closed = False

    @property
    def state(self) -> str:
        """The peer connection's state: new, connecting, connected, failed or closed."""
        if self._closed:
            return "closed"
        return self._pc.connectionState if self._pc is not None else "new"

    @property
    def closed(self) -> bool:
        return self._closed

    async def answer(self, offer_sdp: str) -> str:
        """Answer the browser's offer; the engine leg is ready when this returns."""
        loopback_only = _is_loopback(self.host)
        offer = check_offer(offer_sdp, loopback_only=loopback_only)
        use_ice_host(self.host)
        try:
            await self._open_engine_side()
            answer = await self._negotiate(offer)
        except BaseException:
            await self.close("the offer could not be answered")
            raise
        self._spawn(self._watch_connect())
        return answer

    async def _open_engine_side(self) -> None:
        loop = asyncio.get_running_loop()
        bind = "0.0.0.0" if _unspecified(self.host) else self.host  # noqa: S104 - as configured
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _EngineSide(self), local_addr=(bind, 0)
        )
        self._transport = transport
        await self._link()

    async def _link(self) -> None:
        transport = self._transport
        assert transport is not None
        local_host, local_port = transport.get_extra_info("sockname")[:2]
        # An engine on every interface (0.0.0.0) is reached, and answers, on loopback.
        engine_host = "127.0.0.1" if _unspecified(self.media.host) else self.media.host
        if _unspecified(local_host):
            local_host = engine_host
        port = await self.media.create_leg(self.leg_id)
        self._leg_created = True
        await self.media.connect_leg(
            self.leg_id,
            remote_host=local_host,
            remote_port=local_port,
            codec="PCMU",
            payload_type=0,
            dtmf_payload_type=None,
        )
        self._engine = (engine_host, port)

    async def relink(self) -> None:
        """The engine restarted (every leg is gone): create this session's leg again."""
        if self._closed:
            return
        await self._link()

    async def _negotiate(self, offer: str) -> str:
        pc = self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_state)
        try:
            # Our transceiver first: the offer's audio takes it, and with it the codec
            # preferences, which aiortc applies when it reads the offer.
            transceiver = pc.addTransceiver(self.outgoing, direction="sendrecv")
            capabilities = RTCRtpSender.getCapabilities("audio").codecs
            transceiver.setCodecPreferences(
                [
                    codec
                    for name in CODEC_PREFERENCE
                    for codec in capabilities
                    if codec.mimeType.lower() == name.lower()
                ]
            )
            if _is_loopback(self.host) and _offers_loopback(offer):
                _ignore_checks_from_elsewhere(transceiver)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except (
            ValueError,
            InternalError,
            InvalidAccessError,
            InvalidStateError,
            OperationError,
        ) as error:
            raise GatewayError(f"the offer cannot be answered: {error}") from None
        description = pc.localDescription
        self.codec = _answer_codec(description.sdp)
        log.info("softphone %s: answered with %s", self.leg_id, self.codec)
        return str(description.sdp)

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch_connect(self) -> None:
        await asyncio.sleep(self.connect_timeout)
        if not self._closed and self.state != "connected":
            log.info(
                "softphone %s: ICE did not connect within %.0f s", self.leg_id, self.connect_timeout
            )
            await self.close("the browser did not connect")

    async def _on_state(self) -> None:
        pc = self._pc
        if pc is None:
            return
        state = pc.connectionState
        log.info("softphone %s: connection %s", self.leg_id, state)
        if state in ("failed", "closed") and not self._closed:
            await self.close(f"connection {state}")

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._pump_browser_audio(track))

    # ---- browser → engine ----------------------------------------------------------------

    async def _pump_browser_audio(self, track: MediaStreamTrack) -> None:
        while not self._closed:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, AudioFrame):
                self._send_pcm(self._to_pcm8k(frame))

    def _to_pcm8k(self, frame: AudioFrame) -> bytes:
        if frame.format.name == "s16" and frame.layout.name == "mono" and frame.sample_rate == RATE:
            return bytes(frame.planes[0])[: 2 * frame.samples]
        if self._resampler is None:
            self._resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        return b"".join(
            bytes(out.planes[0])[: 2 * out.samples] for out in self._resampler.resample(frame)
        )

    def _send_pcm(self, pcm: bytes) -> None:
        """Queue the audio and send every whole 20 ms frame as one PCMU packet."""
        buffer = self._pcm
        buffer += pcm
        transport, engine = self._transport, self._engine
        while len(buffer) >= PCM_FRAME_BYTES:
            chunk = bytes(buffer[:PCM_FRAME_BYTES])
            del buffer[:PCM_FRAME_BYTES]
            if transport is None or engine is None or transport.is_closing():
                continue
            packet = self._rtp.frame(g711.pcmu_encode(chunk))
            transport.sendto(packet.encode(), engine)
            self.to_engine += 1

    # ---- engine → browser ----------------------------------------------------------------

    def _from_engine(self, data: bytes, addr: tuple[Any, ...]) -> None:
        engine = self._engine
        if engine is None or (addr[0], addr[1]) != engine:
            return  # only the leg may talk to this socket
        try:
            packet = RtpPacket.parse(data)
        except RtpError:
            return
        self.from_engine += 1
        self.outgoing.put(packet)

    # ---- the end -------------------------------------------------------------------------

    async def close(self, reason: str = "closed") -> None:
        """Hang up the peer connection, close the socket, destroy the engine leg; once."""
        if self._closed:
            return
        self._closed = True
        self.close_reason = reason
        log.info("softphone %s: closing (%s)", self.leg_id, reason)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self.outgoing.stop()
        if self._pc is not None:
            with contextlib.suppress(Exception):
                await self._pc.close()
        if self._transport is not None:
            self._transport.close()
        if self._leg_created:
            with contextlib.suppress(Exception):  # the engine may be gone already
                await self.media.destroy_leg(self.leg_id)
        if self.on_closed is not None:
            try:
                self.on_closed(self)
            except Exception:
                log.exception("softphone %s: the close handler failed", self.leg_id)

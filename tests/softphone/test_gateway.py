"""The WebRTC gateway end to end, without a browser: an aiortc peer plays the browser (a
440 Hz microphone), the gateway answers it and links it to a real media engine leg, which
is bridged to a second leg whose far end is a plain UDP socket of the test playing a
1000 Hz phone. Each side must hear the other's tone.
"""

from __future__ import annotations

import asyncio
import fractions
import random
import socket
import time
from collections.abc import AsyncIterator, Callable

import pytest
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame

from helpline.channels.media import g711, tone
from helpline.channels.media.client import MediaEngineClient
from helpline.channels.media.rtp import RtpPacket, RtpSender
from helpline.channels.webrtc.gateway import (
    GatewayError,
    WebRtcGateway,
    check_offer,
    use_ice_host,
)

HOST = "127.0.0.1"
RATE = 8000


class SineTrack(MediaStreamTrack):
    """A microphone that hears a pure tone: 20 ms frames of 8 kHz audio, paced in real time."""

    kind = "audio"

    def __init__(self, frequency: float) -> None:
        super().__init__()
        self.frequency = frequency
        self._start: float | None = None
        self._pts = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            self._pts += 160
            await asyncio.sleep(max(0.0, self._start + self._pts / RATE - loop.time()))
        phase = 2 * 3.141592653589793 * self.frequency * self._pts / RATE
        pcm = tone.sine(self.frequency, 20, 0.4, phase=phase)
        frame = AudioFrame(format="s16", layout="mono", samples=160)
        frame.planes[0].update(pcm)
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        return frame


class Browser:
    """The browser's side: an aiortc peer with a 440 Hz microphone, keeping what it hears."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(SineTrack(440.0))
        self.heard = bytearray()
        self._reader: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, AudioFrame)
            assert frame.sample_rate == RATE
            assert frame.layout.name == "mono"
            self.heard += bytes(frame.planes[0])[: 2 * frame.samples]

    async def offer(self) -> str:
        use_ice_host(HOST)  # this process's aiortc peers, the browser's too, use loopback
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self.pc.close()


class FarPhone(asyncio.DatagramProtocol):
    """A plain RTP peer: sends a 1000 Hz tone at 20 ms pace, decodes what comes back."""

    def __init__(self) -> None:
        self.heard = bytearray()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: object) -> None:
        packet = RtpPacket.parse(data)
        if packet.payload_type == 0:
            self.heard += g711.pcmu_decode(packet.payload)

    async def talk(self, remote: tuple[str, int], seconds: float, ptime_ms: int = 20) -> None:
        assert self.transport is not None
        samples = RATE * ptime_ms // 1000
        sender = RtpSender(ssrc=4321, payload_type=0, samples_per_frame=samples)
        audio = tone.sine(1000.0, seconds * 1000, 0.4)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index in range(int(seconds * 1000 / ptime_ms)):
            pcm = audio[index * 2 * samples : (index + 1) * 2 * samples]
            self.transport.sendto(sender.frame(g711.pcmu_encode(pcm)).encode(), remote)
            await asyncio.sleep(max(0.0, start + (index + 1) * ptime_ms / 1000 - loop.time()))


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngineClient]:
    low = random.randrange(40000, 49000, 2)
    client = MediaEngineClient(host=HOST, rtp_ports=(low, low + 99))
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("ptime_ms", [20, 30])
async def test_browser_and_phone_hear_each_other(engine: MediaEngineClient, ptime_ms: int) -> None:
    closed: list[WebRtcGateway] = []
    gateway = WebRtcGateway(
        media=engine, leg_id="softphone-test", host=HOST, on_closed=closed.append
    )
    browser = Browser()
    loop = asyncio.get_running_loop()
    far_transport, far = await loop.create_datagram_endpoint(
        FarPhone, local_addr=(HOST, 0), family=socket.AF_INET
    )
    try:
        answer = await gateway.answer(await browser.offer())
        assert gateway.codec == "PCMU"  # preferred over the Opus that aiortc offers first
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await until(lambda: browser.pc.connectionState == "connected")
        await until(lambda: gateway.state == "connected")
        # The phone's leg, bridged to the softphone's.
        far_port = far_transport.get_extra_info("sockname")[1]
        port = await engine.create_leg("far")
        await engine.connect_leg(
            "far",
            remote_host=HOST,
            remote_port=far_port,
            codec="PCMU",
            payload_type=0,
            dtmf_payload_type=None,
        )
        await engine.bridge("far", gateway.leg_id)
        before = len(browser.heard)
        await far.talk((HOST, port), 3.0, ptime_ms)

        phone_heard = bytes(far.heard[-RATE * 2 :])
        browser_heard = bytes(browser.heard[before:][-RATE * 2 :])
        assert len(phone_heard) == RATE * 2, len(far.heard)
        assert len(browser_heard) == RATE * 2, len(browser.heard)
        assert abs(tone.estimate_frequency(phone_heard) - 440.0) < 5
        assert abs(tone.estimate_frequency(browser_heard) - 1000.0) < 5
        assert gateway.to_engine > 100
        assert gateway.from_engine > 50
    finally:
        await gateway.close()
        await browser.close()
        far_transport.close()
    assert closed == [gateway]
    assert gateway.state == "closed"
    # The leg is gone from the engine.
    assert (await engine.ping())["legs"] == 1


async def test_the_browser_hanging_up_closes_the_gateway(engine: MediaEngineClient) -> None:
    closed: list[WebRtcGateway] = []
    gateway = WebRtcGateway(media=engine, leg_id="softphone-2", host=HOST, on_closed=closed.append)
    browser = Browser()
    try:
        answer = await gateway.answer(await browser.offer())
        await browser.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        await until(lambda: gateway.state == "connected")
        assert (await engine.ping())["legs"] == 1
        await browser.close()  # DTLS close_notify: the gateway sees the connection close
        await until(lambda: closed == [gateway])
        await until(lambda: gateway.state == "closed")
        assert (await engine.ping())["legs"] == 0
    finally:
        await gateway.close()
        await browser.close()


async def test_a_bad_offer_leaves_nothing_behind(engine: MediaEngineClient) -> None:
    gateway = WebRtcGateway(media=engine, leg_id="softphone-3", host=HOST)
    with pytest.raises(GatewayError, match="session description"):
        await gateway.answer("hello")
    # A valid description without ICE credentials: aiortc refuses it after the leg exists.
    browser = Browser()
    try:
        offer = await browser.offer()
        no_ice = "\r\n".join(
            line for line in offer.splitlines() if not line.startswith(("a=ice-ufrag", "a=ice-pwd"))
        )
        gateway = WebRtcGateway(media=engine, leg_id="softphone-4", host=HOST)
        with pytest.raises(GatewayError, match="ICE"):
            await gateway.answer(no_ice)
        assert gateway.state == "closed"
        assert (await engine.ping())["legs"] == 0
    finally:
        await browser.close()


def test_offers_are_checked_and_unreachable_candidates_dropped() -> None:
    with pytest.raises(GatewayError, match="empty"):
        check_offer("  ", loopback_only=True)
    video_only = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n"
    )
    with pytest.raises(GatewayError, match="no audio"):
        check_offer(video_only, loopback_only=True)
    audio = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n"
        "a=candidate:2 1 udp 2122194687 192.0.2.7 50001 typ host\r\n"
        "a=candidate:3 1 udp 2122194687 4c1b2a3e-1234.local 50002 typ host\r\n"
        "a=candidate:4 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active\r\n"
    )
    kept = check_offer(audio, loopback_only=True)
    assert "127.0.0.1 50000" in kept
    assert "192.0.2.7" not in kept
    assert ".local" not in kept
    assert " tcp " not in kept
    assert "192.0.2.7 50001" in check_offer(audio, loopback_only=False)
    g722 = audio.replace("SAVPF 0", "SAVPF 9").replace("0 PCMU/8000", "9 G722/8000")
    with pytest.raises(GatewayError, match="no codec"):
        check_offer(g722, loopback_only=True)
    with_video = audio + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
    with pytest.raises(GatewayError, match="audio stream and nothing else"):
        check_offer(with_video, loopback_only=True)

"""The media engine end to end: a real engine process driven by its client, and test
"phones" on real UDP sockets on 127.0.0.1 that send RTP every 20 ms and keep what they get.

Audio is checked by what it sounds like: each phone sends its own tone, and what a phone
hears is decoded and measured (``estimate_frequency``, ``goertzel_power``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import sys
import time
import wave
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from helpline.channels.media.client import MediaEngineClient, MediaEngineError, MediaEvent
from helpline.channels.media.dtmf import DtmfSender, TelephoneEvent
from helpline.channels.media.g711 import PCMA, PCMU, Codec
from helpline.channels.media.rtp import RtpPacket, RtpSender
from helpline.channels.media.tone import estimate_frequency, goertzel_power, level_dbfs, sine

HOST = "127.0.0.1"
DTMF_PT = 101


def port_range() -> tuple[int, int]:
    # another engine (a parallel run) may hold some ports: the engine skips those anyway
    low = random.randrange(30000, 39000, 2)
    return low, low + 199


class Engine:
    """The client under test and the events it reported."""

    def __init__(self, **options: Any) -> None:
        self.events: list[MediaEvent] = []
        self.client = MediaEngineClient(
            host=HOST, rtp_ports=port_range(), on_event=self.events.append, **options
        )

    def named(self, name: str) -> list[MediaEvent]:
        return [event for event in self.events if event["event"] == name]


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    running = Engine()
    await running.client.start()
    try:
        yield running
    finally:
        await running.client.stop()


async def until(condition: Callable[[], bool], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@dataclass
class Heard:
    at: float
    packet: RtpPacket


@dataclass
class Phone(asyncio.DatagramProtocol):
    """A SIP phone's media side: sends a tone (or nothing), records every packet."""

    codec: Codec = PCMU
    freq: float | None = None
    ptime_ms: int = 20
    received: list[Heard] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    target: tuple[str, int] | None = None
    sender: RtpSender = field(default_factory=lambda: RtpSender(0x1234, 0, sequence=100))
    _task: asyncio.Task[None] | None = None
    _tone: bytes = b""
    _position: int = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append(Heard(time.monotonic(), RtpPacket.parse(data)))

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        assert self.target is not None
        self.transport.sendto(data, self.target)

    def start(self, target_port: int) -> None:
        self.target = (HOST, target_port)
        self.sender = RtpSender(random.getrandbits(32), self.codec.payload_type, sequence=100)
        self.sender.samples_per_frame = 8 * self.ptime_ms
        if self.freq is not None:
            self._tone = self.codec.encode(sine(self.freq, 10_000, 0.3))
        self._task = asyncio.get_running_loop().create_task(self._send_loop())

    async def _send_loop(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        interval = self.ptime_ms / 1000
        samples = 8 * self.ptime_ms
        n = 0
        while True:
            if self.freq is not None:
                tone = self._tone
                chunk = tone[self._position : self._position + samples]
                self._position = (self._position + samples) % len(tone)
                self.send(self.sender.frame(chunk).encode())
            n += 1
            await asyncio.sleep(max(0.0, start + n * interval - loop.time()))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def close(self) -> None:
        self.stop()
        if self.transport is not None:
            self.transport.close()

    def packets(self, since: float = 0.0, until: float | None = None) -> list[RtpPacket]:
        end = until if until is not None else float("inf")
        return [heard.packet for heard in self.received if since <= heard.at < end]

    def audio(self, since: float = 0.0, until: float | None = None) -> bytes:
        """What the phone heard (decoded with its codec) between two instants."""
        return b"".join(
            self.codec.decode(packet.payload)
            for packet in self.packets(since, until)
            if packet.payload_type == self.codec.payload_type
        )


@pytest.fixture
async def phones() -> AsyncIterator[Callable[..., Any]]:
    made: list[Phone] = []

    async def make(codec: Codec = PCMU, freq: float | None = None, ptime_ms: int = 20) -> Phone:
        phone = Phone(codec=codec, freq=freq, ptime_ms=ptime_ms)
        await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: phone, local_addr=(HOST, 0)
        )
        made.append(phone)
        return phone

    yield make
    for phone in made:
        phone.close()


async def leg_with_phone(
    engine: Engine, make: Callable[..., Any], leg_id: str, codec: Codec, freq: float | None
) -> Phone:
    """A leg connected to a new phone that starts sending its tone to the leg."""
    phone: Phone = await make(codec, freq)
    port = await engine.client.create_leg(leg_id)
    await engine.client.connect_leg(
        leg_id,
        remote_host=HOST,
        remote_port=phone.port,
        codec=codec.name,
        payload_type=codec.payload_type,
        dtmf_payload_type=DTMF_PT,
    )
    phone.start(port)
    return phone


def write_wav(path: Path, pcm: bytes, *, rate: int = 8000, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return path


def stereo(pcm: bytes) -> bytes:
    from array import array

    mono = array("h")
    mono.frombytes(pcm)
    both = array("h", bytes(4 * len(mono)))
    both[0::2] = mono
    both[1::2] = mono
    return both.tobytes()


def read_recording(path: Path) -> bytes:
    with wave.open(str(path), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (8000, 1, 2)
        return reader.readframes(reader.getnframes())


def assert_tone(pcm: bytes, freq: float) -> None:
    assert len(pcm) >= 1600, f"only {len(pcm) // 16} ms of audio"
    measured = estimate_frequency(pcm)
    assert abs(measured - freq) <= 5, f"heard {measured:.1f} Hz, expected {freq} Hz"


def assert_recorded_tone(pcm: bytes, freq: float) -> None:
    """The tone, measured on 200 ms stretches without a silent frame: on a busy machine the
    test's phones may stall now and then, and the jitter buffer then plays silence."""
    chunk = 16 * 200
    measured = sorted(
        estimate_frequency(part)
        for part in (pcm[i : i + chunk] for i in range(0, len(pcm) - chunk + 1, chunk))
        if not silent_runs(part)
    )
    assert len(measured) >= 2, f"fewer than two 200 ms stretches of tone in {len(pcm) // 16} ms"
    median = measured[len(measured) // 2]
    assert abs(median - freq) <= 5, f"heard {measured} Hz, expected {freq} Hz"


# --- players ---------------------------------------------------------------------------------


async def test_play_wav_reaches_the_phone_and_reports_play_done(
    engine: Engine, phones: Callable[..., Any], tmp_path: Path
) -> None:
    prompt = write_wav(tmp_path / "prompt.wav", sine(440, 600, 0.5))
    phone = await leg_with_phone(engine, phones, "a", PCMU, None)
    started = time.monotonic()
    await engine.client.play("a", [prompt])
    await until(lambda: engine.named("play_done") != [], within=3)
    elapsed = time.monotonic() - started
    assert engine.named("play_done") == [{"event": "play_done", "leg": "a"}]
    assert 0.55 <= elapsed <= 1.0
    heard = phone.audio()
    assert 560 * 16 <= len(heard) <= 640 * 16  # 600 ms, 30 frames
    assert_tone(heard[800:-800], 440)
    packets = phone.packets()
    assert len({p.ssrc for p in packets}) == 1
    assert packets[0].marker
    assert [p.sequence for p in packets] == [
        (packets[0].sequence + i) & 0xFFFF for i in range(len(packets))
    ]
    stats = await engine.client.stats("a")
    assert stats["packets_out"] == len(packets)


async def test_play_converts_any_pcm_wav_loops_and_stops(
    engine: Engine, phones: Callable[..., Any], tmp_path: Path
) -> None:
    music = write_wav(
        tmp_path / "music.wav", stereo(sine(700, 300, 0.5, rate=16000)), rate=16000, channels=2
    )
    phone = await leg_with_phone(engine, phones, "a", PCMA, None)
    await engine.client.play("a", [music], loop=True)
    await asyncio.sleep(0.9)  # three times the file's length
    assert engine.named("play_done") == []
    assert_tone(phone.audio()[-6400:], 700)  # the last 400 ms: still playing
    await engine.client.stop_playing("a")
    await asyncio.sleep(0.1)
    count = len(phone.received)
    await asyncio.sleep(0.2)
    assert len(phone.received) == count
    assert engine.named("play_done") == []
    # a missing or unreadable file is an error that names it
    with pytest.raises(MediaEngineError, match=r"cannot play .*missing\.wav"):
        await engine.client.play("a", [tmp_path / "missing.wav"])
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav at all")
    with pytest.raises(MediaEngineError, match="not a WAV file"):
        await engine.client.play("a", [junk])


async def test_symmetric_rtp_latches_to_the_source_of_the_first_packet(
    engine: Engine, phones: Callable[..., Any], tmp_path: Path
) -> None:
    signalled: Phone = await phones(PCMU, None)  # the address in the SDP (unreachable NAT)
    actual: Phone = await phones(PCMU, None)  # where the phone's packets really come from
    port = await engine.client.create_leg("a")
    await engine.client.connect_leg(
        "a", remote_host=HOST, remote_port=signalled.port, codec="PCMU", payload_type=0
    )
    await engine.client.play("a", [write_wav(tmp_path / "t.wav", sine(440, 3000))], loop=True)
    await until(lambda: len(signalled.received) >= 3)
    assert actual.received == []
    actual.freq = 1000
    actual.start(port)
    await until(lambda: len(actual.received) >= 10)
    before = len(signalled.received)
    await asyncio.sleep(0.2)
    assert len(signalled.received) <= before + 1
    assert (await engine.client.stats("a"))["latched"] == 1


# --- bridge ----------------------------------------------------------------------------------


async def test_bridge_relays_audio_both_ways_with_transcoding(
    engine: Engine, phones: Callable[..., Any]
) -> None:
    a = await leg_with_phone(engine, phones, "a", PCMU, 440)
    b = await leg_with_phone(engine, phones, "b", PCMA, 1000)
    await engine.client.bridge("a", "b")
    await asyncio.sleep(0.1)
    since = time.monotonic()
    await asyncio.sleep(0.6)
    assert_tone(a.audio(since), 1000)  # A (mu-law) hears B's tone, from A-law
    assert_tone(b.audio(since), 440)
    for phone in (a, b):
        packets = phone.packets(since)
        assert len(packets) >= 25
        assert {p.payload_type for p in packets} == {phone.codec.payload_type}
        assert len({p.ssrc for p in packets}) == 1
    stats = await engine.client.stats("a")
    assert stats["packets_in"] >= 30
    assert stats["lost"] == 0
    assert stats["malformed"] == 0
    # unbridged, nothing more flows
    await engine.client.unbridge("a")
    await asyncio.sleep(0.05)
    count = len(a.received)
    await asyncio.sleep(0.15)
    assert len(a.received) == count


async def test_hold_plays_music_to_the_partner_and_unhold_restores_the_bridge(
    engine: Engine, phones: Callable[..., Any], tmp_path: Path
) -> None:
    music = write_wav(
        tmp_path / "hold.wav", stereo(sine(700, 500, 0.5, rate=16000)), rate=16000, channels=2
    )
    caller = await leg_with_phone(engine, phones, "caller", PCMU, 440)
    agent = await leg_with_phone(engine, phones, "agent", PCMA, 1000)
    await engine.client.bridge("caller", "agent")
    await asyncio.sleep(0.3)
    await engine.client.hold("agent", [music])
    held = time.monotonic()
    await asyncio.sleep(1.2)  # longer than the music: it loops
    assert_tone(caller.audio(held + 0.1), 700)
    assert_tone(caller.audio(held + 0.8), 700)
    assert len(agent.packets(held + 0.1)) == 0  # the held agent hears nothing
    await engine.client.unhold("agent")
    unheld = time.monotonic()
    await asyncio.sleep(0.5)
    assert_tone(caller.audio(unheld + 0.1), 1000)
    assert_tone(agent.audio(unheld + 0.1), 440)
    # the caller's phone heard one stream throughout: same SSRC, no gap in the numbering,
    # time moving forward, the marker bit where the source changed
    packets = caller.packets()
    assert len({p.ssrc for p in packets}) == 1
    sequences = [p.sequence for p in packets]
    assert sequences == [(sequences[0] + i) & 0xFFFF for i in range(len(packets))]
    steps = [(b.timestamp - a.timestamp) & 0xFFFF_FFFF for a, b in itertools.pairwise(packets)]
    assert all(0 < step < 8000 for step in steps)
    assert sum(p.marker for p in packets) >= 3  # first packet, to music, back to the agent


# --- DTMF ------------------------------------------------------------------------------------


async def test_rfc4733_dtmf_from_the_phone_is_one_event_per_key_press(
    engine: Engine, phones: Callable[..., Any]
) -> None:
    a = await leg_with_phone(engine, phones, "a", PCMU, 440)
    b = await leg_with_phone(engine, phones, "b", PCMU, 1000)
    await engine.client.bridge("a", "b")
    await asyncio.sleep(0.1)
    a.stop()
    for digit in ("5", "5", "#"):
        for packet in DtmfSender(DTMF_PT).packets(digit, a.sender):
            a.send(packet.encode())
            a.send(packet.encode())  # every packet duplicated by the network
            await asyncio.sleep(0.02)
    await until(lambda: len(engine.named("dtmf")) >= 3)
    await asyncio.sleep(0.1)
    assert engine.named("dtmf") == [
        {"event": "dtmf", "leg": "a", "digit": "5"},
        {"event": "dtmf", "leg": "a", "digit": "5"},
        {"event": "dtmf", "leg": "a", "digit": "#"},
    ]
    # the digit is reported, not relayed to the other side
    assert all(heard.packet.payload_type != DTMF_PT for heard in b.received)
    assert (await engine.client.stats("a"))["dtmf_events"] == 3


async def test_send_dtmf_sends_telephone_events_to_the_phone(
    engine: Engine, phones: Callable[..., Any], tmp_path: Path
) -> None:
    phone = await leg_with_phone(engine, phones, "a", PCMU, None)
    await engine.client.play("a", [write_wav(tmp_path / "t.wav", sine(440, 3000))], loop=True)
    await asyncio.sleep(0.1)
    await engine.client.send_dtmf("a", "7")
    await asyncio.sleep(0.4)
    packets = phone.packets()
    events = [p for p in packets if p.payload_type == DTMF_PT]
    assert len(events) >= 4
    decoded = [TelephoneEvent.decode(p.payload) for p in events]
    assert {e.digit for e in decoded} == {"7"}
    assert decoded[-1].end
    assert not decoded[0].end
    assert len({p.timestamp for p in events}) == 1
    assert events[0].marker
    # one stream: audio and events share the SSRC and the sequence numbers
    assert len({p.ssrc for p in packets}) == 1
    sequences = [p.sequence for p in packets]
    assert sequences == [(sequences[0] + i) & 0xFFFF for i in range(len(packets))]
    # the audio resumes after the digit, as a new talkspurt
    after = packets[packets.index(events[-1]) + 1]
    assert after.payload_type == 0
    assert after.marker
    with pytest.raises(MediaEngineError, match="not a DTMF digit"):
        await engine.client.send_dtmf("a", "x")


# --- recording -------------------------------------------------------------------------------


def silent_runs(pcm: bytes) -> list[tuple[int, int]]:
    """(start ms, length ms) of each run of silent 20 ms frames."""
    runs: list[tuple[int, int]] = []
    start = None
    frames = len(pcm) // 320
    for index in range(frames + 1):
        silent = index < frames and level_dbfs(pcm[320 * index : 320 * (index + 1)]) < -60
        if silent and start is None:
            start = index
        elif not silent and start is not None:
            runs.append((20 * start, 20 * (index - start)))
            start = None
    return runs


async def test_recording_mixed_and_per_leg_with_a_pause_of_silence(
    engine: Engine, phones: Callable[..., Any], tmp_path: Path
) -> None:
    await leg_with_phone(engine, phones, "a", PCMU, 440)
    await leg_with_phone(engine, phones, "b", PCMA, 1000)
    await engine.client.bridge("a", "b")
    await asyncio.sleep(0.1)
    client = engine.client
    mixed_path = tmp_path / "rec" / "mixed.wav"
    await client.start_recording("mixed", mixed_path, ["a", "b"])
    await client.start_recording("split", tmp_path / "rec" / "split.wav", ["a", "b"], mixed=False)
    started = time.monotonic()
    await asyncio.sleep(0.8)
    await client.pause_recording("mixed")
    await client.pause_recording("split")
    paused = time.monotonic()
    await asyncio.sleep(1.0)
    await client.resume_recording("mixed")
    await client.resume_recording("split")
    resumed = time.monotonic()
    await asyncio.sleep(0.7)
    await client.stop_recording("mixed")
    await client.stop_recording("split")
    stopped = time.monotonic()

    expected_start = 1000 * (paused - started)
    expected_length = 1000 * (resumed - paused)
    files = {
        "mixed": (mixed_path, (440, 1000)),
        "a": (tmp_path / "rec" / "split-a.wav", (440,)),
        "b": (tmp_path / "rec" / "split-b.wav", (1000,)),
    }
    for name, (path, tones) in files.items():
        pcm = read_recording(path)
        assert abs(len(pcm) / 16 - 1000 * (stopped - started)) <= 60, name
        gap_start, gap_length = max(silent_runs(pcm), key=lambda run: run[1])
        assert abs(gap_length - expected_length) <= 40, (name, gap_length, expected_length)
        assert abs(gap_start - expected_start) <= 40, (name, gap_start, expected_start)
        before = pcm[16 * 200 : 16 * (gap_start - 40)]
        after = pcm[16 * (gap_start + gap_length + 100) :]
        for part in (before, after):
            for freq in tones:
                assert goertzel_power(part, freq) > 0.01, (name, freq)
            if len(tones) == 1:
                assert_recorded_tone(part, tones[0])
        # apart from the pause and the jitter buffer filling, (nearly) no frame is silent
        assert sum(length for _start, length in silent_runs(pcm)) <= gap_length + 200
    with pytest.raises(MediaEngineError, match="unknown recording"):
        await client.pause_recording("mixed")


async def test_30_ms_packets_are_recut_into_20_ms_frames(
    engine: Engine, phones: Callable[..., Any], tmp_path: Path
) -> None:
    phone: Phone = await phones(PCMU, 440, 30)
    port = await engine.client.create_leg("a")
    await engine.client.connect_leg(
        "a", remote_host=HOST, remote_port=phone.port, codec="PCMU", payload_type=0
    )
    phone.start(port)
    await engine.client.start_recording("r", tmp_path / "r.wav", ["a"])
    await asyncio.sleep(1.0)
    await engine.client.stop_recording("r")
    pcm = read_recording(tmp_path / "r.wav")
    body = pcm[16 * 150 : -16 * 100]
    assert_recorded_tone(body, 440)
    # no gaps: 30 ms packets made whole 20 ms frames (a stall of the test may cost one)
    assert sum(length for _start, length in silent_runs(body)) <= 100


# --- conferences -----------------------------------------------------------------------------


def powers(phone: Phone, since: float, freqs: tuple[float, ...]) -> dict[float, float]:
    heard = phone.audio(since)
    assert len(heard) >= 16 * 300
    return {freq: goertzel_power(heard, freq) for freq in freqs}


async def test_conference_of_three_each_hears_the_other_two(
    engine: Engine, phones: Callable[..., Any]
) -> None:
    tones = (440.0, 1000.0, 1500.0)
    a = await leg_with_phone(engine, phones, "a", PCMU, tones[0])
    b = await leg_with_phone(engine, phones, "b", PCMA, tones[1])
    c = await leg_with_phone(engine, phones, "c", PCMU, tones[2])
    await engine.client.bridge("a", "b")
    await engine.client.conference("room", ["a", "b", "c"])
    await asyncio.sleep(0.2)
    since = time.monotonic()
    await asyncio.sleep(0.5)
    for phone, own in ((a, tones[0]), (b, tones[1]), (c, tones[2])):
        heard = powers(phone, since, tones)
        for freq, power in heard.items():
            if freq == own:
                assert power < 0.001, (own, heard)
            else:
                assert power > 0.01, (own, heard)


async def test_monitor_listens_only_and_whisper_reaches_only_the_agent(
    engine: Engine, phones: Callable[..., Any]
) -> None:
    tones = (440.0, 1000.0, 1500.0)
    caller = await leg_with_phone(engine, phones, "caller", PCMU, tones[0])
    agent = await leg_with_phone(engine, phones, "agent", PCMA, tones[1])
    supervisor = await leg_with_phone(engine, phones, "sup", PCMU, tones[2])
    await engine.client.conference("room", ["caller", "agent"], listen_only=["sup"])
    await asyncio.sleep(0.2)
    since = time.monotonic()
    await asyncio.sleep(0.4)
    assert powers(supervisor, since, tones)[440] > 0.01
    assert powers(supervisor, since, tones)[1000] > 0.01
    for phone in (caller, agent):
        assert powers(phone, since, tones)[1500] < 0.001  # nobody hears the monitor
    await engine.client.conference("room", ["caller", "agent"], whisper={"sup": "agent"})
    await asyncio.sleep(0.2)
    since = time.monotonic()
    await asyncio.sleep(0.4)
    heard_by_agent = powers(agent, since, tones)
    assert heard_by_agent[440] > 0.01
    assert heard_by_agent[1500] > 0.01
    heard_by_caller = powers(caller, since, tones)
    assert heard_by_caller[1000] > 0.01
    assert heard_by_caller[1500] < 0.001
    heard_by_supervisor = powers(supervisor, since, tones)
    assert heard_by_supervisor[440] > 0.01
    assert heard_by_supervisor[1000] > 0.01
    await engine.client.end_conference("room")
    await engine.client.bridge("caller", "agent")
    since = time.monotonic() + 0.1
    await asyncio.sleep(0.4)
    assert_tone(caller.audio(since), 1000)


# --- timeouts, crashes, errors ---------------------------------------------------------------


async def test_rtp_timeout_is_reported_for_a_silent_leg() -> None:
    running = Engine(rtp_timeout=0.5)
    await running.client.start()
    loop = asyncio.get_running_loop()
    talking = Phone(PCMU, 440)
    silent = Phone(PCMU, None)
    try:
        for phone in (talking, silent):
            await loop.create_datagram_endpoint(lambda p=phone: p, local_addr=(HOST, 0))
        for leg_id, phone in (("talking", talking), ("silent", silent)):
            port = await running.client.create_leg(leg_id)
            await running.client.connect_leg(
                leg_id, remote_host=HOST, remote_port=phone.port, codec="PCMU", payload_type=0
            )
            phone.start(port)
        started = time.monotonic()
        await until(lambda: running.named("rtp_timeout") != [], within=2)
        assert 0.45 <= time.monotonic() - started <= 0.9
        await asyncio.sleep(0.4)
        assert running.named("rtp_timeout") == [{"event": "rtp_timeout", "leg": "silent"}]
    finally:
        talking.close()
        silent.close()
        await running.client.stop()


async def test_a_killed_engine_is_restarted_and_says_so() -> None:
    running = Engine(restart_backoff=0.05)
    await running.client.start()
    try:
        await running.client.create_leg("a")
        first = running.client.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await until(lambda: running.named("engine_restarted") != [], within=5)
        assert running.client.running
        assert running.client.pid not in (None, first)
        assert running.client.restarts == 1
        # everything the old engine had is gone; the new one serves
        with pytest.raises(MediaEngineError, match="unknown leg 'a'"):
            await running.client.stats("a")
        await running.client.create_leg("a")
    finally:
        await running.client.stop()
    assert not running.client.running


async def test_stop_leaves_no_process_behind(engine: Engine) -> None:
    process = engine.client._process
    assert process is not None
    assert engine.client.running
    await engine.client.stop()
    assert process.returncode == 0
    assert not engine.client.running
    with pytest.raises(MediaEngineError, match="not running"):
        await engine.client.create_leg("a")


async def test_the_engine_exits_when_its_stdin_closes() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helpline.channels.media.engine",
        "--host",
        HOST,
        "--rtp-ports",
        "{}-{}".format(*port_range()),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    assert b'"ready"' in await asyncio.wait_for(process.stdout.readline(), 10)
    process.stdin.close()
    assert await asyncio.wait_for(process.wait(), 5) == 0


async def test_bad_commands_get_clear_errors_and_the_engine_keeps_serving(
    engine: Engine, phones: Callable[..., Any], tmp_path: Path
) -> None:
    client = engine.client
    await client.create_leg("a")
    await client.create_leg("b")
    cases: list[tuple[Any, str]] = [
        (client.stats("nope"), "unknown leg 'nope'"),
        (client.create_leg("a"), "leg 'a' already exists"),
        (client.create_leg("../etc"), "not a valid leg id"),
        (
            client.connect_leg(
                "a", remote_host=HOST, remote_port=4000, codec="G729", payload_type=18
            ),
            "unsupported codec 'G729'",
        ),
        (
            client.connect_leg(
                "a", remote_host="phone.example", remote_port=4000, codec="PCMU", payload_type=0
            ),
            "not an IP address",
        ),
        (
            client.connect_leg(
                "a", remote_host=HOST, remote_port=70000, codec="PCMU", payload_type=0
            ),
            "'remote_port' is 70000, outside 1-65535",
        ),
        (client.bridge("a", "a"), "to itself"),
        (client.bridge("a", "ghost"), "unknown leg 'ghost'"),
        (client.hold("a", [tmp_path / "x.wav"]), "not bridged"),
        (client.send_dtmf("a", "1"), "not connected"),
        (client.pause_recording("r"), "unknown recording 'r'"),
        (client.start_recording("r", tmp_path / "r.wav", []), "at least one leg"),
        (client.conference("c", ["a"], whisper={"b": "x"}), "not a talking member"),
        (client.end_conference("c"), "unknown conference 'c'"),
        (client._call("explode"), "unknown command 'explode'"),
        (client._call("stats"), "missing argument 'leg'"),
        (client._call("stats", leg=5), "not a valid leg id"),
    ]
    for call, message in cases:
        with pytest.raises(MediaEngineError, match=message):
            await call
    # junk on the control pipe is answered, not fatal
    process = client._process
    assert process is not None
    assert process.stdin is not None
    process.stdin.write(b'this is not json\n[1, 2]\n{"cmd": "ping"}\n')
    # malformed RTP is counted and dropped
    phone: Phone = await phones(PCMU, None)
    port = await client.create_leg("c")
    await client.connect_leg(
        "c", remote_host=HOST, remote_port=phone.port, codec="PCMU", payload_type=0
    )
    phone.target = (HOST, port)
    for junk in (b"", b"\x80", b"\x00" * 20, b"\x40" + bytes(30), b"\xbf" + bytes(11)):
        phone.send(junk)
    phone.send(RtpPacket(0, 1, 160, 7, bytes(160)).encode())  # one good packet
    await asyncio.sleep(0.1)
    stats = await client.stats("c")
    assert stats["malformed"] == 4
    assert stats["packets_in"] == 1
    assert stats["errors"] == 0
    assert stats["latched"] == 1
    assert client.running
    assert (await client.ping())["legs"] == 3
    await client.destroy_leg("c")
    with pytest.raises(MediaEngineError, match="unknown leg 'c'"):
        await client.destroy_leg("c")

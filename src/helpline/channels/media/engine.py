"""The media engine: RTP legs, relay, players, mixing, DTMF and recording in its own process.

Run by ``MediaEngineClient`` (never by hand in production)::

    python -m helpline.channels.media.engine --host 10.0.0.5 --rtp-ports 20000-20999

It reads requests from stdin and writes replies and events to stdout, one JSON object a
line (``protocol``); logs go to stderr. When stdin closes (the parent died) it exits.

How audio moves:

- A **leg** is one UDP socket on an even port of the range, toward one phone or trunk.
  After ``connect_leg`` it sends to the signalled address until the first valid RTP packet
  arrives, then to that packet's source (symmetric RTP: phones behind NAT).
- **Relay** between two bridged legs forwards each packet the moment it arrives, G.711
  transcoded if the codecs differ, with no work on the tick: lowest latency, least CPU.
- Everything else runs on **one 20 ms tick** (``FrameClock``): players (prompts, hold
  music), conferences (mix-minus, listen-only monitors, whisper), recordings and outgoing
  DTMF. Audio that a tick needs from a leg goes through that leg's jitter buffer, re-cut
  into 20 ms frames first if the peer sends another packetization.
- Whatever feeds it (relay from one peer, then hold music, then relay from another), each
  leg sends **one RTP stream**: its own SSRC for the life of the leg, sequence numbers and
  timestamps that continue across the switch, and the marker bit on the first packet after
  it, so that the phone's decoder and jitter buffer carry on instead of restarting.

DTMF arriving as RFC 4733 packets is reported as an event on the first packet of each
event and never relayed. Bad input (malformed RTP, bad commands, unknown legs) is counted
or answered with an error; it never stops the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import multiprocessing
import os
import secrets
import signal
import socket
import struct
import sys
import wave
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any, cast

from helpline.channels.media import protocol as proto
from helpline.channels.media.clock import FrameClock
from helpline.channels.media.dtmf import DtmfError, DtmfReceiver, DtmfSender
from helpline.channels.media.g711 import PCMA, PCMU, Codec, get_codec, transcode
from helpline.channels.media.jitter import JitterBuffer
from helpline.channels.media.mixer import mix, mix_minus
from helpline.channels.media.player import PlayList
from helpline.channels.media.rtp import RtpError, RtpPacket, RtpSender
from helpline.channels.media.wav import AudioFormatError, Recorder, read_wav

log = logging.getLogger("helpline.media.engine")

SOCKET_BUFFER_BYTES = 1 << 20
DEFAULT_RTP_TIMEOUT = 30.0
JITTER_DEPTH_FRAMES = 3
FRAME_SAMPLES = 160  # 20 ms at 8 kHz; one G.711 byte a sample
SILENCE = bytes(2 * FRAME_SAMPLES)  # one 20 ms frame of linear PCM
AUDIO_CACHE_BYTES = 256 << 20
MAX_SKIPPED_RECORDED = 250  # after a stall of more than 5 s the recordings lose time
TIMEOUT_CHECK_TICKS = 5  # look for silent legs every 100 ms
RECUT_SSRC_FLIP = 0x5EC0_0C07  # the re-cut stream is a stream of its own for the jitter buffer

_MASK32 = 0xFFFF_FFFF
_HEADER = struct.Struct("!BBHII")
_pack_header = _HEADER.pack
_unpack_header = _HEADER.unpack_from

Result = dict[str, Any]
Address = tuple[Any, ...]


class EngineError(Exception):
    """A command that cannot be carried out; the message goes back in the error reply."""


# --- outgoing stream ---------------------------------------------------------------------


class OutStream:
    """Our RTP stream toward one peer: one SSRC, sequence and timestamp that never restart.

    ``source`` is what fed the last packet: a relayed leg (with the SSRC it sent), ``TICK``
    for frames made on the clock (players, conference), or None after DTMF or a
    re-negotiation. A packet from another source than the last is a switch: the timestamp
    moves on by the time that passed since the last packet, relayed sequence numbers and
    timestamps are re-based to continue ours, and the packet carries the marker bit.
    """

    __slots__ = ("last_tick", "rtp", "seq_offset", "source", "source_ssrc", "ts_offset")

    def __init__(self, payload_type: int) -> None:
        self.rtp = RtpSender(secrets.randbits(32), payload_type)
        self.source: object = None
        self.source_ssrc = -1
        self.seq_offset = 0
        self.ts_offset = 0
        self.last_tick = -1  # the tick during which the last packet went out

    def switch(self, tick: int) -> None:
        """Account for the ticks during which nothing was sent."""
        if self.last_tick >= 0:
            idle = tick - self.last_tick - 1
            if idle > 0:
                rtp = self.rtp
                rtp.timestamp = (rtp.timestamp + idle * FRAME_SAMPLES) & _MASK32


TICK = object()  # the source of frames made on the clock


# --- re-cutting other packetizations ------------------------------------------------------


class Recutter:
    """Cuts packets of any length (10, 30, 40 ms...) into 20 ms frames by timestamp.

    G.711 has one byte a sample, so frames are cut from the encoded payloads. Frame ``k``
    covers timestamps ``base + 160k`` to ``base + 160k + 159``; it is emitted, as a packet
    numbered ``k``, once all its samples have arrived. A frame whose neighbour packet was
    lost never completes and is dropped after a few frames (the jitter buffer conceals it).
    """

    __slots__ = ("_base", "_newest", "_pending", "_ssrc")

    KEEP_FRAMES = 8

    def __init__(self) -> None:
        self._ssrc: int | None = None
        self._base = 0
        self._newest = 0
        self._pending: dict[int, list[Any]] = {}  # frame index -> [bytearray, samples filled]

    def feed(self, payload_type: int, timestamp: int, ssrc: int, payload: bytes) -> list[RtpPacket]:
        if ssrc != self._ssrc:
            self._ssrc = ssrc
            self._base = timestamp
            self._newest = 0
            self._pending.clear()
        offset = ((timestamp - self._base + 0x8000_0000) & _MASK32) - 0x8000_0000
        if abs(offset) > 8000 * 60 * 60:  # an hour away: the sender restarted its clock
            self._base = timestamp
            self._pending.clear()
            offset = 0
        pending = self._pending
        done: list[RtpPacket] = []
        position = 0
        size = len(payload)
        out_ssrc = ssrc ^ RECUT_SSRC_FLIP
        while position < size:
            index, within = divmod(offset + position, FRAME_SAMPLES)
            take = min(FRAME_SAMPLES - within, size - position)
            entry = pending.get(index)
            if entry is None:
                if index < self._newest - self.KEEP_FRAMES:
                    position += take  # too late to complete
                    continue
                entry = pending[index] = [bytearray(FRAME_SAMPLES), 0]
            entry[0][within : within + take] = payload[position : position + take]
            entry[1] += take
            position += take
            if entry[1] >= FRAME_SAMPLES:
                del pending[index]
                done.append(
                    RtpPacket(
                        payload_type,
                        index & 0xFFFF,
                        (self._base + index * FRAME_SAMPLES) & _MASK32,
                        out_ssrc,
                        bytes(entry[0]),
                    )
                )
            if index > self._newest:
                self._newest = index
        if len(pending) > self.KEEP_FRAMES:
            for index in [i for i in pending if i < self._newest - self.KEEP_FRAMES]:
                del pending[index]
        return done


# --- legs --------------------------------------------------------------------------------


class Leg(asyncio.DatagramProtocol):
    """One RTP endpoint: its socket, its peer, what it hears and where its audio goes."""

    __slots__ = (
        "_rx_seq",
        "_rx_ssrc",
        "_seen_in",
        "codec",
        "dropped",
        "dtmf_events",
        "dtmf_out",
        "dtmf_payload_type",
        "dtmf_rx",
        "duplicates",
        "engine",
        "errors",
        "frame",
        "held",
        "id",
        "jitter",
        "last_rx",
        "latched",
        "late",
        "lost",
        "malformed",
        "out",
        "packets_in",
        "packets_out",
        "partner",
        "payload_type",
        "play_gen",
        "player",
        "player_is_hold",
        "port",
        "recordings",
        "recut",
        "relay_to",
        "remote",
        "room",
        "rx_codecs",
        "signalled",
        "timed_out",
        "transport",
    )

    def __init__(self, engine: Engine, leg_id: str, port: int) -> None:
        self.engine = engine
        self.id = leg_id
        self.port = port
        self.transport: asyncio.DatagramTransport | None = None
        # peer
        self.codec: Codec | None = None
        self.payload_type = 0
        self.dtmf_payload_type: int | None = None
        self.rx_codecs: dict[int, Codec] = {}
        self.signalled: Address | None = None
        self.remote: Address | None = None
        self.latched = False
        self.out = OutStream(0)
        self.dtmf_rx = DtmfReceiver()
        self.dtmf_out: deque[RtpPacket] = deque()
        # what the leg hears and where its audio goes
        self.partner: Leg | None = None
        self.relay_to: Leg | None = None
        self.held = False
        self.player: PlayList | None = None
        self.player_is_hold = False
        self.play_gen = 0
        self.room: Room | None = None
        self.recordings: set[str] = set()
        self.jitter: JitterBuffer | None = None
        self.recut: Recutter | None = None
        self.frame: bytes | None = None  # this tick's decoded frame, when the tick needs it
        # statistics
        self.packets_in = 0
        self.packets_out = 0
        self.lost = 0
        self.late = 0
        self.duplicates = 0
        self.malformed = 0
        self.dropped = 0
        self.errors = 0
        self.dtmf_events = 0
        self._rx_ssrc = -1
        self._rx_seq = 0
        self._seen_in = 0
        self.last_rx = 0.0
        self.timed_out = False

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDP transport is not a subclass of asyncio's, but has its interface
        self.transport = cast(asyncio.DatagramTransport, transport)

    def error_received(self, exc: Exception) -> None:
        # ICMP errors for datagrams we sent (the phone went away): nothing to do
        self.errors += 1

    def datagram_received(self, data: bytes, addr: Address) -> None:
        try:
            if len(data) < 12:
                self.malformed += 1
                return
            first, second, sequence, timestamp, ssrc = _unpack_header(data)
            if first == 0x80:  # version 2, no padding, extension or CSRC: nearly every packet
                payload = data[12:]
            else:
                try:
                    payload = RtpPacket.parse(data).payload
                except RtpError:
                    self.malformed += 1
                    return
            payload_type = second & 0x7F
            codec = self.rx_codecs.get(payload_type)
            if codec is None and payload_type != self.dtmf_payload_type:
                self.dropped += 1  # not connected yet, comfort noise, another codec
                return
            if addr != self.remote:
                if self.latched:
                    self.dropped += 1  # not from the peer we latched to
                    return
                self.remote = addr
            self.latched = True
            self.packets_in += 1
            # loss and reordering, by sequence number (telephone events included)
            if ssrc == self._rx_ssrc:
                ahead = (sequence - self._rx_seq) & 0xFFFF
                if ahead == 1:
                    self._rx_seq = sequence
                elif ahead == 0:
                    self.duplicates += 1
                elif ahead < 3000:
                    self.lost += ahead - 1
                    self._rx_seq = sequence
                elif ahead > 0x10000 - 3000:
                    self.late += 1
                    if self.lost:
                        self.lost -= 1
                else:  # a jump: the sender restarted its numbering
                    self._rx_seq = sequence
            else:
                self._rx_ssrc = ssrc
                self._rx_seq = sequence
            if codec is None:
                digit = self.dtmf_rx.receive(
                    RtpPacket(payload_type, sequence, timestamp, ssrc, payload)
                )
                if digit is not None:
                    self.dtmf_events += 1
                    self.engine.emit(proto.DTMF, leg=self.id, digit=digit)
                return
            jitter = self.jitter
            if jitter is not None:
                if len(payload) == FRAME_SAMPLES:
                    jitter.put(RtpPacket(payload_type, sequence, timestamp, ssrc, payload))
                elif self.recut is not None:
                    for packet in self.recut.feed(payload_type, timestamp, ssrc, payload):
                        jitter.put(packet)
            target = self.relay_to
            if target is not None:
                target.relay_in(self, codec, payload, sequence, timestamp, ssrc, second & 0x80)
        except Exception:  # never let one packet break the socket's callback
            self.errors += 1
            if self.errors <= 3:
                log.exception("leg %s: error handling a packet", self.id)

    # sending

    def relay_in(
        self,
        source: Leg,
        codec: Codec,
        payload: bytes,
        sequence: int,
        timestamp: int,
        ssrc: int,
        marker: int,
    ) -> None:
        """Forward a packet from the bridged leg, in our stream's numbering and codec."""
        remote = self.remote
        transport = self.transport
        if remote is None or transport is None or self.dtmf_out:
            return
        out = self.out
        rtp = out.rtp
        if out.source is not source or out.source_ssrc != ssrc:
            out.switch(self.engine.tick)
            out.source = source
            out.source_ssrc = ssrc
            out.seq_offset = (rtp.sequence - sequence) & 0xFFFF
            out.ts_offset = (rtp.timestamp - timestamp) & _MASK32
            marker = 0x80
        sequence = (sequence + out.seq_offset) & 0xFFFF
        timestamp = (timestamp + out.ts_offset) & _MASK32
        own = self.codec
        if codec is not own and own is not None:
            payload = transcode(payload, codec, own)
        transport.sendto(
            _pack_header(0x80, self.payload_type | marker, sequence, timestamp, rtp.ssrc) + payload,
            remote,
        )
        if (sequence + 1 - rtp.sequence) & 0xFFFF < 0x8000:  # not a reordered older packet
            rtp.sequence = (sequence + 1) & 0xFFFF
            rtp.timestamp = (timestamp + len(payload)) & _MASK32
        out.last_tick = self.engine.tick
        self.packets_out += 1

    def send_pcm(self, pcm: bytes, tick: int) -> None:
        """Send one 20 ms frame of linear audio made on the tick."""
        codec = self.codec
        remote = self.remote
        transport = self.transport
        if codec is None or remote is None or transport is None:
            return
        out = self.out
        rtp = out.rtp
        marker = 0
        if out.source is not TICK or out.last_tick != tick - 1:
            out.switch(tick)
            out.source = TICK
            marker = 0x80
        transport.sendto(
            _pack_header(0x80, self.payload_type | marker, rtp.sequence, rtp.timestamp, rtp.ssrc)
            + codec.encode(pcm),
            remote,
        )
        rtp.sequence = (rtp.sequence + 1) & 0xFFFF
        rtp.timestamp = (rtp.timestamp + FRAME_SAMPLES) & _MASK32
        out.last_tick = tick
        self.packets_out += 1

    def send_dtmf_packet(self, tick: int) -> None:
        packet = self.dtmf_out.popleft()
        if self.remote is not None and self.transport is not None:
            self.transport.sendto(packet.encode(), self.remote)
            self.packets_out += 1
        self.out.last_tick = tick
        if not self.dtmf_out:
            self.out.source = None  # the next audio packet starts a new talkspurt

    # state

    @property
    def hears_tick(self) -> bool:
        """Whether the tick makes audio for this leg (a player or a conference)."""
        return self.player is not None or self.room is not None

    def stats(self) -> dict[str, int]:
        jitter = self.jitter.stats if self.jitter is not None else None
        return {
            "port": self.port,
            "packets_in": self.packets_in,
            "packets_out": self.packets_out,
            "lost": self.lost,
            "late": self.late,
            "duplicates": self.duplicates,
            "malformed": self.malformed,
            "dropped": self.dropped,
            "errors": self.errors,
            "dtmf_events": self.dtmf_events,
            "latched": int(self.latched),
            "jitter_lost": jitter.lost if jitter else 0,
            "jitter_late": jitter.late if jitter else 0,
        }


# --- conferences and recordings -----------------------------------------------------------


class Room:
    """A conference: talkers hear each other (mix-minus); listeners (a supervisor
    monitoring) hear the talkers and are heard by nobody; a whisperer hears the talkers and
    is heard by one talker only (the agent being coached)."""

    __slots__ = ("id", "listeners", "talkers", "whisper")

    def __init__(self, room_id: str) -> None:
        self.id = room_id
        self.talkers: list[Leg] = []
        self.listeners: list[Leg] = []
        self.whisper: dict[Leg, Leg] = {}

    @property
    def members(self) -> list[Leg]:
        return [*self.talkers, *self.listeners, *self.whisper]

    def remove(self, leg: Leg) -> None:
        if leg in self.talkers:
            self.talkers.remove(leg)
        if leg in self.listeners:
            self.listeners.remove(leg)
        self.whisper.pop(leg, None)
        for supervisor in [s for s, agent in self.whisper.items() if agent is leg]:
            # the coached agent left: the supervisor now only listens
            del self.whisper[supervisor]
            self.listeners.append(supervisor)

    def needs_audio_of(self, leg: Leg) -> bool:
        return leg in self.talkers or leg in self.whisper

    def tick(self, tick: int) -> None:
        talkers = self.talkers
        frames = [leg.frame or SILENCE for leg in talkers]
        outputs = mix_minus(frames) if frames else []
        for index, leg in enumerate(talkers):
            whispered = [
                s.frame for s, agent in self.whisper.items() if agent is leg and s.frame is not None
            ]
            heard = mix([outputs[index], *whispered]) if whispered else outputs[index]
            if leg.player is None and not leg.dtmf_out:
                leg.send_pcm(heard, tick)
        if self.listeners or self.whisper:
            everyone = mix(frames) if frames else SILENCE
            for leg in [*self.listeners, *self.whisper]:
                if leg.player is None and not leg.dtmf_out:
                    leg.send_pcm(everyone, tick)


class Recording:
    __slots__ = ("files", "id", "legs", "mixed", "recorders")

    def __init__(self, recording_id: str, legs: list[str], mixed: bool) -> None:
        self.id = recording_id
        self.legs = legs
        self.mixed = mixed
        self.recorders: list[Recorder] = []
        self.files: list[str] = []

    def pause(self) -> None:
        for recorder in self.recorders:
            recorder.pause()

    def resume(self) -> None:
        for recorder in self.recorders:
            recorder.resume()

    def write(self, legs: dict[str, Leg]) -> None:
        frames = [
            leg.frame if (leg := legs.get(leg_id)) is not None else None for leg_id in self.legs
        ]
        if self.mixed:
            self.recorders[0].write_mixed([frame for frame in frames if frame is not None])
        else:
            for recorder, frame in zip(self.recorders, frames, strict=True):
                recorder.write(frame)

    def close(self) -> int:
        duration = max((recorder.duration_ms for recorder in self.recorders), default=0)
        for recorder in self.recorders:
            recorder.close()
        return duration


def per_leg_path(path: str, leg_id: str) -> str:
    """``/rec/call.wav`` and leg ``a`` give ``/rec/call-a.wav``."""
    base = path[:-4] if path.lower().endswith(".wav") else path
    return f"{base}-{leg_id}.wav"


# --- audio files ---------------------------------------------------------------------------


def _read_native_wav(path: str) -> bytes | None:
    """The samples of a WAV already in the engine's format (8 kHz mono 16-bit PCM), read
    without conversion; None for any other file (``read_wav`` converts or explains)."""
    try:
        with wave.open(path, "rb") as reader:
            if (
                reader.getcomptype() != "NONE"
                or reader.getnchannels() != 1
                or reader.getsampwidth() != 2
                or reader.getframerate() != 8000
            ):
                return None
            return reader.readframes(reader.getnframes())
    except (wave.Error, EOFError, struct.error, OSError):
        return None


class AudioCache:
    """Converted audio by (path, mtime, size): an upload replaced under the same name is
    converted again. Least recently used files go first beyond ``max_bytes``."""

    def __init__(self, max_bytes: int = AUDIO_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._size = 0
        self._loading: dict[tuple[str, int, int], asyncio.Future[bytes]] = {}
        self._converter: Executor | None = None

    def _executor(self) -> Executor:
        # converting (resampling) costs seconds of CPU for long files and audioop holds the
        # GIL: it runs in a process of its own so that it never delays a tick
        if self._converter is None:
            self._converter = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        return self._converter

    async def load(self, path: str) -> bytes:
        try:
            status = os.stat(path)
        except OSError as exc:
            raise EngineError(f"cannot play {path!r}: {exc.strerror}") from None
        key = (path, status.st_mtime_ns, status.st_size)
        cached = self._items.get(key)
        if cached is not None:
            self._items.move_to_end(key)
            return cached
        loading = self._loading.get(key)
        if loading is not None:
            return await asyncio.shield(loading)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            pcm = await self._convert(path)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        else:
            future.set_result(pcm)
            self._store(key, pcm)
            return pcm
        finally:
            del self._loading[key]

    async def _convert(self, path: str) -> bytes:
        pcm = await asyncio.to_thread(_read_native_wav, path)
        if pcm is not None:
            return pcm
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor(), read_wav, path)
        except AudioFormatError as exc:
            raise EngineError(f"cannot play {path!r}: {exc}") from None

    def _store(self, key: tuple[str, int, int], pcm: bytes) -> None:
        for old in [k for k in self._items if k[0] == key[0]]:
            self._size -= len(self._items.pop(old))
        self._items[key] = pcm
        self._size += len(pcm)
        while self._size > self.max_bytes and len(self._items) > 1:
            _, evicted = self._items.popitem(last=False)
            self._size -= len(evicted)

    def close(self) -> None:
        if self._converter is not None:
            self._converter.shutdown(wait=False, cancel_futures=True)
            self._converter = None


# --- the engine ------------------------------------------------------------------------------


def parse_port_range(text: str) -> tuple[int, int]:
    low_text, sep, high_text = text.partition("-")
    try:
        low, high = int(low_text), int(high_text if sep else low_text)
    except ValueError:
        raise ValueError(f"bad port range {text!r}: expected LOW-HIGH, e.g. 20000-20999") from None
    if not 1024 <= low <= high <= 65535:
        raise ValueError(f"bad port range {text!r}: need 1024 <= LOW <= HIGH <= 65535")
    if not any(port % 2 == 0 for port in range(low, high + 1)):
        raise ValueError(f"port range {text!r} holds no even port")
    return low, high


class Engine:
    def __init__(
        self,
        host: str,
        ports: tuple[int, int],
        *,
        rtp_timeout: float = DEFAULT_RTP_TIMEOUT,
        write: Callable[[bytes], None] | None = None,
    ) -> None:
        self.host = host
        self.family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        self.ports = ports
        low, high = ports
        self._free_ports: deque[int] = deque(p for p in range(low, high + 1) if p % 2 == 0)
        self.rtp_timeout = rtp_timeout
        self._write = write or (lambda _line: None)
        self.legs: dict[str, Leg] = {}
        self.rooms: dict[str, Room] = {}
        self.recordings: dict[str, Recording] = {}
        self.audio = AudioCache()
        self.tick = 0
        self.clock: FrameClock | None = None
        self._playing: set[Leg] = set()
        self._dtmf_legs: set[Leg] = set()
        self._frame_legs: set[Leg] = set()  # legs whose audio the tick needs
        self._overruns_reported = 0
        self._skipped_reported = 0
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # a handler answers at once with a dict, or returns an awaitable for the part that
        # waits (opening a socket, loading files): everything before that part, checks and
        # state changes, has then already happened in the order the requests came in
        self._commands: dict[str, Callable[[proto.Message], Result | Awaitable[Result]]] = {
            proto.CREATE_LEG: self.cmd_create_leg,
            proto.CONNECT_LEG: self.cmd_connect_leg,
            proto.DESTROY_LEG: self.cmd_destroy_leg,
            proto.PLAY: self.cmd_play,
            proto.STOP_PLAYING: self.cmd_stop_playing,
            proto.BRIDGE: self.cmd_bridge,
            proto.UNBRIDGE: self.cmd_unbridge,
            proto.HOLD: self.cmd_hold,
            proto.UNHOLD: self.cmd_unhold,
            proto.SEND_DTMF: self.cmd_send_dtmf,
            proto.START_RECORDING: self.cmd_start_recording,
            proto.PAUSE_RECORDING: self.cmd_pause_recording,
            proto.RESUME_RECORDING: self.cmd_resume_recording,
            proto.STOP_RECORDING: self.cmd_stop_recording,
            proto.CONFERENCE: self.cmd_conference,
            proto.END_CONFERENCE: self.cmd_end_conference,
            proto.STATS: self.cmd_stats,
            proto.PING: self.cmd_ping,
            proto.SHUTDOWN: self.cmd_shutdown,
        }

    # output

    def emit(self, name: str, **fields: Any) -> None:
        self._write(proto.event(name, **fields))

    # requests

    def handle_line(self, line: bytes) -> None:
        try:
            message = proto.decode(line)
        except proto.ProtocolError as exc:
            self._write(proto.error(None, str(exc)))
            return
        request_id = proto.request_id(message)
        if request_id is None:
            self._write(proto.error(None, "a request needs an integer 'id'"))
            return
        command = message.get("cmd")
        if not isinstance(command, str):
            self._write(proto.error(request_id, "a request needs a 'cmd' string"))
            return
        handler = self._commands.get(command)
        if handler is None:
            self._write(proto.error(request_id, f"unknown command {command!r}"))
            return
        try:
            result = handler(message)
        except (EngineError, proto.ProtocolError) as exc:
            self._write(proto.error(request_id, str(exc)))
            return
        except Exception as exc:
            log.exception("command %s failed", command)
            self._write(proto.error(request_id, f"internal error in {command}: {exc!r}"))
            return
        if isinstance(result, dict):
            self._write(proto.ok(request_id, **result))
            return
        task = asyncio.get_running_loop().create_task(self._answer(request_id, command, result))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, request_id: int, command: str, pending: Awaitable[Result]) -> None:
        try:
            result = await pending
        except (EngineError, proto.ProtocolError) as exc:
            self._write(proto.error(request_id, str(exc)))
        except Exception as exc:
            log.exception("command %s failed", command)
            self._write(proto.error(request_id, f"internal error in {command}: {exc!r}"))
        else:
            self._write(proto.ok(request_id, **result))

    def _leg(self, message: proto.Message, name: str = "leg") -> Leg:
        leg_id = proto.arg_leg(message, name)
        leg = self.legs.get(leg_id)
        if leg is None:
            raise EngineError(f"unknown leg {leg_id!r}")
        return leg

    def _legs(self, ids: Iterable[str]) -> list[Leg]:
        unknown = [leg_id for leg_id in ids if leg_id not in self.legs]
        if unknown:
            raise EngineError(f"unknown leg {unknown[0]!r}")
        return [self.legs[leg_id] for leg_id in ids]

    # legs

    def cmd_create_leg(self, message: proto.Message) -> Awaitable[Result]:
        leg_id = proto.arg_leg(message)
        if leg_id in self.legs:
            raise EngineError(f"leg {leg_id!r} already exists")
        sock, port = self._bind()
        leg = Leg(self, leg_id, port)
        self.legs[leg_id] = leg  # taken at once: a second create_leg of this id fails
        return self._open_leg(leg, sock)

    async def _open_leg(self, leg: Leg, sock: socket.socket) -> Result:
        leg_id, port = leg.id, leg.port
        try:
            transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: leg, sock=sock
            )
        except BaseException:
            sock.close()
            if self.legs.get(leg_id) is leg:
                del self.legs[leg_id]
            self._free_ports.append(port)
            raise
        if self.legs.get(leg_id) is not leg:  # destroyed while the transport was being made
            transport.close()
            raise EngineError(f"leg {leg_id!r} was destroyed while it was being created")
        leg.transport = transport  # connection_made may come later; the leg can send now
        return {"port": port}

    def _bind(self) -> tuple[socket.socket, int]:
        last_error: OSError | None = None
        for _ in range(len(self._free_ports)):
            port = self._free_ports.popleft()
            sock = socket.socket(self.family, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER_BYTES)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER_BYTES)
                sock.setblocking(False)
                sock.bind((self.host, port))
            except OSError as exc:
                sock.close()
                last_error = exc
                self._free_ports.append(port)  # in use by someone else; try it again later
                continue
            return sock, port
        detail = f" (last error: {last_error.strerror})" if last_error else ""
        low, high = self.ports
        raise EngineError(f"no free RTP port in {low}-{high}{detail}")

    def cmd_connect_leg(self, message: proto.Message) -> Result:
        leg = self._leg(message)
        host = proto.arg_str(message, "remote_host")
        port = proto.arg_int(message, "remote_port", 1, 65535)
        codec_name = proto.arg_str(message, "codec")
        payload_type = proto.arg_int(message, "payload_type", 0, 127)
        dtmf_payload_type = proto.arg_optional_int(message, "dtmf_payload_type", 0, 127)
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            raise EngineError(f"remote_host {host!r} is not an IP address") from None
        if (address.version == 6) != (self.family == socket.AF_INET6):
            raise EngineError(
                f"remote_host {host} is IPv{address.version} but the engine's RTP address "
                f"{self.host} is not"
            )
        try:
            codec = get_codec(codec_name)
        except (KeyError, ValueError):
            raise EngineError(f"unsupported codec {codec_name!r} (PCMU or PCMA)") from None
        if dtmf_payload_type == payload_type:
            raise EngineError("dtmf_payload_type must differ from the audio payload_type")
        rx_codecs = {PCMU.payload_type: PCMU, PCMA.payload_type: PCMA, payload_type: codec}
        if dtmf_payload_type is not None:
            rx_codecs.pop(dtmf_payload_type, None)
        changed = leg.codec is not codec or leg.payload_type != payload_type
        leg.codec = codec
        leg.payload_type = payload_type
        leg.out.rtp.payload_type = payload_type
        leg.dtmf_payload_type = dtmf_payload_type
        leg.dtmf_rx.payload_type = dtmf_payload_type if dtmf_payload_type is not None else -1
        leg.rx_codecs = rx_codecs
        leg.signalled = (str(address), port)
        leg.remote = leg.signalled
        leg.latched = False
        if changed:
            leg.out.source = None  # mark the first packet in the new format
        leg.last_rx = asyncio.get_running_loop().time()
        leg._seen_in = leg.packets_in
        leg.timed_out = False
        return {}

    def cmd_destroy_leg(self, message: proto.Message) -> Result:
        leg = self._leg(message)
        self._stop_player(leg)
        self._unbridge(leg)
        if leg.room is not None:
            room = leg.room
            self._leave_room(leg)
            if not room.members:
                self.rooms.pop(room.id, None)
        self._dtmf_legs.discard(leg)
        leg.dtmf_out.clear()
        del self.legs[leg.id]
        for recording_id in sorted(leg.recordings):
            recording = self.recordings.get(recording_id)
            if recording is not None and not any(lid in self.legs for lid in recording.legs):
                self._finish_recording(recording, reason="legs_gone")
        leg.recordings.clear()
        self._refresh_frames(leg)
        if leg.transport is not None:
            leg.transport.close()
        self._free_ports.append(leg.port)
        return {"stats": leg.stats()}

    def cmd_stats(self, message: proto.Message) -> Result:
        return {"stats": self._leg(message).stats()}

    def cmd_ping(self, message: proto.Message) -> Result:
        return {
            "legs": len(self.legs),
            "rooms": len(self.rooms),
            "recordings": len(self.recordings),
            "tick": self.tick,
            "overruns": self.clock.overruns if self.clock else 0,
        }

    def cmd_shutdown(self, message: proto.Message) -> Result:
        self._stopping.set()
        return {}

    # what legs hear

    def _refresh_relay(self, leg: Leg) -> None:
        for one in (leg, leg.partner):
            if one is None:
                continue
            other = one.partner
            one.relay_to = (
                other
                if other is not None
                and other.partner is one
                and not one.held
                and not other.held
                and not other.hears_tick
                and one.room is None
                else None
            )

    def _stop_player(self, leg: Leg) -> None:
        leg.play_gen += 1
        if leg.player is not None:
            leg.player = None
            leg.player_is_hold = False
            self._playing.discard(leg)
            self._refresh_relay(leg)

    def _start_player(self, leg: Leg, pcms: list[bytes], *, loop: bool, hold: bool) -> None:
        leg.player = PlayList(pcms, loop=loop)
        leg.player_is_hold = hold
        self._playing.add(leg)
        self._refresh_relay(leg)

    def cmd_play(self, message: proto.Message) -> Awaitable[Result]:
        leg = self._leg(message)
        files = proto.arg_strs(message, "files")
        loop = proto.arg_bool(message, "loop", False)
        if not files:
            raise EngineError("play needs at least one file")
        self._stop_player(leg)
        return self._play_when_loaded(leg, files, loop, leg.play_gen)

    async def _play_when_loaded(
        self, leg: Leg, files: list[str], loop: bool, generation: int
    ) -> Result:
        pcms = [await self.audio.load(path) for path in files]
        if leg.play_gen != generation or self.legs.get(leg.id) is not leg:
            return {"superseded": True}  # stopped or replaced while the files loaded
        self._start_player(leg, pcms, loop=loop, hold=False)
        return {"duration_ms": sum(len(pcm) for pcm in pcms) // 16}

    def cmd_stop_playing(self, message: proto.Message) -> Result:
        self._stop_player(self._leg(message))
        return {}

    def _unbridge(self, leg: Leg) -> None:
        partner = leg.partner
        if partner is None:
            return
        leg.partner = partner.partner = None
        for one in (leg, partner):
            one.relay_to = None
            one.held = False
            if one.player_is_hold:
                self._stop_player(one)

    def cmd_bridge(self, message: proto.Message) -> Result:
        a = self._leg(message, "leg_a")
        b = self._leg(message, "leg_b")
        if a is b:
            raise EngineError(f"cannot bridge leg {a.id!r} to itself")
        for leg in (a, b):
            self._unbridge(leg)
            if leg.room is not None:
                self._leave_room(leg)
            self._stop_player(leg)
        a.partner, b.partner = b, a
        self._refresh_relay(a)
        return {}

    def cmd_unbridge(self, message: proto.Message) -> Result:
        self._unbridge(self._leg(message))
        return {}

    def cmd_hold(self, message: proto.Message) -> Awaitable[Result]:
        leg = self._leg(message)
        files = proto.arg_strs(message, "files")
        partner = leg.partner
        if partner is None:
            raise EngineError(f"leg {leg.id!r} is not bridged: nobody to play hold music to")
        if not files:
            raise EngineError("hold needs at least one file of music")
        self._stop_player(partner)
        return self._hold_when_loaded(leg, partner, files, partner.play_gen)

    async def _hold_when_loaded(
        self, leg: Leg, partner: Leg, files: list[str], generation: int
    ) -> Result:
        pcms = [await self.audio.load(path) for path in files]
        if partner.play_gen != generation or leg.partner is not partner:
            return {"superseded": True}
        leg.held = True
        self._start_player(partner, pcms, loop=True, hold=True)
        return {}

    def cmd_unhold(self, message: proto.Message) -> Result:
        leg = self._leg(message)
        leg.held = False
        partner = leg.partner
        if partner is not None:
            if partner.player_is_hold:
                self._stop_player(partner)
            else:
                partner.play_gen += 1  # a hold still loading its music is cancelled
        self._refresh_relay(leg)
        return {}

    def cmd_send_dtmf(self, message: proto.Message) -> Result:
        leg = self._leg(message)
        digit = proto.arg_str(message, "digit")
        duration = proto.arg_optional_int(message, "duration_ms", 40, 5000)
        if leg.codec is None:
            raise EngineError(f"leg {leg.id!r} is not connected")
        if leg.dtmf_payload_type is None:
            raise EngineError(
                f"leg {leg.id!r} has no telephone-event payload type (the peer did not "
                "offer RFC 4733)"
            )
        if len(digit) != 1:
            raise EngineError(f"send one digit at a time, not {digit!r}")
        out = leg.out
        if not leg.dtmf_out:
            out.switch(self.tick + 1)
            out.last_tick = self.tick
        try:
            packets = DtmfSender(leg.dtmf_payload_type).packets(digit, out.rtp, duration)
        except DtmfError as exc:
            raise EngineError(str(exc)) from None
        leg.dtmf_out.extend(packets)
        self._dtmf_legs.add(leg)
        return {"packets": len(packets)}

    # conferences

    def _leave_room(self, leg: Leg) -> None:
        room = leg.room
        if room is None:
            return
        room.remove(leg)
        leg.room = None
        for member in [leg, *room.members]:
            self._refresh_frames(member)
        self._refresh_relay(leg)

    def cmd_conference(self, message: proto.Message) -> Result:
        room_id = proto.arg_id(message, "room")
        talker_ids = proto.arg_legs(message, "legs")
        listen_ids = proto.arg_legs(message, "listen_only", required=False)
        whisper_ids = proto.arg_leg_map(message, "whisper")
        listen_set = set(listen_ids)
        for supervisor, agent in whisper_ids.items():
            if supervisor in listen_set:
                raise EngineError(f"leg {supervisor!r} cannot both listen only and whisper")
            if agent in listen_set or agent in whisper_ids or agent not in talker_ids:
                raise EngineError(
                    f"leg {supervisor!r} whispers to {agent!r}, which is not a talking "
                    "member of the conference"
                )
        talker_ids = [t for t in talker_ids if t not in listen_set and t not in whisper_ids]
        all_ids = [*talker_ids, *listen_ids, *(s for s in whisper_ids if s not in listen_set)]
        members = self._legs(all_ids)
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = Room(room_id)
        for old in room.members:
            if old.id not in all_ids:
                self._leave_room(old)
        for leg in members:
            if leg.room is not None and leg.room is not room:
                self._leave_room(leg)
            self._unbridge(leg)
            self._stop_player(leg)
            leg.room = room
        room.talkers = self._legs(talker_ids)
        room.listeners = self._legs(listen_ids)
        room.whisper = {self.legs[s]: self.legs[a] for s, a in whisper_ids.items()}
        for leg in members:
            self._refresh_frames(leg)
            self._refresh_relay(leg)
        return {}

    def cmd_end_conference(self, message: proto.Message) -> Result:
        room_id = proto.arg_id(message, "room")
        room = self.rooms.pop(room_id, None)
        if room is None:
            raise EngineError(f"unknown conference {room_id!r}")
        for leg in room.members:
            self._leave_room(leg)
        return {}

    # recordings

    def _refresh_frames(self, leg: Leg) -> None:
        """Feed the leg's jitter buffer if and only if the tick needs the leg's audio."""
        needed = self.legs.get(leg.id) is leg and (
            bool(leg.recordings) or (leg.room is not None and leg.room.needs_audio_of(leg))
        )
        if needed and leg.jitter is None:
            leg.jitter = JitterBuffer(JITTER_DEPTH_FRAMES)
            leg.recut = Recutter()
            self._frame_legs.add(leg)
        elif not needed and leg.jitter is not None:
            leg.jitter = None
            leg.recut = None
            leg.frame = None
            self._frame_legs.discard(leg)

    def cmd_start_recording(self, message: proto.Message) -> Result:
        recording_id = proto.arg_id(message, "recording")
        path = proto.arg_str(message, "path")
        leg_ids = proto.arg_legs(message, "legs")
        mixed = proto.arg_bool(message, "mixed", True)
        if recording_id in self.recordings:
            raise EngineError(f"recording {recording_id!r} already exists")
        if not leg_ids:
            raise EngineError("a recording needs at least one leg")
        legs = self._legs(leg_ids)
        recording = Recording(recording_id, leg_ids, mixed)
        paths = [path] if mixed else [per_leg_path(path, leg_id) for leg_id in leg_ids]
        try:
            for target in paths:
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                recording.recorders.append(Recorder(target))
                recording.files.append(target)
        except OSError as exc:
            recording.close()
            raise EngineError(
                f"cannot record to {exc.filename or path!r}: {exc.strerror}"
            ) from None
        self.recordings[recording_id] = recording
        for leg in legs:
            leg.recordings.add(recording_id)
            self._refresh_frames(leg)
        return {"files": recording.files}

    def _recording(self, message: proto.Message) -> Recording:
        recording_id = proto.arg_id(message, "recording")
        recording = self.recordings.get(recording_id)
        if recording is None:
            raise EngineError(f"unknown recording {recording_id!r}")
        return recording

    def cmd_pause_recording(self, message: proto.Message) -> Result:
        self._recording(message).pause()
        return {}

    def cmd_resume_recording(self, message: proto.Message) -> Result:
        self._recording(message).resume()
        return {}

    def cmd_stop_recording(self, message: proto.Message) -> Result:
        recording = self._recording(message)
        duration = self._finish_recording(recording, reason=None)
        return {"files": recording.files, "duration_ms": duration}

    def _finish_recording(self, recording: Recording, *, reason: str | None) -> int:
        self.recordings.pop(recording.id, None)
        try:
            duration = recording.close()
        except OSError as exc:
            log.error("recording %s: cannot close: %s", recording.id, exc)
            duration = 0
        for leg_id in recording.legs:
            leg = self.legs.get(leg_id)
            if leg is not None:
                leg.recordings.discard(recording.id)
                self._refresh_frames(leg)
        if reason is not None:
            self.emit(proto.RECORDING_STOPPED, recording=recording.id, reason=reason)
        return duration

    # the clock

    def _take_frames(self) -> None:
        """This tick's frame of every leg whose audio the tick needs, from its jitter buffer;
        then one frame of every recording."""
        for leg in self._frame_legs:
            packet = leg.jitter.pop_packet() if leg.jitter is not None else None
            if packet is None:
                leg.frame = None
            else:
                codec = leg.rx_codecs.get(packet.payload_type)
                leg.frame = codec.decode(packet.payload) if codec is not None else None
        for recording in list(self.recordings.values()):
            try:
                recording.write(self.legs)
            except (OSError, ValueError) as exc:
                log.error("recording %s failed: %s", recording.id, exc)
                self._finish_recording(recording, reason=f"error: {exc}")

    def skip_ticks(self, count: int) -> None:
        """Ticks the clock skipped (the process was stalled): nothing is sent for them, but
        the recordings still get their frames, so that a file keeps the call's timeline (a
        pause stays where it was) and the jitter buffers do not pile up."""
        if self.recordings:
            for _ in range(min(count, MAX_SKIPPED_RECORDED)):
                self._take_frames()

    def run_tick(self, tick: int, now: float) -> None:
        self.tick = tick
        self._take_frames()
        for leg in list(self._playing):
            player = leg.player
            if player is None or leg.dtmf_out:
                continue
            leg.send_pcm(player.next_frame(), tick)
            if player.done and not player.loop:
                self._stop_player(leg)
                self.emit(proto.PLAY_DONE, leg=leg.id)
        for room in self.rooms.values():
            room.tick(tick)
        for leg in list(self._dtmf_legs):
            if leg.dtmf_out:
                leg.send_dtmf_packet(tick)
            if not leg.dtmf_out:
                self._dtmf_legs.discard(leg)
        if tick % TIMEOUT_CHECK_TICKS == 0:
            self._check_timeouts(now)

    def _check_timeouts(self, now: float) -> None:
        timeout = self.rtp_timeout
        for leg in self.legs.values():
            if leg.codec is None:
                continue
            if leg.packets_in != leg._seen_in:
                leg._seen_in = leg.packets_in
                leg.last_rx = now
                leg.timed_out = False
            elif not leg.timed_out and timeout > 0 and now - leg.last_rx >= timeout:
                leg.timed_out = True
                log.info("leg %s: no RTP for %.1f s", leg.id, now - leg.last_rx)
                self.emit(proto.RTP_TIMEOUT, leg=leg.id)

    async def clock_loop(self) -> None:
        loop = asyncio.get_running_loop()
        clock = self.clock = FrameClock(loop.time())
        while True:
            skipped_before = clock.skipped
            due = clock.ticks_due(loop.time())
            if clock.skipped != skipped_before:
                try:
                    self.skip_ticks(clock.skipped - skipped_before)
                except Exception:
                    log.exception("error recording skipped ticks")
            for index in range(due):
                try:
                    self.run_tick(clock.tick - due + index, loop.time())
                except Exception:
                    log.exception("error in tick %d", clock.tick - due + index)
            if clock.overruns > self._overruns_reported:
                skipped = clock.skipped - self._skipped_reported
                self._overruns_reported = clock.overruns
                self._skipped_reported = clock.skipped
                log.warning("the media clock fell behind: %d ticks skipped", skipped)
                self.emit(proto.OVERRUN, ticks=skipped)
            delay = clock.next_deadline() - loop.time()
            # libuv timers have a 1 ms resolution: wake just after the deadline, not before
            await asyncio.sleep(max(0.0, delay) + 0.0005)

    # life cycle

    async def serve(self, reader: asyncio.StreamReader) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self._stopping.set)
        clock_task = loop.create_task(self.clock_loop())
        read_task = loop.create_task(self._read(reader))
        stop_task = loop.create_task(self._stopping.wait())
        low, high = self.ports
        self.emit(proto.READY, pid=os.getpid(), host=self.host, rtp_ports=[low, high])
        try:
            await asyncio.wait(
                {clock_task, read_task, stop_task}, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (clock_task, read_task, stop_task, *self._tasks):
                task.cancel()
            self.close()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readline()
            except ValueError:  # longer than the limit; the stream skipped past it
                self._write(proto.error(None, f"line longer than {proto.MAX_LINE_BYTES} bytes"))
                continue
            if not line:
                log.info("stdin closed: exiting")
                return
            if line.strip():
                self.handle_line(line)

    def close(self) -> None:
        for recording in list(self.recordings.values()):
            self._finish_recording(recording, reason=None)
        for leg in self.legs.values():
            if leg.transport is not None:
                leg.transport.close()
        self.legs.clear()
        self.audio.close()


async def _main(args: argparse.Namespace, protocol_fd: int) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=proto.MAX_LINE_BYTES)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(0, "rb", buffering=0)
    )
    write_transport, _ = await loop.connect_write_pipe(
        asyncio.Protocol, os.fdopen(protocol_fd, "wb", buffering=0)
    )
    engine = Engine(
        args.host, args.rtp_ports, rtp_timeout=args.rtp_timeout, write=write_transport.write
    )
    try:
        await engine.serve(reader)
    finally:
        # let the last replies reach the client before the pipe closes
        for _ in range(100):
            if write_transport.is_closing() or not write_transport.get_write_buffer_size():
                break
            await asyncio.sleep(0.01)
        write_transport.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpline.channels.media.engine",
        description="The media engine process (driven by MediaEngineClient over stdin/stdout).",
    )
    parser.add_argument("--host", required=True, help="IP address to bind the RTP sockets to")
    parser.add_argument(
        "--rtp-ports", required=True, type=parse_port_range, help="LOW-HIGH, e.g. 20000-20999"
    )
    parser.add_argument(
        "--rtp-timeout",
        type=float,
        default=DEFAULT_RTP_TIMEOUT,
        help="seconds without RTP on a connected leg before rtp_timeout (0: never)",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    try:
        ipaddress.ip_address(args.host)
    except ValueError:
        parser.error(f"--host {args.host!r} is not an IP address")
    # the protocol owns the real stdout; anything else printed goes to stderr with the logs
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s media-engine[%(process)d] %(levelname)s %(message)s",
    )
    import uvloop

    uvloop.run(_main(args, protocol_fd))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

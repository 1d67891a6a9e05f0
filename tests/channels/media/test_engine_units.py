"""The engine's parts without a process or sockets: the protocol, re-cutting, renumbering
of the outgoing stream, and request handling (fake transports collect what is sent)."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import pytest

from helpline.channels.media import protocol as proto
from helpline.channels.media.engine import (
    Engine,
    Leg,
    Recutter,
    parse_port_range,
    per_leg_path,
)
from helpline.channels.media.g711 import PCMA, PCMU, transcode
from helpline.channels.media.rtp import RtpPacket
from helpline.channels.media.tone import sine

# --- protocol --------------------------------------------------------------------------------


def test_messages_are_one_compact_json_line_each() -> None:
    line = proto.request(7, "create_leg", leg="a")
    assert line == b'{"id":7,"cmd":"create_leg","leg":"a"}\n'
    assert proto.decode(line) == {"id": 7, "cmd": "create_leg", "leg": "a"}
    assert proto.decode(proto.ok(7, port=20000)) == {"id": 7, "ok": True, "port": 20000}
    assert proto.decode(proto.error(None, "bad")) == {"id": None, "ok": False, "error": "bad"}
    event = proto.decode(proto.event("dtmf", leg="a", digit="5"))
    assert proto.is_event(event)
    assert not proto.is_reply(event)
    assert proto.is_reply(proto.decode(proto.ok(1)))


@pytest.mark.parametrize(
    ("line", "message"),
    [(b"not json", "not a JSON line"), (b"[1]", "JSON object"), (b"\xff\n", "not a JSON")],
)
def test_lines_that_are_not_messages_are_refused(line: bytes, message: str) -> None:
    with pytest.raises(proto.ProtocolError, match=message):
        proto.decode(line)


def test_arguments_are_checked_with_messages_that_name_them() -> None:
    message = {"leg": "a", "n": True, "port": 70000, "legs": ["a", "a"], "w": {"s": "x/y"}}
    assert proto.arg_leg(message) == "a"
    with pytest.raises(proto.ProtocolError, match="'n' must be an integer"):
        proto.arg_int(message, "n", 0, 10)  # a bool is not an integer here
    with pytest.raises(proto.ProtocolError, match="'port' is 70000, outside 1-65535"):
        proto.arg_int(message, "port", 1, 65535)
    with pytest.raises(proto.ProtocolError, match="names a leg twice"):
        proto.arg_legs(message, "legs")
    with pytest.raises(proto.ProtocolError, match="not a valid leg id"):
        proto.arg_leg_map(message, "w")
    with pytest.raises(proto.ProtocolError, match="missing argument 'files'"):
        proto.arg_strs(message, "files")
    assert proto.arg_optional_int(message, "absent", 0, 1) is None
    assert proto.arg_bool(message, "absent", True) is True
    for bad in ("", "../x", "a b", "x" * 129, 5):
        with pytest.raises(proto.ProtocolError):
            proto.check_leg_id(bad)


def test_helpers() -> None:
    assert per_leg_path("/rec/call.wav", "a") == "/rec/call-a.wav"
    assert per_leg_path("/rec/call", "b") == "/rec/call-b.wav"
    assert parse_port_range("20000-20999") == (20000, 20999)
    assert parse_port_range("20000") == (20000, 20000)
    for bad in ("x-y", "20001-20001", "100-200", "30000-20000"):
        with pytest.raises(ValueError, match="port range"):
            parse_port_range(bad)


# --- re-cutting ------------------------------------------------------------------------------


def test_recutter_turns_30_ms_packets_into_whole_20_ms_frames() -> None:
    audio = bytes(range(256)) * 10  # 2560 samples of G.711, distinguishable
    recut = Recutter()
    frames: list[RtpPacket] = []
    for n in range(10):  # 10 packets of 240 samples = 15 frames of 160
        chunk = audio[240 * n : 240 * (n + 1)]
        frames += recut.feed(0, 1000 + 240 * n, 42, chunk)
    assert [f.sequence for f in frames] == list(range(15))
    assert b"".join(f.payload for f in frames) == audio[:2400]
    assert [f.timestamp for f in frames] == [1000 + 160 * k for k in range(15)]
    assert {f.ssrc for f in frames} == {42 ^ 0x5EC0_0C07}


def test_recutter_joins_10_ms_packets_and_drops_frames_it_cannot_complete() -> None:
    recut = Recutter()
    out: list[RtpPacket] = []
    for n in range(8):
        if n == 3:
            continue  # lost: frame 1 (samples 160-319) never completes
        out += recut.feed(8, 80 * n, 1, bytes([n]) * 80)
    assert [f.sequence for f in out] == [0, 2, 3]
    assert out[0].payload == bytes([0]) * 80 + bytes([1]) * 80


# --- the outgoing stream ---------------------------------------------------------------------


class FakeTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Any]] = []

    def sendto(self, data: bytes, addr: Any) -> None:
        self.sent.append((data, addr))

    def close(self) -> None:
        pass

    def packets(self) -> list[RtpPacket]:
        return [RtpPacket.parse(data) for data, _ in self.sent]


def make_engine() -> tuple[Engine, list[dict[str, Any]], dict[str, FakeTransport]]:
    lines: list[dict[str, Any]] = []
    engine = Engine("127.0.0.1", (50000, 50099), write=lambda line: lines.append(json.loads(line)))
    transports: dict[str, FakeTransport] = {}
    for leg_id, port in (("a", 50000), ("b", 50002)):
        leg = Leg(engine, leg_id, port)
        transports[leg_id] = FakeTransport()
        leg.transport = transports[leg_id]  # type: ignore[assignment]
        engine.legs[leg_id] = leg
    return engine, lines, transports


def connect(engine: Engine, leg_id: str, codec: str, pt: int, port: int) -> None:
    engine.handle_line(
        proto.request(
            1,
            "connect_leg",
            leg=leg_id,
            remote_host="127.0.0.1",
            remote_port=port,
            codec=codec,
            payload_type=pt,
            dtmf_payload_type=101,
        )
    )


async def test_relay_renumbers_into_one_continuous_stream_and_transcodes() -> None:
    engine, lines, transports = make_engine()
    connect(engine, "a", "PCMU", 0, 4000)
    connect(engine, "b", "PCMA", 8, 4002)
    assert lines == [{"id": 1, "ok": True}, {"id": 1, "ok": True}]
    engine.handle_line(proto.request(2, "bridge", leg_a="a", leg_b="b"))
    a, b = engine.legs["a"], engine.legs["b"]
    tone = PCMU.encode(sine(440, 200))
    source = ("127.0.0.1", 4000)
    order = [0, 1, 3, 2, 4]  # one pair reordered by the network
    for n in order:
        payload = tone[160 * n : 160 * (n + 1)]
        packet = RtpPacket(0, (65534 + n) & 0xFFFF, 999 + 160 * n, 77, payload)
        a.datagram_received(packet.encode(), source)
    sent = transports["b"].packets()
    assert [p.payload_type for p in sent] == [8] * 5
    first = sent[0].sequence
    assert [(p.sequence - first) & 0xFFFF for p in sent] == order  # reordering preserved
    assert sent[0].marker
    assert not any(p.marker for p in sent[1:])
    assert sent[2].payload == transcode(tone[480:640], PCMU, PCMA)
    assert a.stats()["late"] == 1
    assert a.stats()["lost"] == 0
    # a switch to a prompt continues the numbering and the clock, with the marker bit
    b.player = None
    engine.tick = 10
    b.send_pcm(bytes(320), 11)
    after = transports["b"].packets()[-1]
    assert after.sequence == (first + 5) & 0xFFFF
    assert after.marker
    assert after.ssrc == sent[0].ssrc
    assert (after.timestamp - sent[4].timestamp) & 0xFFFF_FFFF >= 160


async def test_packets_from_another_address_after_latching_are_dropped() -> None:
    engine, _lines, _transports = make_engine()
    connect(engine, "a", "PCMU", 0, 4000)
    a = engine.legs["a"]
    packet = RtpPacket(0, 1, 160, 5, bytes(160)).encode()
    a.datagram_received(packet, ("10.0.0.9", 3333))  # behind NAT: not the signalled port
    assert a.remote == ("10.0.0.9", 3333)
    a.datagram_received(packet, ("10.0.0.66", 4444))
    assert a.remote == ("10.0.0.9", 3333)
    assert a.stats()["dropped"] == 1
    # a re-INVITE re-opens latching
    connect(engine, "a", "PCMA", 8, 4010)
    assert a.remote == ("127.0.0.1", 4010)


async def test_requests_are_answered_even_when_wrong() -> None:
    engine, lines, _transports = make_engine()
    for line in (
        b"garbage\n",
        b'{"cmd": "ping"}\n',
        b'{"id": 3}\n',
        b'{"id": 4, "cmd": "nope"}\n',
        b'{"id": 5, "cmd": "stats", "leg": "zz"}\n',
        b'{"id": 6, "cmd": "conference", "room": "r", "legs": ["a", "b"], "whisper": []}\n',
        b'{"id": 7, "cmd": "ping"}\n',
    ):
        engine.handle_line(line)
    assert [(m["id"], m["ok"]) for m in lines] == [
        (None, False),
        (None, False),
        (3, False),
        (4, False),
        (5, False),
        (6, False),
        (7, True),
    ]
    assert "unknown leg 'zz'" in lines[4]["error"]
    assert "'whisper' must be an object" in lines[5]["error"]


async def test_skipped_ticks_still_give_recordings_their_frames(tmp_path: Path) -> None:
    engine, lines, _transports = make_engine()
    path = tmp_path / "r.wav"
    engine.handle_line(
        proto.request(1, "start_recording", recording="r", path=str(path), legs=["a", "b"])
    )
    assert lines[-1]["ok"]
    for tick in range(10):
        engine.run_tick(tick, 0.0)
    engine.skip_ticks(15)  # the process stalled for 300 ms
    engine.run_tick(26, 0.0)
    engine.handle_line(proto.request(2, "stop_recording", recording="r"))
    assert lines[-1]["duration_ms"] == 20 * (10 + 15 + 1)
    with wave.open(str(path)) as reader:
        assert reader.getnframes() == 160 * 26

from __future__ import annotations

import pytest

from helpline.channels.media.dtmf import (
    DTMF_EVENTS,
    DtmfError,
    DtmfReceiver,
    DtmfSender,
    TelephoneEvent,
    decode_event,
    digit_to_event,
    encode_event,
    event_to_digit,
    parse_sip_info_dtmf,
)
from helpline.channels.media.rtp import RtpPacket, RtpSender


def event_packet(
    digit: str,
    timestamp: int,
    sequence: int,
    *,
    duration: int = 160,
    end: bool = False,
    marker: bool = False,
    ssrc: int = 1,
    payload_type: int = 101,
) -> RtpPacket:
    payload = encode_event(digit, end=end, duration=duration)
    return RtpPacket(payload_type, sequence, timestamp, ssrc, payload, marker)


# --- payload (RFC 4733 2.3) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        # event 5, E=1, volume 10, duration 800 (100 ms at 8 kHz)
        (TelephoneEvent(5, True, 10, 800), bytes.fromhex("05 8a 0320")),
        # '#' (11) starting: E=0, volume 7, one frame
        (TelephoneEvent(11, False, 7, 160), bytes.fromhex("0b 07 00a0")),
        # 'D' (15) at the largest volume field and duration
        (TelephoneEvent(15, True, 63, 0xFFFF), bytes.fromhex("0f bf ffff")),
        # the R bit is reserved: senders write 0, receivers ignore it
        (TelephoneEvent(0, False, 0, 0), bytes.fromhex("00 00 0000")),
    ],
)
def test_payload_layout(event: TelephoneEvent, payload: bytes) -> None:
    assert event.encode() == payload
    assert decode_event(payload) == event


def test_reserved_bit_is_ignored_when_decoding() -> None:
    assert decode_event(bytes.fromhex("01 4a 00a0")) == TelephoneEvent(1, False, 10, 160)


def test_event_codes_of_the_sixteen_keys() -> None:
    assert [event_to_digit(n) for n in range(16)] == list("0123456789*#ABCD")
    assert [digit_to_event(d) for d in DTMF_EVENTS] == list(range(16))
    assert digit_to_event("a") == 12
    assert event_to_digit(16) is None  # flash: a telephone event but not a key
    assert TelephoneEvent(16).digit is None


@pytest.mark.parametrize("digit", ["", "E", "12", "x", " "])
def test_unknown_digits_are_refused(digit: str) -> None:
    with pytest.raises(DtmfError):
        digit_to_event(digit)


def test_short_payload_is_refused_and_longer_reads_the_first_event() -> None:
    with pytest.raises(DtmfError):
        decode_event(b"\x01\x0a\x00")
    assert decode_event(bytes.fromhex("03 0a 0140 ffffffff")).event == 3


@pytest.mark.parametrize(
    "event",
    [TelephoneEvent(256), TelephoneEvent(1, volume=64), TelephoneEvent(1, duration=0x10000)],
)
def test_out_of_range_fields_are_refused(event: TelephoneEvent) -> None:
    with pytest.raises(DtmfError):
        event.encode()


# --- sender -------------------------------------------------------------------------------


def test_sender_sends_start_continuation_and_three_end_packets() -> None:
    audio = RtpSender(0xAB, 0, sequence=500, timestamp=16000)
    audio.frame(b"\xff" * 160)  # the call was already sending audio
    packets = DtmfSender(101).packets("7", audio, duration_ms=100)
    events = [decode_event(p.payload) for p in packets]
    assert [p.sequence for p in packets] == list(range(501, 508))
    assert {p.timestamp for p in packets} == {16160}  # the event's start, in every packet
    assert {p.ssrc for p in packets} == {0xAB}
    assert {p.payload_type for p in packets} == {101}
    assert [p.marker for p in packets] == [True] + [False] * 6
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert {e.digit for e in events} == {"7"}
    assert {e.volume for e in events} == {10}
    # audio resumes after the 7 ticks the event took, as a new talkspurt
    resumed = audio.frame(b"\xff" * 160)
    assert (resumed.sequence, resumed.timestamp, resumed.marker) == (508, 16160 + 7 * 160, True)


def test_a_one_frame_event_is_only_its_end_packets_the_first_marked() -> None:
    audio = RtpSender(1, 0, sequence=0, timestamp=0)
    packets = DtmfSender(96, volume=3).packets("#", audio, duration_ms=20)
    assert [p.marker for p in packets] == [True, False, False]
    assert [decode_event(p.payload) for p in packets] == [TelephoneEvent(11, True, 3, 160)] * 3


def test_too_long_event_is_refused() -> None:
    with pytest.raises(DtmfError):
        DtmfSender().packets("1", RtpSender(1, 0), duration_ms=9000)


# --- receiver -----------------------------------------------------------------------------


def test_receiver_reports_a_digit_once_on_the_first_packet() -> None:
    audio = RtpSender(5, 0, sequence=0, timestamp=0)
    receiver = DtmfReceiver(101)
    reported = [receiver.receive(p) for p in DtmfSender(101).packets("3", audio)]
    assert reported == ["3", None, None, None, None, None, None]


def test_receiver_ignores_network_duplicates() -> None:
    audio = RtpSender(5, 0, sequence=0, timestamp=0)
    receiver = DtmfReceiver()
    packets = DtmfSender().packets("9", audio)
    doubled = [p for packet in packets for p in (packet, packet)]
    reported = [receiver.receive(p) for p in doubled]
    assert [d for d in reported if d] == ["9"]


def test_same_key_twice_is_two_digits() -> None:
    audio = RtpSender(5, 0, sequence=0, timestamp=0)
    sender = DtmfSender()
    receiver = DtmfReceiver()
    packets = sender.packets("1", audio)
    audio.silence(3)
    packets += sender.packets("1", audio)
    assert [d for p in packets if (d := receiver.receive(p))] == ["1", "1"]


def test_event_without_end_packet_is_reported() -> None:
    # baresip's console '#': start and continuation packets, no end bit ever
    receiver = DtmfReceiver()
    start = event_packet("#", 8000, 10, marker=True)
    more = event_packet("#", 8000, 11, duration=320)
    assert receiver.receive(start) == "#"
    assert receiver.receive(more) is None
    # the next key has its own timestamp, and is reported although '#' never ended
    assert receiver.receive(event_packet("5", 9600, 12, marker=True)) == "5"


def test_event_whose_first_packets_were_lost_is_reported_on_the_first_to_arrive() -> None:
    receiver = DtmfReceiver()
    assert receiver.receive(event_packet("4", 3200, 20, duration=480)) == "4"
    assert receiver.receive(event_packet("4", 3200, 22, duration=800, end=True)) is None


def test_late_end_packet_of_the_previous_event_is_not_a_new_digit() -> None:
    receiver = DtmfReceiver()
    assert receiver.receive(event_packet("1", 1000, 1, marker=True)) == "1"
    assert receiver.receive(event_packet("2", 3000, 5, marker=True)) == "2"
    # a retransmitted end of '1' overtaken by '2' on the network
    assert receiver.receive(event_packet("1", 1000, 4, end=True, duration=800)) is None


def test_event_timestamps_across_the_32_bit_wrap() -> None:
    receiver = DtmfReceiver()
    assert receiver.receive(event_packet("6", 0xFFFF_FF60, 1, marker=True)) == "6"
    assert receiver.receive(event_packet("7", 640, 9, marker=True)) == "7"
    assert receiver.receive(event_packet("6", 0xFFFF_FF60, 3, end=True)) is None


def test_receiver_ignores_other_payload_types_and_bad_payloads() -> None:
    receiver = DtmfReceiver(101)
    assert receiver.receive(event_packet("1", 0, 1, payload_type=0)) is None
    assert receiver.receive(RtpPacket(101, 2, 160, 1, b"\x01")) is None
    assert receiver.receive(RtpPacket(101, 3, 320, 1, bytes.fromhex("10 0a 00a0"))) is None


def test_new_ssrc_starts_afresh() -> None:
    receiver = DtmfReceiver()
    assert receiver.receive(event_packet("1", 50_000, 1, ssrc=1)) == "1"
    # after a transfer the new source's timestamps are unrelated, even smaller
    assert receiver.receive(event_packet("2", 10, 1, ssrc=2)) == "2"


# --- SIP INFO -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "digit"),
    [
        ("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", "5"),
        ("application/dtmf-relay", b"Signal=5\r\nDuration=160", "5"),
        ("Application/DTMF-Relay; charset=utf-8", "Signal= #\r\nDuration= 250\r\n", "#"),
        ("application/dtmf-relay", "Duration=160\nSignal=*\n", "*"),
        ("application/dtmf-relay", "signal=a\r\n", "A"),
        ("application/dtmf-relay", "Signal=11\r\nDuration=100", "#"),
        ("application/dtmf-relay", "Signal=10", "*"),
        ("application/dtmf", "7", "7"),
        ("application/dtmf", "#\r\n", "#"),
        ("application/dtmf", "11", "#"),
        ("application/dtmf-relay", "Duration=160\r\n", None),
        ("application/dtmf-relay", "Signal=16\r\n", None),
        ("application/dtmf-relay", "Signal=E\r\n", None),
        ("application/dtmf", "", None),
        ("application/sdp", "Signal=5\r\n", None),
        ("text/plain", "5", None),
    ],
)
def test_parse_sip_info_dtmf(content_type: str, body: str | bytes, digit: str | None) -> None:
    assert parse_sip_info_dtmf(content_type, body) == digit

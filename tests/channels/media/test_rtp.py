from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.channels.media.rtp import (
    RtpError,
    RtpPacket,
    RtpSender,
    seq_add,
    seq_before,
    seq_diff,
    timestamp_diff,
)

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)

packets = st.builds(
    RtpPacket,
    payload_type=st.integers(0, 127),
    sequence=u16,
    timestamp=u32,
    ssrc=u32,
    payload=st.binary(max_size=400),
    marker=st.booleans(),
    csrcs=st.lists(u32, max_size=15).map(tuple),
    padding=st.integers(0, 255),
)


def test_parse_a_pcmu_packet_field_by_field() -> None:
    payload = bytes(range(160))
    data = bytes.fromhex("80 00 1234 000003e8 deadbeef") + payload
    packet = RtpPacket.parse(data)
    assert packet == RtpPacket(0, 0x1234, 1000, 0xDEADBEEF, payload)
    assert packet.encode() == data


def test_marker_and_payload_type_share_the_second_octet() -> None:
    data = bytes.fromhex("80 e5 0001 00000000 00000001") + b"\x05\x8a\x03\x20"
    packet = RtpPacket.parse(data)
    assert packet.marker is True
    assert packet.payload_type == 101
    assert packet.payload == b"\x05\x8a\x03\x20"


def test_csrc_list_is_read_and_written() -> None:
    data = bytes.fromhex("82 08 0001 00000002 00000003 0000000a 0000000b") + b"xyz"
    packet = RtpPacket.parse(data)
    assert packet.csrcs == (10, 11)
    assert packet.payload == b"xyz"
    assert packet.encode() == data


def test_header_extension_is_skipped() -> None:
    extension = struct.pack("!HH", 0xBEDE, 2) + b"\x10\xff\x00\x00" + b"\x22\x01\x02\x03"
    data = bytes.fromhex("90 00 0005 00000140 00000009") + extension + b"audio"
    packet = RtpPacket.parse(data)
    assert packet.payload == b"audio"
    assert packet.sequence == 5
    # the extension is not reproduced: the relay forwards audio, not the peer's extensions
    assert packet.encode() == bytes.fromhex("80 00 0005 00000140 00000009") + b"audio"


def test_padding_is_stripped_and_counted() -> None:
    data = bytes.fromhex("a0 00 0001 00000000 00000001") + b"abcd" + b"\x00\x00\x00\x04"
    packet = RtpPacket.parse(data)
    assert packet.payload == b"abcd"
    assert packet.padding == 4
    assert packet.encode() == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too short"),
        (bytes.fromhex("80 00 0001 00000000"), "too short"),
        (bytes.fromhex("40 00 0001 00000000 00000001"), "version"),
        (bytes.fromhex("83 00 0001 00000000 00000001 00000002"), "CSRC"),
        (bytes.fromhex("90 00 0001 00000000 00000001 bede"), "extension"),
        (bytes.fromhex("90 00 0001 00000000 00000001 bede0003 00000000"), "extension"),
        (bytes.fromhex("a0 00 0001 00000000 00000001 aa00"), "padding"),
        (bytes.fromhex("a0 00 0001 00000000 00000001 aa20"), "padding"),
    ],
)
def test_invalid_packets_raise_rtp_error(data: bytes, message: str) -> None:
    with pytest.raises(RtpError, match=message):
        RtpPacket.parse(data)


def test_rtp_error_is_a_value_error() -> None:
    assert issubclass(RtpError, ValueError)


@pytest.mark.parametrize(
    "packet",
    [
        RtpPacket(128, 1, 1, 1),
        RtpPacket(0, 0x10000, 1, 1),
        RtpPacket(0, 1, 1 << 32, 1),
        RtpPacket(0, 1, 1, -1),
        RtpPacket(0, 1, 1, 1, csrcs=tuple(range(16))),
        RtpPacket(0, 1, 1, 1, padding=256),
    ],
)
def test_encoding_out_of_range_fields_raises(packet: RtpPacket) -> None:
    with pytest.raises(RtpError):
        packet.encode()


@given(packets)
def test_encode_then_parse_gives_the_packet_back(packet: RtpPacket) -> None:
    assert RtpPacket.parse(packet.encode()) == packet


@given(st.binary(max_size=64))
def test_parse_of_arbitrary_bytes_either_succeeds_or_raises_rtp_error(data: bytes) -> None:
    try:
        packet = RtpPacket.parse(data)
    except RtpError:
        return
    assert len(packet.payload) <= len(data) - 12


@pytest.mark.parametrize(
    ("a", "b", "diff"),
    [(10, 3, 7), (3, 10, -7), (0, 65535, 1), (65535, 0, -1), (5, 65530, 11), (32767, 0, 32767)],
)
def test_seq_diff_wraps_at_16_bits(a: int, b: int, diff: int) -> None:
    assert seq_diff(a, b) == diff
    assert seq_before(b, a) is (diff > 0)


@given(u16, u16)
def test_seq_add_undoes_seq_diff(a: int, b: int) -> None:
    assert seq_add(b, seq_diff(a, b)) == a
    assert -32768 <= seq_diff(a, b) <= 32767


def test_timestamp_diff_wraps_at_32_bits() -> None:
    assert timestamp_diff(80, 0xFFFF_FFB0) == 160
    assert timestamp_diff(0xFFFF_FFB0, 80) == -160


def test_sender_builds_successive_20ms_frames_marking_the_first() -> None:
    sender = RtpSender(0x1234, 0, sequence=65534, timestamp=0xFFFF_FF00)
    first, second, third = (sender.frame(bytes(160)) for _ in range(3))
    assert [p.sequence for p in (first, second, third)] == [65534, 65535, 0]
    assert [p.timestamp for p in (first, second, third)] == [0xFFFF_FF00, 0xFFFF_FFA0, 0x40]
    assert [p.marker for p in (first, second, third)] == [True, False, False]
    assert {p.ssrc for p in (first, second, third)} == {0x1234}
    assert {p.payload_type for p in (first, second, third)} == {0}


def test_sender_marks_the_first_frame_after_silence() -> None:
    sender = RtpSender(7, 8, sequence=100, timestamp=0)
    sender.frame(b"a")
    sender.frame(b"b")
    sender.silence(5)
    resumed = sender.frame(b"c")
    following = sender.frame(b"d")
    # the clock moved on by the 5 silent ticks; the sequence number did not
    assert (resumed.sequence, resumed.timestamp, resumed.marker) == (102, 7 * 160, True)
    assert (following.sequence, following.marker) == (103, False)


def test_sender_packet_shares_the_sequence_space_with_its_own_timestamp() -> None:
    sender = RtpSender(7, 0, sequence=10, timestamp=1600)
    event = sender.packet(b"\x01\x0a\x00\xa0", payload_type=101, timestamp=1600, marker=True)
    audio = sender.frame(b"x")
    assert (event.sequence, event.timestamp, event.payload_type, event.marker) == (
        10,
        1600,
        101,
        True,
    )
    assert (audio.sequence, audio.timestamp) == (11, 1600)


def test_sender_picks_random_initial_sequence_and_timestamp() -> None:
    senders = [RtpSender(1, 0) for _ in range(8)]
    assert len({(s.sequence, s.timestamp) for s in senders}) > 1
    assert all(0 <= s.sequence <= 0xFFFF and 0 <= s.timestamp <= 0xFFFF_FFFF for s in senders)


def test_sender_output_parses_back() -> None:
    sender = RtpSender(99, 0, sequence=1, timestamp=2)
    data = sender.frame(b"\xff" * 160).encode()
    assert RtpPacket.parse(data) == RtpPacket(0, 1, 2, 99, b"\xff" * 160, True)

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.channels.media.jitter import JitterBuffer
from helpline.channels.media.rtp import RtpPacket, seq_add


def pkt(sequence: int, ssrc: int = 1) -> RtpPacket:
    sequence &= 0xFFFF
    return RtpPacket(0, sequence, sequence * 160, ssrc, sequence.to_bytes(2, "big"))


def frame(sequence: int) -> bytes:
    return (sequence & 0xFFFF).to_bytes(2, "big")


def run(
    buffer: JitterBuffer, arrivals: list[list[RtpPacket]], extra_ticks: int = 0
) -> list[bytes | None]:
    """Each tick: put the packets that arrived during it, then pop one frame."""
    played: list[bytes | None] = []
    for batch in arrivals:
        for packet in batch:
            buffer.put(packet)
        played.append(buffer.pop())
    played.extend(buffer.pop() for _ in range(extra_ticks))
    return played


def test_fills_to_depth_then_plays_in_order() -> None:
    buffer = JitterBuffer(depth_frames=3)
    played = run(buffer, [[pkt(n)] for n in range(10)])
    assert played == [None, None, *[frame(n) for n in range(8)]]
    assert buffer.stats.received == 10
    assert buffer.stats.played == 8
    assert buffer.stats.lost == buffer.stats.late == buffer.stats.duplicates == 0


def test_reordered_packets_come_out_in_order() -> None:
    buffer = JitterBuffer(depth_frames=3)
    order = [1, 0, 2, 4, 3, 5, 7, 6, 8, 9]
    played = run(buffer, [[pkt(n)] for n in order], extra_ticks=2)
    assert [p for p in played if p is not None] == [frame(n) for n in range(10)]
    assert buffer.stats.lost == 0


def test_duplicates_are_dropped_and_counted() -> None:
    buffer = JitterBuffer(depth_frames=2)
    played = run(buffer, [[pkt(0)], [pkt(1), pkt(1)], [pkt(2), pkt(0)], [pkt(3)]], 2)
    assert [p for p in played if p is not None] == [frame(n) for n in range(4)]
    assert buffer.stats.duplicates == 1
    assert buffer.stats.late == 1  # the second copy of 0 came after 0 was played


def test_lost_packet_is_a_none_at_its_tick_and_counted() -> None:
    buffer = JitterBuffer(depth_frames=2)
    played = run(buffer, [[pkt(n)] for n in (0, 1, 2, 4, 5, 6)], extra_ticks=2)
    assert played[1:] == [frame(0), frame(1), frame(2), None, frame(4), frame(5), frame(6)]
    assert buffer.stats.lost == 1


def test_late_packet_is_dropped() -> None:
    buffer = JitterBuffer(depth_frames=2)
    arrivals = [[pkt(0)], [pkt(1)], [pkt(3)], [pkt(4)], [pkt(2)], [pkt(5)]]
    played = run(buffer, arrivals, extra_ticks=2)
    assert played[1:] == [frame(0), frame(1), None, frame(3), frame(4), frame(5), None]
    assert (buffer.stats.lost, buffer.stats.late) == (1, 1)


def test_sequence_wrap() -> None:
    buffer = JitterBuffer(depth_frames=3)
    sequences = [seq_add(65530, n) for n in range(12)]
    arrivals = [[pkt(s)] for s in sequences]
    arrivals[5], arrivals[6] = arrivals[6], arrivals[5]  # reordered across 65535 -> 0
    played = run(buffer, arrivals, extra_ticks=3)
    assert [p for p in played if p is not None] == [frame(s) for s in sequences]


def test_first_packet_overtaken_before_playout_still_plays_first() -> None:
    buffer = JitterBuffer(depth_frames=3)
    played = run(buffer, [[pkt(11)], [pkt(12)], [pkt(10)], [pkt(13)]], extra_ticks=2)
    assert [p for p in played if p is not None] == [frame(n) for n in (10, 11, 12, 13)]


def test_ssrc_change_resyncs_at_once() -> None:
    buffer = JitterBuffer(depth_frames=2)
    run(buffer, [[pkt(n)] for n in range(5)])
    played = run(buffer, [[pkt(9000 + n, ssrc=2)] for n in range(4)], extra_ticks=2)
    # the old stream's leftovers are dropped; the new one fills and plays from its start
    assert played == [None, frame(9000), frame(9001), frame(9002), frame(9003), None]
    assert buffer.stats.resyncs == 1
    assert buffer.stats.dropped == 1  # frame 4, buffered and never played


def test_big_sequence_jump_resyncs_after_two_consecutive_packets() -> None:
    buffer = JitterBuffer(depth_frames=2, max_frames=50)
    run(buffer, [[pkt(n)] for n in range(4)], extra_ticks=2)
    played = run(buffer, [[pkt(30000 + n)] for n in range(5)], extra_ticks=2)
    assert [p for p in played if p is not None] == [frame(30000 + n) for n in range(5)]
    assert buffer.stats.resyncs == 1


def test_one_stray_packet_far_away_does_not_resync() -> None:
    buffer = JitterBuffer(depth_frames=2)
    arrivals = [[pkt(0)], [pkt(1)], [pkt(2), pkt(40000)], [pkt(3)], [pkt(4)], [pkt(5)]]
    played = run(buffer, arrivals, extra_ticks=2)
    assert [p for p in played if p is not None] == [frame(n) for n in range(6)]
    assert buffer.stats.resyncs == 0


def test_sequence_restart_backwards_resyncs() -> None:
    buffer = JitterBuffer(depth_frames=2)
    run(buffer, [[pkt(1000 + n)] for n in range(5)])
    played = run(buffer, [[pkt(n)] for n in range(5)], extra_ticks=2)
    assert [p for p in played if p is not None][-5:] == [frame(n) for n in range(5)]
    assert buffer.stats.resyncs == 1


def test_sender_pause_underruns_then_refills_without_losing_anything() -> None:
    buffer = JitterBuffer(depth_frames=2)
    # a talkspurt, 4 silent ticks (silence suppression: no sequence numbers skipped), more
    arrivals = [[pkt(0)], [pkt(1)], [pkt(2)], [], [], [], [], [pkt(3)], [pkt(4)], [pkt(5)]]
    played = run(buffer, arrivals, extra_ticks=2)
    assert [p for p in played if p is not None] == [frame(n) for n in range(6)]
    assert buffer.stats.lost == 0
    assert buffer.stats.underruns >= 1


def test_burst_after_a_stall_is_trimmed_back_to_a_short_delay() -> None:
    buffer = JitterBuffer(depth_frames=3)
    run(buffer, [[pkt(n)] for n in range(3)])
    # the network held 30 packets and delivers them at once
    run(buffer, [[pkt(n) for n in range(3, 33)]])
    delays = []
    for n in range(33, 80):
        buffer.put(pkt(n))
        buffer.pop()
        delays.append(len(buffer))
    assert delays[-1] <= buffer.max_delay_frames
    assert buffer.stats.dropped > 0
    assert buffer.stats.lost == 0


def test_buffer_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError, match="depth"):
        JitterBuffer(depth_frames=0)
    with pytest.raises(ValueError, match="max_frames"):
        JitterBuffer(depth_frames=5, max_frames=5)


def test_pop_packet_returns_the_packet() -> None:
    buffer = JitterBuffer(depth_frames=1)
    buffer.put(pkt(7))
    assert buffer.pop_packet() == pkt(7)
    assert buffer.next_sequence == 8


@st.composite
def reordered_stream(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    """A stream in which every packet arrives less than ``depth`` places late."""
    depth = draw(st.integers(1, 6))
    start = draw(st.integers(0, 0xFFFF))
    count = draw(st.integers(1, 150))
    delays = draw(st.lists(st.floats(0, depth - 1), min_size=count, max_size=count))
    arrival = sorted(range(count), key=lambda n: (n + delays[n] * 0.999, n))
    return depth, start, arrival


@given(reordered_stream())
def test_every_packet_reordered_within_depth_comes_out_once_and_in_order(
    stream: tuple[int, int, list[int]],
) -> None:
    depth, start, arrival = stream
    buffer = JitterBuffer(depth_frames=depth)
    played = run(buffer, [[pkt(start + n)] for n in arrival], extra_ticks=depth + 2)
    assert [p for p in played if p is not None] == [frame(start + n) for n in range(len(arrival))]
    assert buffer.stats.lost == buffer.stats.late == buffer.stats.dropped == 0


@given(reordered_stream(), st.data())
def test_duplicates_never_play_twice(
    stream: tuple[int, int, list[int]], data: st.DataObject
) -> None:
    depth, start, arrival = stream
    copies = data.draw(st.lists(st.integers(1, 3), min_size=len(arrival), max_size=len(arrival)))
    buffer = JitterBuffer(depth_frames=depth)
    played = run(buffer, [[pkt(start + n)] * copies[n] for n in arrival], extra_ticks=depth + 2)
    out = [p for p in played if p is not None]
    assert out == [frame(start + n) for n in range(len(arrival))]
    assert buffer.stats.duplicates + buffer.stats.late == sum(copies) - len(arrival)

"""A fixed-depth jitter buffer: packets in as they arrive, one frame out per 20 ms tick.

Network delay varies, so packets arrive in bursts, out of order, twice, or not at all; the
media clock needs exactly one frame per tick. The buffer holds ``depth_frames`` frames
(or waits as long as they would take to arrive) before it starts to play: that is the
delay it adds, 60 ms by default. Then it gives the frames back in sequence order. A
frame still missing when its turn comes is lost: ``pop`` returns None and the caller
conceals it (silence, or repeating the last frame); if it turns up later it is late and
dropped.

Sequence numbers, not timestamps, order the frames: a sender that suppresses silence
stops sending but does not skip sequence numbers (RFC 3550 5.1), so when the buffer runs
dry it simply waits and fills again to ``depth_frames`` before playing on.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpline.channels.media.rtp import RtpPacket, seq_add, seq_diff


@dataclass(slots=True)
class JitterStats:
    received: int = 0  # packets given to put()
    played: int = 0  # frames pop() returned
    lost: int = 0  # ticks whose frame had not arrived in time
    late: int = 0  # packets that arrived after their tick (dropped)
    duplicates: int = 0  # packets already buffered (dropped)
    dropped: int = 0  # buffered frames discarded: to cut the delay, or by a resync
    resyncs: int = 0  # the stream restarted: new SSRC or a jump in sequence numbers
    underruns: int = 0  # ticks with nothing buffered at all (the sender went quiet)


class JitterBuffer:
    """Reorders one RTP stream's packets for playout at a steady 20 ms pace.

    ``max_frames`` bounds the window around the playout point: a packet further than that
    from it, either way, means the sender restarted its sequence; after two consecutive
    such packets (one stray packet is not enough, RFC 3550 A.1) the buffer resyncs to the
    new numbering. A new SSRC resyncs at once. When more than ``max_delay_frames`` frames
    pile up (a burst after a network stall), one frame per tick is dropped until the delay
    is back under that bound, so that a stall does not add delay for the rest of the call.

    Telephone events (RFC 4733) share the audio's sequence numbers. Either put them in too
    and look at ``pop_packet().payload_type``, or hand them to the ``DtmfReceiver`` only:
    their numbers then play as lost ticks, which is silence, what the sender muted anyway.
    """

    __slots__ = (
        "_filling",
        "_frames",
        "_next",
        "_playing",
        "_probation",
        "_ssrc",
        "_started",
        "depth_frames",
        "max_delay_frames",
        "max_frames",
        "stats",
    )

    def __init__(
        self, depth_frames: int = 3, max_frames: int = 50, *, max_delay_frames: int | None = None
    ) -> None:
        if depth_frames < 1:
            raise ValueError("a jitter buffer needs a depth of at least one frame")
        if max_frames <= depth_frames:
            raise ValueError("max_frames must be larger than depth_frames")
        if max_delay_frames is None:
            max_delay_frames = max(4 * depth_frames, depth_frames + 4)
        self.depth_frames = depth_frames
        self.max_frames = max_frames
        self.max_delay_frames = min(max(max_delay_frames, depth_frames), max_frames)
        self.stats = JitterStats()
        self._frames: dict[int, RtpPacket] = {}
        self._next: int | None = None  # sequence number of the frame to play next
        self._ssrc: int | None = None
        self._playing = False  # False while filling to depth_frames
        self._filling = 0  # ticks spent filling with something buffered
        self._started = False  # whether playout began since the last resync
        self._probation: RtpPacket | None = None

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def next_sequence(self) -> int | None:
        return self._next

    def put(self, packet: RtpPacket) -> None:
        self.stats.received += 1
        if packet.ssrc != self._ssrc:
            if self._ssrc is not None:
                self._resync()
            self._ssrc = packet.ssrc
        sequence = packet.sequence
        frames = self._frames
        next_sequence = self._next
        if next_sequence is None:
            self._next = sequence
            frames[sequence] = packet
            return
        ahead = seq_diff(sequence, next_sequence)
        if 0 <= ahead < self.max_frames:
            if sequence in frames:
                self.stats.duplicates += 1
            else:
                frames[sequence] = packet
            return
        if -self.max_frames < ahead < 0:
            if self._started or not self._fits_before(sequence):
                self.stats.late += 1
            else:
                # still filling before the first frame played: this one came overtaken by
                # a later one and is now the first to play
                self._next = sequence
                frames[sequence] = packet
            return
        self._far_jump(packet)

    def _fits_before(self, sequence: int) -> bool:
        return all(seq_diff(other, sequence) < self.max_frames for other in self._frames)

    def _far_jump(self, packet: RtpPacket) -> None:
        candidate = self._probation
        if candidate is not None:
            step = seq_diff(packet.sequence, candidate.sequence)
            if 0 < step <= self.depth_frames:
                self._resync()
                self._next = candidate.sequence
                self._frames[candidate.sequence] = candidate
                self._frames[packet.sequence] = packet
                return
            if -self.depth_frames <= step < 0:
                self._resync()
                self._next = packet.sequence
                self._frames[candidate.sequence] = candidate
                self._frames[packet.sequence] = packet
                return
            self.stats.dropped += 1  # the earlier stray packet never found a successor
        self._probation = packet

    def _resync(self) -> None:
        self.stats.resyncs += 1
        self.stats.dropped += len(self._frames)
        self._frames.clear()
        self._next = None
        self._playing = False
        self._filling = 0
        self._started = False
        self._probation = None

    def pop_packet(self) -> RtpPacket | None:
        """The packet to play at this tick, or None (filling, lost or nothing to play)."""
        frames = self._frames
        if not self._playing:
            if not frames:
                return None
            # play once depth_frames are buffered, or once the oldest has waited as long as
            # that would have taken: the end of a short talkspurt must not wait for the next
            self._filling += 1
            if len(frames) < self.depth_frames and self._filling < self.depth_frames:
                return None
            self._playing = True
            self._started = True
            self._filling = 0
        next_sequence = self._next
        if next_sequence is None:  # pragma: no cover - frames are buffered, so it is set
            return None
        if len(frames) > self.max_delay_frames:
            if frames.pop(next_sequence, None) is None:
                self.stats.lost += 1
            else:
                self.stats.dropped += 1
            next_sequence = seq_add(next_sequence, 1)
        packet = frames.pop(next_sequence, None)
        if packet is None:
            if not frames:
                # nothing at all to play: the sender paused; wait for depth_frames again
                # without moving on, since a pause skips no sequence numbers
                self.stats.underruns += 1
                self._playing = False
                self._next = next_sequence
                return None
            self.stats.lost += 1
        else:
            self.stats.played += 1
        self._next = seq_add(next_sequence, 1)
        return packet

    def pop(self) -> bytes | None:
        """The payload to play at this tick, or None: the caller plays silence or repeats."""
        packet = self.pop_packet()
        return None if packet is None else packet.payload

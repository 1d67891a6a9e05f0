"""RTP packets (RFC 3550): parse, serialise, sequence arithmetic and a per-stream sender.

Only what a G.711 relay needs: the fixed header, the CSRC list, header extensions
(skipped, never produced) and padding. Parsing is on the hot path of every call leg
(50 packets a second each way), so it is one ``struct`` call and a few slices.
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

RTP_VERSION = 2
HEADER_SIZE = 12
CLOCK_RATE = 8000
FRAME_MS = 20
SAMPLES_PER_FRAME = CLOCK_RATE * FRAME_MS // 1000  # 160

_HEADER = struct.Struct("!BBHII")
_EXTENSION = struct.Struct("!HH")


class RtpError(ValueError):
    """The bytes are not an RTP packet we can use (too short, wrong version, bad lengths)."""


@dataclass(slots=True)
class RtpPacket:
    """One RTP packet. ``padding`` is the number of padding octets (count octet included)
    that ``encode`` appends; ``parse`` strips them and records how many there were."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    padding: int = 0

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        size = len(data)
        if size < HEADER_SIZE:
            raise RtpError(f"RTP packet too short: {size} bytes, the header alone is 12")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != RTP_VERSION:
            raise RtpError(f"not RTP version 2 (version field {first >> 6})")
        offset = HEADER_SIZE
        csrc_count = first & 0x0F
        csrcs: tuple[int, ...] = ()
        if csrc_count:
            offset += 4 * csrc_count
            if offset > size:
                raise RtpError(f"RTP packet too short for its {csrc_count} CSRC identifiers")
            csrcs = struct.unpack_from(f"!{csrc_count}I", data, HEADER_SIZE)
        if first & 0x10:
            if offset + 4 > size:
                raise RtpError("RTP packet too short for its header extension")
            _profile, words = _EXTENSION.unpack_from(data, offset)
            offset += 4 + 4 * words
            if offset > size:
                raise RtpError("RTP header extension runs past the end of the packet")
        end = size
        padding = 0
        if first & 0x20:
            padding = data[-1]
            if padding == 0 or offset + padding > size:
                raise RtpError(f"RTP padding count {padding} does not fit the packet")
            end -= padding
        return cls(
            second & 0x7F,
            sequence,
            timestamp,
            ssrc,
            data[offset:end],
            bool(second & 0x80),
            csrcs,
            padding,
        )

    def encode(self) -> bytes:
        if not 0 <= self.payload_type <= 0x7F:
            raise RtpError(f"payload type {self.payload_type} is outside 0-127")
        if len(self.csrcs) > 15:
            raise RtpError(f"{len(self.csrcs)} CSRC identifiers; RTP allows at most 15")
        if not 0 <= self.padding <= 255:
            raise RtpError(f"padding of {self.padding} octets; RTP allows 1-255")
        first = 0x80 | len(self.csrcs) | (0x20 if self.padding else 0)
        second = self.payload_type | (0x80 if self.marker else 0)
        try:
            header = _HEADER.pack(first, second, self.sequence, self.timestamp, self.ssrc)
            if self.csrcs:
                header += struct.pack(f"!{len(self.csrcs)}I", *self.csrcs)
        except struct.error as exc:
            raise RtpError(f"RTP header field out of range: {exc}") from exc
        if self.padding:
            return header + self.payload + bytes(self.padding - 1) + bytes((self.padding,))
        return header + self.payload


def seq_diff(a: int, b: int) -> int:
    """``a - b`` for 16-bit sequence numbers that wrap: the result is in -32768..32767, so
    65535 comes just before 0 (``seq_diff(0, 65535) == 1``)."""
    return ((a - b + 0x8000) & 0xFFFF) - 0x8000


def seq_add(a: int, n: int) -> int:
    """The sequence number ``n`` packets after ``a`` (``n`` may be negative)."""
    return (a + n) & 0xFFFF


def seq_before(a: int, b: int) -> bool:
    """Whether sequence number ``a`` was sent before ``b``, across the wrap."""
    return seq_diff(a, b) < 0


def timestamp_diff(a: int, b: int) -> int:
    """``a - b`` for 32-bit RTP timestamps that wrap, in -2**31..2**31-1."""
    return ((a - b + 0x8000_0000) & 0xFFFF_FFFF) - 0x8000_0000


class RtpSender:
    """The sending side of one RTP stream: SSRC, next sequence number, next timestamp.

    ``frame`` is called once per 20 ms tick that carries audio; ``silence`` once per tick
    that sends nothing (muted, hold, nothing to play), so that the timestamp keeps pace with
    the clock while the sequence number does not move (RFC 3550 5.1: a receiver counts
    losses by sequence number). The first packet and the first after a silence carry the
    marker bit, which RFC 3551 4.1 defines as the start of a talkspurt: receivers use it to
    re-centre their jitter buffers. Initial sequence and timestamp are random unless given
    (RFC 3550 5.1), which the tests and a resumed stream do.
    """

    __slots__ = ("_talkspurt", "payload_type", "samples_per_frame", "sequence", "ssrc", "timestamp")

    def __init__(
        self,
        ssrc: int,
        payload_type: int,
        *,
        sequence: int | None = None,
        timestamp: int | None = None,
        samples_per_frame: int = SAMPLES_PER_FRAME,
    ) -> None:
        self.ssrc = ssrc & 0xFFFF_FFFF
        self.payload_type = payload_type
        self.sequence = (secrets.randbits(16) if sequence is None else sequence) & 0xFFFF
        self.timestamp = (secrets.randbits(32) if timestamp is None else timestamp) & 0xFFFF_FFFF
        self.samples_per_frame = samples_per_frame
        self._talkspurt = True

    def frame(self, payload: bytes, samples: int | None = None) -> RtpPacket:
        """The packet for the next frame of audio; advances sequence and timestamp."""
        packet = RtpPacket(
            self.payload_type,
            self.sequence,
            self.timestamp,
            self.ssrc,
            payload,
            self._talkspurt,
        )
        self._talkspurt = False
        self.sequence = (self.sequence + 1) & 0xFFFF
        step = self.samples_per_frame if samples is None else samples
        self.timestamp = (self.timestamp + step) & 0xFFFF_FFFF
        return packet

    def silence(self, frames: int = 1) -> None:
        """``frames`` ticks pass without audio: the clock moves on, the next frame is marked."""
        if frames <= 0:
            return
        self.timestamp = (self.timestamp + frames * self.samples_per_frame) & 0xFFFF_FFFF
        self._talkspurt = True

    def packet(
        self, payload: bytes, *, payload_type: int, timestamp: int, marker: bool = False
    ) -> RtpPacket:
        """A packet in this stream's sequence space with a timestamp chosen by the caller:
        telephone events (RFC 4733) share the SSRC and sequence numbers of the audio but
        carry the timestamp at which the event began."""
        packet = RtpPacket(payload_type, self.sequence, timestamp, self.ssrc, payload, marker)
        self.sequence = (self.sequence + 1) & 0xFFFF
        return packet

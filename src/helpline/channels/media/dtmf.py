"""DTMF: RFC 4733 telephone events in RTP, and SIP INFO bodies.

Payload of a telephone-event packet (RFC 4733 2.3)::

    0                   1                   2                   3
    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
   |     event     |E|R| volume    |          duration             |

All the packets of one event carry the RTP timestamp of the event's start; ``duration``
grows in each; the last three have the E (end) bit. The receiver here reports a digit on the
FIRST packet it sees of an event, not at its end: some phones (baresip's console ``#``) never
send an end packet, and acting early also makes menus feel quicker.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from helpline.channels.media.rtp import CLOCK_RATE, RtpPacket, RtpSender, timestamp_diff

DTMF_EVENTS = "0123456789*#ABCD"  # event code n is DTMF_EVENTS[n] (RFC 4733 3.2)
DEFAULT_PAYLOAD_TYPE = 101  # the usual dynamic payload type for telephone-event/8000
DEFAULT_VOLUME = 10  # dBm0 below full power; the power a DTMF generator typically uses
END_REPEATS = 3  # RFC 4733 2.5.1.4: the final packet is sent three times

_PAYLOAD = struct.Struct("!BBH")


class DtmfError(ValueError):
    """A telephone-event payload or a digit we cannot encode or decode."""


def digit_to_event(digit: str) -> int:
    """Event code of a DTMF digit ('0'-'9', '*', '#', 'A'-'D', case-insensitive)."""
    index = DTMF_EVENTS.find(digit.upper()) if len(digit) == 1 else -1
    if index < 0:
        raise DtmfError(f"{digit!r} is not a DTMF digit")
    return index


def event_to_digit(event: int) -> str | None:
    """The DTMF digit of an event code, or None for other telephone events (flash, tones)."""
    return DTMF_EVENTS[event] if 0 <= event < len(DTMF_EVENTS) else None


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    event: int
    end: bool = False
    volume: int = DEFAULT_VOLUME
    duration: int = 0  # in timestamp units (samples at 8 kHz) since the event began

    @property
    def digit(self) -> str | None:
        return event_to_digit(self.event)

    def encode(self) -> bytes:
        if not 0 <= self.event <= 255:
            raise DtmfError(f"event code {self.event} is outside 0-255")
        if not 0 <= self.volume <= 63:
            raise DtmfError(f"volume {self.volume} is outside 0-63")
        if not 0 <= self.duration <= 0xFFFF:
            raise DtmfError(f"duration {self.duration} does not fit 16 bits")
        return _PAYLOAD.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)

    @classmethod
    def decode(cls, payload: bytes) -> TelephoneEvent:
        # a payload may be longer (RFC 2198 redundancy, padding); the first event is current
        if len(payload) < 4:
            raise DtmfError(f"telephone-event payload of {len(payload)} bytes; 4 needed")
        event, flags, duration = _PAYLOAD.unpack_from(payload)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)


def encode_event(
    digit: str, *, end: bool = False, volume: int = DEFAULT_VOLUME, duration: int = 0
) -> bytes:
    return TelephoneEvent(digit_to_event(digit), end, volume, duration).encode()


def decode_event(payload: bytes) -> TelephoneEvent:
    return TelephoneEvent.decode(payload)


class DtmfSender:
    """The RTP packets that send one digit as a telephone event, one per 20 ms tick.

    The packets share the audio stream's SSRC and sequence numbers (they come from its
    ``RtpSender``) and carry the timestamp at which the digit began. The audio is muted
    while they go out, so the sender's timestamp is moved on by as many ticks as there are
    packets, and the next audio frame is marked as a new talkspurt.
    """

    __slots__ = ("duration_ms", "end_repeats", "payload_type", "volume")

    def __init__(
        self,
        payload_type: int = DEFAULT_PAYLOAD_TYPE,
        *,
        volume: int = DEFAULT_VOLUME,
        duration_ms: int = 100,
        end_repeats: int = END_REPEATS,
    ) -> None:
        self.payload_type = payload_type
        self.volume = volume
        self.duration_ms = duration_ms
        self.end_repeats = end_repeats

    def packets(
        self, digit: str, rtp: RtpSender, duration_ms: int | None = None
    ) -> list[RtpPacket]:
        event = digit_to_event(digit)
        ms = self.duration_ms if duration_ms is None else duration_ms
        duration = max(1, ms) * CLOCK_RATE // 1000
        if duration > 0xFFFF:
            # longer events need RFC 4733 2.5.1.3 segments; no keypad press lasts 8 s
            raise DtmfError(f"a {ms} ms event does not fit one 16-bit duration")
        step = rtp.samples_per_frame
        start = rtp.timestamp
        packets: list[RtpPacket] = []
        elapsed = step
        while elapsed < duration:
            payload = _PAYLOAD.pack(event, self.volume, elapsed)
            packets.append(
                rtp.packet(
                    payload, payload_type=self.payload_type, timestamp=start, marker=not packets
                )
            )
            elapsed += step
        final = _PAYLOAD.pack(event, 0x80 | self.volume, duration)
        for _ in range(max(1, self.end_repeats)):
            packets.append(
                rtp.packet(
                    final, payload_type=self.payload_type, timestamp=start, marker=not packets
                )
            )
        rtp.silence(len(packets))
        return packets


class DtmfReceiver:
    """Turns incoming telephone-event packets into digits, each reported exactly once.

    An event is identified by its RTP timestamp (all its packets carry the same one): the
    first packet of a new timestamp reports the digit; continuation packets and the three
    end packets, and their network duplicates, report nothing. Pressing the same key twice
    gives two timestamps, so two digits. A packet older than the newest event (reordered
    across events) is stale and ignored.
    """

    __slots__ = ("_latest", "_recent", "_ssrc", "payload_type")

    def __init__(self, payload_type: int = DEFAULT_PAYLOAD_TYPE, *, memory: int = 16) -> None:
        self.payload_type = payload_type
        self._ssrc: int | None = None
        self._latest: int | None = None
        self._recent: deque[int] = deque(maxlen=memory)

    def receive(self, packet: RtpPacket) -> str | None:
        """The digit this packet starts, or None (not an event, or one already reported)."""
        if packet.payload_type != self.payload_type:
            return None
        try:
            event = TelephoneEvent.decode(packet.payload)
        except DtmfError:
            return None
        if packet.ssrc != self._ssrc:
            # a new source (re-INVITE, transfer): its timestamps are unrelated to the old one
            self._ssrc = packet.ssrc
            self._latest = None
            self._recent.clear()
        timestamp = packet.timestamp
        if timestamp in self._recent:
            return None
        if self._latest is not None and timestamp_diff(timestamp, self._latest) < 0:
            return None
        self._recent.append(timestamp)
        self._latest = timestamp
        return event.digit


_SIGNAL_NAMES = {"10": "*", "11": "#", "12": "A", "13": "B", "14": "C", "15": "D"}


def _normalise_signal(value: str) -> str | None:
    value = value.strip()
    if len(value) == 1 and value.upper() in DTMF_EVENTS:
        return value.upper()
    # some phones send the event code instead of the key: Signal=11 for '#'
    return _SIGNAL_NAMES.get(value)


def parse_sip_info_dtmf(content_type: str, body: str | bytes) -> str | None:
    """The digit in a SIP INFO body, or None if it carries none.

    ``application/dtmf-relay`` bodies are ``Signal=5\\r\\nDuration=160``;
    ``application/dtmf`` bodies are the bare key (``5``) or its event code (``11``).
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    text = body.decode("latin-1") if isinstance(body, bytes) else body
    if media_type == "application/dtmf-relay":
        for line in text.splitlines():
            name, sep, value = line.partition("=")
            if sep and name.strip().lower() == "signal":
                return _normalise_signal(value)
        return None
    if media_type == "application/dtmf":
        return _normalise_signal(text)
    return None

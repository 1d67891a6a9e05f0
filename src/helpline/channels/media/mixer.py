"""Mixing 20 ms linear frames: conference, 3-way calls, monitoring.

Every frame is 16-bit linear PCM; all frames of one tick have the same length. Sums
saturate (clip at full scale) instead of wrapping around, which would turn a loud moment
into a crack. Mix-minus gives each participant the sum of everyone else, so nobody hears
their own voice coming back late (which a talker perceives as echo).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from helpline.channels.media import _audioop as audioop

SAMPLE_WIDTH = 2
FRAME_BYTES = 320  # 20 ms at 8 kHz


def db_to_gain(db: float) -> float:
    """A gain factor from decibels: -6 dB is about 0.5."""
    return float(10.0 ** (db / 20.0))


def gain_to_db(gain: float) -> float:
    return 20.0 * math.log10(gain) if gain > 0 else -math.inf


def apply_gain(frame: bytes, gain: float) -> bytes:
    """The frame scaled by ``gain`` (saturating): quieter whisper, louder quiet leg."""
    if gain == 1.0:
        return frame
    return audioop.mul(frame, SAMPLE_WIDTH, gain)


def _check_lengths(frames: Sequence[bytes]) -> int:
    size = len(frames[0])
    for frame in frames:
        if len(frame) != size:
            raise ValueError(
                f"frames of one tick must be the same length, got {len(frame)} and {size}"
                " bytes (re-cut other packetizations into 20 ms frames first)"
            )
    if size & 1:
        raise ValueError(f"a {size}-byte frame holds half a sample")
    return size


# Sums of three or more frames go through 32-bit samples, so that only the final result is
# clipped: clipping each partial sum would make clip(clip(a + b) + c) differ from
# clip(a + b + c) whenever two loud talkers overlap with a third.
def _widen(frame: bytes) -> bytes:
    return audioop.mul(audioop.lin2lin(frame, SAMPLE_WIDTH, 4), 4, 1.0 / 65536.0)


def _narrow(wide: bytes) -> bytes:
    return audioop.lin2lin(audioop.mul(wide, 4, 65536.0), 4, SAMPLE_WIDTH)


def mix(frames: Sequence[bytes], gains: Sequence[float] | None = None) -> bytes:
    """The saturating sum of ``frames`` (each scaled by its gain when ``gains`` is given).
    No frames at all mixes to one 20 ms frame of silence."""
    if gains is not None:
        if len(gains) != len(frames):
            raise ValueError("one gain per frame")
        frames = [apply_gain(frame, gain) for frame, gain in zip(frames, gains, strict=True)]
    if not frames:
        return bytes(FRAME_BYTES)
    _check_lengths(frames)
    if len(frames) == 1:
        return frames[0]
    if len(frames) == 2:
        return audioop.add(frames[0], frames[1], SAMPLE_WIDTH)
    total = _widen(frames[0])
    for frame in frames[1:]:
        total = audioop.add(total, _widen(frame), 4)
    return _narrow(total)


def mix_minus(frames: Sequence[bytes]) -> list[bytes]:
    """For each participant, in order, the mix of all the others.

    With two participants that is just the other's frame; with three, the sum of the other
    two; beyond that one 32-bit total is computed once and each participant's own frame
    subtracted from it, so the cost grows with N rather than N squared.
    """
    count = len(frames)
    if count == 0:
        return []
    size = _check_lengths(frames)
    if count == 1:
        return [bytes(size)]
    if count == 2:
        return [frames[1], frames[0]]
    if count == 3:
        a, b, c = frames
        return [
            audioop.add(b, c, SAMPLE_WIDTH),
            audioop.add(a, c, SAMPLE_WIDTH),
            audioop.add(a, b, SAMPLE_WIDTH),
        ]
    wide = [_widen(frame) for frame in frames]
    total = wide[0]
    for frame in wide[1:]:
        total = audioop.add(total, frame, 4)
    return [_narrow(audioop.add(total, audioop.mul(own, 4, -1.0), 4)) for own in wide]

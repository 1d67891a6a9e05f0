"""Tones: synthesis for the engine (DTMF in band, test signals) and analysis for tests.

All audio is 16-bit little-endian linear PCM at 8 kHz unless ``rate`` says otherwise.
Amplitudes are fractions of full scale (1.0 = 32767). Tests check that audio crossed a call
by its frequency: a 440 Hz tone played by one side must come out at 440 Hz on the other,
through whatever codecs, jitter buffers and mixers lay between.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable

from helpline.channels.media import _audioop as audioop

RATE = 8000
FULL_SCALE = 32767

# ITU-T Q.23: row (low) and column (high) frequency of each key
DTMF_FREQUENCIES: dict[str, tuple[int, int]] = {
    "1": (697, 1209),
    "2": (697, 1336),
    "3": (697, 1477),
    "A": (697, 1633),
    "4": (770, 1209),
    "5": (770, 1336),
    "6": (770, 1477),
    "B": (770, 1633),
    "7": (852, 1209),
    "8": (852, 1336),
    "9": (852, 1477),
    "C": (852, 1633),
    "*": (941, 1209),
    "0": (941, 1336),
    "#": (941, 1477),
    "D": (941, 1633),
}
DTMF_LOW = (697, 770, 852, 941)
DTMF_HIGH = (1209, 1336, 1477, 1633)


def _sample_count(ms: float, rate: int) -> int:
    return round(ms * rate / 1000)


def _to_pcm(values: Iterable[float]) -> bytes:
    return array("h", (max(-32768, min(32767, round(v))) for v in values)).tobytes()


def samples(pcm: bytes) -> array[int]:
    """The samples of a linear PCM fragment (a trailing half sample is ignored)."""
    data = array("h")
    data.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    return data


def silence(ms: float, rate: int = RATE) -> bytes:
    return bytes(2 * _sample_count(ms, rate))


def sine(
    freq: float, ms: float, amplitude: float = 0.5, *, rate: int = RATE, phase: float = 0.0
) -> bytes:
    """A pure tone of ``ms`` milliseconds."""
    step = 2.0 * math.pi * freq / rate
    peak = amplitude * FULL_SCALE
    return _to_pcm(peak * math.sin(phase + step * i) for i in range(_sample_count(ms, rate)))


def dual_tone(
    low: float, high: float, ms: float, amplitude: float = 0.5, *, rate: int = RATE
) -> bytes:
    """Two tones of equal level adding up to ``amplitude`` at their peaks."""
    a = 2.0 * math.pi * low / rate
    b = 2.0 * math.pi * high / rate
    half = amplitude * FULL_SCALE / 2
    return _to_pcm(
        half * (math.sin(a * i) + math.sin(b * i)) for i in range(_sample_count(ms, rate))
    )


def dtmf_tone(digit: str, ms: float = 100, amplitude: float = 0.5, *, rate: int = RATE) -> bytes:
    """The in-band DTMF tone of a key, for peers that understand neither RFC 4733 nor INFO."""
    try:
        low, high = DTMF_FREQUENCIES[digit.upper()]
    except KeyError:
        raise ValueError(f"{digit!r} is not a DTMF key") from None
    return dual_tone(low, high, ms, amplitude, rate=rate)


def goertzel_power(pcm: bytes, freq: float, rate: int = RATE) -> float:
    """Power of ``pcm`` at ``freq``, as the squared amplitude (fraction of full scale) of the
    sine that would give it: about ``a**2`` for ``sine(freq, ms, a)``, near 0 elsewhere."""
    values = samples(pcm)
    n = len(values)
    if n == 0:
        return 0.0
    coeff = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in values:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return max(0.0, power) / (n * FULL_SCALE / 2.0) ** 2


def dominant_frequency(pcm: bytes, candidates: Iterable[float], rate: int = RATE) -> float:
    """The candidate frequency with the most power in ``pcm``."""
    return max(candidates, key=lambda freq: goertzel_power(pcm, freq, rate))


def detect_dtmf(pcm: bytes, rate: int = RATE, *, min_power: float = 1e-3) -> str | None:
    """The DTMF key sounding in ``pcm`` (at least ~40 ms of it), or None."""
    low = dominant_frequency(pcm, DTMF_LOW, rate)
    high = dominant_frequency(pcm, DTMF_HIGH, rate)
    if goertzel_power(pcm, low, rate) < min_power or goertzel_power(pcm, high, rate) < min_power:
        return None
    for key, pair in DTMF_FREQUENCIES.items():
        if pair == (low, high):
            return key
    return None  # pragma: no cover - every (low, high) pair is a key


def estimate_frequency(pcm: bytes, rate: int = RATE) -> float:
    """Frequency of the tone in ``pcm`` from its upward zero crossings, 0.0 for silence.

    Crossings are placed between samples by linear interpolation, and a crossing counts only
    after the signal went below a tenth of its peak, so that codec noise around zero makes no
    extra crossings. Within a fraction of a hertz for a clean half second; a few hertz after
    G.711 round trips.
    """
    values = samples(pcm)
    if len(values) < 2:
        return 0.0
    threshold = 0.1 * max(max(values), -min(values))
    if threshold <= 0:
        return 0.0
    armed = False
    first = last = 0.0
    count = 0
    previous = values[0]
    for i in range(1, len(values)):
        current = values[i]
        if current < -threshold:
            armed = True
        elif armed and previous < 0 <= current:
            at = i - 1 + previous / (previous - current)
            if count == 0:
                first = at
            last = at
            count += 1
            armed = False
        previous = current
    if count < 2 or last <= first:
        return 0.0
    return (count - 1) * rate / (last - first)


def level_dbfs(pcm: bytes) -> float:
    """RMS level in dB relative to full scale (a full-scale sine is about -3 dBFS)."""
    if len(pcm) < 2:
        return -math.inf
    rms = audioop.rms(pcm[: len(pcm) - len(pcm) % 2], 2)
    return 20.0 * math.log10(rms / FULL_SCALE) if rms else -math.inf

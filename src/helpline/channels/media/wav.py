"""WAV files in and out: converting uploads to the engine's format, and recording calls.

The engine plays and records 8 kHz mono 16-bit linear PCM. ``read_wav`` accepts what an
admin is likely to upload (any integer PCM WAV: 8/16/24/32-bit, mono, stereo or more
channels, any sample rate, plus the G.711 mu-law/A-law WAVs that other phone systems use)
and converts it; anything else raises ``AudioFormatError`` with a message that says what
the file is and what to export instead.
"""

from __future__ import annotations

import io
import math
import os
import struct
import wave
from array import array
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from helpline.channels.media import _audioop as audioop
from helpline.channels.media.mixer import mix

RATE = 8000
SAMPLE_WIDTH = 2
FRAME_BYTES = 320  # 20 ms at 8 kHz, 16-bit

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_IEEE_FLOAT = 0x0003
WAVE_FORMAT_ALAW = 0x0006
WAVE_FORMAT_MULAW = 0x0007
WAVE_FORMAT_EXTENSIBLE = 0xFFFE

_FORMAT_NAMES = {
    WAVE_FORMAT_IEEE_FLOAT: "floating-point samples",
    0x0002: "Microsoft ADPCM",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0050: "MPEG audio",
    0x0055: "MP3",
}

# The anti-alias filter ahead of downsampling: without it, everything between 4 kHz and
# the source's Nyquist folds back into the telephone band (hold music turns metallic).
# Windowed-sinc, -6 dB at 3.8 kHz, the transition over ~1.4 kHz so that what folds back
# lands above the 3.4 kHz a telephone channel carries. The taps needed grow with the
# sample rate, so rates that are multiples of 16 kHz (48, 32, 96 kHz) first go down to
# 16 kHz, keeping every n-th sample behind a short filter that only has to stop what would
# fold below 4 kHz there (above 12 kHz): a third of the work. Other rates (44.1 kHz) are
# filtered at their own rate, because ratecv interpolates linearly between samples and
# the images that leaves fold into the band unless the signal is band-limited and
# oversampled; rates under 32 kHz (22.05 kHz text-to-speech) are multiplied up first.
_CUTOFF_HZ = 3800.0
_TRANSITION_HZ = 1400.0
_INTERMEDIATE_RATE = 16000
_MIN_INTERPOLATION_RATE = 32000
_FIRST_STAGE_CUTOFF_HZ = 8000.0
_FIRST_STAGE_TRANSITION_HZ = 8000.0
_MAX_TAPS = 161

Source = str | os.PathLike[str] | BinaryIO


class AudioFormatError(ValueError):
    """The file is not audio we can convert; the message says why, for the admin."""


def _describe_format(tag: int) -> str:
    name = _FORMAT_NAMES.get(tag)
    return f"{name} (WAV format {tag})" if name else f"WAV format {tag}"


def _chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(id, offset of the body, size) of each RIFF chunk of a WAVE file."""
    found: list[tuple[bytes, int, int]] = []
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, offset)
        found.append((chunk_id, offset + 8, size))
        offset += 8 + size + (size & 1)
    return found


def _patched_format(data: bytes) -> tuple[bytes, int] | None:
    """For a WAV that the ``wave`` module refuses but that we can read (extensible PCM, which
    Python 3.11 does not know; G.711), the same bytes with the format tag set to plain PCM,
    and the encoding of its samples. None if the format is something else."""
    for chunk_id, body, size in _chunks(data):
        if chunk_id != b"fmt " or size < 16:
            continue
        (tag,) = struct.unpack_from("<H", data, body)
        encoding = tag
        if tag == WAVE_FORMAT_EXTENSIBLE:
            if size < 40:
                return None
            # the first two bytes of the SubFormat GUID are the real format tag
            (encoding,) = struct.unpack_from("<H", data, body + 24)
        if encoding not in (WAVE_FORMAT_PCM, WAVE_FORMAT_ALAW, WAVE_FORMAT_MULAW):
            return None
        patched = bytearray(data)
        struct.pack_into("<H", patched, body, WAVE_FORMAT_PCM)
        return bytes(patched), encoding
    return None


def _format_tag(data: bytes) -> int | None:
    for chunk_id, body, size in _chunks(data):
        if chunk_id == b"fmt " and size >= 2:
            tag: int = struct.unpack_from("<H", data, body)[0]
            if tag == WAVE_FORMAT_EXTENSIBLE and size >= 26:
                tag = struct.unpack_from("<H", data, body + 24)[0]
            return tag
    return None


def _wave_frames(data: bytes) -> tuple[bytes, int, int, int]:
    with wave.open(io.BytesIO(data), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
        return frames, reader.getsampwidth(), reader.getnchannels(), reader.getframerate()


def _open(data: bytes) -> tuple[bytes, int, int, int, int]:
    """(frames, sample width, channels, rate, encoding) of a WAV file's bytes."""
    if not data:
        raise AudioFormatError("the file is empty")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError("not a WAV file (no RIFF/WAVE header); upload a PCM WAV file")
    encoding = WAVE_FORMAT_PCM
    try:
        frames, width, channels, rate = _wave_frames(data)
    except wave.Error as exc:
        patched = _patched_format(data) if str(exc).startswith("unknown format") else None
        if patched is None:
            raise AudioFormatError(_explain(data, exc)) from exc
        data, encoding = patched
        try:
            frames, width, channels, rate = _wave_frames(data)
        except (wave.Error, EOFError, struct.error) as again:
            raise AudioFormatError(f"unreadable WAV file: {again}") from again
    except (EOFError, struct.error) as exc:
        raise AudioFormatError(f"unreadable WAV file (truncated or empty): {exc}") from exc
    if channels < 1 or rate < 1:
        raise AudioFormatError(f"WAV header says {channels} channels at {rate} Hz")
    if encoding != WAVE_FORMAT_PCM and width != 1:
        raise AudioFormatError(f"G.711 WAV with {8 * width}-bit samples; G.711 is 8-bit")
    if width not in (1, 2, 3, 4):
        raise AudioFormatError(f"{8 * width}-bit samples; PCM WAV must be 8, 16, 24 or 32-bit")
    # a truncated data chunk may end mid-frame: keep whole frames only
    frames = frames[: len(frames) - len(frames) % (width * channels)]
    return frames, width, channels, rate, encoding


def _explain(data: bytes, exc: Exception) -> str:
    tag = _format_tag(data)
    if tag is not None and tag != WAVE_FORMAT_PCM:
        return (
            f"unsupported WAV encoding: {_describe_format(tag)}; export the audio as 16-bit PCM WAV"
        )
    return f"unreadable WAV file: {exc}"


def _lowpass_taps(rate: int, cutoff: float, transition: float) -> list[float]:
    # a Hamming window's transition band is about 3.3 / taps of the sample rate
    count = min(_MAX_TAPS, math.ceil(3.3 * rate / transition)) | 1  # odd: symmetric
    middle = (count - 1) / 2
    fc = cutoff / rate
    taps = []
    for n in range(count):
        x = n - middle
        ideal = 2 * fc if x == 0 else math.sin(2 * math.pi * fc * x) / (math.pi * x)
        taps.append(ideal * (0.54 - 0.46 * math.cos(2 * math.pi * n / (count - 1))))
    gain = sum(taps)
    return [tap / gain for tap in taps]


def _lowpass(pcm: bytes, rate: int, cutoff: float, transition: float, gain: float = 1.0) -> bytes:
    """Filter 16-bit mono ``pcm`` with the anti-alias FIR, using audioop's C loops: one
    add-multiply-add pass over the whole signal per pair of symmetric taps."""
    taps = _lowpass_taps(rate, cutoff, transition)
    count = len(taps)
    samples = len(pcm) // 2
    if samples == 0:
        return pcm
    # 32-bit samples with two bits of headroom: partial sums of the taps overshoot 1.0
    wide = audioop.mul(audioop.lin2lin(pcm, 2, 4), 4, 0.25)
    margin = bytes(4 * (count // 2))
    padded = memoryview(margin + wide + margin)

    def shifted(k: int) -> memoryview:
        return padded[4 * k : 4 * (k + samples)]

    middle = count // 2
    total = audioop.mul(shifted(middle), 4, taps[middle])
    for k in range(middle):
        pair = audioop.add(shifted(k), shifted(count - 1 - k), 4)
        total = audioop.add(total, audioop.mul(pair, 4, taps[k]), 4)
    return audioop.lin2lin(audioop.mul(total, 4, 4.0 * gain), 4, 2)


def _zero_stuff(pcm: bytes, factor: int) -> bytes:
    """``factor - 1`` zero samples after each sample: the rate times ``factor``, with images
    of the spectrum that the low-pass filter that follows removes."""
    source = array("h")
    source.frombytes(pcm)
    stuffed = array("h")
    stuffed.frombytes(bytes(2 * factor * len(source)))
    stuffed[::factor] = source
    return stuffed.tobytes()


def _resample(pcm: bytes, rate: int) -> bytes:
    """16-bit mono ``pcm`` at ``rate`` to 8 kHz, band-limited to the telephone band."""
    if rate == RATE or not pcm:
        return pcm
    gain = 1.0
    cutoff, transition = _CUTOFF_HZ, _TRANSITION_HZ
    if rate % RATE and rate < _MIN_INTERPOLATION_RATE:
        # ratecv interpolates linearly: fine from a high rate, poor from a low one, so a
        # low rate is first multiplied (zeros between samples, then the low-pass below)
        factor = math.ceil(_MIN_INTERPOLATION_RATE / rate)
        pcm = _zero_stuff(pcm, factor)
        cutoff = min(cutoff, 0.45 * rate)  # below the source's own Nyquist frequency
        transition = min(transition, 0.2 * rate)
        rate *= factor
        gain = float(factor)
    elif rate > _INTERMEDIATE_RATE and rate % _INTERMEDIATE_RATE == 0:
        pcm = _lowpass(pcm, rate, _FIRST_STAGE_CUTOFF_HZ, _FIRST_STAGE_TRANSITION_HZ)
        pcm = memoryview(pcm).cast("h")[:: rate // _INTERMEDIATE_RATE].tobytes()
        rate = _INTERMEDIATE_RATE
    pcm = _lowpass(pcm, rate, cutoff, transition, gain)
    if rate % RATE == 0:
        return memoryview(pcm).cast("h")[:: rate // RATE].tobytes()
    converted, _state = audioop.ratecv(pcm, SAMPLE_WIDTH, 1, rate, RATE, None)
    return converted


def to_linear8k(frames: bytes, width: int, channels: int, rate: int) -> bytes:
    """Integer PCM (WAV conventions: 8-bit unsigned, wider signed little-endian, channels
    interleaved) to 8 kHz mono 16-bit linear PCM."""
    if width == 1:
        frames = audioop.bias(frames, 1, -128)  # WAV's 8-bit samples are unsigned
    if width != SAMPLE_WIDTH:
        frames = audioop.lin2lin(frames, width, SAMPLE_WIDTH)
    if channels == 2:
        frames = audioop.tomono(frames, SAMPLE_WIDTH, 0.5, 0.5)
    elif channels > 2:
        view = memoryview(frames).cast("h")
        share = 1.0 / channels
        mono = audioop.mul(view[0::channels].tobytes(), SAMPLE_WIDTH, share)
        for channel in range(1, channels):
            part = audioop.mul(view[channel::channels].tobytes(), SAMPLE_WIDTH, share)
            mono = audioop.add(mono, part, SAMPLE_WIDTH)
        frames = mono
    return _resample(frames, rate)


def _read_bytes(source: Source) -> bytes:
    if isinstance(source, str | os.PathLike):
        try:
            return Path(source).read_bytes()
        except OSError as exc:
            raise AudioFormatError(f"cannot read {os.fspath(source)!r}: {exc.strerror}") from exc
    return source.read()


def read_wav(source: Source) -> bytes:
    """The audio of a WAV file (path or binary file object) as 8 kHz mono 16-bit linear PCM.

    Downsampling goes through an anti-alias filter that costs about 20 ms of one core per
    second of 44.1 kHz audio (4 s for three minutes of hold music): call it from a worker
    thread, never on the event loop or in the media process.
    """
    frames, width, channels, rate, encoding = _open(_read_bytes(source))
    if encoding == WAVE_FORMAT_MULAW:
        frames, width = audioop.ulaw2lin(frames, SAMPLE_WIDTH), SAMPLE_WIDTH
    elif encoding == WAVE_FORMAT_ALAW:
        frames, width = audioop.alaw2lin(frames, SAMPLE_WIDTH), SAMPLE_WIDTH
    return to_linear8k(frames, width, channels, rate)


def convert_wav(source: Source, destination: str | os.PathLike[str] | BinaryIO) -> int:
    """Convert an uploaded WAV to the engine's format; returns its length in milliseconds."""
    pcm = read_wav(source)
    with WavWriter(destination) as writer:
        writer.write(pcm)
    return len(pcm) // (2 * RATE // 1000)


class WavWriter:
    """Writes 8 kHz mono 16-bit PCM to a WAV file (path or seekable binary file object).

    Frames go out with ``writeframesraw``, which leaves the header's lengths alone; the
    header is brought up to date every ``update_every`` writes and at ``close``, so that a
    recording cut short by a crash is still a readable file up to the last update.
    """

    __slots__ = ("_closed", "_since_update", "_wave", "frames_written", "update_every")

    def __init__(
        self, target: str | os.PathLike[str] | BinaryIO, *, update_every: int = 250
    ) -> None:
        path_or_file = os.fspath(target) if isinstance(target, os.PathLike) else target
        writer = wave.open(path_or_file, "wb")  # noqa: SIM115 - closed by close()
        writer.setnchannels(1)
        writer.setsampwidth(SAMPLE_WIDTH)
        writer.setframerate(RATE)
        self._wave = writer
        self._closed = False
        self._since_update = 0
        self.update_every = update_every
        self.frames_written = 0  # samples

    @property
    def duration_ms(self) -> int:
        return self.frames_written * 1000 // RATE

    def write(self, pcm: bytes) -> None:
        if self._closed:
            raise ValueError("write to a closed WAV file")
        self._wave.writeframesraw(pcm)
        self.frames_written += len(pcm) // SAMPLE_WIDTH
        self._since_update += 1
        if self._since_update >= self.update_every:
            self._since_update = 0
            self._wave.writeframes(b"")  # writes nothing but rewrites the header's lengths

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._wave.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Recorder:
    """A call recording, fed one 20 ms frame per tick: one leg, or several mixed.

    While paused (the agent takes card details) every tick still writes a frame, of
    silence, so the file keeps the call's timeline: the paused span is silence of exactly
    its length, and whatever follows is where it happened. A tick without audio (a lost
    packet, nobody talking) is written as silence too.
    """

    __slots__ = ("_paused", "_silence", "_writer", "paused_frames")

    def __init__(self, target: str | os.PathLike[str] | BinaryIO, *, paused: bool = False) -> None:
        self._writer = WavWriter(target)
        self._paused = paused
        self._silence = bytes(FRAME_BYTES)
        self.paused_frames = 0

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def duration_ms(self) -> int:
        return self._writer.duration_ms

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def write(self, frame: bytes | None) -> None:
        if frame is None:
            frame = self._silence
        if self._paused:
            self.paused_frames += 1
            frame = self._silence if len(frame) == FRAME_BYTES else bytes(len(frame))
        self._writer.write(frame)

    def write_mixed(self, frames: Sequence[bytes]) -> None:
        """One tick of several legs (caller, agent, a third party) mixed into one track."""
        self.write(None if self._paused or not frames else mix(frames))

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

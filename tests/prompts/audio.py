"""WAV files made in the tests, as an admin's audio editor would export them."""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import Any


def sine_wav(
    *, freq: float = 440.0, seconds: float = 1.0, rate: int = 44100, channels: int = 2
) -> bytes:
    """A 16-bit PCM WAV of a sine at half scale, the same in every channel."""
    frames = bytearray()
    for i in range(round(seconds * rate)):
        sample = round(16000 * math.sin(2 * math.pi * freq * i / rate))
        frames += struct.pack("<h", sample) * channels
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(bytes(frames))
    return buffer.getvalue()


def mp3_in_wav() -> bytes:
    """A RIFF/WAVE file whose samples are MP3 (format 0x55): a WAV, but not PCM."""
    fmt = struct.pack("<HHIIHH", 0x0055, 1, 44100, 16000, 1, 0) + bytes(14)
    data = b"\xff\xfb\x90\x00" * 100
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


# The first bytes of an MP3 file with an ID3 tag: what people upload when they forget to
# convert.
MP3_FILE = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 200


def read_wav(data: bytes) -> tuple[Any, bytes]:
    with wave.open(io.BytesIO(data), "rb") as reader:
        return reader.getparams(), reader.readframes(reader.getnframes())

"""G.711 (PCMU, payload type 0, and PCMA, payload type 8) between linear PCM and RTP.

Linear PCM everywhere in the engine is 16-bit signed little-endian, 8 kHz, mono: one
20 ms frame is 160 samples, 320 bytes; one G.711 frame is 160 bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from helpline.channels.media import _audioop as audioop

CLOCK_RATE = 8000
SAMPLE_WIDTH = 2
SAMPLES_PER_FRAME = 160
LINEAR_FRAME_BYTES = SAMPLES_PER_FRAME * SAMPLE_WIDTH  # 320


def _whole_samples(pcm: bytes) -> bytes:
    # audioop refuses a fragment with half a sample; a stray odd byte is not worth a failure
    return pcm[:-1] if len(pcm) & 1 else pcm


def pcmu_encode(pcm: bytes) -> bytes:
    return audioop.lin2ulaw(_whole_samples(pcm), SAMPLE_WIDTH)


def pcmu_decode(payload: bytes) -> bytes:
    return audioop.ulaw2lin(payload, SAMPLE_WIDTH)


def pcma_encode(pcm: bytes) -> bytes:
    return audioop.lin2alaw(_whole_samples(pcm), SAMPLE_WIDTH)


def pcma_decode(payload: bytes) -> bytes:
    return audioop.alaw2lin(payload, SAMPLE_WIDTH)


@dataclass(frozen=True, slots=True)
class Codec:
    """An audio codec as SDP names it (``a=rtpmap:<payload_type> <name>/<clock_rate>``)."""

    name: str
    payload_type: int
    encode: Callable[[bytes], bytes]
    decode: Callable[[bytes], bytes]
    silence_octet: int
    clock_rate: int = CLOCK_RATE

    @property
    def rtpmap(self) -> str:
        return f"{self.name}/{self.clock_rate}"

    def silence(self, samples: int = SAMPLES_PER_FRAME) -> bytes:
        """An encoded payload of ``samples`` samples of digital silence."""
        return bytes((self.silence_octet,)) * samples


# the code words of linear 0: 0xFF in mu-law, 0xD5 in A-law (even bits inverted)
PCMU = Codec("PCMU", 0, pcmu_encode, pcmu_decode, 0xFF)
PCMA = Codec("PCMA", 8, pcma_encode, pcma_decode, 0xD5)

CODECS: dict[str, Codec] = {PCMU.name: PCMU, PCMA.name: PCMA}
CODECS_BY_PAYLOAD_TYPE: dict[int, Codec] = {PCMU.payload_type: PCMU, PCMA.payload_type: PCMA}


def get_codec(key: str | int) -> Codec:
    """The codec named ``key`` (case-insensitive, ``PCMU`` or ``PCMU/8000``) or with the
    static payload type ``key``; ``KeyError`` if we do not speak it."""
    if isinstance(key, int):
        return CODECS_BY_PAYLOAD_TYPE[key]
    name, _, rate = key.upper().partition("/")
    codec = CODECS[name]
    if rate and int(rate) != codec.clock_rate:
        raise KeyError(key)
    return codec


def _translation_table(source: Codec, target: Codec) -> bytes:
    # G.711 is sample by sample, so decoding and re-encoding every one of the 256 code
    # words once gives a table that bytes.translate applies at memcpy speed
    every_code = bytes(range(256))
    return target.encode(source.decode(every_code))


_TABLES: dict[tuple[str, str], bytes] = {
    (a.name, b.name): _translation_table(a, b) for a in CODECS.values() for b in CODECS.values()
}


def transcode(payload: bytes, from_codec: Codec, to_codec: Codec) -> bytes:
    """Re-encode a G.711 payload for the other leg's codec (identity when they agree)."""
    if from_codec is to_codec:
        return payload
    table = _TABLES.get((from_codec.name, to_codec.name))
    if table is not None:
        return payload.translate(table)
    return to_codec.encode(from_codec.decode(payload))

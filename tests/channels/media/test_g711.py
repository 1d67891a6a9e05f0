from __future__ import annotations

import math
from array import array

import pytest

from helpline.channels.media.g711 import (
    CODECS,
    CODECS_BY_PAYLOAD_TYPE,
    PCMA,
    PCMU,
    Codec,
    get_codec,
    transcode,
)
from helpline.channels.media.tone import sine


def snr_db(reference: bytes, degraded: bytes) -> float:
    ref = array("h", reference)
    out = array("h", degraded)
    signal = sum(x * x for x in ref)
    noise = sum((x - y) ** 2 for x, y in zip(ref, out, strict=True))
    return 10 * math.log10(signal / noise)


def test_codec_descriptions() -> None:
    assert (PCMU.name, PCMU.payload_type, PCMU.clock_rate, PCMU.rtpmap) == (
        "PCMU",
        0,
        8000,
        "PCMU/8000",
    )
    assert (PCMA.name, PCMA.payload_type, PCMA.clock_rate, PCMA.rtpmap) == (
        "PCMA",
        8,
        8000,
        "PCMA/8000",
    )
    assert CODECS == {"PCMU": PCMU, "PCMA": PCMA}
    assert CODECS_BY_PAYLOAD_TYPE == {0: PCMU, 8: PCMA}


@pytest.mark.parametrize(
    ("key", "codec"),
    [("PCMU", PCMU), ("pcma", PCMA), ("PCMU/8000", PCMU), (0, PCMU), (8, PCMA)],
)
def test_get_codec_by_name_or_payload_type(key: str | int, codec: Codec) -> None:
    assert get_codec(key) is codec


@pytest.mark.parametrize("key", ["G729", "PCMU/16000", 18, 101])
def test_get_codec_refuses_what_we_do_not_speak(key: str | int) -> None:
    with pytest.raises(KeyError):
        get_codec(key)


@pytest.mark.parametrize("codec", [PCMU, PCMA])
def test_silence_encodes_linear_zero(codec: Codec) -> None:
    assert len(codec.silence()) == 160
    assert codec.encode(bytes(320)) == codec.silence()
    assert codec.silence(80) == codec.silence()[:80]
    # A-law has no zero code word: its silence is the smallest step, +8 of 32767
    assert max(abs(x) for x in array("h", codec.decode(codec.silence()))) <= 8


def test_silence_code_words() -> None:
    assert PCMU.silence(1) == b"\xff"
    assert PCMA.silence(1) == b"\xd5"


@pytest.mark.parametrize("codec", [PCMU, PCMA])
def test_round_trip_keeps_the_signal(codec: Codec) -> None:
    pcm = sine(1000, 200, 0.5)
    payload = codec.encode(pcm)
    assert len(payload) == len(pcm) // 2
    decoded = codec.decode(payload)
    assert len(decoded) == len(pcm)
    # G.711 gives ~38 dB signal-to-quantization-noise for a loud tone
    assert snr_db(pcm, decoded) > 30


@pytest.mark.parametrize("codec", [PCMU, PCMA])
def test_decode_then_encode_is_identity_on_code_words(codec: Codec) -> None:
    words = bytes(range(256))
    again = codec.encode(codec.decode(words))
    # mu-law has two code words for zero (0x7F and 0xFF); every other word is exact
    assert sum(a != b for a, b in zip(words, again, strict=True)) <= 1


@pytest.mark.parametrize("codec", [PCMU, PCMA])
def test_odd_byte_of_pcm_is_ignored(codec: Codec) -> None:
    assert codec.encode(bytes(321)) == codec.silence()


def test_transcode_same_codec_returns_the_payload() -> None:
    payload = bytes(range(160))
    assert transcode(payload, PCMU, PCMU) is payload


@pytest.mark.parametrize(("source", "target"), [(PCMU, PCMA), (PCMA, PCMU)])
def test_transcode_equals_decode_then_encode(source: Codec, target: Codec) -> None:
    words = bytes(range(256))
    assert transcode(words, source, target) == target.encode(source.decode(words))


def test_transcode_keeps_silence_silent() -> None:
    assert transcode(PCMU.silence(), PCMU, PCMA) == PCMA.silence()
    # A-law's +8 is mu-law's +8, not its zero: still 72 dB below full scale
    back = PCMU.decode(transcode(PCMA.silence(), PCMA, PCMU))
    assert max(abs(x) for x in array("h", back)) <= 8


def test_transcoded_tone_keeps_its_quality() -> None:
    pcm = sine(440, 200, 0.5)
    there = transcode(PCMU.encode(pcm), PCMU, PCMA)
    back = transcode(there, PCMA, PCMU)
    assert snr_db(pcm, PCMA.decode(there)) > 30
    assert snr_db(pcm, PCMU.decode(back)) > 30

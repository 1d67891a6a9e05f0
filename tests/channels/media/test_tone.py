from __future__ import annotations

import math

import pytest

from helpline.channels.media.g711 import PCMA, PCMU, Codec, transcode
from helpline.channels.media.tone import (
    DTMF_FREQUENCIES,
    detect_dtmf,
    dominant_frequency,
    dtmf_tone,
    dual_tone,
    estimate_frequency,
    goertzel_power,
    level_dbfs,
    samples,
    silence,
    sine,
)

FREQUENCIES = [300, 440, 1000, 1800]


def test_sine_length_and_peak() -> None:
    pcm = sine(1000, 500, 0.5)
    assert len(pcm) == 2 * 4000
    values = samples(pcm)
    assert max(values) == pytest.approx(0.5 * 32767, abs=2)
    assert min(values) == pytest.approx(-0.5 * 32767, abs=2)


def test_full_scale_sine_clips_rather_than_wraps() -> None:
    values = samples(sine(250, 20, 1.5))
    assert max(values) == 32767
    assert min(values) == -32768


def test_silence() -> None:
    assert silence(20) == bytes(320)
    assert estimate_frequency(silence(500)) == 0.0
    assert level_dbfs(silence(20)) == -math.inf


@pytest.mark.parametrize("freq", FREQUENCIES)
def test_estimate_frequency_of_a_clean_tone(freq: int) -> None:
    assert estimate_frequency(sine(freq, 500, 0.5)) == pytest.approx(freq, abs=1)


@pytest.mark.parametrize("freq", FREQUENCIES)
@pytest.mark.parametrize("codec", [PCMU, PCMA], ids=["PCMU", "PCMA"])
def test_estimate_frequency_after_a_g711_round_trip(freq: int, codec: Codec) -> None:
    heard = codec.decode(codec.encode(sine(freq, 500, 0.3)))
    assert estimate_frequency(heard) == pytest.approx(freq, abs=5)


@pytest.mark.parametrize("freq", FREQUENCIES)
def test_estimate_frequency_after_transcoding_between_legs(freq: int) -> None:
    # caller on PCMU, agent on PCMA: what the agent hears
    payload = transcode(PCMU.encode(sine(freq, 500, 0.1)), PCMU, PCMA)
    assert estimate_frequency(PCMA.decode(payload)) == pytest.approx(freq, abs=5)


@pytest.mark.parametrize("freq", FREQUENCIES)
def test_estimate_frequency_with_a_quiet_tone_and_odd_phase(freq: int) -> None:
    pcm = sine(freq, 500, 0.02, phase=1.234)
    assert estimate_frequency(PCMU.decode(PCMU.encode(pcm))) == pytest.approx(freq, abs=5)


def test_goertzel_power_is_the_squared_amplitude() -> None:
    pcm = sine(1000, 500, 0.5)
    assert goertzel_power(pcm, 1000) == pytest.approx(0.25, rel=0.02)
    assert goertzel_power(pcm, 1300) < 1e-4
    assert goertzel_power(b"", 1000) == 0.0


def test_dominant_frequency_picks_the_loudest_candidate() -> None:
    pcm = PCMA.decode(PCMA.encode(sine(440, 300, 0.4)))
    assert dominant_frequency(pcm, FREQUENCIES) == 440
    two = dual_tone(300, 1800, 300)
    assert dominant_frequency(two, [300, 440, 1000]) == 300
    assert dominant_frequency(two, [440, 1000, 1800]) == 1800


@pytest.mark.parametrize("key", sorted(DTMF_FREQUENCIES))
def test_in_band_dtmf_is_detected_after_pcmu(key: str) -> None:
    tone = PCMU.decode(PCMU.encode(dtmf_tone(key, 60)))
    assert detect_dtmf(tone) == key


def test_no_dtmf_in_silence_or_a_plain_tone() -> None:
    assert detect_dtmf(silence(60)) is None
    assert detect_dtmf(sine(1000, 60)) is None


def test_dtmf_tone_refuses_unknown_keys() -> None:
    with pytest.raises(ValueError, match="DTMF"):
        dtmf_tone("E")


def test_level_dbfs() -> None:
    assert level_dbfs(sine(1000, 100, 1.0)) == pytest.approx(-3.01, abs=0.05)
    assert level_dbfs(sine(1000, 100, 0.1)) == pytest.approx(-23.01, abs=0.05)

"""The audio Helpline ships: every prompt in every language, in the telephone format."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest

from helpline.channels.media.tone import level_dbfs
from helpline.prompts import catalog
from helpline.prompts.catalog import (
    HOLD_MUSIC_FILE,
    LANGUAGES,
    PROMPT_KEYS,
    SOUNDS_DIR,
    position_prompts,
    spoken_number,
    wait_prompts,
)
from helpline.prompts.service import number_prompts

REPO = Path(__file__).resolve().parents[2]


def _read(path: Path) -> tuple[Any, bytes]:
    with wave.open(str(path), "rb") as reader:
        return reader.getparams(), reader.readframes(reader.getnframes())


def _assert_telephone_format(params: Any) -> None:
    assert (params.framerate, params.nchannels, params.sampwidth) == (8000, 1, 2)
    assert params.comptype == "NONE"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_prompt_ships_in_every_language_in_the_telephone_format(language: str) -> None:
    folder = SOUNDS_DIR / language
    assert sorted(path.stem for path in folder.glob("*.wav")) == sorted(PROMPT_KEYS)
    for key in PROMPT_KEYS:
        params, pcm = _read(folder / f"{key}.wav")
        _assert_telephone_format(params)
        duration = params.nframes / params.framerate
        assert 0.2 < duration < 15, (key, duration)
        # Speech normalized to about -3 dBFS peak is well above -35 dBFS RMS.
        assert level_dbfs(pcm) > -35, (language, key, level_dbfs(pcm))


def test_sentences_are_longer_than_single_words() -> None:
    for language in LANGUAGES:
        welcome, _pcm = _read(catalog.default_path("welcome", language))
        goodbye, _pcm = _read(catalog.default_path("goodbye", language))
        assert welcome.nframes > 3 * goodbye.nframes, language


def test_the_beep_is_a_1_khz_tone() -> None:
    from helpline.channels.media.tone import estimate_frequency

    for language in LANGUAGES:
        params, pcm = _read(catalog.default_path("beep", language))
        assert 0.35 < params.nframes / params.framerate < 0.45
        assert estimate_frequency(pcm) == pytest.approx(1000, rel=0.02)


def test_hold_music_loops_cleanly() -> None:
    params, pcm = _read(HOLD_MUSIC_FILE)
    _assert_telephone_format(params)
    assert 30 <= params.nframes / params.framerate <= 60
    edge = 2 * 160  # 20 ms of 16-bit samples at 8 kHz
    # Quiet at both ends: looped, it fades out and back in instead of clicking.
    assert level_dbfs(pcm[:edge]) < -45
    assert level_dbfs(pcm[-edge:]) < -45
    # Soft but audible in between: about -12 dBFS at its peaks.
    middle = pcm[len(pcm) // 4 : 3 * len(pcm) // 4]
    assert -35 < level_dbfs(middle) < -15
    peak = max(abs(sample) for sample in memoryview(pcm).cast("h"))
    assert 0.2 < peak / 32767 < 0.3


def test_the_shipped_audio_stays_reasonably_small() -> None:
    total = sum(path.stat().st_size for path in SOUNDS_DIR.rglob("*.wav"))
    assert total < 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("language", "n"),
    [
        (language, n)
        for language in LANGUAGES
        for n in (0, 1, 7, 10, 11, 16, 20, 21, 28, 42, 70, 71, 80, 81, 91, 99)
    ],
)
def test_spoken_numbers_name_shipped_prompts(language: str, n: int) -> None:
    keys = spoken_number(n, language)
    assert keys
    for key in keys:
        assert key in PROMPT_KEYS
        assert catalog.default_path(key, language).is_file()


def test_numbers_that_cannot_be_spoken_are_refused() -> None:
    for n in (-1, 100, 1000):
        with pytest.raises(ValueError, match="cannot be spoken"):
            spoken_number(n, "en")
    with pytest.raises(ValueError, match="language"):
        spoken_number(3, "de")


def test_number_prompts_accepts_language_variants_and_falls_back_to_english() -> None:
    assert number_prompts(21, "pt_BR") == number_prompts(21, "pt-br") == ["n21"]
    assert number_prompts(5, "de") == ["n5"]


def test_position_announcements() -> None:
    assert position_prompts(3, "it") == ["position_is", "n3", "in_line"]
    assert position_prompts(99, "fr") == ["position_is", "n99", "in_line"]
    # A wrong number is worse than none.
    assert position_prompts(100, "en") == []
    assert position_prompts(0, "en") == []


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, ["estimated_wait_is", "less_than_a_minute"]),
        (59, ["estimated_wait_is", "less_than_a_minute"]),
        (60, ["estimated_wait_is", "one_minute"]),
        (89, ["estimated_wait_is", "one_minute"]),
        (5 * 60, ["estimated_wait_is", "n5", "minutes"]),
        (20 * 60, ["estimated_wait_is", "n20", "minutes"]),
        # Past 20 minutes, rounded to 5.
        (21 * 60 + 50, ["estimated_wait_is", "n20", "minutes"]),
        (23 * 60, ["estimated_wait_is", "n25", "minutes"]),
        (97 * 60, ["estimated_wait_is", "n95", "minutes"]),
        (98 * 60, []),
        (5 * 3600, []),
    ],
)
def test_wait_announcements(seconds: float, expected: list[str]) -> None:
    for language in LANGUAGES:
        keys = wait_prompts(seconds, language)
        assert keys == expected
        assert all(catalog.default_path(key, language).is_file() for key in keys)


def test_the_script_that_makes_the_sounds_is_there_and_documented() -> None:
    script = REPO / "scripts" / "make-sounds"
    assert script.is_file()
    assert script.stat().st_mode & 0o111
    assert "scripts/make-sounds" in (REPO / "README.md").read_text()

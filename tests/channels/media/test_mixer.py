from __future__ import annotations

from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.channels.media.mixer import (
    apply_gain,
    db_to_gain,
    gain_to_db,
    mix,
    mix_minus,
)
from helpline.channels.media.tone import goertzel_power, sine


def pcm(*values: int) -> bytes:
    return array("h", values).tobytes()


def clipped_sum(frames: list[bytes]) -> bytes:
    columns = zip(*(array("h", f) for f in frames), strict=True)
    return pcm(*(max(-32768, min(32767, sum(column))) for column in columns))


def test_mix_of_two_adds_and_saturates() -> None:
    assert mix([pcm(1, -2, 30000, -30000), pcm(10, 20, 30000, -30000)]) == pcm(
        11, 18, 32767, -32768
    )


def test_mix_of_three_clips_only_the_result() -> None:
    # clipping each partial sum would give 32767 - 30000 = 2767
    assert mix([pcm(30000), pcm(30000), pcm(-30000)]) == pcm(30000)


def test_mix_of_one_and_of_none() -> None:
    assert mix([pcm(5, 6)]) == pcm(5, 6)
    assert mix([]) == bytes(320)


def test_mix_with_gains() -> None:
    assert mix([pcm(1000), pcm(1000)], gains=[1.0, 0.5]) == pcm(1500)
    with pytest.raises(ValueError, match="gain"):
        mix([pcm(1)], gains=[1.0, 2.0])


def test_frames_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        mix([bytes(320), bytes(480)])
    with pytest.raises(ValueError, match="same length"):
        mix_minus([bytes(320), bytes(320), bytes(160)])
    with pytest.raises(ValueError, match="half a sample"):
        mix([bytes(3), bytes(3)])


def test_mix_minus_of_two_swaps_the_legs() -> None:
    caller, agent = pcm(1, 2), pcm(3, 4)
    assert mix_minus([caller, agent]) == [agent, caller]


def test_mix_minus_of_one_is_silence() -> None:
    assert mix_minus([pcm(7, 8)]) == [bytes(4)]
    assert mix_minus([]) == []


def test_three_way_call_each_hears_the_other_two() -> None:
    caller, agent, expert = sine(300, 100, 0.3), sine(1000, 100, 0.3), sine(1800, 100, 0.3)
    heard = mix_minus([caller, agent, expert])
    for listener, own in enumerate((300, 1000, 1800)):
        others = {300, 1000, 1800} - {own}
        assert goertzel_power(heard[listener], own) < 1e-4
        for freq in others:
            assert goertzel_power(heard[listener], freq) == pytest.approx(0.09, rel=0.05)


samples_strategy = st.integers(-32768, 32767)


@given(
    st.integers(1, 8).flatmap(
        lambda n: st.lists(
            st.lists(samples_strategy, min_size=4, max_size=4), min_size=n, max_size=n
        )
    )
)
def test_mix_minus_is_the_clipped_sum_of_the_others(frames_values: list[list[int]]) -> None:
    frames = [pcm(*values) for values in frames_values]
    heard = mix_minus(frames)
    assert len(heard) == len(frames)
    for listener in range(len(frames)):
        others = [f for i, f in enumerate(frames) if i != listener]
        expected = clipped_sum(others) if others else bytes(8)
        assert heard[listener] == expected


@given(st.lists(st.lists(samples_strategy, min_size=3, max_size=3), min_size=3, max_size=8))
def test_mix_of_many_is_the_clipped_sum(frames_values: list[list[int]]) -> None:
    frames = [pcm(*values) for values in frames_values]
    assert mix(frames) == clipped_sum(frames)


def test_whisper_agent_hears_customer_and_quieter_supervisor_customer_hears_agent_only() -> None:
    customer, agent, supervisor = sine(440, 100, 0.4), sine(1000, 100, 0.4), sine(1800, 100, 0.4)
    to_agent = mix([customer, supervisor], gains=[1.0, db_to_gain(-6)])
    to_customer = agent
    assert goertzel_power(to_agent, 440) == pytest.approx(0.16, rel=0.05)
    assert goertzel_power(to_agent, 1800) == pytest.approx(0.16 * 0.251, rel=0.05)
    assert goertzel_power(to_customer, 1800) < 1e-6


def test_gain() -> None:
    assert db_to_gain(0) == 1.0
    assert db_to_gain(-6) == pytest.approx(0.501, abs=0.001)
    assert gain_to_db(db_to_gain(-12)) == pytest.approx(-12)
    assert gain_to_db(0) == float("-inf")
    frame = pcm(1000, -1000, 20000)
    assert apply_gain(frame, 1.0) is frame
    assert apply_gain(frame, 0.5) == pcm(500, -500, 10000)
    assert apply_gain(frame, 2.0) == pcm(2000, -2000, 32767)

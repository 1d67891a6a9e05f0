from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.channels.media.player import FRAME_BYTES, Player, PlayList


def audio(size: int, seed: int = 1) -> bytes:
    """Recognisable non-silent bytes (no zero byte), ``size`` long."""
    return bytes(1 + (seed * 7 + i) % 250 for i in range(size))


def test_prompt_plays_in_frames_and_pads_the_last_one() -> None:
    prompt = audio(1000)
    player = Player(prompt)
    frames = [player.next_frame() for _ in range(4)]
    assert all(len(f) == FRAME_BYTES for f in frames)
    assert b"".join(frames) == prompt + bytes(280)
    assert player.done
    assert player.next_frame() == bytes(FRAME_BYTES)


def test_prompt_of_whole_frames_is_done_after_its_last_frame() -> None:
    player = Player(audio(640))
    assert not player.done
    player.next_frame()
    assert not player.done
    player.next_frame()
    assert player.done


def test_prompt_position_duration_and_rewind() -> None:
    player = Player(audio(1600))  # 100 ms
    assert player.duration_ms == 100
    player.next_frame()
    assert player.position_ms == 20
    player.rewind()
    assert player.position_ms == 0


def test_hold_music_loops_without_a_gap() -> None:
    music = audio(1000)
    player = Player(music, loop=True)
    played = b"".join(player.next_frame() for _ in range(25))
    assert played == (music * 8)[: 25 * FRAME_BYTES]
    assert not player.done


def test_clip_shorter_than_a_frame_repeats_within_frames() -> None:
    clip = audio(100)
    player = Player(clip, loop=True)
    played = b"".join(player.next_frame() for _ in range(3))
    assert played == (clip * 10)[: 3 * FRAME_BYTES]


def test_empty_sources_play_silence() -> None:
    assert Player(b"").next_frame() == bytes(FRAME_BYTES)
    assert Player(b"").done
    looping = Player(b"", loop=True)
    assert looping.next_frame() == bytes(FRAME_BYTES)
    assert looping.done


def test_odd_trailing_byte_is_dropped() -> None:
    player = Player(audio(321))
    assert player.next_frame() == audio(320)
    assert player.next_frame() == bytes(FRAME_BYTES)
    assert player.done


@given(st.integers(1, 2000), st.booleans())
def test_player_always_gives_whole_frames(size: int, loop: bool) -> None:
    player = Player(audio(size - size % 2 or 2), loop=loop)
    for _ in range(12):
        assert len(player.next_frame()) == FRAME_BYTES


def test_playlist_joins_prompts_without_gaps() -> None:
    prompts = [audio(700, 1), audio(130, 2), audio(900, 3)]  # "position", "3", "minutes"
    playlist = PlayList(prompts)
    frames = []
    while not playlist.done:
        frames.append(playlist.next_frame())
    played = b"".join(frames)
    joined = b"".join(prompts)
    assert played[: len(joined)] == joined
    assert played[len(joined) :] == bytes(len(played) - len(joined))
    assert len(frames) == -(-len(joined) // FRAME_BYTES)


def test_playlist_accepts_prompts_while_playing_and_skips_empty_ones() -> None:
    playlist = PlayList([audio(320, 1)])
    assert playlist.next_frame() == audio(320, 1)
    assert playlist.done
    playlist.extend([b"", audio(160, 2), audio(160, 3)])
    assert not playlist.done
    assert playlist.next_frame() == audio(160, 2) + audio(160, 3)
    assert playlist.done
    assert playlist.next_frame() == bytes(FRAME_BYTES)


def test_playlist_loops_through_its_tracks() -> None:
    tracks = [audio(500, 1), audio(300, 2)]
    playlist = PlayList(tracks, loop=True)
    played = b"".join(playlist.next_frame() for _ in range(10))
    assert played == (b"".join(tracks) * 4)[: 10 * FRAME_BYTES]
    assert not playlist.done


@given(st.lists(st.integers(0, 1500), max_size=6))
def test_playlist_plays_exactly_the_prompts_then_silence(sizes: list[int]) -> None:
    prompts = [audio(size - size % 2, seed) for seed, size in enumerate(sizes)]
    playlist = PlayList(prompts)
    joined = b"".join(prompts)
    frames = [playlist.next_frame() for _ in range(len(joined) // FRAME_BYTES + 2)]
    assert all(len(f) == FRAME_BYTES for f in frames)
    played = b"".join(frames)
    assert played[: len(joined)] == joined
    assert played[len(joined) :] == bytes(len(played) - len(joined))
    assert playlist.done


@pytest.mark.parametrize("frame_bytes", [160, 480])
def test_other_frame_sizes(frame_bytes: int) -> None:
    player = Player(audio(1000), frame_bytes=frame_bytes)
    assert len(player.next_frame()) == frame_bytes

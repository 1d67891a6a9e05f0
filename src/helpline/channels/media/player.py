"""Playing prompts and hold music, one 20 ms frame per tick.

Sources are 8 kHz mono 16-bit linear PCM (``wav.read_wav`` converts uploads to that).
A prompt ends (``done``) after its last frame, which is padded with silence; hold music
loops without a gap, a frame at the end of the file continuing from its start.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

FRAME_BYTES = 320  # 160 samples of 16-bit linear PCM: 20 ms at 8 kHz


def _whole_samples(pcm: bytes) -> bytes:
    return pcm[: len(pcm) - len(pcm) % 2]


class Player:
    """One prompt (``loop=False``) or one piece of hold music (``loop=True``)."""

    __slots__ = ("_audio", "_position", "_silence", "frame_bytes", "loop")

    def __init__(self, pcm: bytes, *, loop: bool = False, frame_bytes: int = FRAME_BYTES) -> None:
        self._audio = _whole_samples(pcm)
        self.loop = loop
        self.frame_bytes = frame_bytes
        self._position = 0
        self._silence = bytes(frame_bytes)

    @property
    def done(self) -> bool:
        """A prompt that has given all its frames; never true of hold music with audio."""
        if self.loop:
            return not self._audio
        return self._position >= len(self._audio)

    @property
    def position_ms(self) -> int:
        return self._position // 16  # 16 bytes a millisecond at 8 kHz, 16-bit

    @property
    def duration_ms(self) -> int:
        return len(self._audio) // 16

    def rewind(self) -> None:
        self._position = 0

    def next_frame(self) -> bytes:
        """The next ``frame_bytes`` bytes; silence once a prompt is done."""
        audio = self._audio
        start = self._position
        end = start + self.frame_bytes
        if end <= len(audio):
            self._position = end if end < len(audio) or not self.loop else 0
            return audio[start:end]
        if not audio or (start >= len(audio) and not self.loop):
            return self._silence
        if not self.loop:
            self._position = len(audio)
            tail = audio[start:]
            return tail + self._silence[len(tail) :]
        # hold music wraps around mid-frame; a clip shorter than a frame repeats within it
        pieces = [audio[start:]]
        need = self.frame_bytes - len(pieces[0])
        while need > len(audio):
            pieces.append(audio)
            need -= len(audio)
        pieces.append(audio[:need])
        self._position = need
        return b"".join(pieces)


class PlayList:
    """Prompts played one after another as one stream: "your position is", "3",
    "estimated wait", "5", "minutes". The joins fall mid-frame, without gaps; only the end
    of the whole list is padded. Prompts can be appended while it plays; ``loop=True``
    cycles through the list (several tracks of hold music)."""

    __slots__ = ("_offset", "_played", "_queue", "_silence", "frame_bytes", "loop")

    def __init__(
        self, prompts: Iterable[bytes] = (), *, loop: bool = False, frame_bytes: int = FRAME_BYTES
    ) -> None:
        self._queue: deque[bytes] = deque()
        self._played: list[bytes] = []
        self._offset = 0
        self.loop = loop
        self.frame_bytes = frame_bytes
        self._silence = bytes(frame_bytes)
        for prompt in prompts:
            self.append(prompt)

    def append(self, prompt: bytes) -> None:
        audio = _whole_samples(prompt)
        if audio:
            self._queue.append(audio)

    def extend(self, prompts: Iterable[bytes]) -> None:
        for prompt in prompts:
            self.append(prompt)

    @property
    def done(self) -> bool:
        return not self._queue

    def _advance(self) -> bool:
        # move to the next prompt; False when there is none left to play
        finished = self._queue.popleft()
        if self.loop:
            self._played.append(finished)
        self._offset = 0
        if not self._queue and self.loop:
            self._queue.extend(self._played)
            self._played.clear()
        return bool(self._queue)

    def next_frame(self) -> bytes:
        queue = self._queue
        if not queue:
            return self._silence
        current = queue[0]
        start = self._offset
        end = start + self.frame_bytes
        if end < len(current):
            self._offset = end
            return current[start:end]
        pieces = [current[start:]]
        need = self.frame_bytes - len(pieces[0])
        more = self._advance()
        while need > 0 and more:
            current = queue[0]
            if need < len(current):
                pieces.append(current[:need])
                self._offset = need
                need = 0
                break
            pieces.append(current)
            need -= len(current)
            more = self._advance()
        if need > 0:
            pieces.append(self._silence[:need])
        return b"".join(pieces)

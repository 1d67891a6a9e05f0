from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

# The site's hold music; other names are pieces a queue can be set to play.
DEFAULT_MUSIC = "default"
_MUSIC_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_FILENAME_LENGTH = 255

Status = Literal["default", "custom"]


def music_key(value: str) -> str:
    """A music file's name as URLs and queues refer to it; ValueError if it is not one."""
    key = value.strip().lower()
    if not _MUSIC_KEY.match(key):
        raise ValueError(
            f"{value!r} is not a music name: use up to 64 lower-case letters, digits, '-' or "
            "'_', starting with a letter or a digit (such as jazz-loop)"
        )
    return key


def clean_filename(value: str | None) -> str:
    """The uploaded file's own name, as admins see it again: no folders, no control
    characters, at most 255 characters."""
    name = (value or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = unicodedata.normalize("NFC", name).strip()
    return name[:MAX_FILENAME_LENGTH] or "upload.wav"


class PromptOut(BaseModel):
    key: str
    language: str
    status: Status
    # What the shipped prompt says in this language ("" for the beep).
    text: str
    duration_ms: int
    original_filename: str | None = None
    uploaded_at: datetime | None = None
    uploaded_by: int | None = None
    audio_url: str


class PromptList(BaseModel):
    languages: list[str]
    prompts: list[PromptOut]


class MusicOut(BaseModel):
    key: str
    # "default" for the shipped hold music; an upload is "custom".
    status: Status
    duration_ms: int
    original_filename: str | None = None
    uploaded_at: datetime | None = None
    uploaded_by: int | None = None
    audio_url: str


class MusicList(BaseModel):
    music: list[MusicOut]

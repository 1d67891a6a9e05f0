"""Prompts and hold music: which file plays, and admins' uploads that replace the shipped ones.

The voice service asks ``prompt_path`` and ``hold_music_path`` for the file to play, and
``number_prompts`` / ``position_prompts`` / ``wait_prompts`` for the keys that say a number,
a position in line or an estimated wait.
"""

from __future__ import annotations

import asyncio
import logging
import wave
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.errors import Invalid, NotFound
from helpline.i18n import normalize_language
from helpline.prompts import catalog, files, repository
from helpline.prompts.catalog import (
    FALLBACK_LANGUAGE,
    HOLD_MUSIC_FILE,
    LANGUAGES,
    PROMPT_KEYS,
    position_prompts,
    spoken_number,
    wait_prompts,
)
from helpline.prompts.events import MusicDeleted, MusicUploaded, PromptReplaced, PromptReset
from helpline.prompts.models import MUSIC, PROMPT, AudioFile
from helpline.prompts.schemas import DEFAULT_MUSIC, MusicOut, PromptOut, clean_filename, music_key
from helpline.storage.eventlog import append_event

__all__ = [
    "delete_music",
    "get_music",
    "get_prompt",
    "hold_music_path",
    "list_music",
    "list_prompts",
    "music_path",
    "number_prompts",
    "position_prompts",
    "prompt_path",
    "replace_prompt",
    "reset_prompt",
    "upload_music",
    "wait_prompts",
]

logger = logging.getLogger(__name__)

PROMPTS_FOLDER = f"{files.SOUNDS_FOLDER}/prompts"
MUSIC_FOLDER = f"{files.SOUNDS_FOLDER}/music"


@cache
def _shipped_duration_ms(path: Path) -> int:
    # The shipped files never change while Helpline runs: read each header once.
    with wave.open(str(path), "rb") as reader:
        return reader.getnframes() * 1000 // reader.getframerate()


def _check_prompt(key: str, language: str) -> None:
    if key not in PROMPT_KEYS:
        raise NotFound(f"there is no prompt named {key!r}")
    if language not in LANGUAGES:
        raise NotFound(
            f"there are no prompts in language {language!r} (languages: {', '.join(LANGUAGES)})"
        )


def prompt_audio_url(key: str, language: str, row: AudioFile | None) -> str:
    # The upload's id in the address: a browser never plays a replaced prompt from its cache.
    version = f"?v={row.id}" if row else ""
    return f"/api/v1/prompts/{key}/{language}/audio{version}"


def music_audio_url(key: str, row: AudioFile | None) -> str:
    version = f"?v={row.id}" if row else ""
    return f"/api/v1/music/{key}/audio{version}"


def _prompt_out(key: str, language: str, row: AudioFile | None) -> PromptOut:
    if row is None:
        return PromptOut(
            key=key,
            language=language,
            status="default",
            text=catalog.text(key, language),
            duration_ms=_shipped_duration_ms(catalog.default_path(key, language)),
            audio_url=prompt_audio_url(key, language, None),
        )
    return PromptOut(
        key=key,
        language=language,
        status="custom",
        text=catalog.text(key, language),
        duration_ms=row.duration_ms,
        original_filename=row.original_filename,
        uploaded_at=row.uploaded_at,
        uploaded_by=row.uploaded_by,
        audio_url=prompt_audio_url(key, language, row),
    )


def _music_out(key: str, row: AudioFile | None) -> MusicOut:
    if row is None:
        return MusicOut(
            key=key,
            status="default",
            duration_ms=_shipped_duration_ms(HOLD_MUSIC_FILE),
            audio_url=music_audio_url(key, None),
        )
    return MusicOut(
        key=key,
        status="custom",
        duration_ms=row.duration_ms,
        original_filename=row.original_filename,
        uploaded_at=row.uploaded_at,
        uploaded_by=row.uploaded_by,
        audio_url=music_audio_url(key, row),
    )


async def list_prompts(*, session: AsyncSession) -> list[PromptOut]:
    """Every prompt in every language, in catalogue order, saying which are uploads."""
    custom = {(row.key, row.language): row for row in await repository.list_prompts(session)}
    return [
        _prompt_out(key, language, custom.get((key, language)))
        for key in PROMPT_KEYS
        for language in LANGUAGES
    ]


async def get_prompt(*, session: AsyncSession, key: str, language: str) -> PromptOut:
    _check_prompt(key, language)
    return _prompt_out(key, language, await repository.get_prompt(session, key, language))


def _existing(data_dir: Path, row: AudioFile | None) -> Path | None:
    if row is None:
        return None
    path = data_dir / row.path
    if path.is_file():
        return path
    # The data directory was restored without its sounds, say: play the shipped audio
    # rather than silence.
    logger.warning("uploaded %s %s is missing (%s): playing the default", row.kind, row.key, path)
    return None


async def prompt_path(*, session: AsyncSession, key: str, language: str, data_dir: Path) -> Path:
    """The file to play for prompt ``key`` to a caller in ``language``: the admin's upload if
    there is one, else the shipped prompt in that language, else the English one (for a
    language Helpline has no prompts in)."""
    if key not in PROMPT_KEYS:
        raise NotFound(f"there is no prompt named {key!r}")
    wanted = normalize_language(language)
    candidates = [wanted] if wanted in LANGUAGES else []
    if FALLBACK_LANGUAGE not in candidates:
        candidates.append(FALLBACK_LANGUAGE)
    for candidate in candidates:
        assert candidate is not None
        uploaded = _existing(data_dir, await repository.get_prompt(session, key, candidate))
        if uploaded is not None:
            return uploaded
        shipped = catalog.default_path(key, candidate)
        if shipped.is_file():
            return shipped
    raise NotFound(f"the prompt {key!r} has no audio")


def number_prompts(n: int, language: str) -> list[str]:
    """The prompt keys that say ``n`` (0 … 99) in ``language`` (a supported code or
    something ``normalize_language`` maps to one; English otherwise)."""
    wanted = normalize_language(language)
    return spoken_number(n, wanted if wanted in LANGUAGES else FALLBACK_LANGUAGE)


async def replace_prompt(
    *,
    session: AsyncSession,
    key: str,
    language: str,
    upload: BinaryIO,
    filename: str | None,
    data_dir: Path,
    now: datetime,
    actor_id: int | None,
) -> PromptOut:
    """Convert the uploaded WAV and play it instead of prompt ``key`` in ``language``.

    Raises ``Invalid`` (the file is too large, not a WAV, not PCM …): nothing changes then.
    """
    _check_prompt(key, language)
    stored = await asyncio.to_thread(
        files.store_upload, upload, data_dir, f"{PROMPTS_FOLDER}/{language}", key
    )
    files.remove_on_rollback(session, data_dir / stored.path)
    row = await repository.get_prompt(session, key, language)
    was_default = row is None
    if row is None:
        row = AudioFile(kind=PROMPT, key=key, language=language)
        session.add(row)
    else:
        files.remove_on_commit(session, data_dir / row.path)
    row.original_filename = clean_filename(filename)
    row.duration_ms = stored.duration_ms
    row.path = stored.path
    row.uploaded_at = now
    row.uploaded_by = actor_id
    await repository.flush(session)
    append_event(
        session,
        PromptReplaced(
            key=key,
            language=language,
            original_filename=row.original_filename,
            duration_ms=row.duration_ms,
            was_default=was_default,
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return _prompt_out(key, language, row)


async def reset_prompt(
    *,
    session: AsyncSession,
    key: str,
    language: str,
    data_dir: Path,
    now: datetime,
    actor_id: int | None,
) -> PromptOut:
    """Delete the upload: the shipped prompt plays again. Already the default: no change."""
    _check_prompt(key, language)
    row = await repository.get_prompt(session, key, language)
    if row is None:
        return _prompt_out(key, language, None)
    files.remove_on_commit(session, data_dir / row.path)
    gone = row.original_filename
    await repository.delete(session, row)
    append_event(
        session,
        PromptReset(key=key, language=language, original_filename=gone),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return _prompt_out(key, language, None)


async def list_music(*, session: AsyncSession) -> list[MusicOut]:
    """The site's hold music first (shipped or uploaded), then the other pieces by name."""
    rows = {row.key: row for row in await repository.list_music(session)}
    default = _music_out(DEFAULT_MUSIC, rows.pop(DEFAULT_MUSIC, None))
    return [default, *(_music_out(key, row) for key, row in sorted(rows.items()))]


def _music_key(key: str) -> str:
    try:
        return music_key(key)
    except ValueError as error:
        raise NotFound(str(error)) from error


async def get_music(*, session: AsyncSession, key: str) -> MusicOut:
    key = _music_key(key)
    row = await repository.get_music(session, key)
    if row is None and key != DEFAULT_MUSIC:
        raise NotFound(f"there is no music named {key!r}")
    return _music_out(key, row)


async def upload_music(
    *,
    session: AsyncSession,
    key: str,
    upload: BinaryIO,
    filename: str | None,
    data_dir: Path,
    now: datetime,
    actor_id: int | None,
) -> MusicOut:
    """Add a piece of music named ``key``, or replace it; ``default`` is the site's hold
    music. Raises ``Invalid`` for a bad name or file: nothing changes then."""
    try:
        key = music_key(key)
    except ValueError as error:
        raise Invalid(str(error), field="key") from error
    stored = await asyncio.to_thread(files.store_upload, upload, data_dir, MUSIC_FOLDER, key)
    files.remove_on_rollback(session, data_dir / stored.path)
    row = await repository.get_music(session, key)
    replaced = row is not None
    if row is None:
        row = AudioFile(kind=MUSIC, key=key, language=None)
        session.add(row)
    else:
        files.remove_on_commit(session, data_dir / row.path)
    row.original_filename = clean_filename(filename)
    row.duration_ms = stored.duration_ms
    row.path = stored.path
    row.uploaded_at = now
    row.uploaded_by = actor_id
    await repository.flush(session)
    append_event(
        session,
        MusicUploaded(
            key=key,
            original_filename=row.original_filename,
            duration_ms=row.duration_ms,
            replaced=replaced,
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return _music_out(key, row)


async def delete_music(
    *, session: AsyncSession, key: str, data_dir: Path, now: datetime, actor_id: int | None
) -> None:
    """Delete an uploaded piece; for ``default``, the shipped hold music plays again (and
    deleting it when it is already the shipped one changes nothing)."""
    key = _music_key(key)
    row = await repository.get_music(session, key)
    if row is None:
        if key == DEFAULT_MUSIC:
            return
        raise NotFound(f"there is no music named {key!r}")
    files.remove_on_commit(session, data_dir / row.path)
    gone = row.original_filename
    await repository.delete(session, row)
    append_event(
        session,
        MusicDeleted(key=key, original_filename=gone),
        occurred_at=now,
        actor_user_id=actor_id,
    )


async def music_path(*, session: AsyncSession, key: str, data_dir: Path) -> Path:
    """The file of the music named ``key`` (``default``: the site's hold music)."""
    key = _music_key(key)
    row = await repository.get_music(session, key)
    if row is None and key != DEFAULT_MUSIC:
        raise NotFound(f"there is no music named {key!r}")
    return _existing(data_dir, row) or HOLD_MUSIC_FILE


async def hold_music_path(*, session: AsyncSession, data_dir: Path, key: str | None = None) -> Path:
    """What a waiting caller hears: the music named ``key`` (a queue's choice) if it exists,
    else the site's hold music (the admin's upload, or the one Helpline ships)."""
    for candidate in (key, DEFAULT_MUSIC):
        if candidate is None:
            continue
        try:
            candidate = music_key(candidate)
        except ValueError:
            continue
        uploaded = _existing(data_dir, await repository.get_music(session, candidate))
        if uploaded is not None:
            return uploaded
    return HOLD_MUSIC_FILE

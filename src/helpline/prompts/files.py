"""Uploaded audio under the data directory.

Each upload is converted into a temporary file beside its final place, then renamed to a
name of its own: a failed or half-written upload never replaces a good file, and the
database row always names a complete one. A file that a change leaves behind (the upload
it replaced, or the new file of a change that rolled back) is removed only once the
transaction has ended, because until the commit the old row still names the old file.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.channels.media.wav import AudioFormatError, convert_wav
from helpline.errors import Invalid

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_LABEL = "20 MB"
SOUNDS_FOLDER = "sounds"

_PENDING_KEY = "helpline.prompts.files"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredAudio:
    # Relative to the data directory, with forward slashes (as the row stores it).
    path: str
    duration_ms: int


def store_upload(upload: BinaryIO, data_dir: Path, folder: str, stem: str) -> StoredAudio:
    """Convert ``upload`` to 8 kHz mono 16-bit and store it under ``data_dir/folder``.

    Blocking and CPU-heavy (the resampler filters every sample): run it in a worker thread.
    Raises ``Invalid`` with a message for the admin when the file is not usable.
    """
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid(
            f"the file is larger than {MAX_UPLOAD_LABEL}; upload a shorter recording",
            field="file",
        )
    directory = data_dir / folder
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{stem}-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as output:
            duration_ms = convert_wav(io.BytesIO(data), output)
            output.flush()
            os.fsync(output.fileno())
        if duration_ms <= 0:
            raise Invalid("the file holds no audio", field="file")
        name = f"{stem}-{secrets.token_hex(6)}.wav"
        os.replace(temporary, directory / name)
    except AudioFormatError as error:
        Path(temporary).unlink(missing_ok=True)
        raise Invalid(str(error), field="file") from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return StoredAudio(path=f"{folder}/{name}", duration_ms=duration_ms)


def _pending(session: AsyncSession) -> dict[str, list[Path]]:
    pending: dict[str, list[Path]] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = {"commit": [], "rollback": []}
        session.info[_PENDING_KEY] = pending
        event.listen(session.sync_session, "after_commit", _after_commit)
        event.listen(session.sync_session, "after_soft_rollback", _after_rollback)
    return pending


def _remove(session: Any, when: str) -> None:
    pending: dict[str, list[Path]] | None = session.info.get(_PENDING_KEY)
    if not pending:
        return
    for path in pending[when]:
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            # The transaction has ended either way: a file left over wastes space, no more.
            logger.warning("could not remove %s: %s", path, error)
    pending["commit"].clear()
    pending["rollback"].clear()


def _after_commit(session: Any) -> None:
    _remove(session, "commit")


def _after_rollback(session: Any, _previous_transaction: Any) -> None:
    _remove(session, "rollback")


def remove_on_commit(session: AsyncSession, path: Path) -> None:
    """``path`` is no longer named by any row once this transaction commits."""
    _pending(session)["commit"].append(path)


def remove_on_rollback(session: AsyncSession, path: Path) -> None:
    """``path`` was written for this transaction: if it rolls back, nothing names it."""
    _pending(session)["rollback"].append(path)

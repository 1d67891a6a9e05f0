from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from helpline.storage.base import Base

PROMPT = "prompt"
MUSIC = "music"


class AudioFile(Base):
    """An uploaded WAV, converted to 8 kHz mono 16-bit: a prompt that replaces a shipped one
    in one language, or a piece of music (``default`` replaces the shipped hold music).

    The file lives under the data directory; each upload gets a new name, so a row always
    names a complete file, and the file it replaced is removed once the change commits.
    """

    __tablename__ = "audio_files"
    __table_args__ = (
        UniqueConstraint("kind", "key", "language", name="uq_audio_files_kind_key_language"),
        # Unique constraints let NULLs differ, and music has no language.
        Index(
            "uq_audio_files_music_key",
            "key",
            unique=True,
            sqlite_where=text("kind = 'music'"),
            postgresql_where=text("kind = 'music'"),
        ),
        CheckConstraint(
            "(kind = 'prompt' AND language IS NOT NULL) OR (kind = 'music' AND language IS NULL)",
            name="kind_language",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(10), default=None)
    original_filename: Mapped[str] = mapped_column(String(255))
    duration_ms: Mapped[int] = mapped_column(Integer)
    # Relative to the data directory, with forward slashes.
    path: Mapped[str] = mapped_column(String(500))
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

"""Attachments: what a message may carry, checked on the bytes, and stored on disk.

At most ``max_files`` files a message, ``max_bytes`` each; images (PNG, JPEG, GIF, WebP),
videos (MP4/QuickTime, WebM) and PDF only. The type is read from the content (its magic
numbers), never from the name or the declared type: a renamed executable is refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from helpline.errors import Invalid

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
DOCUMENT_TYPES = ("application/pdf",)
ALLOWED_TYPES = IMAGE_TYPES + VIDEO_TYPES + DOCUMENT_TYPES
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "application/pdf": ".pdf",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()-]+")


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A file as it arrived (an upload, or media a provider adapter fetched)."""

    filename: str
    data: bytes
    declared_type: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedFile:
    filename: str
    data: bytes
    content_type: str


def sniff(data: bytes) -> str | None:
    """The content type the bytes are, among the allowed ones (None: none of them)."""
    head = data[:32]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return "video/quicktime" if brand == b"qt  " else "video/mp4"
    return None


def safe_filename(name: str, content_type: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    base = _UNSAFE.sub("_", base)[:120].strip("._ ") or "file"
    if "." not in base:
        base += EXTENSIONS[content_type]
    return base


def check(files: Sequence[IncomingFile], *, max_files: int, max_bytes: int) -> list[CheckedFile]:
    """Every file checked, or :class:`Invalid` saying which one and why (nothing kept)."""
    if len(files) > max_files:
        raise Invalid(
            f"at most {max_files} files a message: {len(files)} were attached", field="files"
        )
    checked = []
    for item in files:
        label = item.filename or "a file"
        if not item.data:
            raise Invalid(f"{label} is empty", field="files")
        if len(item.data) > max_bytes:
            raise Invalid(
                f"{label} is too large: {len(item.data)} bytes, at most "
                f"{max_bytes // (1024 * 1024)} MB ({max_bytes} bytes) a file",
                field="files",
            )
        content_type = sniff(item.data)
        if content_type is None:
            raise Invalid(
                f"{label} is not an image (PNG, JPEG, GIF, WebP), a video (MP4, MOV, WebM) "
                f"or a PDF",
                field="files",
            )
        checked.append(
            CheckedFile(safe_filename(item.filename, content_type), item.data, content_type)
        )
    return checked


class AttachmentStore:
    """Files under one directory (the data directory's ``attachments``), by a random name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, item: CheckedFile) -> str:
        """Write the bytes; returns the path relative to the root."""
        digest = hashlib.sha256(item.data).hexdigest()[:16]
        relative = (
            Path("chats")
            / digest[:2]
            / (f"{digest}-{secrets.token_hex(8)}{EXTENSIONS[item.content_type]}")
        )
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(target.suffix + ".part")
        temporary.write_bytes(item.data)
        temporary.replace(target)
        return relative.as_posix()

    def path(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError("attachment path outside the store")
        return target

    def remove(self, relative: str) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            self.path(relative).unlink()

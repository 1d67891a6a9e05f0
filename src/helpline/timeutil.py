"""Time at the edges: UTC inside Helpline, local time only when shown to a person."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not accepted: give a time zone")
    return value.astimezone(UTC)

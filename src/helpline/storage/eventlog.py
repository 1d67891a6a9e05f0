"""The append-only event log.

Every state change is a typed event written in the same transaction as the state it
describes. Rows are never updated or deleted; ``seq`` gives the order.

A session collects the events of its transaction and writes them all at once, with one
multi-row INSERT, when it commits (the ORM's unit of work had cost about a third of the
main process's CPU under the SIP benchmark, for rows that are never read back or changed
in the transaction that writes them). So within a transaction the events appended so far
are not visible to queries; a rollback forgets them.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, BigInteger, Index, Integer, String, Table, event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from helpline.storage.base import Base

PENDING_EVENTS_KEY = "helpline.pending_events"  # written, published after the commit
UNWRITTEN_EVENTS_KEY = "helpline.unwritten_events"  # appended, written at the commit

# SQLite needs a plain INTEGER PRIMARY KEY to alias rowid (and AUTOINCREMENT to never reuse it).
SequenceType = BigInteger().with_variant(Integer(), "sqlite")


class Event(BaseModel):
    """Base of every typed event. Subclasses set ``type`` and declare their fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: ClassVar[str]
    registry: ClassVar[dict[str, builtins.type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("type")
        if event_type is None:
            return
        if event_type in Event.registry and Event.registry[event_type] is not cls:
            raise TypeError(f"event type {event_type!r} declared twice")
        Event.registry[event_type] = cls


class EventRecord(Base):
    __tablename__ = "event_log"
    __table_args__ = (
        Index("ix_event_log_type_seq", "type", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(SequenceType, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(Integer, default=None)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    type: str
    payload: dict[str, Any]
    occurred_at: datetime
    actor_user_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.seq,
            "type": self.type,
            "payload": self.payload,
            "occurred_at": self.occurred_at.isoformat(),
            "actor_user_id": self.actor_user_id,
        }

    def typed(self) -> Event:
        event_class = Event.registry[self.type]
        return event_class.model_validate(self.payload)


def append_event(
    session: AsyncSession, event: Event, *, occurred_at: datetime, actor_user_id: int | None = None
) -> None:
    """Add ``event`` to the session's transaction: written when it commits, published by
    the unit of work after that (:func:`take_pending_events`)."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware UTC")
    session.info.setdefault(UNWRITTEN_EVENTS_KEY, []).append(
        {
            "type": event.type,
            "payload": event.model_dump(mode="json"),
            "occurred_at": occurred_at.astimezone(UTC),
            "actor_user_id": actor_user_id,
        }
    )


@event.listens_for(Session, "before_commit")
def _write_events(session: Session) -> None:
    rows: list[dict[str, Any]] | None = session.info.pop(UNWRITTEN_EVENTS_KEY, None)
    if not rows:
        return
    table = cast(Table, EventRecord.__table__)
    statement = insert(table).returning(table.c.seq, sort_by_parameter_order=True)
    sequences = session.execute(statement, rows).scalars().all()
    session.info.setdefault(PENDING_EVENTS_KEY, []).extend(
        StoredEvent(seq, row["type"], row["payload"], row["occurred_at"], row["actor_user_id"])
        for seq, row in zip(sequences, rows, strict=True)
    )


@event.listens_for(Session, "after_soft_rollback")
def _forget_events(session: Session, previous_transaction: SessionTransaction) -> None:
    # A page that rolls back after a refused command and goes on must not publish (or
    # write) what the refused command appended.
    session.info.pop(UNWRITTEN_EVENTS_KEY, None)
    session.info.pop(PENDING_EVENTS_KEY, None)


def take_pending_events(session: AsyncSession) -> list[StoredEvent]:
    """Events of the transaction just committed, in order, ready to publish."""
    events: list[StoredEvent] = session.info.pop(PENDING_EVENTS_KEY, [])
    return events


def discard_pending_events(session: AsyncSession) -> None:
    session.info.pop(UNWRITTEN_EVENTS_KEY, None)
    session.info.pop(PENDING_EVENTS_KEY, None)


def _stored(record: EventRecord) -> StoredEvent:
    return StoredEvent(
        seq=record.seq,
        type=record.type,
        payload=record.payload,
        occurred_at=record.occurred_at,
        actor_user_id=record.actor_user_id,
    )


async def last_sequence(session: AsyncSession) -> int:
    value = await session.scalar(select(EventRecord.seq).order_by(EventRecord.seq.desc()).limit(1))
    return int(value or 0)


async def read_events(
    session: AsyncSession,
    *,
    after: int = 0,
    limit: int = 1000,
    types: Sequence[str] | None = None,
) -> list[StoredEvent]:
    query = (
        select(EventRecord).where(EventRecord.seq > after).order_by(EventRecord.seq).limit(limit)
    )
    if types:
        query = query.where(EventRecord.type.in_(list(types)))
    return [_stored(record) for record in await session.scalars(query)]

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.errors import Conflict, NotFound
from helpline.pause_reasons import repository
from helpline.pause_reasons.events import (
    PauseReasonCreated,
    PauseReasonDeleted,
    PauseReasonUpdated,
)
from helpline.pause_reasons.models import PauseReason
from helpline.pause_reasons.schemas import (
    PauseReasonCreate,
    PauseReasonOut,
    PauseReasonUpdate,
    name_key,
)
from helpline.storage.eventlog import append_event


def snapshot(reason: PauseReason) -> dict[str, Any]:
    return PauseReasonOut.model_validate(reason).model_dump(mode="json")


async def list_reasons(
    *, session: AsyncSession, enabled: bool | None = None
) -> Sequence[PauseReason]:
    """The reasons in the order of the agents' status menu."""
    return await repository.list_all(session, enabled=enabled)


async def status_menu(*, session: AsyncSession) -> bool:
    """Whether agents get the status menu (some reason is enabled) or the plain buttons."""
    return await repository.any_enabled(session)


async def get(*, session: AsyncSession, reason_id: int) -> PauseReason:
    reason = await repository.get(session, reason_id)
    if reason is None:
        raise NotFound(f"no pause reason with id {reason_id}")
    return reason


async def _check_name_free(
    session: AsyncSession, name: str, *, reason_id: int | None = None
) -> None:
    other = await repository.get_by_name_key(session, name_key(name))
    if other is not None and other.id != reason_id:
        raise Conflict(f"there is already a pause reason named {other.name!r}", field="name")


async def _renumber(session: AsyncSession, ordered: Sequence[PauseReason]) -> list[int]:
    """Give ``ordered`` the positions 0, 1, 2 …; returns their ids in that order."""
    for position, reason in enumerate(ordered):
        if reason.position != position:
            reason.position = position
    await repository.flush(session)
    return [reason.id for reason in ordered]


async def create(
    *, session: AsyncSession, reason_in: PauseReasonCreate, now: datetime, actor_id: int | None
) -> PauseReason:
    await _check_name_free(session, reason_in.name)
    existing = list(await repository.list_all(session))
    reason = PauseReason(
        name=reason_in.name,
        name_key=name_key(reason_in.name),
        enabled=reason_in.enabled,
        position=len(existing),
        created_at=now,
    )
    await repository.add(session, reason)
    order = await _renumber(session, [*existing, reason])
    append_event(
        session,
        PauseReasonCreated(reason=snapshot(reason), order=order),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return reason


async def update(
    *,
    session: AsyncSession,
    reason_id: int,
    reason_in: PauseReasonUpdate,
    now: datetime,
    actor_id: int | None,
) -> PauseReason:
    reason = await get(session=session, reason_id=reason_id)
    changed: list[str] = []
    if reason_in.name is not None and reason_in.name != reason.name:
        await _check_name_free(session, reason_in.name, reason_id=reason.id)
        reason.name = reason_in.name
        reason.name_key = name_key(reason_in.name)
        changed.append("name")
    if reason_in.enabled is not None and reason_in.enabled != reason.enabled:
        reason.enabled = reason_in.enabled
        changed.append("enabled")
    ordered = list(await repository.list_all(session))
    if reason_in.position is not None:
        others = [item for item in ordered if item.id != reason.id]
        target = min(reason_in.position, len(others))
        if ordered.index(reason) != target:
            ordered = [*others[:target], reason, *others[target:]]
            changed.append("position")
    if not changed:
        return reason
    order = await _renumber(session, ordered)
    append_event(
        session,
        PauseReasonUpdated(reason=snapshot(reason), changed=changed, order=order),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return reason


async def move(
    *, session: AsyncSession, reason_id: int, offset: int, now: datetime, actor_id: int | None
) -> PauseReason:
    """Move a reason ``offset`` places down the menu (negative: up)."""
    reason = await get(session=session, reason_id=reason_id)
    ordered = list(await repository.list_all(session))
    target = max(ordered.index(reason) + offset, 0)
    return await update(
        session=session,
        reason_id=reason_id,
        reason_in=PauseReasonUpdate(position=target),
        now=now,
        actor_id=actor_id,
    )


async def delete(
    *, session: AsyncSession, reason_id: int, now: datetime, actor_id: int | None
) -> None:
    """Agents paused with this reason stay paused: their status keeps the reason's text."""
    reason = await get(session=session, reason_id=reason_id)
    gone = snapshot(reason)
    await repository.delete(session, reason)
    order = await _renumber(session, list(await repository.list_all(session)))
    append_event(
        session,
        PauseReasonDeleted(reason=gone, order=order),
        occurred_at=now,
        actor_user_id=actor_id,
    )

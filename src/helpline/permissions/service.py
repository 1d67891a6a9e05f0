from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.permissions import DEFAULT_MATRIX, Permission, effective_matrix
from helpline.permissions import repository
from helpline.permissions.events import PermissionsChanged
from helpline.permissions.models import PermissionSetting
from helpline.storage.eventlog import append_event


async def get_matrix(*, session: AsyncSession) -> dict[Permission, bool]:
    stored = await repository.overrides(session)
    known = {
        Permission(key): value
        for key, value in stored.items()
        if key in Permission._value2member_map_
    }
    return effective_matrix(known)


def _as_json(matrix: Mapping[Permission, bool]) -> dict[str, bool]:
    return {permission.value: enabled for permission, enabled in matrix.items()}


async def update(
    *,
    session: AsyncSession,
    changes: Mapping[Permission, bool],
    now: datetime,
    actor_id: int | None,
) -> dict[Permission, bool]:
    current = await get_matrix(session=session)
    changed = [permission for permission, value in changes.items() if current[permission] != value]
    for permission in changed:
        row = await repository.get(session, permission.value)
        if row is None:
            await repository.add(
                session,
                PermissionSetting(
                    key=permission.value, enabled=changes[permission], updated_at=now
                ),
            )
        else:
            row.enabled = changes[permission]
            row.updated_at = now
        current[permission] = changes[permission]
    if changed:
        append_event(
            session,
            PermissionsChanged(matrix=_as_json(current), changed=[p.value for p in changed]),
            occurred_at=now,
            actor_user_id=actor_id,
        )
    return current


async def reset_to_defaults(
    *, session: AsyncSession, now: datetime, actor_id: int | None
) -> dict[Permission, bool]:
    current = await get_matrix(session=session)
    changed = [p.value for p, value in current.items() if DEFAULT_MATRIX[p] != value]
    await repository.delete_all(session)
    append_event(
        session,
        PermissionsChanged(
            matrix=_as_json(DEFAULT_MATRIX), changed=changed, reset_to_defaults=True
        ),
        occurred_at=now,
        actor_user_id=actor_id,
    )
    return dict(DEFAULT_MATRIX)

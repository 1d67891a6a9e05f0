from __future__ import annotations

from fastapi import APIRouter

from helpline.core.permissions import Role
from helpline.devices import service
from helpline.devices.schemas import DeviceOut
from helpline.http.deps import CurrentUser, NowDep, SessionDep, user_roles

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get("", response_model=list[DeviceOut])
async def list_devices(session: SessionDep, user: CurrentUser, now: NowDep) -> list[DeviceOut]:
    """Registered SIP phones: admins and supervisors see everyone's, agents their own."""
    roles = user_roles(user)
    everyone = Role.ADMIN in roles or Role.SUPERVISOR in roles
    rows = await service.list_devices(
        session=session, now=now, user_ids=None if everyone else [user.id]
    )
    return [DeviceOut.model_validate(row) for row in rows]

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, RootModel

from helpline.core.permissions import Permission


class PermissionMatrixOut(BaseModel):
    matrix: dict[Permission, bool]
    defaults: dict[Permission, bool]


class PermissionMatrixUpdate(RootModel[dict[Permission, bool]]):
    """Switches to change, by name; switches not named stay as they are."""

    model_config = ConfigDict()

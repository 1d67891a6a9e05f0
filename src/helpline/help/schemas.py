from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from helpline.core.permissions import Role
from helpline.users.schemas import _email


def _required_email(value: str) -> str:
    checked = _email(value.strip())
    if checked is None:
        raise ValueError("an email address is required")
    return checked


class GuideOut(BaseModel):
    role: Role
    language: str
    title: str
    url: str


class ShareGuide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    recipients: Annotated[
        list[Annotated[str, Field(max_length=254), AfterValidator(_required_email)]],
        Field(min_length=1, max_length=200),
    ]


class ShareGuideOut(BaseModel):
    link: str
    recipients: int

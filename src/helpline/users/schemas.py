from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

from helpline.core.permissions import Role
from helpline.i18n import LANGUAGES

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return value


def _username(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", value):
        raise ValueError(
            "user names use letters, digits, '.', '_' and '-' and start with a letter or digit"
        )
    return value


def _unique_roles(value: list[Role]) -> list[Role]:
    return sorted(set(value))


Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=64),
    AfterValidator(_username),
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[str | None, Field(max_length=254), AfterValidator(_email)]
Password = Annotated[str, Field(min_length=8, max_length=1024)]
Language = Annotated[str, AfterValidator(_language)]
Roles = Annotated[list[Role], Field(max_length=3), AfterValidator(_unique_roles)]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extension: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{2,10}$")]
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    extension: str
    label: str


Lines = Annotated[list[LineIn], Field(max_length=20)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: DisplayName
    email: Email = None
    password: Password
    roles: Roles = []
    language: Language = "en"
    lines: Lines = []
    # For the user's SIP phones; without one, no phone can register the user's lines.
    sip_password: Password | None = None


class UserUpdate(BaseModel):
    """Only the fields given are changed."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    email: Email = None
    password: Password | None = None
    language: Language | None = None
    is_active: bool | None = None
    roles: Roles | None = None
    lines: Lines | None = None
    sip_password: Password | None = None
    notification_sound: bool | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    email: str | None
    is_active: bool
    language: str
    notification_sound: bool = True
    roles: list[Role] = Field(validation_alias=AliasChoices("role_names", "roles"))
    lines: list[LineOut]
    has_sip_password: bool = False
    created_at: datetime
    updated_at: datetime


class MeUpdate(BaseModel):
    """What a user may change on their own account."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    language: Language | None = None
    # A sound with the chat notifications (popup and title badge show either way).
    notification_sound: bool | None = None
    current_password: str | None = Field(default=None, max_length=1024)
    new_password: Password | None = None

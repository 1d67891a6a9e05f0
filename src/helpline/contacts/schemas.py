from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_NAME_LENGTH = 200
MAX_IDENTITIES = 20
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_SOCIAL_ID = re.compile(r"^[0-9]{1,64}$")


class IdentityKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"


def normalize_phone(value: str, region: str | None = None) -> str:
    """E.164 (``+390612345678``); raises ValueError with a message for a person.

    A number without ``+`` needs ``region`` (an ISO country code such as ``IT``).
    """
    text = value.strip()
    if not text:
        raise ValueError("a phone number may not be empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(
            f"{value!r} is not a phone number (write it in international form, e.g. "
            f"+39 06 1234 5678)"
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{value!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: str) -> str:
    text = value.strip().lower()
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValueError(f"{value!r} is not a valid email address")
    return text


def normalize_social_id(value: str) -> str:
    text = value.strip()
    if not _SOCIAL_ID.match(text):
        raise ValueError(f"{value!r} is not a Facebook or Instagram id (digits only)")
    return text


def normalize_identity(kind: IdentityKind, value: str) -> str:
    if kind is IdentityKind.PHONE:
        return normalize_phone(value)
    if kind is IdentityKind.EMAIL:
        return normalize_email(value)
    return normalize_social_id(value)


def _name(value: str) -> str:
    name = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise ValueError("a name may not contain control characters")
    return name


def _phones(values: list[str]) -> list[str]:
    return list(dict.fromkeys(normalize_phone(v) for v in values))


def _emails(values: list[str]) -> list[str]:
    return list(dict.fromkeys(normalize_email(v) for v in values))


def _social(values: list[str]) -> list[str]:
    return list(dict.fromkeys(normalize_social_id(v) for v in values))


Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH), AfterValidator(_name)]
Phones = Annotated[list[str], Field(max_length=MAX_IDENTITIES), AfterValidator(_phones)]
Emails = Annotated[list[str], Field(max_length=MAX_IDENTITIES), AfterValidator(_emails)]
SocialIds = Annotated[list[str], Field(max_length=MAX_IDENTITIES), AfterValidator(_social)]


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = ""
    phones: Phones = []
    emails: Emails = []
    facebook_ids: SocialIds = []
    instagram_ids: SocialIds = []


class ContactUpdate(BaseModel):
    """Only the fields given change; a list given replaces that kind's identities."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    phones: Phones | None = None
    emails: Emails | None = None
    facebook_ids: SocialIds | None = None
    instagram_ids: SocialIds | None = None


class ContactOut(BaseModel):
    id: int
    name: str
    phones: list[str]
    emails: list[str]
    facebook_ids: list[str]
    instagram_ids: list[str]
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    total: int
    contacts: list[ContactOut]


class HistoryItem(BaseModel):
    """One piece of a contact's history: a conversation now; calls join the same list."""

    kind: str  # "chat" (later "call")
    id: int
    channel: str
    started_at: datetime
    last_activity_at: datetime
    status: str
    queue_id: int | None
    summary: str


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    other_id: int


KIND_FIELDS: dict[IdentityKind, str] = {
    IdentityKind.PHONE: "phones",
    IdentityKind.EMAIL: "emails",
    IdentityKind.FACEBOOK: "facebook_ids",
    IdentityKind.INSTAGRAM: "instagram_ids",
}


def identity_lists(data: Any) -> dict[IdentityKind, list[str] | None]:
    return {kind: getattr(data, field) for kind, field in KIND_FIELDS.items()}

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MAX_NAME_LENGTH = 255

# Combining accents (U+0300–U+036F) that NFC could not merge into a Latin letter.
_COMBINING_ACCENTS = range(0x0300, 0x0370)


def _character_problem(char: str) -> str | None:
    """Why ``char`` may not appear in a pause reason's name, or None if it may."""
    category = unicodedata.category(char)
    if char == " ":
        return None
    if category.startswith("C") or category in ("Zl", "Zp"):
        code = f"U+{ord(char):04X}"
        return f"a pause reason may not contain control or invisible characters ({code})"
    if category.startswith("Z"):
        return "use plain spaces between words"
    if category.startswith("L"):
        if unicodedata.name(char, "").startswith("LATIN "):
            return None
        return f"a pause reason uses Latin letters only: {char!r} is not one"
    if category.startswith("M"):
        if ord(char) in _COMBINING_ACCENTS:
            return None
        return f"a pause reason uses Latin letters only: {char!r} is not one"
    if category == "Nd" and not "0" <= char <= "9":
        return f"a pause reason uses the digits 0-9 only: {char!r} is not one"
    # Digits, periods and other punctuation, symbols.
    return None


def normalize_name(value: str) -> str:
    """NFC, stripped; raises ValueError with a message for a person if not allowed."""
    name = unicodedata.normalize("NFC", value).strip(" ")
    if not name:
        raise ValueError("a pause reason needs a name")
    for char in name:
        problem = _character_problem(char)
        if problem:
            raise ValueError(problem)
    if len(name) > MAX_NAME_LENGTH or len(name_key(name)) > MAX_NAME_LENGTH:
        raise ValueError(f"a pause reason has at most {MAX_NAME_LENGTH} characters")
    return name


def name_key(name: str) -> str:
    """What makes two names the same: case does not count."""
    return name.casefold()


ReasonName = Annotated[str, AfterValidator(normalize_name)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        # Leaving a field out keeps it; null is not a value any field takes.
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None and key in cls.model_fields:
                    raise ValueError(f"{key} may not be null")
        return data


class PauseReasonCreate(_Input):
    name: ReasonName
    enabled: bool = True


class PauseReasonUpdate(_Input):
    """Only the fields given change. ``position`` counts from 0 (the top of the menu)."""

    name: ReasonName | None = None
    enabled: bool | None = None
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None


class PauseReasonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    enabled: bool
    position: int
    created_at: datetime


class PauseReasonList(BaseModel):
    # False when no reason is enabled: agents get "Log in" / "Pause all" buttons instead of
    # the status menu.
    status_menu: bool
    reasons: list[PauseReasonOut]

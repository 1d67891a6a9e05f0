from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500
MIN_PROFICIENCY = 1
MAX_PROFICIENCY = 5

QueueKind = Literal["call", "chat", "campaign"]
Proficiency = Annotated[int, Field(ge=MIN_PROFICIENCY, le=MAX_PROFICIENCY)]
SkillId = Annotated[int, Field(ge=1)]


def _no_control_characters(value: str, what: str) -> str:
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise ValueError(
                f"a skill's {what} may not contain control or invisible characters "
                f"(U+{ord(char):04X})"
            )
    return value


def normalize_name(value: str) -> str:
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        raise ValueError("a skill needs a name")
    _no_control_characters(name, "name")
    if len(name) > MAX_NAME_LENGTH or len(name_key(name)) > MAX_NAME_LENGTH:
        raise ValueError(f"a skill's name has at most {MAX_NAME_LENGTH} characters")
    return name


def normalize_description(value: str) -> str:
    description = unicodedata.normalize("NFC", value).strip()
    # Line breaks are fine in a description; other control characters are not.
    _no_control_characters(description.replace("\r\n", "\n").replace("\n", " "), "description")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise ValueError(f"a skill's description has at most {MAX_DESCRIPTION_LENGTH} characters")
    return description


def name_key(name: str) -> str:
    """What makes two names the same: case does not count."""
    return name.casefold()


SkillName = Annotated[str, AfterValidator(normalize_name)]
Description = Annotated[str, AfterValidator(normalize_description)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _NoNulls(_Input):
    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        # Leaving a field out keeps it; null is not a value these fields take.
        if isinstance(data, dict):
            for key, value in data.items():
                if value is None and key in cls.model_fields:
                    raise ValueError(f"{key} may not be null")
        return data


class SkillCreate(_NoNulls):
    name: SkillName
    description: Description = ""


class SkillUpdate(_NoNulls):
    """Only the fields given change."""

    name: SkillName | None = None
    description: Description | None = None


class SkillOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    created_at: datetime


class AgentSkillIn(_NoNulls):
    skill_id: SkillId
    proficiency: Proficiency


class AgentSkillOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    skill_id: int
    proficiency: int


class AgentSkillsOut(BaseModel):
    user_id: int
    skills: list[AgentSkillOut]


class RequirementIn(_Input):
    """Agents need ``min_proficiency`` in the skill; after the contact has waited
    ``relax_after_seconds``, ``relaxed_min_proficiency`` (lower) is enough."""

    skill_id: SkillId
    min_proficiency: Proficiency
    relax_after_seconds: Annotated[int, Field(ge=0, le=86_400)] | None = None
    relaxed_min_proficiency: Proficiency | None = None

    @model_validator(mode="after")
    def _relaxing(self) -> Self:
        if (self.relax_after_seconds is None) != (self.relaxed_min_proficiency is None):
            raise ValueError(
                "relax_after_seconds and relaxed_min_proficiency are given together or not at all"
            )
        if (
            self.relaxed_min_proficiency is not None
            and self.relaxed_min_proficiency >= self.min_proficiency
        ):
            raise ValueError("relaxed_min_proficiency must be lower than min_proficiency")
        return self


class RequirementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    skill_id: int
    min_proficiency: int
    relax_after_seconds: int | None
    relaxed_min_proficiency: int | None


class QueueRequirementsOut(BaseModel):
    queue_kind: QueueKind
    queue_id: int
    requirements: list[RequirementOut]


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    """A queue's requirement as the distributor reads it."""

    skill_id: int
    min_proficiency: int
    relax_after_seconds: int | None = None
    relaxed_min_proficiency: int | None = None

    def min_proficiency_after(self, waited_seconds: float) -> int:
        """The proficiency an agent needs for a contact that has waited this long."""
        if (
            self.relax_after_seconds is not None
            and self.relaxed_min_proficiency is not None
            and waited_seconds >= self.relax_after_seconds
        ):
            return self.relaxed_min_proficiency
        return self.min_proficiency

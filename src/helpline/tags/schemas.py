"""What a tag looks like to the API, and the rules for its name."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from helpline.i18n import gettext as _

MAX_NAME_LENGTH = 50
# The column holds the case-folded name, which can be longer than the name ("ß" → "ss").
MAX_KEY_LENGTH = 100
MAX_SEARCH_LENGTH = 100

# Line and paragraph separators, control, format (zero-width …), surrogate, private-use and
# unassigned characters: invisible or unprintable in a list of tags.
_FORBIDDEN_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
_SPACES = re.compile(r"\s+")


def normalize_name(value: str) -> str:
    """NFC, trimmed, inner runs of spaces made one; raises ValueError for a person to read.

    A name is 1 to 50 characters of any script, digits, punctuation and symbols.
    """
    name = unicodedata.normalize("NFC", value).strip()
    for char in name:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise ValueError(
                _("A tag's name may not contain control or invisible characters (%(code)s).")
                % {"code": f"U+{ord(char):04X}"}
            )
    name = _SPACES.sub(" ", name)
    if not name:
        raise ValueError(_("A tag needs a name."))
    if len(name) > MAX_NAME_LENGTH or len(name_key(name)) > MAX_KEY_LENGTH:
        raise ValueError(
            _("A tag's name has at most %(limit)d characters (this one has %(count)d).")
            % {"limit": MAX_NAME_LENGTH, "count": len(name)}
        )
    return name


def name_key(name: str) -> str:
    """What makes two names the same: case does not count ("VIP", "vip", "Vip")."""
    return name.casefold()


TagName = Annotated[str, AfterValidator(normalize_name)]


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


class TagCreate(_Input):
    """An organization tag, added by an admin."""

    name: TagName
    enabled: bool = True


class CustomTagCreate(_Input):
    """A custom tag, added by an agent from a conversation: enabled at once."""

    name: TagName


class TagUpdate(_Input):
    """Only the fields given change."""

    name: TagName | None = None
    enabled: bool | None = None


class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    enabled: bool
    # Added by an agent with the "Create custom tags" permission, not by an admin.
    custom: bool = Field(validation_alias="is_custom")
    created_by_user_id: int | None
    created_at: datetime

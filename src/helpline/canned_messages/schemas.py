"""What a canned message looks like to the API, and the rules for its fields.

- **Shortcut**: 1 to 30 letters (of any alphabet), digits, ``-`` and ``_``; no spaces. It
  is unique, regardless of case, among the public messages and among each person's own
  (a personal message may reuse a public shortcut: the personal one comes first).
- **Category**: optional, up to 50 characters on one line.
- **Text**: 1 to 2,000 characters (the longest message Facebook Messenger and Instagram
  take in one piece); line breaks and tabs are kept.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from helpline.i18n import gettext as _

MAX_SHORTCUT_LENGTH = 30
MAX_SHORTCUT_KEY_LENGTH = 50  # the column; a case-folded shortcut can grow ("ß" → "ss")
MAX_CATEGORY_LENGTH = 50
MAX_TEXT_LENGTH = 2000
MAX_QUERY_LENGTH = 100
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SHORTCUT_PUNCTUATION = "-_"

_INVISIBLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
_SPACES = re.compile(r"\s+")


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def normalize_shortcut(value: str) -> str:
    shortcut = unicodedata.normalize("NFC", value).strip()
    if not shortcut:
        raise ValueError(_("A canned message needs a shortcut."))
    for char in shortcut:
        category = unicodedata.category(char)
        if category[0] in "LM" or category == "Nd" or char in SHORTCUT_PUNCTUATION:
            continue
        if category.startswith("Z") or char in "\t\n\r":
            raise ValueError(
                _('A shortcut has no spaces: join the words with "-" or "_" (e.g. "good-morning").')
            )
        if category in _INVISIBLE:
            raise ValueError(
                _("A shortcut may not contain control or invisible characters (%(code)s).")
                % {"code": _code(char)}
            )
        raise ValueError(
            _('A shortcut holds letters, digits, "-" and "_" only: "%(char)s" is not allowed.')
            % {"char": char}
        )
    if len(shortcut) > MAX_SHORTCUT_LENGTH or len(shortcut_key(shortcut)) > MAX_SHORTCUT_KEY_LENGTH:
        raise ValueError(
            _("A shortcut has at most %(limit)d characters (this one has %(count)d).")
            % {"limit": MAX_SHORTCUT_LENGTH, "count": len(shortcut)}
        )
    return shortcut


def shortcut_key(shortcut: str) -> str:
    """What makes two shortcuts the same: case does not count ("Hello", "hello")."""
    return shortcut.casefold()


def normalize_category(value: str) -> str:
    category = unicodedata.normalize("NFC", value).strip()
    for char in category:
        if unicodedata.category(char) in _INVISIBLE:
            raise ValueError(
                _("A category is one line, without control or invisible characters (%(code)s).")
                % {"code": _code(char)}
            )
    category = _SPACES.sub(" ", category)
    if len(category) > MAX_CATEGORY_LENGTH:
        raise ValueError(
            _("A category has at most %(limit)d characters (this one has %(count)d).")
            % {"limit": MAX_CATEGORY_LENGTH, "count": len(category)}
        )
    return category


def normalize_text(value: str) -> str:
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValueError(_("A canned message needs a text."))
    for char in text:
        if char in "\n\t":
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            raise ValueError(
                _("A canned message's text may not contain control characters (%(code)s).")
                % {"code": _code(char)}
            )
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(
            _("A canned message's text has at most %(limit)d characters (this one has %(count)d).")
            % {"limit": MAX_TEXT_LENGTH, "count": len(text)}
        )
    return text


def fold(text: str) -> str:
    """For searching: case and accents do not count ("Café" is found by "cafe")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


Shortcut = Annotated[str, AfterValidator(normalize_shortcut)]
Category = Annotated[str, AfterValidator(normalize_category)]
MessageText = Annotated[str, AfterValidator(normalize_text)]


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


class CannedMessageCreate(_Input):
    shortcut: Shortcut
    category: Category = ""
    text: MessageText
    enabled: bool = True


class CannedMessageUpdate(_Input):
    """Only the fields given change.

    ``public``: true makes a personal message public (needs the right to manage public
    messages); false makes a public message personal: it becomes the message of the
    person who changes it.
    """

    shortcut: Shortcut | None = None
    category: Category | None = None
    text: MessageText | None = None
    enabled: bool | None = None
    public: bool | None = None


class CannedMessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shortcut: str
    category: str
    text: str
    enabled: bool
    public: bool = Field(validation_alias="is_public")
    # The owner of a personal message; null for a public one.
    owner_user_id: int | None
    created_by_user_id: int | None
    created_at: datetime
    updated_at: datetime

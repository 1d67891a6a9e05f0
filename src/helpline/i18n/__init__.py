"""Languages: the gettext catalogs, the current request's locale, and local formatting.

The current locale lives in a context variable set per request, so that templates and
Python code translate without passing it around.
"""

from __future__ import annotations

import gettext as _gettext
from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

# Code → the language's own name, as shown in the language menu.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "it": "Italiano",
    "fr": "Français",
    "pt_BR": "Português (Brasil)",
}
DEFAULT_LANGUAGE = "en"

_current_language: ContextVar[str] = ContextVar("helpline_language", default=DEFAULT_LANGUAGE)
_current_timezone: ContextVar[str] = ContextVar("helpline_timezone", default="UTC")


@cache
def translations(language: str) -> _gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def normalize_language(value: str | None) -> str | None:
    """Map ``pt-BR``, ``pt_br``, ``it-IT`` … to a supported code, or None."""
    if not value:
        return None
    candidate = value.strip().replace("-", "_")
    for code in LANGUAGES:
        if candidate.lower() == code.lower():
            return code
    base = candidate.split("_", 1)[0].lower()
    if base == "pt":
        return "pt_BR"
    return base if base in LANGUAGES else None


def language_from_accept_header(header: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    if not header:
        return default
    weighted: list[tuple[float, str]] = []
    for part in header.split(","):
        pieces = part.strip().split(";q=")
        try:
            weight = float(pieces[1]) if len(pieces) > 1 else 1.0
        except ValueError:
            continue
        code = normalize_language(pieces[0])
        if code:
            weighted.append((weight, code))
    if not weighted:
        return default
    return max(weighted, key=lambda item: item[0])[1]


def set_request_locale(language: str, timezone: str) -> None:
    _current_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    _current_timezone.set(timezone)


def current_language() -> str:
    return _current_language.get()


def gettext(message: str) -> str:
    return translations(_current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current_language.get()).ngettext(singular, plural, n)


def _babel_locale() -> Locale:
    return Locale.parse(_current_language.get())


def format_datetime(value: datetime, format: str = "medium") -> str:
    """A UTC instant shown in the organization's time zone, in the user's locale."""
    return dates.format_datetime(
        value, format=format, tzinfo=ZoneInfo(_current_timezone.get()), locale=_babel_locale()
    )


def format_time(value: datetime, format: str = "short") -> str:
    return dates.format_time(
        value, format=format, tzinfo=ZoneInfo(_current_timezone.get()), locale=_babel_locale()
    )


def format_number(value: float | int) -> str:
    return numbers.format_decimal(value, locale=_babel_locale())


def format_percent(value: float) -> str:
    return numbers.format_percent(value, locale=_babel_locale())

"""Dates, times and numbers follow the user's locale and the organization's time zone."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from helpline import i18n

T = TypeVar("T")

SUMMER = datetime(2026, 7, 14, 16, 30, tzinfo=UTC)  # CEST: UTC+2, São Paulo: UTC-3
WINTER = datetime(2026, 1, 15, 12, 5, tzinfo=UTC)  # CET: UTC+1


def in_locale(language: str, timezone: str, work: Callable[[], T]) -> T:
    """Run ``work`` with the request locale set, without leaking it into other tests."""

    def run() -> T:
        i18n.set_request_locale(language, timezone)
        return work()

    return contextvars.copy_context().run(run)


def test_a_utc_instant_is_shown_in_rome_time_in_italian() -> None:
    assert in_locale("it", "Europe/Rome", lambda: i18n.format_datetime(SUMMER)) == (
        "14 lug 2026, 18:30:00"
    )
    # Winter: Rome is one hour ahead of UTC, not two.
    assert in_locale("it", "Europe/Rome", lambda: i18n.format_time(WINTER)) == "13:05"


def test_french_dates_use_french_month_names_and_the_24_hour_clock() -> None:
    shown = in_locale("fr", "Europe/Paris", lambda: i18n.format_datetime(SUMMER))
    assert shown == "14 juil. 2026, 18:30:00"


def test_brazilian_dates_in_sao_paulo_time() -> None:
    shown = in_locale("pt_BR", "America/Sao_Paulo", lambda: i18n.format_datetime(SUMMER))
    assert shown == "14 de jul. de 2026 13:30:00"
    short = in_locale("pt_BR", "America/Sao_Paulo", lambda: i18n.format_datetime(WINTER, "short"))
    assert short == "15/01/2026 09:05"


def test_the_same_language_in_another_time_zone_moves_the_clock_not_the_words() -> None:
    assert in_locale("it", "UTC", lambda: i18n.format_time(SUMMER)) == "16:30"
    assert in_locale("it", "Asia/Tokyo", lambda: i18n.format_datetime(SUMMER)) == (
        "15 lug 2026, 01:30:00"
    )


def test_english_is_the_default_and_uses_a_12_hour_clock() -> None:
    shown = in_locale("en", "UTC", lambda: i18n.format_time(SUMMER))
    assert shown.replace("\u202f", " ") == "4:30 PM"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1,234,567.891"),
        ("it", "1.234.567,891"),
        ("fr", "1\u202f234\u202f567,891"),
        ("pt_BR", "1.234.567,891"),
    ],
)
def test_numbers_use_the_locale_separators(language: str, expected: str) -> None:
    assert in_locale(language, "UTC", lambda: i18n.format_number(1234567.891)) == expected


def test_percentages_follow_the_locale() -> None:
    assert in_locale("it", "UTC", lambda: i18n.format_percent(0.853)) == "85%"
    assert in_locale("fr", "UTC", lambda: i18n.format_percent(0.853)) == "85\xa0%"


def test_an_unknown_language_falls_back_to_english() -> None:
    assert in_locale("de", "UTC", i18n.current_language) == "en"
    assert in_locale("de", "UTC", lambda: i18n.gettext("Log in")) == "Log in"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("it", "Esci"), ("fr", "Se déconnecter"), ("pt_BR", "Sair"), ("en", "Log out")],
)
def test_python_gettext_follows_the_request_locale(language: str, expected: str) -> None:
    assert in_locale(language, "UTC", lambda: i18n.gettext("Log out")) == expected


def test_placeholders_survive_translation() -> None:
    message = "Too many failed logins. Try again in %(seconds)s seconds."
    for language in ("it", "fr", "pt_BR"):
        text = in_locale(language, "UTC", lambda: i18n.gettext(message)) % {"seconds": 37}
        assert "37" in text
        assert text != message % {"seconds": 37}

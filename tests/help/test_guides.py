"""The user guides: files, pages, the API, and what they promise matches the product."""

from __future__ import annotations

import contextvars
import re
from pathlib import Path

import pytest

from helpline import i18n
from helpline.core.permissions import DEFAULT_MATRIX
from tests.support import Helpline

GUIDES = Path(__file__).resolve().parents[2] / "docs" / "guides"
ROLES = ("agent", "supervisor", "admin")
LANGUAGES = ("en", "it", "fr", "pt_BR")
ON_OFF = {"en": ("On", "Off"), "it": ("Sì", "No"), "fr": ("Oui", "Non"), "pt_BR": ("Sim", "Não")}
TITLES = {
    "en": {"agent": "Agent guide", "supervisor": "Supervisor guide", "admin": "Admin guide"},
    "it": {
        "agent": "Guida per l'agente",
        "supervisor": "Guida per il supervisore",
        "admin": "Guida per l'amministratore",
    },
    "fr": {
        "agent": "Guide de l'agent",
        "supervisor": "Guide du superviseur",
        "admin": "Guide de l'administrateur",
    },
    "pt_BR": {
        "agent": "Guia do agente",
        "supervisor": "Guia do supervisor",
        "admin": "Guia do administrador",
    },
}


def guide_path(language: str, role: str) -> Path:
    return GUIDES / f"{role}.md" if language == "en" else GUIDES / language / f"{role}.md"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_guide_exists_with_a_title_and_the_same_sections(language: str, role: str) -> None:
    text = guide_path(language, role).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == f"# {TITLES[language][role]}"
    english = guide_path("en", role).read_text(encoding="utf-8")
    # A stub or a truncated file is caught; the guides themselves grow with the product,
    # and a translation runs somewhat longer than the English it follows.
    assert len(lines) >= 60
    assert len(lines) <= 1.25 * len(english.splitlines())
    assert text.count("\n## ") == english.count("\n## ")
    assert text.count("\n### ") == english.count("\n### ")
    # No raw HTML: the Help section renders with html disabled.
    assert not re.search(r"<[a-zA-Z/][^>]*>", text.replace("<token>", "").replace("<jeton>", ""))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_guide_states_the_real_permission_defaults(language: str) -> None:
    """Every switch of the matrix, with its label as the app shows it and its default."""
    from helpline.permissions.pages import permission_groups

    def labels() -> list[tuple[str, str, bool]]:
        i18n.set_request_locale(language, "UTC")
        return [
            (group, label, DEFAULT_MATRIX[permission])
            for group, items in permission_groups()
            for permission, label in items
        ]

    text = guide_path(language, "admin").read_text(encoding="utf-8")
    on, off = ON_OFF[language]
    for group, label, default in contextvars.copy_context().run(labels):
        row = f"| {group} | {label} | {on if default else off} |"
        assert row in text, f"the {language} admin guide lacks: {row}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_guides_say_plainly_what_is_coming(language: str) -> None:
    coming = {"en": "Coming", "it": "In arrivo", "fr": "Bientôt", "pt_BR": "Em breve"}[language]
    for role in ROLES:
        assert f"**{coming}" in guide_path(language, role).read_text(encoding="utf-8")


def test_help_lists_the_three_guides_for_every_role(helpline: Helpline) -> None:
    for role in ("agent", "supervisor", "admin"):
        helpline.create_user(f"user-{role}", role)
        response = helpline.login(f"user-{role}").get("/help")
        assert response.status_code == 200
        for guide in ROLES:
            assert f'data-guide="{guide}"' in response.text
            assert f'href="/help/{guide}"' in response.text
        assert "Agent guide" in response.text
        # Only admins get the share form.
        assert ('action="/help/share"' in response.text) is (role == "admin")


def test_the_agent_guide_page(helpline: Helpline) -> None:
    helpline.create_user("anna", "agent")
    response = helpline.login("anna").get("/help/agent")
    assert response.status_code == 200
    assert "<h1>Agent guide</h1>" in response.text
    assert '<article class="card guide" lang="en">' in response.text
    assert "<table>" in response.text  # tables are enabled
    assert "<strong>Coming</strong>" in response.text


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("it", "<h1>Guida per l'agente</h1>"),
        ("fr", "<h1>Guide de l'agent</h1>"),
        ("pt_BR", "<h1>Guia do agente</h1>"),
    ],
)
def test_a_user_gets_the_guide_in_their_language(
    helpline: Helpline, language: str, heading: str
) -> None:
    helpline.create_user("reader", "agent", language=language)
    client = helpline.login("reader")
    response = client.get("/help/agent")
    assert heading in response.text
    assert f'lang="{language.replace("_", "-")}"' in response.text
    index = client.get("/help")
    assert TITLES[language]["supervisor"] in index.text.replace("&#39;", "'")


def test_anonymous_visitors_are_sent_to_the_login_page(helpline: Helpline) -> None:
    for path in ("/help", "/help/agent"):
        response = helpline.client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_api_lists_the_guides(helpline: Helpline) -> None:
    helpline.create_user("anna", "agent", language="fr")
    response = helpline.login("anna").get("/api/v1/help/guides")
    assert response.status_code == 200
    guides = {g["role"]: g for g in response.json()}
    assert set(guides) == set(ROLES)
    assert guides["agent"] == {
        "role": "agent",
        "language": "fr",
        "title": "Guide de l'agent",
        "url": "http://testserver/help/agent",
    }


def test_api_guides_need_a_login(helpline: Helpline) -> None:
    assert helpline.client.get("/api/v1/help/guides").status_code == 401

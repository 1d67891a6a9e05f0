"""Pages render in the user's language: the login page by ?lang= or the browser, the rest
by the language of the account."""

from __future__ import annotations

import html

import pytest

from tests.support import Helpline

LOGIN_HEADINGS = {
    "it": "Accedi a Helpline",
    "fr": "Connexion à Helpline",
    "pt_BR": "Entrar no Helpline",
    "en": "Log in to Helpline",
}


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.text)


@pytest.mark.parametrize("language", ["it", "fr", "pt_BR"])
def test_login_page_in_the_language_of_the_link(helpline: Helpline, language: str) -> None:
    response = helpline.client.get(f"/login?lang={language}")
    assert response.status_code == 200
    assert LOGIN_HEADINGS[language] in response.text
    assert f'<html lang="{language.replace("_", "-")}">' in response.text
    assert "Log in to Helpline" not in response.text


def test_login_page_accepts_a_browser_style_language_code(helpline: Helpline) -> None:
    response = helpline.client.get("/login?lang=pt-BR")
    assert "Entrar no Helpline" in response.text
    assert "Nome de usuário" in response.text


def test_login_page_follows_the_accept_language_header(helpline: Helpline) -> None:
    response = helpline.client.get(
        "/login", headers={"Accept-Language": "de-DE;q=0.9, fr-FR;q=0.95, en;q=0.5"}
    )
    assert "Connexion à Helpline" in response.text
    assert "Mot de passe" in response.text


def test_english_without_any_hint(helpline: Helpline) -> None:
    response = helpline.client.get("/login")
    assert "Log in to Helpline" in response.text
    assert '<html lang="en">' in response.text


def test_a_failed_login_is_explained_in_the_chosen_language(helpline: Helpline) -> None:
    helpline.create_user("maria", "agent")
    helpline.client.get("/login?lang=it")
    token = helpline.client.cookies.get("helpline_csrf")
    assert token
    response = helpline.client.post(
        "/login?lang=it",
        data={"csrf_token": token, "username": "maria", "password": "not her password"},
    )
    assert response.status_code == 401
    assert "Nome utente o password errati." in text_of(response)


def test_account_page_for_a_french_user(helpline: Helpline) -> None:
    helpline.create_user("claire", "agent", language="fr")
    client = helpline.login("claire")
    response = client.get("/account")
    assert response.status_code == 200
    page = text_of(response)
    for expected in ("Mon compte", "Langue de l'interface", "Jetons d'API", "Créer un jeton"):
        assert expected in page
    assert "My account" not in page
    assert '<html lang="fr">' in response.text
    # The layout's navigation comes from Python strings.
    assert "Aide" in page
    assert "Se déconnecter" in page


def test_agent_dashboard_for_an_italian_user(helpline: Helpline) -> None:
    helpline.create_user("giulia", "agent", language="it")
    page = text_of(helpline.login("giulia").get("/agent"))
    assert "Dashboard agente" in page
    assert "Le mie linee" in page
    # The dashboard script's texts are translated on the server too.
    assert '"log_out": "Esci"' in helpline.login("giulia").get("/agent").text


def test_permission_matrix_for_a_brazilian_admin(helpline: Helpline) -> None:
    helpline.create_user("joao", "admin", language="pt_BR")
    page = text_of(helpline.login("joao").get("/admin/permissions"))
    assert "Permitir que usuários entrem em filas às quais não estão atribuídos" in page
    assert "Restaurar os padrões" in page
    assert '<html lang="pt-BR">' in page


def test_changing_the_language_on_the_account_page(helpline: Helpline) -> None:
    helpline.create_user("sam", "supervisor")
    client = helpline.login("sam")
    assert "Supervisor dashboard" in client.get("/supervisor").text
    token = client.cookies.get("helpline_csrf")
    assert token
    response = client.post(
        "/account/language",
        data={"csrf_token": token, "language": "it"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "Dashboard supervisore" in client.get("/supervisor").text


def test_the_user_language_wins_over_the_browser(helpline: Helpline) -> None:
    helpline.create_user("ines", "agent", language="pt_BR")
    client = helpline.login("ines")
    response = client.get("/agent", headers={"Accept-Language": "fr"})
    assert "Painel do agente" in text_of(response)


def test_the_forbidden_page_is_translated(helpline: Helpline) -> None:
    helpline.create_user("luca", "agent", language="it")
    forbidden = helpline.login("luca").get("/admin")
    assert forbidden.status_code == 403
    assert "I tuoi ruoli non ti danno accesso a questa pagina." in text_of(forbidden)


def test_the_not_found_page_is_translated(helpline: Helpline) -> None:
    helpline.create_user("luca", "agent", language="it")
    missing = helpline.login("luca").get("/no-such-page")
    assert missing.status_code == 404
    assert "Non c'è nulla a questo indirizzo." in text_of(missing)

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.prompts import catalog
from tests.prompts.audio import MP3_FILE, sine_wav
from tests.support import Helpline

PAGE = "/admin/prompts"
API = "/api/v1/prompts"
HTMX = {"HX-Request": "true"}


def _browser(helpline: Helpline, username: str) -> TestClient:
    client = helpline.login(username)
    client.follow_redirects = False
    client.get("/login")
    return client


def _upload(
    client: TestClient, path: str, data: bytes, *, name: str = "take.wav", **form: str
) -> Any:
    token = client.cookies.get("helpline_csrf")
    return client.post(
        path,
        data={"csrf_token": token, **form},
        files={"file": (name, data, "audio/wav")},
    )


def _htmx_upload(client: TestClient, path: str, data: bytes, **form: str) -> Any:
    # htmx sends the token in a header (hx-headers on <body>) and the form's fields.
    token = client.cookies.get("helpline_csrf") or ""
    return client.post(
        path,
        data={"csrf_token": token, **form},
        files={"file": ("take.wav", data, "audio/wav")},
        headers={**HTMX, "X-CSRF-Token": token},
    )


def _post(client: TestClient, path: str, **headers: str) -> Any:
    token = client.cookies.get("helpline_csrf")
    return client.post(path, data={"csrf_token": token}, headers=headers)


def _status(client: TestClient, key: str, language: str) -> str:
    status: str = client.get(f"{API}/{key}/{language}").json()["status"]
    return status


@pytest.fixture
def admin(helpline: Helpline) -> TestClient:
    helpline.create_user("boss", "admin")
    return _browser(helpline, "boss")


def _players(html: str) -> list[str]:
    return re.findall(r'<audio controls preload="none" src="([^"]+)"', html)


def test_the_page_has_a_player_for_every_prompt_in_every_language(admin: TestClient) -> None:
    page = admin.get(PAGE)
    assert page.status_code == 200
    html = page.text
    sentences = len(catalog.SENTENCES) + 1  # and the beep
    # Every sentence in 4 languages, and the hold music; the numbers when asked for.
    assert len(_players(html)) == sentences * 4 + 1
    assert "/api/v1/prompts/welcome/pt_BR/audio" in _players(html)
    assert "/api/v1/prompts/beep/it/audio" in _players(html)
    assert "/api/v1/music/default/audio" in _players(html)
    assert 'href="/admin/prompts?numbers=1#numbers"' in html
    assert 'hx-select="#numbers"' in html
    for name in ("English", "Italiano", "Français", "Português (Brasil)"):
        assert f"<th>{name}</th>" in html
    # What the default prompt says, beside its player.
    assert "Merci de votre appel." in html
    assert 'id="prompt-callback_offer-it"' in html
    assert "Replace" in html
    # Nothing is custom yet: no reset button for prompts.
    assert 'data-testid="reset"' not in html
    assert 'hx-encoding="multipart/form-data"' in html
    assert 'data-max-bytes="20971520"' in html
    assert "/static/prompts.js" in html
    assert admin.get("/static/prompts.js").status_code == 200

    everything = admin.get(f"{PAGE}?numbers=1").text
    assert len(_players(everything)) == len(catalog.PROMPT_KEYS) * 4 + 1
    assert "/api/v1/prompts/n99/fr/audio" in _players(everything)
    assert 'data-testid="numbers-table"' in everything


def test_a_replaced_number_comes_back_to_the_numbers(admin: TestClient) -> None:
    response = _upload(admin, f"{PAGE}/n42/fr", sine_wav(seconds=0.3))
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?done=replaced&numbers=1#prompt-n42-fr"
    assert 'data-status="custom"' in _cell(
        admin.get(response.headers["location"]).text, "n42", "fr"
    )


def test_the_admin_portal_links_to_the_page(admin: TestClient) -> None:
    assert 'href="/admin/prompts"' in admin.get("/admin").text


def test_replace_and_reset_with_plain_forms(admin: TestClient) -> None:
    response = _upload(admin, f"{PAGE}/welcome/it", sine_wav(rate=44100, channels=2))
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?done=replaced#prompt-welcome-it"
    assert _status(admin, "welcome", "it") == "custom"
    page = admin.get(response.headers["location"])
    assert "The prompt was replaced." in page.text
    cell = _cell(page.text, "welcome", "it")
    assert 'data-status="custom"' in cell
    assert "take.wav" in cell
    assert 'data-testid="reset"' in cell
    assert "hx-confirm" in cell

    reset = _post(admin, f"{PAGE}/welcome/it/reset")
    assert reset.status_code == 303
    assert _status(admin, "welcome", "it") == "default"
    assert "The prompt is back to the default." in admin.get(reset.headers["location"]).text


def _cell(html: str, key: str, language: str) -> str:
    start = html.index(f'id="prompt-{key}-{language}"')
    return html[start : html.index("</td>", start)]


def test_htmx_upload_swaps_the_cell(admin: TestClient) -> None:
    response = _htmx_upload(admin, f"{PAGE}/closed/fr", sine_wav(seconds=0.5))
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<td id="prompt-closed-fr"')
    assert "<html" not in html
    assert 'data-status="custom"' in html
    assert "The prompt was replaced." in html
    assert "<audio controls" in html
    assert re.search(r'src="/api/v1/prompts/closed/fr/audio\?v=\d+"', html)

    reset = _post(admin, f"{PAGE}/closed/fr/reset", **HTMX)
    assert reset.status_code == 200
    assert 'data-status="default"' in reset.text
    assert "The prompt is back to the default." in reset.text


def test_a_refused_file_shows_the_reason_in_the_cell_and_keeps_the_prompt(
    admin: TestClient,
) -> None:
    _htmx_upload(admin, f"{PAGE}/goodbye/en", sine_wav(seconds=0.3))
    before = admin.get(f"{API}/goodbye/en/audio").content
    response = _htmx_upload(admin, f"{PAGE}/goodbye/en", MP3_FILE)
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<td id="prompt-goodbye-en"')
    assert "not a WAV file" in response.text
    assert 'role="alert"' in response.text
    # The cell still shows the upload that plays.
    assert 'data-status="custom"' in response.text
    assert admin.get(f"{API}/goodbye/en/audio").content == before


def test_a_refused_file_without_htmx_shows_the_page_with_the_reason(admin: TestClient) -> None:
    response = _upload(admin, f"{PAGE}/goodbye/en", b"not audio at all", name="notes.txt")
    assert response.status_code == 422
    assert 'data-testid="errors"' in response.text
    assert "not a WAV file" in response.text
    assert _status(admin, "goodbye", "en") == "default"


def test_an_empty_file_input_asks_for_a_file(admin: TestClient) -> None:
    response = _upload(admin, f"{PAGE}/goodbye/en", b"", name="")
    assert response.status_code == 422
    assert "Choose a WAV file to upload." in response.text


def test_unknown_prompts_answer_not_found(admin: TestClient) -> None:
    assert _upload(admin, f"{PAGE}/nope/en", sine_wav(seconds=0.1)).status_code == 404
    assert _post(admin, f"{PAGE}/welcome/xx/reset").status_code == 404
    assert _post(admin, f"{PAGE}/music/nope/delete").status_code == 404


def test_hold_music_section(admin: TestClient) -> None:
    page = admin.get(PAGE).text
    assert 'id="hold-music"' in page
    assert "Hold music (site default)" in page
    assert 'data-testid="reset-music"' not in page

    site = _upload(admin, f"{PAGE}/music", sine_wav(seconds=1), name="lounge.wav", key="default")
    assert site.status_code == 303
    assert site.headers["location"] == f"{PAGE}?done=music_uploaded#hold-music"
    added = _htmx_upload(admin, f"{PAGE}/music", sine_wav(seconds=1), key="jazz-loop")
    assert added.status_code == 200
    assert added.text.lstrip().startswith('<section class="card" id="hold-music"')
    assert 'id="music-jazz-loop"' in added.text
    assert "The music was uploaded." in added.text
    assert 'data-testid="reset-music"' in added.text
    assert 'data-testid="delete-music"' in added.text

    bad = _htmx_upload(admin, f"{PAGE}/music", sine_wav(seconds=1), key="no spaces")
    assert bad.status_code == 422
    assert "is not a music name" in bad.text
    # A forgotten name never replaces the site's hold music.
    unnamed = _htmx_upload(admin, f"{PAGE}/music", sine_wav(seconds=1), key="")
    assert unnamed.status_code == 422
    assert "is not a music name" in unnamed.text

    deleted = _post(admin, f"{PAGE}/music/jazz-loop/delete", **HTMX)
    assert deleted.status_code == 200
    assert 'id="music-jazz-loop"' not in deleted.text
    assert "The music was deleted." in deleted.text
    reset = _post(admin, f"{PAGE}/music/default/delete")
    assert reset.status_code == 303
    assert "The hold music is back to the default." in admin.get(reset.headers["location"]).text
    music = admin.get("/api/v1/music").json()["music"]
    assert [(m["key"], m["status"]) for m in music] == [("default", "default")]


def test_viewers_listen_but_cannot_change(helpline: Helpline, admin: TestClient) -> None:
    helpline.create_user("sue", "supervisor")
    admin.patch("/api/v1/permissions", json={"supervisor.access_config_portal": True})
    sue = _browser(helpline, "sue")
    page = sue.get(PAGE)
    assert page.status_code == 200
    assert "<audio controls" in page.text
    assert "Replace" not in page.text
    assert 'type="file"' not in page.text
    assert _upload(sue, f"{PAGE}/welcome/en", sine_wav(seconds=0.1)).status_code == 403


def test_the_page_is_translated(helpline: Helpline) -> None:
    helpline.create_user("capo", "admin", language="it")
    capo = _browser(helpline, "capo")
    html = capo.get(PAGE).text
    assert '<html lang="it">' in html
    # Decimal comma in durations.
    assert re.search(r"\d,\d s", html)

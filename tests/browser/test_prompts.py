"""The Prompts page in a real browser: players that play, htmx uploads, inline errors."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD
from tests.browser.test_foundation import log_in
from tests.prompts.audio import MP3_FILE, sine_wav

pytestmark = pytest.mark.browser

CELL = "#prompt-welcome-it"

# The media duration the browser reads from the WAV the server streams.
DURATION_JS = """audio => new Promise((resolve, reject) => {
  audio.addEventListener("loadedmetadata", () => resolve(audio.duration), {once: true});
  audio.addEventListener("error", () => reject(new Error("cannot load")), {once: true});
  audio.preload = "metadata";
  audio.load();
})"""


def _choose(page: Any, selector: str, name: str, data: bytes) -> None:
    page.locator(f"{selector} input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "audio/wav", "buffer": data}]
    )


def test_admin_replaces_listens_to_and_resets_a_prompt(page: Any) -> None:
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/admin")
    page.get_by_role("link", name="Prompts and hold music").click()
    expect(page.get_by_role("heading", name="Prompts and hold music", level=1)).to_be_visible()
    cell = page.locator(CELL)
    expect(cell).to_have_attribute("data-status", "default")
    shipped = cell.locator("audio").evaluate(DURATION_JS)
    assert 2 < shipped < 10

    # Choosing a file uploads it at once; the cell is swapped in place.
    _choose(page, CELL, "benvenuto.wav", sine_wav(seconds=1.5, rate=44100, channels=2))
    expect(cell).to_have_attribute("data-status", "custom")
    expect(cell).to_contain_text("The prompt was replaced.")
    expect(cell).to_contain_text("benvenuto.wav")
    assert cell.locator("audio").evaluate(DURATION_JS) == pytest.approx(1.5, abs=0.05)

    # A file that is not a WAV: the reason shows in the cell, the upload keeps playing.
    _choose(page, CELL, "song.mp3", MP3_FILE)
    expect(cell.get_by_role("alert")).to_contain_text("not a WAV file")
    expect(cell).to_have_attribute("data-status", "custom")

    page.once("dialog", lambda dialog: dialog.accept())
    cell.get_by_role("button", name="Reset to default").click()
    expect(cell).to_have_attribute("data-status", "default")
    expect(cell).to_contain_text("The prompt is back to the default.")

    # The numbers load when asked for.
    expect(page.locator("#prompt-n42-fr")).to_have_count(0)
    page.get_by_test_id("show-numbers").click()
    expect(page.locator("#prompt-n42-fr audio")).to_have_count(1)
    assert 0.3 < page.locator("#prompt-n42-fr audio").evaluate(DURATION_JS) < 2


def test_admin_adds_and_deletes_hold_music(page: Any) -> None:
    log_in(page, "admin", ADMIN_PASSWORD)
    page.goto("/admin/prompts")
    section = page.locator("#hold-music")
    section.get_by_role("textbox", name="Name").fill("lobby")
    _choose(page, "#hold-music form.inline-form", "lobby.wav", sine_wav(seconds=2, rate=48000))
    section.get_by_test_id("add-music").click()
    row = page.locator("#music-lobby")
    expect(row).to_contain_text("lobby.wav")
    assert row.locator("audio").evaluate(DURATION_JS) == pytest.approx(2, abs=0.05)

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("delete-music").click()
    expect(page.locator("#music-lobby")).to_have_count(0)
    expect(page.locator("#hold-music")).to_contain_text("The music was deleted.")

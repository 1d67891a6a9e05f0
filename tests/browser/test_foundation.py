"""The foundation, through a real browser: logging in and out, users, sections, languages.

Also saves the README's screenshots (``docs/images/*.png``, 1280×720).
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
AGENT_PASSWORD = "agent-browser-pass"


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def log_out(page: Any) -> None:
    page.locator("header.topbar").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("nav a[data-section]")).to_have_count(0)


@pytest.fixture
def make_agent(playwright: Any, base_url: str) -> Any:
    """Create an agent through the REST API as the admin (faster than the form)."""
    api = playwright.request.new_context(base_url=base_url)

    def make(username: str, display_name: str, extension: str) -> None:
        response = api.post(
            "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert response.ok, response.text()
        response = api.post(
            "/api/v1/users",
            data={
                "username": username,
                "display_name": display_name,
                "password": AGENT_PASSWORD,
                "roles": ["agent"],
                "lines": [{"extension": extension}],
            },
        )
        assert response.status == 201, response.text()

    yield make
    api.dispose()


def create_agent(
    page: Any, username: str, display_name: str, extension: str, *, screenshot: Path | None = None
) -> None:
    """As the logged-in admin: Admin → Users → + Add user → Save; the list shows the user."""
    page.locator("nav a[data-section=admin]").click()
    expect(page.get_by_test_id("admin-heading")).to_be_visible()
    page.locator("main a.card[href='/admin/users']").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    page.get_by_test_id("new-user").click()
    expect(page).to_have_url(re.compile(r"/admin/users/new$"))
    form = page.locator("main form.stack")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=display_name]").fill(display_name)
    form.locator("input[name=email]").fill(f"{username}@example.org")
    form.locator("input[name=password]").fill(AGENT_PASSWORD)
    form.locator("input[name=roles][value=agent]").check()
    form.locator("textarea[name=lines]").fill(extension)
    form.locator("select[name=language]").select_option("en")
    form.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/admin/users\?created=\d+$"))
    row = page.get_by_test_id("users-table").locator("tbody tr", has_text=username)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(display_name)
    expect(row.locator("td").nth(2)).to_have_text("Agent")
    expect(row.locator("td").nth(3)).to_have_text(extension.split()[0])
    expect(row.locator("td").nth(4)).to_have_text("Active")
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))


def test_admin_creates_an_agent_who_sees_only_the_agent_section(page: Any) -> None:
    log_in(page, "admin", ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_test_id("admin-heading")).to_be_visible()
    create_agent(
        page,
        "mrossi",
        "Maria Rossi",
        "201 Front desk",
        screenshot=IMAGES / "admin-users.png",
    )
    log_out(page)

    log_in(page, "mrossi", AGENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/agent$"))
    expect(page.get_by_test_id("agent-heading")).to_have_text("Agent dashboard")
    nav = page.locator("header.topbar nav")
    expect(nav.locator("a[data-section=agent]")).to_have_attribute("aria-current", "page")
    expect(nav.locator("a[data-section=help]")).to_have_count(1)
    for hidden in ("admin", "supervisor", "analytics"):
        expect(nav.locator(f"a[data-section={hidden}]")).to_have_count(0)
    expect(page.get_by_test_id("account-link")).to_have_text("Maria Rossi")
    expect(page.locator("main")).to_contain_text("201")
    expect(page.locator("main")).to_contain_text("Front desk")
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / "agent-dashboard.png"))


def test_an_agent_is_refused_the_admin_pages(page: Any, make_agent: Any) -> None:
    make_agent("lverdi", "Luca Verdi", "203")
    log_in(page, "lverdi", AGENT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/agent$"))
    response = page.goto("/admin")
    assert response is not None
    assert response.status == 403
    expect(page.locator("main h1")).to_have_text("Not allowed")
    expect(page.get_by_test_id("admin-heading")).to_have_count(0)
    expect(page.locator("nav a[data-section=admin]")).to_have_count(0)
    response = page.goto("/admin/users")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_test_id("users-table")).to_have_count(0)


def test_a_wrong_password_shows_the_error_on_the_login_page(page: Any) -> None:
    log_in(page, "admin", "not-the-password")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    # The user name is kept, the password is not.
    expect(page.locator("input[name=username]")).to_have_value("admin")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.locator("nav a[data-section]")).to_have_count(0)


def test_logging_in_returns_to_the_page_asked_for(page: Any) -> None:
    page.goto("/admin/users")
    expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)admin(/|%2F)users$"))
    expect(page.locator("input[name=next]")).to_have_value("/admin/users")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_test_id("users-table")).to_be_visible()


def _italian_catalog() -> gettext.GNUTranslations:
    """The app's own Italian catalog: the test expects its words, whatever they are."""
    from helpline import i18n

    catalog = gettext.translation(i18n.DOMAIN, localedir=i18n.LOCALE_DIR, languages=["it"])
    assert isinstance(catalog, gettext.GNUTranslations)
    return catalog


def test_an_agent_switches_the_interface_to_italian(page: Any, make_agent: Any) -> None:
    make_agent("gbianchi", "Giulia Bianchi", "202")

    log_in(page, "gbianchi", AGENT_PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("account-link").click()
    expect(page).to_have_url(re.compile(r"/account$"))
    language_form = page.locator("form[action='/account/language']")
    language_form.locator("select[name=language]").select_option(label="Italiano")
    language_form.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/account$"))

    page.goto("/agent")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "it")
    page.goto("/account")
    expect(page.locator("select[name=language] option:checked")).to_have_text("Italiano")

    catalog = _italian_catalog()
    page.goto("/agent")
    nav = page.locator("header.topbar nav")
    for key, english in (("agent", "Agent"), ("help", "Help")):
        italian = catalog.gettext(english)
        assert italian != english, f"the Italian catalog leaves {english!r} untranslated"
        expect(nav.locator(f"a[data-section={key}]")).to_have_text(italian)
    expect(page.locator("header.topbar button")).to_have_text(catalog.gettext("Log out"))
    expect(page.get_by_test_id("agent-heading")).to_have_text(catalog.gettext("Agent dashboard"))

"""The live ACD through real browsers: an admin, agents and a supervisor, each in their own
browser profile (own cookies), on the same ``helpline serve``.

The issue's acceptance test: an admin creates a queue and a pause reason; an agent logs in,
goes Ready, pauses with that reason; a supervisor sees it live and logs the agent out; a
contact created through the API is offered to the right agent, who accepts it and goes
through wrap-up. Nothing is reloaded once a dashboard is open: every change arrives over
the WebSocket.

Also saves ``docs/images/supervisor-queue.png`` and ``docs/images/agent-offer.png``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, ADMIN_PASSWORD, VIEWPORT

pytestmark = pytest.mark.browser

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
PASSWORD = "acd-browser-pass"
CALLER_ID = "+390612345678"
QUEUE_NAME = "Front desk"
OTHER_QUEUE_NAME = "Back office"
PAUSE_REASON = "Coffee"
OUTCOMES = "Abandoned / expired / handled"
# Set on a dashboard once it is open; a reload would wipe it.
NO_RELOAD_MARK = "window.__acdTestNoReload"


@dataclass
class Person:
    """One user in their own browser profile, with the page errors it saw."""

    context: Any
    page: Any
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.page.goto(path)
        self.mark()

    def mark(self) -> None:
        self.page.evaluate(f"{NO_RELOAD_MARK} = true")

    def assert_not_reloaded(self) -> None:
        assert self.page.evaluate(NO_RELOAD_MARK) is True, f"{self.page.url} was reloaded"


@pytest.fixture
def person(browser: Any, base_url: str) -> Iterator[Callable[[], Person]]:
    """A factory of fresh browser profiles (no cookies), English, 1280×720."""
    contexts: list[Any] = []

    def make() -> Person:
        context = browser.new_context(
            base_url=base_url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC"
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        someone = Person(context, page)
        page.on("pageerror", lambda error: someone.errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: console_error(someone, message))
        return someone

    yield make
    for context in contexts:
        context.close()


def console_error(someone: Person, message: Any) -> None:
    # No page links a favicon, so Chromium asks for /favicon.ico and logs its 404.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        someone.errors.append(f"{someone.page.url}: console: {message.text}")


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def api_create_user(api: Any, username: str, display_name: str, roles: list[str], ext: str) -> int:
    response = api.post(
        "/api/v1/users",
        data={
            "username": username,
            "display_name": display_name,
            "password": PASSWORD,
            "roles": roles,
            "lines": [{"extension": ext}] if ext else [],
        },
    )
    assert response.status == 201, response.text()
    user_id: int = response.json()["id"]
    return user_id


def metric(card: Any, label: str) -> Any:
    """The value (``dd``) of a queue card's metric, by its label (``dt``)."""
    return card.locator(f"dt:text-is('{label}') + dd")


# ---------------------------------------------------------------------- the admin


def admin_creates_the_queue(page: Any) -> int:
    """Admin → Call queues → add; then the settings: wrap-up 45 s, agents may end it."""
    page.goto("/admin/call-queues")
    add = page.get_by_test_id("add-queue")
    add.locator("input[name=name]").fill(QUEUE_NAME)
    add.locator("input[name=extension]").fill("560")
    add.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/admin/call-queues/\d+\?created=1$"))
    match = re.search(r"/admin/call-queues/(\d+)", page.url)
    assert match is not None
    queue_id = int(match.group(1))
    expect(page.locator("main h1")).to_contain_text(QUEUE_NAME)

    settings = page.get_by_test_id("queue-settings")
    settings.locator("input[name=wrap_up_seconds]").fill("45")
    settings.locator("input[name=agents_can_end_wrap_up]").check()
    # Room for a slow machine between the offer and the click on Accept.
    settings.locator("input[name=offer_timeout_seconds]").fill("120")
    settings.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/admin/call-queues/{queue_id}\?saved=1$"))
    expect(page.get_by_role("alert")).to_have_count(0)
    settings = page.get_by_test_id("queue-settings")
    expect(settings.locator("input[name=wrap_up_seconds]")).to_have_value("45")
    expect(settings.locator("input[name=agents_can_end_wrap_up]")).to_be_checked()
    expect(settings.locator("input[name=offer_timeout_seconds]")).to_have_value("120")
    return queue_id


def admin_creates_the_pause_reason(page: Any) -> None:
    page.goto("/admin/pause-reasons")
    page.locator("main form input[name=name]").fill(PAUSE_REASON)
    page.get_by_test_id("new-reason").click()
    expect(page).to_have_url(re.compile(r"/admin/pause-reasons\?done=created$"))
    row = page.get_by_test_id("pause-reasons-table").locator("tbody tr", has_text=PAUSE_REASON)
    expect(row).to_have_count(1)
    expect(row.get_by_role("button", name="On")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("no-status-menu")).to_have_count(0)


def admin_assigns_the_team(page: Any, queue_id: int, agent_id: int, supervisor_id: int) -> None:
    page.goto(f"/admin/call-queues/{queue_id}")
    team = page.get_by_test_id("queue-team")
    team.locator(f"input[name=agents][value='{agent_id}']").check()
    team.locator(f"input[name=supervisors][value='{supervisor_id}']").check()
    team.get_by_role("button", name="Assign").click()
    expect(page).to_have_url(re.compile(rf"/admin/call-queues/{queue_id}\?saved=1$"))
    team = page.get_by_test_id("queue-team")
    expect(team.locator(f"input[name=agents][value='{agent_id}']")).to_be_checked()
    expect(team.locator(f"input[name=supervisors][value='{supervisor_id}']")).to_be_checked()
    expect(team.locator("input[name=agents]:checked")).to_have_count(1)


# ---------------------------------------------------------------------- the agent


def log_into_queues(page: Any, queue_key: str) -> None:
    """The Log in dialog lists the agent's queues, ticked; Log in sends them."""
    page.get_by_test_id("login-open").click()
    dialog = page.get_by_test_id("login-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("input[name=queue]")).to_have_count(1)
    expect(dialog.locator(f"input[name=queue][value='{queue_key}']")).to_be_checked()
    page.get_by_test_id("login-submit").click()
    expect(dialog).to_be_hidden()


def test_a_queue_from_setup_to_a_handled_call(person: Callable[[], Person]) -> None:
    admin, agent, supervisor, other = person(), person(), person(), person()

    # 1. The admin logs in through the form; users come through the API (admin's session).
    log_in(admin.page, "admin", ADMIN_PASSWORD)
    expect(admin.page).to_have_url(re.compile(r"/admin$"))
    api = admin.context.request
    agent_id = api_create_user(api, "acd-anna", "Anna Agent", ["agent"], "241")
    other_id = api_create_user(api, "acd-omar", "Omar Other", ["agent"], "242")
    supervisor_id = api_create_user(api, "acd-sara", "Sara Supervisor", ["supervisor"], "")

    queue_id = admin_creates_the_queue(admin.page)
    queue_key = f"call:{queue_id}"
    admin_creates_the_pause_reason(admin.page)
    admin_assigns_the_team(admin.page, queue_id, agent_id, supervisor_id)

    # Omar works another queue (set up through the API): idle, ready, but not in ours.
    response = api.post("/api/v1/call-queues", data={"name": OTHER_QUEUE_NAME, "extension": "561"})
    assert response.status == 201, response.text()
    other_key = f"call:{response.json()['id']}"
    response = api.put(
        f"/api/v1/call-queues/{response.json()['id']}/assignments",
        data={"agents": [other_id], "supervisors": []},
    )
    assert response.ok, response.text()

    # 2. Anna opens her dashboard: the new queue's card (the router has her membership).
    log_in(agent.page, "acd-anna", PASSWORD)
    expect(agent.page).to_have_url(re.compile(r"/agent$"))
    agent.mark()
    pill = agent.page.locator("#my-status")
    card = agent.page.locator(f"[data-testid=queue-cards] .queue-card[data-queue='{queue_key}']")
    expect(card).to_be_visible()
    expect(card.locator("h3")).to_have_text(QUEUE_NAME)
    expect(card.locator(".my-queue-status")).to_contain_text("My status: Logged out")
    expect(pill).to_have_attribute("data-status", "logged_out")
    expect(agent.page.get_by_test_id("queue-cards").locator(".queue-card")).to_have_count(1)

    # The supervisor watches the queue from before Anna logs in.
    log_in(supervisor.page, "acd-sara", PASSWORD)
    expect(supervisor.page).to_have_url(re.compile(r"/supervisor$"))
    supervisor.open(f"/supervisor/queues/{queue_key}")
    expect(supervisor.page.locator("#queue-name")).to_have_text(QUEUE_NAME)
    row = supervisor.page.get_by_test_id("agents-table").locator(f"tr[data-agent='{agent_id}']")
    status = row.get_by_test_id("agent-status")
    expect(row).to_contain_text("Anna Agent")
    expect(status).to_have_text("Logged out")
    expect(row.get_by_test_id("agent-login")).to_be_visible()
    detail_card = supervisor.page.locator("#queue-card")

    log_into_queues(agent.page, queue_key)
    expect(pill).to_have_attribute("data-status", "ready")
    expect(pill).to_contain_text("Ready")
    expect(card.locator(".my-queue-status")).to_contain_text("My status: Logged in")
    expect(metric(card, "Agents logged in")).to_have_text("1")
    # … and the supervisor sees it without reloading.
    expect(status).to_have_text("Ready")
    expect(row).to_contain_text("241")  # the line of this session
    expect(metric(detail_card, "Agents logged in")).to_have_text("1")

    # Anna pauses with the admin's reason, from the status menu.
    menu = agent.page.get_by_test_id("status-menu")
    expect(menu.locator(f"option[value='pause:{PAUSE_REASON}']")).to_have_count(1)
    menu.select_option(f"pause:{PAUSE_REASON}")
    expect(pill).to_have_attribute("data-status", "paused")
    expect(pill).to_contain_text(f"Paused · {PAUSE_REASON}")

    # 3. The supervisor sees the pause live, then logs Anna out of the queue.
    expect(status).to_have_text(f"Paused · {PAUSE_REASON}")
    row.get_by_test_id("agent-logout").click()
    expect(status).to_have_text("Logged out")
    expect(row.get_by_test_id("agent-login")).to_be_visible()
    expect(metric(detail_card, "Agents logged in")).to_have_text("0")
    expect(supervisor.page.locator("#supervisor-error")).to_be_hidden()
    # Anna's dashboard shows she is out of the queue, live.
    expect(card.locator(".my-queue-status")).to_contain_text("My status: Logged out")
    expect(metric(card, "Agents logged in")).to_have_text("0")

    # Omar logs into his own queue and goes ready before Anna: he is the longest idle, so
    # a router that ignored queue membership would offer him the call.
    log_in(other.page, "acd-omar", PASSWORD)
    expect(other.page).to_have_url(re.compile(r"/agent$"))
    other.mark()
    other_card = other.page.locator(f".queue-card[data-queue='{other_key}']")
    expect(other_card).to_be_visible()
    expect(other.page.locator(f".queue-card[data-queue='{queue_key}']")).to_have_count(0)
    log_into_queues(other.page, other_key)
    expect(other.page.locator("#my-status")).to_have_attribute("data-status", "ready")

    # 4. Anna logs in again and goes Ready.
    log_into_queues(agent.page, queue_key)
    expect(card.locator(".my-queue-status")).to_contain_text("My status: Logged in")
    menu.select_option("ready")
    expect(pill).to_have_attribute("data-status", "ready")
    expect(status).to_have_text("Ready")

    # A contact comes in through the API: offered to Anna, live.
    response = api.post(
        "/api/v1/acd/contacts", data={"queue_id": queue_key, "caller_id": CALLER_ID}
    )
    assert response.status == 201, response.text()
    contact_id = response.json()["contact_id"]
    offer = agent.page.get_by_test_id("offer")
    expect(offer).to_be_visible()
    expect(offer.locator("#offer-title")).to_have_text("Inbound call")
    expect(offer.locator("#offer-queue")).to_have_text(QUEUE_NAME)
    expect(offer.locator("#offer-caller")).to_have_text(CALLER_ID)
    expect(agent.page).to_have_title(re.compile(r"^\(1\) "))
    waiting = supervisor.page.get_by_test_id("waiting-table").locator("tbody tr")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text(CALLER_ID)
    expect(waiting).to_contain_text("Being offered")
    expect(metric(detail_card, "Waiting")).to_have_text("1")
    view = api.get(f"/api/v1/acd/queues/{queue_key}")
    assert view.ok, view.text()
    assert [(w["contact_id"], w["state"]) for w in view.json()["waiting"]] == [
        (contact_id, "offered")
    ]
    IMAGES.mkdir(parents=True, exist_ok=True)
    agent.page.screenshot(path=str(IMAGES / "agent-offer.png"))
    supervisor.page.screenshot(path=str(IMAGES / "supervisor-queue.png"))
    # Omar, ready in another queue, is offered nothing.
    expect(other.page.get_by_test_id("offer")).to_be_hidden()
    expect(other.page.locator("#my-status")).to_have_attribute("data-status", "ready")

    # Anna accepts, talks, ends, wraps up and ends the wrap-up early.
    agent.page.get_by_test_id("offer-accept").click()
    expect(pill).to_have_attribute("data-status", "busy")
    expect(offer).to_be_hidden()
    contact_row = agent.page.locator("#work-rows tr")
    expect(contact_row).to_have_count(1)
    expect(contact_row).to_contain_text(CALLER_ID)
    expect(contact_row).to_contain_text("Connected")
    expect(status).to_have_text("Busy")
    expect(waiting).to_have_count(0)
    agent.page.get_by_test_id("contact-end").click()
    expect(pill).to_have_attribute("data-status", "wrap_up")
    expect(contact_row).to_contain_text("Wrap-up")
    expect(status).to_have_text("Wrap-up")
    expect(row.get_by_test_id("agent-end-wrap-up")).to_be_visible()
    agent.page.get_by_test_id("wrap-up-end").click()
    expect(pill).to_have_attribute("data-status", "ready")
    expect(agent.page.locator("#work")).to_be_hidden()
    expect(status).to_have_text("Ready")

    # The supervisor's card counts the call, live; so does Anna's.
    expect(metric(detail_card, OUTCOMES)).to_have_text("0 / 0 / 1")
    expect(metric(detail_card, "Total today")).to_have_text("1")
    expect(metric(detail_card, "Waiting")).to_have_text("0")
    expect(metric(card, OUTCOMES)).to_have_text("0 / 0 / 1")
    expect(metric(other_card, OUTCOMES)).to_have_text("0 / 0 / 0")
    view = api.get(f"/api/v1/acd/queues/{queue_key}")
    assert view.ok, view.text()
    assert view.json()["card"]["handled"] == 1
    # The supervisor's overview shows the same card.
    overview = supervisor.context.new_page()
    overview.goto("/supervisor")
    overview_card = overview.locator(f".queue-card[data-queue='{queue_key}']")
    expect(metric(overview_card, OUTCOMES)).to_have_text("0 / 0 / 1")

    for someone in (agent, supervisor, other):
        someone.assert_not_reloaded()
    for someone in (agent, other):
        expect(someone.page.locator("#agent-error")).to_be_hidden()
    expect(supervisor.page.locator("#supervisor-error")).to_be_hidden()
    errors = [e for someone in (admin, agent, supervisor, other) for e in someone.errors]
    assert errors == []

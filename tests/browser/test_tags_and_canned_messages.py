"""Tags and canned messages in a real browser: the admin adds them, an agent gets them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN_PASSWORD
from tests.browser.test_foundation import log_in

pytestmark = pytest.mark.browser

AGENT = "tagsagent"
AGENT_PASSWORD = "tags-agent-browser-pass"


@pytest.fixture
def agent_account(playwright: Any, base_url: str) -> Iterator[None]:
    """An agent made through the REST API as the admin (the foundation tests cover the form)."""
    api = playwright.request.new_context(base_url=base_url)
    response = api.post(
        "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.ok, response.text()
    response = api.post(
        "/api/v1/users",
        data={
            "username": AGENT,
            "display_name": "Tess Agent",
            "password": AGENT_PASSWORD,
            "roles": ["agent"],
            "lines": [{"extension": "271"}],
        },
    )
    assert response.status == 201, response.text()
    yield
    api.dispose()


def test_admin_adds_a_tag_and_a_public_message_and_an_agent_gets_them(
    browser: Any, context: Any, base_url: str, agent_account: None
) -> None:
    admin = context.new_page()
    log_in(admin, "admin", ADMIN_PASSWORD)

    # Admin → Tags: add two, disable one.
    admin.goto("/admin")
    admin.locator("main a.card[href='/admin/tags']").click()
    expect(admin.get_by_role("heading", name="Tags", level=1)).to_be_visible()
    for name in ("Warranty claim", "Spring sale"):
        admin.get_by_test_id("new-tag-name").fill(name)
        admin.get_by_test_id("new-tag").click()
        expect(admin.get_by_role("status")).to_have_text("The tag was added.")
    table = admin.get_by_test_id("tags-table")
    expect(table.locator("tr", has_text="Warranty claim")).to_have_count(1)
    # A duplicate in another case is explained, and not added.
    admin.get_by_test_id("new-tag-name").fill("warranty CLAIM")
    admin.get_by_test_id("new-tag").click()
    expect(admin.get_by_test_id("errors")).to_contain_text(
        'There is already a tag named "Warranty claim".'
    )
    expect(table.locator("tr", has_text=re.compile("warranty", re.I))).to_have_count(1)
    spring = table.locator("tr", has_text="Spring sale")
    spring.get_by_role("button", name="On").click()
    expect(admin.get_by_role("status")).to_contain_text("no longer offered")
    expect(table.locator("tr", has_text="Spring sale").get_by_role("button")).to_contain_text(
        ["Off"]
    )

    # Admin → Canned messages: add a public one.
    admin.goto("/admin")
    admin.locator("main a.card[href='/admin/canned-messages']").click()
    expect(admin.get_by_test_id("canned-heading")).to_have_text("Public canned messages")
    form = admin.get_by_test_id("new-canned-form")
    form.get_by_label("Shortcut").fill("warranty")
    form.get_by_label("Category").fill("Aftercare")
    form.get_by_label("Text").fill("Your product has a two-year warranty.\nKeep the receipt.")
    admin.get_by_test_id("new-canned").click()
    expect(admin.get_by_role("status")).to_have_text("The canned message was added.")
    expect(admin.get_by_test_id("canned-table")).to_contain_text(
        "Your product has a two-year warranty."
    )

    # The agent, in a browser of their own.
    agent_context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 720})
    try:
        agent = agent_context.new_page()
        log_in(agent, AGENT, AGENT_PASSWORD)
        agent.goto("/agent")
        agent.get_by_test_id("my-canned-messages").click()
        expect(agent.get_by_test_id("canned-heading")).to_have_text("My canned messages")
        public = agent.get_by_test_id("public-canned-table")
        expect(public).to_contain_text("warranty")
        expect(public).to_contain_text("two-year warranty")
        # No permission to manage public messages: no box to share, no link to manage.
        expect(agent.locator("input[name=public]")).to_have_count(0)
        expect(agent.get_by_test_id("manage-public")).to_have_count(0)

        # A personal one of their own, found first by the composer's API.
        form = agent.get_by_test_id("new-canned-form")
        form.get_by_label("Shortcut").fill("warranty-short")
        form.get_by_label("Text").fill("Two years, receipt needed.")
        agent.get_by_test_id("new-canned").click()
        expect(agent.get_by_role("status")).to_have_text("The canned message was added.")
        expect(agent.get_by_test_id("canned-table")).to_contain_text("warranty-short")

        found = agent.request.get("/api/v1/canned-messages?query=/warr")
        assert found.ok, found.text()
        assert [(m["shortcut"], m["public"]) for m in found.json()] == [
            ("warranty-short", False),
            ("warranty", True),
        ]
        offered = agent.request.get("/api/v1/tags?enabled=true")
        assert offered.ok, offered.text()
        names = [tag["name"] for tag in offered.json()]
        assert "Warranty claim" in names
        assert "Spring sale" not in names
        # Without the permission an agent adds no custom tag, and no public message.
        refused = agent.request.post("/api/v1/tags/custom", data={"name": "Mine"})
        assert refused.status == 403
        assert agent.request.get("/admin/canned-messages").status == 403
    finally:
        agent_context.close()

"""The chat workspace in real browsers: a customer on the webchat demo page and an agent on
/agent/chats, each in their own browser profile, write to each other and send files; the
agent tags the conversation and resolves it. The agent's chat notification shows on
another page."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ACTION_TIMEOUT_MS, ADMIN_PASSWORD, VIEWPORT
from tests.browser.test_foundation import log_in

pytestmark = pytest.mark.browser

AGENT = "chat-carla"
AGENT_PASSWORD = "chat-agent-browser-pass"
QUEUE = "Web support"
MB = 1024 * 1024
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def png(red: int, green: int, blue: int) -> bytes:
    """A real 64×40 PNG of one colour (the browser shows it, the server checks its bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([red, green, blue]) * 64 for _ in range(40))
    header = struct.pack(">IIBBBBB", 64, 40, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def setup(playwright: Any, base_url: str) -> Iterator[dict[str, Any]]:
    """Through the REST API as the admin: the agent, a webchat queue, its widget, a tag."""
    api = playwright.request.new_context(base_url=base_url)
    response = api.post(
        "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.ok, response.text()
    response = api.post(
        "/api/v1/users",
        data={
            "username": AGENT,
            "display_name": "Carla Chat",
            "password": AGENT_PASSWORD,
            "roles": ["agent"],
            "lines": [{"extension": "281"}],
        },
    )
    assert response.status == 201, response.text()
    agent_id = response.json()["id"]
    response = api.post("/api/v1/chat-queues", data={"name": QUEUE, "channels": ["webchat"]})
    assert response.status == 201, response.text()
    queue_id = response.json()["id"]
    response = api.put(
        f"/api/v1/chat-queues/{queue_id}/assignments",
        data={"agents": [agent_id], "supervisors": []},
    )
    assert response.ok, response.text()
    response = api.post("/api/v1/webchat/widgets", data={"name": "Shop chat", "queue_id": queue_id})
    assert response.status == 201, response.text()
    widget = response.json()["key"]
    response = api.post("/api/v1/tags", data={"name": "Delivery"})
    assert response.status == 201, response.text()
    response = api.post(
        "/api/v1/canned-messages/public",
        data={"shortcut": "late", "text": "We are sorry for the delay."},
    )
    assert response.status == 201, response.text()
    yield {"queue_key": f"chat:{queue_id}", "widget": widget}
    api.dispose()


def new_page(browser: Any, base_url: str, errors: list[str]) -> Any:
    context = browser.new_context(
        base_url=base_url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    return page


def test_a_customer_and_an_agent_chat_send_files_tag_and_resolve(
    browser: Any, base_url: str, setup: dict[str, Any]
) -> None:
    errors: list[str] = []
    agent = new_page(browser, base_url, errors)
    customer = new_page(browser, base_url, errors)
    try:
        # The agent logs into the chat queue (ready), so that the widget is online.
        log_in(agent, AGENT, AGENT_PASSWORD)
        expect(agent).to_have_url(re.compile(r"/agent$"))
        agent.get_by_test_id("login-open").click()
        dialog = agent.get_by_test_id("login-dialog")
        expect(dialog.locator(f"input[name=queue][value='{setup['queue_key']}']")).to_be_checked()
        agent.get_by_test_id("login-submit").click()
        expect(agent.locator("#my-status")).to_have_attribute("data-status", "ready")

        # The customer starts a chat on the demo page and writes, with a photo.
        customer.goto(f"/webchat/demo?widget={setup['widget']}")
        customer.get_by_test_id("webchat-launcher").click()
        customer.get_by_test_id("webchat-name").fill("Maria Rossi")
        customer.get_by_test_id("webchat-start").click()
        customer.get_by_test_id("webchat-text").fill("My parcel has not arrived")
        customer.get_by_test_id("webchat-send").click()
        expect(customer.get_by_test_id("webchat-message")).to_have_count(1)
        customer.get_by_test_id("webchat-files").set_input_files(
            files=[{"name": "label.png", "mimeType": "image/png", "buffer": png(200, 30, 30)}]
        )
        customer.get_by_test_id("webchat-text").fill("Here is the label")
        customer.get_by_test_id("webchat-send").click()
        expect(customer.get_by_test_id("webchat-message")).to_have_count(2)

        # The offer on the dashboard; accepting it opens the conversation in the workspace.
        offer = agent.get_by_test_id("offer")
        expect(offer).to_be_visible()
        expect(offer).to_contain_text("Maria Rossi")
        agent.get_by_test_id("offer-accept").click()
        expect(agent).to_have_url(re.compile(r"/agent/chats\?conversation=\d+$"))
        expect(agent.get_by_test_id("chat-title")).to_have_text("Maria Rossi")
        expect(agent.get_by_test_id("chat-status")).to_have_text("Assigned")
        messages = agent.get_by_test_id("chat-messages").get_by_test_id("chat-message")
        expect(messages).to_have_count(2)
        expect(messages.nth(0)).to_contain_text("My parcel has not arrived")
        photo = messages.nth(1).get_by_test_id("chat-attachment").locator("img")
        expect(photo).to_have_attribute("alt", "label.png")
        assert photo.evaluate("img => img.decode().then(() => img.naturalWidth)") == 64
        mine = agent.get_by_test_id("chat-conversations").get_by_test_id("chat-item")
        expect(mine).to_have_count(1)

        # The customer types: the agent sees it; the agent answers with Enter.
        customer.get_by_test_id("webchat-text").press_sequentially("Hel")
        expect(agent.get_by_test_id("chat-typing")).to_be_visible()
        text = agent.get_by_test_id("chat-text")
        text.fill("Sorry about that!")
        # … and the customer sees the agent typing.
        expect(customer.get_by_test_id("webchat-notice")).to_have_text("The agent is typing…")
        text.press("Shift+Enter")
        text.press_sequentially("It ships today.")
        text.press("Enter")
        expect(messages).to_have_count(3)
        expect(messages.nth(2)).to_contain_text("Sorry about that!\nIt ships today.")
        expect(messages.nth(2).get_by_test_id("chat-delivery")).to_have_text("Sent")
        expect(text).to_have_value("")
        reply = customer.get_by_test_id("webchat-message").nth(2)
        expect(reply).to_contain_text("Sorry about that!")

        # A canned message: "/" and its shortcut, Enter puts a copy of its text in the
        # field, to edit before sending.
        text.press_sequentially("/la")
        # (Other browser tests on this server keep public messages too.)
        option = agent.get_by_test_id("canned-option").first
        expect(option).to_contain_text("/late We are sorry for the delay.")
        text.press("Enter")
        expect(text).to_have_value("We are sorry for the delay.")
        expect(agent.get_by_test_id("canned-picker")).to_be_hidden()
        text.press_sequentially(" Truly.")
        text.press("Enter")
        expect(messages).to_have_count(4)
        expect(messages.nth(3)).to_contain_text("We are sorry for the delay. Truly.")
        # The icon opens the list too; the saved message did not change.
        agent.get_by_test_id("canned-open").click()
        late = agent.get_by_test_id("canned-option").filter(has_text="/late")
        expect(late).to_have_count(1)
        late.click()
        expect(text).to_have_value("We are sorry for the delay.")
        text.fill("")

        # Too many or too large files: a clear message, and nothing is sent.
        files = agent.get_by_test_id("chat-file-input")
        files.set_input_files(
            files=[
                {"name": f"p{i}.png", "mimeType": "image/png", "buffer": png(0, 0, i)}
                for i in range(6)
            ]
        )
        expect(agent.get_by_test_id("chat-error")).to_contain_text("At most 5 files")
        files.set_input_files(
            files=[{"name": "huge.png", "mimeType": "image/png", "buffer": b"\0" * (2 * MB + 1)}]
        )
        expect(agent.get_by_test_id("chat-error")).to_contain_text('"huge.png" is larger than 2 MB')
        expect(agent.get_by_test_id("chat-files")).to_be_hidden()
        agent.get_by_test_id("chat-send").click()
        expect(agent.get_by_test_id("chat-error")).to_have_text("Write a message or attach a file.")
        expect(messages).to_have_count(4)

        # The agent sends a file: the customer gets it.
        files.set_input_files(
            files=[{"name": "refund.png", "mimeType": "image/png", "buffer": png(30, 160, 30)}]
        )
        expect(agent.get_by_test_id("chat-files")).to_contain_text("refund.png")
        agent.get_by_test_id("chat-send").click()
        expect(messages).to_have_count(5)
        expect(messages.nth(4).get_by_test_id("chat-attachment")).to_be_visible()
        sent = customer.get_by_test_id("webchat-message").nth(4)
        expect(sent.get_by_test_id("webchat-attachment")).to_be_visible()

        # The contact: added from the conversation (its name from the chat) and linked.
        agent.get_by_test_id("contact-add").click()
        expect(agent.get_by_test_id("contact-name")).to_have_value("Maria Rossi")
        agent.get_by_test_id("contact-emails").fill("maria@example.com")
        agent.get_by_test_id("contact-save").click()
        expect(agent.get_by_test_id("contact-shown-name")).to_have_text("Maria Rossi")
        expect(agent.get_by_test_id("contact-details")).to_contain_text("maria@example.com")
        expect(agent.get_by_test_id("history-item")).to_contain_text("this conversation")
        agent.get_by_test_id("contact-edit").click()
        agent.get_by_test_id("contact-name").fill("Maria Rossi Bianchi")
        agent.get_by_test_id("contact-save").click()
        expect(agent.get_by_test_id("contact-shown-name")).to_have_text("Maria Rossi Bianchi")

        # A tag from the enabled ones.
        agent.get_by_test_id("tag-open").click()
        agent.get_by_test_id("tag-name").fill("Delivery")
        agent.get_by_test_id("tag-add").click()
        expect(agent.get_by_test_id("chat-tag")).to_have_text(["Delivery×"])
        # A name no tag has: this agent may not create tags.
        agent.get_by_test_id("tag-open").click()
        agent.get_by_test_id("tag-name").fill("Angry")
        agent.get_by_test_id("tag-add").click()
        expect(agent.get_by_test_id("chat-error")).to_contain_text('There is no tag named "Angry"')
        expect(agent.get_by_test_id("chat-tag")).to_have_count(1)
        # The agent guide's picture of the workspace.
        IMAGES.mkdir(parents=True, exist_ok=True)
        agent.get_by_test_id("chat-error").evaluate("box => { box.hidden = true; }")
        agent.get_by_test_id("tag-form").evaluate("form => { form.hidden = true; }")
        agent.screenshot(path=str(IMAGES / "agent-chat-workspace.png"))

        # Elsewhere in the app, a new message pops up with the sender and the unread count.
        agent.goto("/account")
        customer.get_by_test_id("webchat-text").fill("Thank you!")
        customer.get_by_test_id("webchat-send").click()
        toast = agent.get_by_test_id("chat-notification")
        expect(toast).to_contain_text("Maria Rossi")
        expect(toast).to_contain_text("Thank you!")
        expect(toast.get_by_test_id("chat-notification-count")).to_have_text("1 unread")
        expect(agent).to_have_title(re.compile(r"^\(1✉\) "))
        toast.click()
        expect(agent).to_have_url(re.compile(r"/agent/chats\?conversation=\d+$"))
        expect(messages).to_have_count(6)
        expect(agent).not_to_have_title(re.compile(r"✉"))

        # Resolve: the customer is told, the conversation moves to Resolved.
        agent.get_by_test_id("chat-resolve").click()
        expect(agent.get_by_test_id("chat-status")).to_have_text("Conversation resolved")
        expect(agent.get_by_test_id("chat-composer")).to_be_hidden()
        expect(customer.get_by_test_id("webchat-notice")).to_contain_text("closed")
        agent.get_by_test_id("chat-tab-resolved").click()
        expect(agent.get_by_test_id("chat-item")).to_have_count(1)
        expect(agent.get_by_test_id("chat-item")).to_contain_text("Maria Rossi")
    finally:
        agent.context.close()
        customer.context.close()
    assert errors == []

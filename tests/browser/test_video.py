"""A video room in real browsers: the agent of a webchat opens one, the customer follows
the link the chat gives them, and each sees and hears the other (Chromium's fake camera
and microphone), browser to browser; the customer leaves and the agent is told."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ACTION_TIMEOUT_MS,
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
)
from tests.browser.test_foundation import log_in
from tests.support import missing_peer

pytestmark = pytest.mark.browser

AGENT = "video-vera"
AGENT_PASSWORD = "video-agent-browser-pass"


@pytest.fixture(scope="module")
def camera_browser(playwright: Any) -> Iterator[Any]:
    """Chromium with a fake camera and microphone, allowed without asking."""
    executable = str(CHROMIUM) if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if executable is None:
        missing_peer("Chromium", "install Debian's package: `apt-get install chromium`")
    browser = playwright.chromium.launch(
        executable_path=executable,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            "--allow-loopback-in-peer-connection",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def widget(playwright: Any, base_url: str) -> Iterator[str]:
    """As the admin: the agent, a webchat queue with the agent, its widget."""
    api = playwright.request.new_context(base_url=base_url)
    assert api.post("/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}).ok
    made = api.post(
        "/api/v1/users",
        data={
            "username": AGENT,
            "display_name": "Vera Video",
            "password": AGENT_PASSWORD,
            "roles": ["agent"],
            "lines": [{"extension": "291"}],
        },
    )
    assert made.status == 201, made.text()
    queue = api.post("/api/v1/chat-queues", data={"name": "Video help", "channels": ["webchat"]})
    assert queue.status == 201, queue.text()
    queue_id = queue.json()["id"]
    team = api.put(
        f"/api/v1/chat-queues/{queue_id}/assignments",
        data={"agents": [made.json()["id"]], "supervisors": []},
    )
    assert team.ok, team.text()
    created = api.post("/api/v1/webchat/widgets", data={"name": "Video shop", "queue_id": queue_id})
    assert created.status == 201, created.text()
    yield created.json()["key"]
    api.dispose()


def _until(check: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _sees_video(page: Any) -> bool:
    """The remote video has frames and plays (its time moves on)."""
    return bool(
        page.evaluate(
            """async () => {
                const video = document.getElementById('remote-video');
                if (!video.videoWidth) return false;
                const before = video.currentTime;
                await new Promise((resolve) => setTimeout(resolve, 300));
                return video.currentTime > before;
            }"""
        )
    )


def test_agent_and_customer_see_each_other_in_a_video_room(
    camera_browser: Any, base_url: str, widget: str
) -> None:
    errors: list[str] = []
    contexts = []

    def new_page() -> Any:
        context = camera_browser.new_context(
            base_url=base_url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC"
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        return page

    try:
        agent = new_page()
        log_in(agent, AGENT, AGENT_PASSWORD)
        assert agent.request.post("/api/v1/acd/me/login", data={}).ok

        customer = new_page()
        customer.goto(f"/webchat/demo?widget={widget}")
        customer.get_by_test_id("webchat-launcher").click()
        customer.get_by_test_id("webchat-name").fill("Paolo Bianchi")
        customer.get_by_test_id("webchat-start").click()
        customer.get_by_test_id("webchat-text").fill("The screen is cracked, can I show you?")
        customer.get_by_test_id("webchat-send").click()

        offers = _until(
            lambda: agent.request.get("/api/v1/acd/me").json()["open_offers"], "the chat offer"
        )
        accepted = agent.request.post(f"/api/v1/acd/offers/{offers[0]['offer_id']}/accept")
        assert accepted.ok, accepted.text()
        mine = _until(
            lambda: agent.request.get("/api/v1/chats/conversations?view=mine").json()[
                "conversations"
            ],
            "the conversation to be assigned",
        )
        # In the chat workspace the agent opens the room: it opens in a new tab.
        agent.goto(f"/agent/chats?conversation={mine[0]['id']}")
        with agent.context.expect_page() as opened:
            agent.get_by_test_id("chat-video").click()
        agent_room = opened.value
        agent_room.on("pageerror", lambda error: errors.append(f"{agent_room.url}: {error}"))
        expect(agent_room.get_by_test_id("video-status")).to_have_text(
            "Waiting for the customer to join…"
        )
        room_id = urlsplit(agent_room.url).path.rsplit("/", 1)[-1]

        # The customer gets the link in the chat and follows it.
        link = customer.get_by_test_id("webchat-message").last
        expect(link).to_contain_text(f"/video/{room_id}?key=")
        url = urlsplit(link.inner_text().split("video call: ", 1)[1].split()[0])
        customer_room = customer.context.new_page()
        customer_room.goto(f"{url.path}?{url.query}")
        agent = agent_room

        for page in (agent, customer_room):
            expect(page.locator("#video-room")).to_have_attribute("data-state", "connected")
            _until(lambda page=page: _sees_video(page), f"video on {page.url}")

        customer_room.get_by_test_id("video-leave").click()
        expect(agent.get_by_test_id("video-status")).to_have_text(
            "The customer left the video call."
        )
        expect(agent.locator("#video-room")).to_have_attribute("data-state", "ended")
        assert agent.request.get(f"/api/v1/video/rooms/{room_id}").status == 404
        assert not errors, errors
    finally:
        for context in contexts:
            context.close()

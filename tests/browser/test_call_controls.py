"""Call controls through real Chromium: an agent on a recorded call (browser softphone)
pauses and resumes the recording; the supervisor sees the busy agent's monitor actions
and, after the call, downloads its recordings from the queue page.

The caller is the softphone test's (our SIP stack, 1000 Hz); the agent's microphone is
Chromium's fake device (440 Hz). Also saves ``docs/images/agent-call-controls.png``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import test_softphone
from tests.browser.conftest import ACTION_TIMEOUT_MS, ADMIN_PASSWORD, VIEWPORT, Server
from tests.browser.test_softphone import CallerThread, hears, the_agent

pytestmark = pytest.mark.browser

fake_microphone_browser = test_softphone.fake_microphone_browser

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
PASSWORD = "controls-browser-pass"
NUMBER = "110"


def _log_in(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_an_agent_pauses_the_recording_and_the_supervisor_gets_the_files(
    fake_microphone_browser: Any, helpline_server: Server, base_url: str
) -> None:
    errors: list[str] = []

    def context() -> Any:
        made = fake_microphone_browser.new_context(
            base_url=base_url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC"
        )
        made.set_default_timeout(ACTION_TIMEOUT_MS)
        return made

    admin_context, agent_context, supervisor_context = context(), context(), context()
    try:
        admin = admin_context.new_page()
        _log_in(admin, "admin", ADMIN_PASSWORD)
        expect(admin).to_have_url(re.compile(r"/admin$"))
        api = admin_context.request
        ids = {}
        for username, name, roles, line in (
            ("cc-carla", "Carla Controls", ["agent"], "261"),
            ("cc-sven", "Sven Supervisor", ["supervisor"], "361"),
        ):
            response = api.post(
                "/api/v1/users",
                data={
                    "username": username,
                    "display_name": name,
                    "password": PASSWORD,
                    "roles": roles,
                    "lines": [{"extension": line}],
                },
            )
            assert response.status == 201, response.text()
            ids[username] = response.json()["id"]
        response = api.post(
            "/api/v1/call-queues",
            data={
                "name": "Recorded desk",
                "extension": "581",
                "offer_timeout_seconds": 120,
                "record_calls": True,
            },
        )
        assert response.status == 201, response.text()
        queue_id = response.json()["id"]
        queue_key = f"call:{queue_id}"
        response = api.put(
            f"/api/v1/call-queues/{queue_id}/assignments",
            data={"agents": [ids["cc-carla"]], "supervisors": [ids["cc-sven"]]},
        )
        assert response.ok, response.text()
        response = api.post(
            "/api/v1/call-plans",
            data={
                "name": "Recorded line",
                "entry": "wait",
                "nodes": [{"id": "wait", "type": "queue", "queue_id": queue_id}],
            },
        )
        assert response.status == 201, response.text()
        response = api.put(
            f"/api/v1/call-plans/{response.json()['id']}/numbers",
            data={"numbers": [{"number": NUMBER}]},
        )
        assert response.ok, response.text()

        page = agent_context.new_page()
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        _log_in(page, "cc-carla", PASSWORD)
        expect(page).to_have_url(re.compile(r"/agent$"))
        controls = page.get_by_test_id("call-controls")
        expect(controls).to_be_hidden()
        page.get_by_test_id("softphone-toggle").click()
        expect(page.get_by_test_id("softphone")).to_have_attribute("data-state", "ready")
        page.get_by_test_id("login-open").click()
        page.get_by_test_id("login-submit").click()
        expect(page.locator("#my-status")).to_have_attribute("data-status", "ready")

        supervisor = supervisor_context.new_page()
        supervisor.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        _log_in(supervisor, "cc-sven", PASSWORD)
        expect(supervisor).to_have_url(re.compile(r"/supervisor$"))
        supervisor.goto(f"/supervisor/queues/{queue_key}")
        row = supervisor.get_by_test_id("agents-table").locator(
            f"tr[data-agent='{ids['cc-carla']}']"
        )
        expect(row.get_by_test_id("agent-monitor-listen")).to_have_count(0)

        caller = CallerThread(helpline_server.sip_port, NUMBER)
        caller.start()
        try:
            caller.wait_answered()
            page.get_by_test_id("offer-accept").click()
            expect(page.locator("#my-status")).to_have_attribute("data-status", "busy")
            hears(caller, the_agent, "the agent's 440 Hz")

            # The panel says the call is recorded; Carla pauses and resumes.
            expect(controls).to_be_visible()
            state = page.get_by_test_id("recording-state")
            expect(state).to_have_text("This call is being recorded.")
            toggle = page.get_by_test_id("recording-toggle")
            expect(toggle).to_have_text("Pause recording")
            toggle.click()
            expect(state).to_have_text("Recording paused: the paused part is silent.")
            expect(toggle).to_have_text("Resume recording")
            IMAGES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(IMAGES / "agent-call-controls.png"))
            toggle.click()
            expect(state).to_have_text("This call is being recorded.")

            # A 3-way call to a line with no phone: the panel says why not.
            page.get_by_test_id("party-target").fill("299")
            page.get_by_test_id("party-add").click()
            expect(page.locator("#agent-error")).to_have_text(
                "no phone is registered on extension 299"
            )

            # The supervisor sees the busy agent's monitor actions; without a phone or a
            # softphone, Listen says so.
            expect(row.get_by_test_id("agent-monitor-listen")).to_be_visible()
            expect(row.get_by_test_id("agent-monitor-whisper")).to_be_visible()
            expect(row.get_by_test_id("agent-monitor-barge")).to_be_visible()
            row.get_by_test_id("agent-monitor-listen").click()
            expect(supervisor.locator("#supervisor-error")).to_have_text(
                "you have no registered phone and no softphone switched on to listen with"
            )

            page.get_by_test_id("softphone-end").click()
            caller.wait_bye()
            expect(controls).to_be_hidden()
        finally:
            caller.stop()

        # The queue page lists the call's recordings: everyone, caller and agent.
        supervisor.get_by_test_id("recordings-refresh").click()
        recording = supervisor.get_by_test_id("recording-row")
        expect(recording).to_have_count(1)
        files = recording.get_by_test_id("recording-file")
        expect(files).to_have_text(["Everyone", "Caller", "Agent"], use_inner_text=True)
        href = files.first.get_attribute("href")
        assert href
        download = supervisor_context.request.get(href)
        assert download.status == 200
        assert download.body()[:4] == b"RIFF"
        assert agent_context.request.get(href).status == 403
        assert errors == []
    finally:
        supervisor_context.close()
        agent_context.close()
        admin_context.close()

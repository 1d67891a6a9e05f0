"""The browser softphone through real Chromium: an agent without a SIP phone takes a queue
call in the dashboard, and the caller hears the agent's microphone.

Chromium's fake media device plays a 440 Hz WAV file that the test writes as the agent's
microphone. The caller is our own SIP stack with a plain RTP socket (``Caller`` of the
voice tests), in a thread of its own with its own event loop: it sends a 1000 Hz tone and
keeps what it hears. The test checks what it hears by frequency: the agent's 440 Hz once
the agent accepts, hold music (not the agent) while on hold, the agent again after Resume;
and that the agent's page hears the caller's 1000 Hz.

Also saves ``docs/images/agent-softphone.png``.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import shutil
import struct
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from helpline.channels.media import g711, tone
from helpline.channels.media.rtp import RtpPacket, RtpSender
from tests.browser.conftest import (
    ACTION_TIMEOUT_MS,
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    Server,
)
from tests.support import missing_peer
from tests.voice.test_queue_calls import Caller

pytestmark = pytest.mark.browser

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
PASSWORD = "softphone-browser-pass"
QUEUE_NAME = "Softphone desk"
NUMBER = "100"
OUTCOMES = "Abandoned / expired / handled"
AGENT_TONE = 440.0
CALLER_TONE = 1000.0
RATE = 8000


def write_tone(path: Path, frequency: float, seconds: float = 10.0, rate: int = 48000) -> None:
    """A mono 16-bit WAV of a pure tone (Chromium loops it as the microphone)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", round(12000 * math.sin(2 * math.pi * frequency * i / rate)))
                for i in range(int(seconds * rate))
            )
        )


@pytest.fixture(scope="module")
def fake_microphone_browser(
    playwright: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """Chromium whose microphone plays a 440 Hz tone, allowed without asking."""
    executable = str(CHROMIUM) if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if executable is None:
        missing_peer("Chromium", "install Debian's package: `apt-get install chromium`")
    wav = tmp_path_factory.mktemp("microphone") / "agent-440hz.wav"
    write_tone(wav, AGENT_TONE)
    browser = playwright.chromium.launch(
        executable_path=executable,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
            # The server's media host is 127.0.0.1: let WebRTC offer loopback candidates,
            # so that the media stays on loopback.
            "--allow-loopback-in-peer-connection",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    try:
        yield browser
    finally:
        browser.close()


class CallerThread:
    """A caller that talks (1000 Hz) in its own thread from the answer until told to stop."""

    def __init__(self, port: int, number: str) -> None:
        self.port = port
        self.number = number
        self.status: int | None = None
        self.byes = 0
        self.events: list[int] = []  # telephone events heard (RFC 4733: 0-9, 10 *, 11 #)
        self.error: BaseException | None = None
        self.caller: Caller | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="caller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def heard(self) -> bytes:
        return bytes(self.caller.heard) if self.caller is not None else b""

    def last(self, seconds: float) -> bytes:
        return self.heard[-int(seconds * RATE * 2) :]

    def _run(self) -> None:
        try:
            asyncio.run(self._call())
        except BaseException as error:  # noqa: BLE001 - reported to the test's thread
            self.error = error

    async def _call(self) -> None:
        caller = self.caller = Caller(self.port)
        try:
            invite, response = await caller.call(self.number)
            self.status = response.status
            if response.status != 200:
                return
            await self._talk(caller)
            self.byes = len(caller.byes)
            if not caller.byes:
                await caller.hang_up(invite, response)
        finally:
            await caller.close()

    async def _talk(self, caller: Caller) -> None:
        """One RTP stream at 20 ms pace until the server hangs up or the test stops."""
        assert caller.remote is not None
        sender = RtpSender(ssrc=1234, payload_type=caller.codec.payload_type)
        second = tone.sine(CALLER_TONE, 1000, 0.4)  # a whole number of periods: loops cleanly
        loop = asyncio.get_running_loop()
        start = loop.time()
        index = 0
        while not self._stop.is_set() and not caller.byes:
            frame = second[(index % 50) * 320 : (index % 50 + 1) * 320]
            caller.rtp.sendto(sender.frame(caller.codec.encode(frame)).encode(), caller.remote)
            self._drain(caller)
            index += 1
            await asyncio.sleep(max(0.0, start + index * 0.02 - loop.time()))

    def _drain(self, caller: Caller) -> None:
        """Keep the audio (decoded) and the keys (RFC 4733 events) that came."""
        while True:
            try:
                data = caller.rtp.recv(2048)
            except BlockingIOError:
                return
            packet = RtpPacket.parse(data)
            if packet.payload_type in (0, 8):
                caller.heard += g711.get_codec(packet.payload_type).decode(packet.payload)
            elif packet.payload and packet.payload[0] not in self.events:
                self.events.append(packet.payload[0])

    def wait_answered(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.status is None and self.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.error is None, self.error
        assert self.status == 200, self.status

    def wait_bye(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.error is None, self.error
        assert not self._thread.is_alive(), "the caller was not hung up"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def hears(caller: CallerThread, check: Any, what: str, timeout: float = 8.0) -> bytes:
    """Wait until the last second the caller heard passes ``check``."""
    deadline = time.monotonic() + timeout
    heard = b""
    while time.monotonic() < deadline:
        heard = caller.last(1.0)
        if len(heard) == RATE * 2 and check(heard):
            return heard
        time.sleep(0.25)
    raise AssertionError(
        f"the caller did not hear {what}: {tone.estimate_frequency(heard):.1f} Hz, "
        f"440 Hz power {tone.goertzel_power(heard, AGENT_TONE):.4f}, "
        f"level {tone.level_dbfs(heard):.1f} dBFS"
    )


def the_agent(heard: bytes) -> bool:
    return (
        abs(tone.estimate_frequency(heard) - AGENT_TONE) < 5
        and tone.goertzel_power(heard, AGENT_TONE) > 10 * tone.goertzel_power(heard, CALLER_TONE)
        and tone.level_dbfs(heard) > -45
    )


PAGE_HEARS = """async () => {
  // What the agent's page plays: the strongest frequency of the remote audio.
  const audio = document.getElementById("softphone-audio");
  const context = new AudioContext();
  const source = context.createMediaStreamSource(audio.srcObject);
  const analyser = context.createAnalyser();
  analyser.fftSize = 8192;
  source.connect(analyser);
  await new Promise(r => setTimeout(r, 700));
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let best = 0;
  for (let i = 1; i < bins.length; i++) { if (bins[i] > bins[best]) { best = i; } }
  const frequency = best * context.sampleRate / analyser.fftSize;
  await context.close();
  return {frequency: frequency, level: bins[best]};
}"""


def test_an_agent_takes_a_queue_call_in_the_browser_softphone(
    fake_microphone_browser: Any, helpline_server: Server, base_url: str
) -> None:
    errors: list[str] = []

    def context() -> Any:
        made = fake_microphone_browser.new_context(
            base_url=base_url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC"
        )
        made.set_default_timeout(ACTION_TIMEOUT_MS)
        return made

    admin_context, agent_context = context(), context()
    try:
        # 1. The admin sets up an agent (a line, no phone), a queue and a plan for 100.
        admin = admin_context.new_page()
        admin.goto("/login")
        admin.locator("input[name=username]").fill("admin")
        admin.locator("input[name=password]").fill(ADMIN_PASSWORD)
        admin.get_by_role("button", name="Log in", exact=True).click()
        expect(admin).to_have_url(re.compile(r"/admin$"))
        api = admin_context.request
        response = api.post(
            "/api/v1/users",
            data={
                "username": "soft-sofia",
                "display_name": "Sofia Softphone",
                "password": PASSWORD,
                "roles": ["agent"],
                "lines": [{"extension": "251"}],
            },
        )
        assert response.status == 201, response.text()
        agent_id = response.json()["id"]
        response = api.post(
            "/api/v1/call-queues",
            data={"name": QUEUE_NAME, "extension": "571", "offer_timeout_seconds": 120},
        )
        assert response.status == 201, response.text()
        queue_id = response.json()["id"]
        queue_key = f"call:{queue_id}"
        response = api.put(
            f"/api/v1/call-queues/{queue_id}/assignments",
            data={"agents": [agent_id], "supervisors": []},
        )
        assert response.ok, response.text()
        response = api.post(
            "/api/v1/call-plans",
            data={
                "name": "Softphone line",
                "entry": "wait",
                "nodes": [
                    {"id": "wait", "type": "queue", "queue_id": queue_id},
                ],
            },
        )
        assert response.status == 201, response.text()
        response = api.put(
            f"/api/v1/call-plans/{response.json()['id']}/numbers",
            data={"numbers": [{"number": NUMBER}]},
        )
        assert response.ok, response.text()

        # 2. Sofia opens her dashboard and switches the softphone on.
        page = agent_context.new_page()
        page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
        page.on(
            "console",
            lambda m: (
                errors.append(f"console: {m.text}")
                if m.type == "error" and "favicon" not in m.location.get("url", "")
                else None
            ),
        )
        page.goto("/login")
        page.locator("input[name=username]").fill("soft-sofia")
        page.locator("input[name=password]").fill(PASSWORD)
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page).to_have_url(re.compile(r"/agent$"))
        softphone = page.get_by_test_id("softphone")
        status = page.get_by_test_id("softphone-status")
        expect(softphone).to_have_attribute("data-state", "off")
        expect(status).to_have_text("Off")
        page.get_by_test_id("softphone-toggle").click()
        expect(softphone).to_have_attribute("data-state", "ready")
        expect(status).to_have_text("Ready for calls")
        expect(page.get_by_test_id("softphone-toggle")).to_have_text("Switch off")
        expect(page.get_by_test_id("softphone-error")).to_be_hidden()
        expect(page.get_by_test_id("softphone-reconnect")).to_be_hidden()
        expect(page.get_by_test_id("softphone-call")).to_be_hidden()
        # The fake microphone is listed once permission is granted.
        expect(page.get_by_test_id("softphone-mic").locator("option")).not_to_have_count(1)
        state = agent_context.request.get("/api/v1/softphone/session").json()
        assert state["active"] is True
        assert state["connection"] == "connected"
        assert state["codec"] == "PCMU"

        # She logs into the queue (ready at once).
        page.get_by_test_id("login-open").click()
        page.get_by_test_id("login-submit").click()
        pill = page.locator("#my-status")
        expect(pill).to_have_attribute("data-status", "ready")
        card = page.locator(f".queue-card[data-queue='{queue_key}']")
        expect(card).to_be_visible()

        # 3. A caller dials 100: the dashboard offers the call, Sofia accepts it.
        caller = CallerThread(helpline_server.sip_port, NUMBER)
        caller.start()
        try:
            caller.wait_answered()
            offer = page.get_by_test_id("offer")
            expect(offer).to_be_visible()
            expect(offer.locator("#offer-title")).to_have_text("Inbound call")
            expect(offer.locator("#offer-queue")).to_have_text(QUEUE_NAME)
            expect(offer.locator("#offer-caller")).to_have_text("+390212345678")
            page.get_by_test_id("offer-accept").click()
            expect(pill).to_have_attribute("data-status", "busy")
            expect(softphone).to_have_attribute("data-state", "on_call")
            expect(status).to_have_text("On a call")
            expect(page.get_by_test_id("softphone-call")).to_be_visible()

            # The caller hears Sofia's microphone; her page plays the caller's tone.
            talking = hears(caller, the_agent, "the agent's 440 Hz")
            heard = page.evaluate(PAGE_HEARS)
            assert abs(heard["frequency"] - CALLER_TONE) < 15, heard
            IMAGES.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(IMAGES / "agent-softphone.png"))

            # Mute is in the browser: the caller stops hearing her.
            page.get_by_test_id("softphone-mute").click()
            expect(page.get_by_test_id("softphone-mute")).to_have_text("Unmute")
            expect(softphone).to_have_attribute("data-state", "muted")
            expect(page.get_by_test_id("softphone-note")).to_have_text(
                "Muted: the caller cannot hear you."
            )
            hears(caller, lambda h: tone.level_dbfs(h) < -45, "silence while muted")
            page.keyboard.press("Alt+M")  # the shortcut unmutes
            expect(page.get_by_test_id("softphone-mute")).to_have_text("Mute")
            hears(caller, the_agent, "the agent again after unmuting")

            # Hold: the caller hears music, not Sofia; Resume brings her back.
            page.get_by_test_id("softphone-hold").click()
            expect(page.get_by_test_id("softphone-hold")).to_have_text("Resume")
            expect(softphone).to_have_attribute("data-state", "on_hold")
            expect(status).to_have_text("On hold")
            power = tone.goertzel_power(talking, AGENT_TONE)
            hears(
                caller,
                lambda h: (
                    tone.goertzel_power(h, AGENT_TONE) < power / 10 and tone.level_dbfs(h) > -40
                ),
                "hold music",
            )
            assert agent_context.request.get("/api/v1/softphone/session").json()["held"] is True
            page.get_by_test_id("softphone-hold").click()
            expect(page.get_by_test_id("softphone-hold")).to_have_text("Hold")
            expect(softphone).to_have_attribute("data-state", "on_call")
            hears(caller, the_agent, "the agent after Resume")

            # The keypad sends keys to the caller (RFC 4733); the caller's line takes them.
            keypad = page.get_by_test_id("softphone-keypad")
            expect(keypad).to_be_hidden()
            page.get_by_test_id("softphone-keypad-toggle").click()
            expect(keypad).to_be_visible()
            with page.expect_response("**/api/v1/softphone/dtmf") as sent:
                keypad.locator("[data-digit='5']").click()
            assert sent.value.status == 204, sent.value.text()
            page.keyboard.press("#")  # typed keys go out while the keypad is open
            deadline = time.monotonic() + 5
            while caller.events != [5, 11] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert caller.events == [5, 11]

            # End: the caller is hung up, Sofia goes to wrap-up.
            page.get_by_test_id("softphone-end").click()
            caller.wait_bye()
            assert caller.byes == 1
            expect(pill).to_have_attribute("data-status", "wrap_up")
            expect(page.get_by_test_id("softphone-call")).to_be_hidden()
            expect(softphone).to_have_attribute("data-state", "ready")
        finally:
            caller.stop()

        # The queue card counts the call as handled.
        expect(card.locator(f"dt:text-is('{OUTCOMES}') + dd")).to_have_text("0 / 0 / 1")
        view = api.get(f"/api/v1/acd/queues/{queue_key}")
        assert view.json()["card"]["handled"] == 1

        # The microphone of her choice is remembered, and so is "on": a reload reconnects.
        microphones = page.get_by_test_id("softphone-mic")
        chosen = microphones.locator("option").nth(1).get_attribute("value")
        assert chosen
        microphones.select_option(chosen)
        assert page.evaluate("localStorage.getItem('helpline.softphone.microphone')") == chosen
        expect(softphone).to_have_attribute("data-state", "ready")
        page.reload()
        expect(softphone).to_have_attribute("data-state", "ready")
        expect(microphones).to_have_value(chosen)

        # The server drops the session (here: switched off from elsewhere): the panel says
        # so and offers to reconnect.
        assert agent_context.request.delete("/api/v1/softphone/session").ok
        expect(page.get_by_test_id("softphone-error")).to_have_text(
            "The softphone lost its connection to the server.", timeout=15_000
        )
        expect(softphone).to_have_attribute("data-state", "off")
        page.get_by_test_id("softphone-reconnect").click()
        expect(softphone).to_have_attribute("data-state", "ready")
        expect(page.get_by_test_id("softphone-error")).to_be_hidden()
        expect(page.get_by_test_id("softphone-reconnect")).to_be_hidden()

        # A second tab takes the softphone over (it comes on by itself: it was on); the
        # first one says where it went.
        second = agent_context.new_page()
        second.goto("/agent")
        expect(second.get_by_test_id("softphone")).to_have_attribute("data-state", "ready")
        expect(page.get_by_test_id("softphone-error")).to_have_text(
            "The softphone was switched on in another tab or window.", timeout=15_000
        )
        second.close(run_before_unload=True)

        # Switching off ends the session.
        page.get_by_test_id("softphone-toggle").click()
        expect(softphone).to_have_attribute("data-state", "off")
        assert agent_context.request.get("/api/v1/softphone/session").json()["active"] is False
        assert errors == []
    finally:
        agent_context.close()
        admin_context.close()

"""The softphone's API: who may use it, what it says when it cannot, and one session per
agent from offer to close (an aiortc peer playing the browser, in the app's event loop)."""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from fastapi.testclient import TestClient

from helpline.channels.webrtc.gateway import use_ice_host
from helpline.config import Settings
from tests.softphone.test_gateway import SineTrack
from tests.support import Helpline, wait_until

ROUTES = [
    ("GET", "/api/v1/softphone/session", None),
    ("POST", "/api/v1/softphone/session", {"sdp": "v=0\r\n", "type": "offer"}),
    ("DELETE", "/api/v1/softphone/session", None),
    ("POST", "/api/v1/softphone/hold", None),
    ("POST", "/api/v1/softphone/unhold", None),
    ("POST", "/api/v1/softphone/dtmf", {"digit": "1"}),
]


@pytest.fixture
def voice(settings: Settings) -> Iterator[Helpline]:
    """The app with SIP and the media engine, on free ports."""
    from helpline.web.app import create_app

    base = random.randrange(30000, 60000, 2)
    settings = settings.model_copy(
        update={"sip_enabled": True, "sip_port": 0, "rtp_ports": f"{base}-{base + 99}"}
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


def test_without_voice_every_route_says_so(helpline: Helpline) -> None:
    helpline.create_user("anna", "agent")
    agent = helpline.login("anna")
    for method, path, body in ROUTES:
        response = agent.request(method, path, json=body)
        assert response.status_code == 503, (method, path, response.text)
        assert response.json()["detail"] == "voice is not enabled on this server"


def test_the_gate_is_the_agent_dashboards(helpline: Helpline) -> None:
    helpline.create_user("sam", "supervisor")
    supervisor = helpline.login("sam")
    anonymous = TestClient(helpline.app)
    for method, path, body in ROUTES:
        assert anonymous.request(method, path, json=body).status_code == 401, path
        assert supervisor.request(method, path, json=body).status_code == 403, path


def test_bad_requests_get_clear_answers(voice: Helpline) -> None:
    voice.create_user("anna", "agent")
    agent = voice.login("anna")

    state = agent.get("/api/v1/softphone/session")
    assert state.status_code == 200
    assert state.json()["active"] is False
    assert state.json()["on_call"] is False

    response = agent.post("/api/v1/softphone/session", json={"sdp": "hello", "type": "offer"})
    assert response.status_code == 400
    assert "not a session description" in response.json()["detail"]
    video = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n"
    )
    response = agent.post("/api/v1/softphone/session", json={"sdp": video, "type": "offer"})
    assert response.status_code == 400
    assert response.json()["detail"] == "the offer has no audio section (m=audio)"
    response = agent.post("/api/v1/softphone/session", json={"sdp": video, "type": "answer"})
    assert response.status_code == 422

    for path in ("/api/v1/softphone/hold", "/api/v1/softphone/unhold"):
        response = agent.post(path)
        assert response.status_code == 404
        assert response.json()["detail"] == "you are not on a call"
    response = agent.post("/api/v1/softphone/dtmf", json={"digit": "7"})
    assert response.status_code == 404
    assert response.json()["detail"] == "you are not on a call"
    for digit in ("12", "x", "", "E"):
        assert agent.post("/api/v1/softphone/dtmf", json={"digit": digit}).status_code == 422

    response = agent.delete("/api/v1/softphone/session")
    assert response.status_code == 200
    assert response.json()["active"] is False


class Browser:
    """An aiortc peer with a tone for a microphone, living in the app's event loop."""

    def __init__(self, helpline: Helpline) -> None:
        self.helpline = helpline
        self.pc: Any = None

    def _call(self, work: Any) -> Any:
        return self.helpline.client.portal.call(work)  # type: ignore[union-attr]

    def offer(self) -> str:
        async def make() -> str:
            use_ice_host("127.0.0.1")
            self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            self.pc.addTrack(SineTrack(440.0))
            await self.pc.setLocalDescription(await self.pc.createOffer())
            return str(self.pc.localDescription.sdp)

        return str(self._call(make))

    def accept(self, answer: str) -> None:
        async def apply() -> None:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

        self._call(apply)

    def close(self) -> None:
        async def close() -> None:
            if self.pc is not None:
                await self.pc.close()

        self._call(close)


def test_one_session_per_agent_from_offer_to_off(voice: Helpline) -> None:
    anna = voice.create_user("anna", "agent")
    agent = voice.login("anna")
    app_voice = voice.app.state.voice
    first, second = Browser(voice), Browser(voice)
    try:
        response = agent.post("/api/v1/softphone/session", json={"sdp": first.offer()})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["type"] == "answer"
        assert answer["codec"] == "PCMU"
        assert "a=rtpmap:0 PCMU/8000" in answer["sdp"]
        first.accept(answer["sdp"])
        wait_until(
            lambda: agent.get("/api/v1/softphone/session").json()["connection"] == "connected",
            what="the softphone to connect",
        )
        state = agent.get("/api/v1/softphone/session").json()
        assert state["active"] is True
        assert state["session_id"] == answer["session_id"]
        assert state["on_call"] is False
        assert state["held"] is False
        first_leg = app_voice.softphones[str(anna.id)]

        # A second tab replaces the first: the voice service knows the new leg only.
        response = agent.post("/api/v1/softphone/session", json={"sdp": second.offer()})
        assert response.status_code == 200, response.text
        second.accept(response.json()["sdp"])
        assert response.json()["session_id"] != answer["session_id"]
        assert app_voice.softphones[str(anna.id)] not in (None, first_leg)
        softphones = voice.app.state.softphones
        assert len(softphones.sessions) == 1

        # The media engine restarts: the session gets a leg in the new engine.
        media = app_voice.media
        legs = voice.client.portal.call(media.ping)["legs"]  # type: ignore[union-attr]
        assert legs == 1
        os.kill(media.pid, signal.SIGKILL)
        wait_until(lambda: media.restarts == 1 and media.running, timeout=15, what="restart")
        wait_until(
            lambda: voice.client.portal.call(media.ping)["legs"] == 1,  # type: ignore[union-attr]
            timeout=5,
            what="the softphone's leg again",
        )
        assert agent.get("/api/v1/softphone/session").json()["active"] is True

        response = agent.delete("/api/v1/softphone/session")
        assert response.status_code == 200
        assert response.json()["active"] is False
        assert str(anna.id) not in app_voice.softphones
        assert voice.client.portal.call(media.ping)["legs"] == 0  # type: ignore[union-attr]
    finally:
        first.close()
        second.close()


def test_stopping_the_server_closes_the_sessions(settings: Settings) -> None:
    from helpline.web.app import create_app

    base = random.randrange(30000, 60000, 2)
    settings = settings.model_copy(
        update={"sip_enabled": True, "sip_port": 0, "rtp_ports": f"{base}-{base + 99}"}
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        helpline = Helpline(client)
        helpline.create_user("anna", "agent")
        agent = helpline.login("anna")
        browser = Browser(helpline)
        response = agent.post("/api/v1/softphone/session", json={"sdp": browser.offer()})
        assert response.status_code == 200, response.text
        browser.accept(response.json()["sdp"])
        gateway = next(iter(helpline.app.state.softphones.sessions.values())).gateway
        browser.close()
    assert gateway.closed
    assert helpline.app.state.softphones.sessions == {}

"""A queue call end to end: a caller dials a number, the call plan queues it, the ACD offers
it to an agent whose SIP phone (sipp, a real peer, echoing the audio it hears) answers,
and the caller hears its own tone come back through Helpline's bridge.

The caller is our own SIP stack with a plain RTP socket, so that the test can both send a
tone and analyse what comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from helpline.channels.media import g711, tone
from helpline.channels.media.rtp import RtpPacket, RtpSender
from helpline.channels.sip import sdp
from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.message import Headers, Request, Response
from helpline.channels.sip.transaction import Timers, new_call_id, new_tag
from helpline.channels.sip.transport import Peer
from helpline.storage.eventlog import read_events
from tests.support import Helpline, wait_until
from tests.voice.test_registrar import Phone

SIP_PASSWORD = "phone-secret-1"

AGENT_PHONE = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone answering one call">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:201@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <pause milliseconds="300"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:201@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=agent 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
]]></send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _setup(helpline: Helpline, *, queue_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """An agent with a phone line, a call queue, and a plan answering 100 into it."""
    from helpline.timeutil import utcnow
    from helpline.users import service
    from helpline.users.schemas import UserCreate

    helpline.create_user("boss", "admin")
    admin = helpline.login("boss")
    user_in = UserCreate(
        username="agent1",
        display_name="Agent One",
        password="login-password-1",
        roles=["agent"],
        lines=[{"extension": "201"}],
        sip_password=SIP_PASSWORD,
    )
    agent = helpline.run(
        lambda session: service.create(
            session=session, user_in=user_in, now=utcnow(), actor_id=None
        )
    )
    queue = admin.post(
        "/api/v1/call-queues", json={"name": "Support", **(queue_settings or {})}
    ).json()
    assigned = admin.put(
        f"/api/v1/call-queues/{queue['id']}/assignments", json={"agents": [agent.id]}
    )
    assert assigned.status_code == 200, assigned.text
    plan = admin.post(
        "/api/v1/call-plans",
        json={
            "name": "Support line",
            "entry": "wait",
            "nodes": [
                {"id": "wait", "type": "queue", "queue_id": queue["id"], "on_exit_star": "bye"},
                {"id": "bye", "type": "hangup"},
            ],
        },
    )
    assert plan.status_code == 201, plan.text
    numbers = admin.put(
        f"/api/v1/call-plans/{plan.json()['id']}/numbers", json={"numbers": [{"number": "100"}]}
    )
    assert numbers.status_code == 200, numbers.text
    return {"queue": queue, "agent": agent, "admin": admin}


class Caller:
    """A caller: SIP from our stack, RTP from a plain socket sending a 440 Hz tone."""

    def __init__(self, sip_port: int) -> None:
        self.server = Peer("UDP", "127.0.0.1", sip_port)
        self.endpoint = SipEndpoint(self, timers=Timers(t1=0.1))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.setblocking(False)
        self.heard = bytearray()  # decoded linear audio, in arrival order
        self.remote: tuple[str, int] | None = None
        self.byes: list[Request] = []
        self.hung_up = asyncio.Event()

    def on_request(self, transaction):  # type: ignore[no-untyped-def]
        if transaction.request.method == "BYE":
            self.byes.append(transaction.request)
            self.hung_up.set()
        transaction.respond(self.endpoint.response(transaction.request, 200))

    def on_cancel(self, transaction):  # type: ignore[no-untyped-def]
        pass

    def on_ack(self, request, peer):  # type: ignore[no-untyped-def]
        pass

    def on_stray_response(self, response, peer):  # type: ignore[no-untyped-def]
        pass

    async def call(self, number: str) -> tuple[Request, Response]:
        if not self.endpoint.port:
            await self.endpoint.start("127.0.0.1", 0)
        offer = sdp.audio_description(
            address="127.0.0.1",
            port=self.rtp.getsockname()[1],
            session_id=1,
            version=1,
            codecs=[(8, "PCMA"), (0, "PCMU")],
        ).encode()
        headers = Headers()
        headers.add("From", f'"Ada Caller" <sip:+390212345678@127.0.0.1>;tag={new_tag()}')
        headers.add("To", f"<sip:{number}@127.0.0.1>")
        headers.add("Call-ID", new_call_id("127.0.0.1"))
        headers.add("CSeq", "1 INVITE")
        headers.add("Contact", f"<sip:caller@127.0.0.1:{self.endpoint.port}>")
        headers.add("Content-Type", "application/sdp")
        invite = Request("INVITE", f"sip:{number}@127.0.0.1:{self.server.port}", headers, offer)
        response = await self.endpoint.send_request(invite, self.server).final()
        if response.status == 200:
            answer = sdp.negotiate(sdp.parse(response.body))
            self.remote = (answer.remote_address, answer.remote_port)
            self.codec = g711.get_codec(answer.codec)
            ack_headers = Headers()
            ack_headers.add("From", headers.get("From") or "")
            ack_headers.add("To", response.headers.get("To") or "")
            ack_headers.add("Call-ID", headers.get("Call-ID") or "")
            ack_headers.add("CSeq", "1 ACK")
            self.endpoint.send_ack(Request("ACK", invite.uri, ack_headers), self.server)
        return invite, response

    async def talk(self, seconds: float, frequency: float = 440.0) -> None:
        """Send the tone for ``seconds`` at 20 ms pace, keeping what comes back."""
        assert self.remote is not None
        sender = RtpSender(ssrc=1234, payload_type=self.codec.payload_type)
        audio = tone.sine(frequency, seconds * 1000, 0.4)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for index in range(int(seconds * 50)):
            frame = audio[index * 320 : (index + 1) * 320]
            packet = sender.frame(self.codec.encode(frame))
            self.rtp.sendto(packet.encode(), self.remote)
            self._drain()
            await asyncio.sleep(max(0.0, start + (index + 1) * 0.02 - loop.time()))
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                data = self.rtp.recv(2048)
            except BlockingIOError:
                return
            packet = RtpPacket.parse(data)
            if packet.payload_type in (0, 8):
                self.heard += g711.get_codec(packet.payload_type).decode(packet.payload)

    async def hang_up(self, invite: Request, response: Response) -> int:
        headers = Headers()
        headers.add("From", invite.headers.get("From") or "")
        headers.add("To", response.headers.get("To") or "")
        headers.add("Call-ID", invite.headers.get("Call-ID") or "")
        headers.add("CSeq", "2 BYE")
        bye = Request("BYE", invite.uri, headers)
        answer = await self.endpoint.send_request(bye, self.server).final()
        return answer.status

    async def close(self) -> None:
        self.rtp.close()
        await self.endpoint.stop()


def _events(helpline: Helpline, prefix: str) -> list[Any]:
    events = helpline.run(lambda session: read_events(session, after=0, limit=5000))
    return [e for e in events if e.type.startswith(prefix)]


def _register_phone(helpline: Helpline, phone_port: int) -> None:
    async def steps(phone: Phone) -> Response:
        return await phone.register("201", [f"<sip:201@127.0.0.1:{phone_port}>"])

    async def run() -> Response:
        phone = Phone(helpline.app.state.voice.port)
        await phone.endpoint.start("127.0.0.1", 0)
        try:
            return await steps(phone)
        finally:
            await phone.endpoint.stop()

    assert asyncio.run(run()).status == 200


def test_a_queue_call_reaches_the_agents_phone_with_audio_both_ways(
    voice_call_center: Helpline, sipp: str, tmp_path: Path
) -> None:
    helpline = voice_call_center
    setup = _setup(helpline)
    phone_port = _free_udp_port()
    media_port = random.randrange(20000, 29000, 2)
    scenario = tmp_path / "agent.xml"
    scenario.write_text(AGENT_PHONE)
    phone = subprocess.Popen(
        [
            sipp,
            "-sf",
            str(scenario),
            "-i",
            "127.0.0.1",
            "-p",
            str(phone_port),
            "-mp",
            str(media_port),
            "-rtp_echo",
            "-m",
            "1",
            "-timeout",
            "40s",
            "-timeout_error",
            "-nostdin",
            "-trace_err",
            "-error_file",
            str(tmp_path / "sipp-errors.log"),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _register_phone(helpline, phone_port)
        agent = helpline.login("agent1", "login-password-1")
        assert agent.post("/api/v1/acd/me/login", json={}).status_code == 200
        assert agent.post("/api/v1/acd/me/ready", json={}).status_code == 200

        async def the_call() -> tuple[Response, bytes, int]:
            caller = Caller(helpline.app.state.voice.port)
            try:
                invite, response = await caller.call("100")
                if response.status != 200:
                    return response, b"", 0
                await caller.talk(4.0)
                heard = bytes(caller.heard)
                assert await caller.hang_up(invite, response) == 200
                return response, heard, len(caller.byes)
            finally:
                await caller.close()

        response, heard, byes = asyncio.run(the_call())
        assert response.status == 200, response
        # The first second is hold music and ringing; the last two are the agent's echo.
        echoed = heard[-2 * 16000 :]
        assert len(echoed) == 2 * 16000
        assert abs(tone.estimate_frequency(echoed) - 440.0) < 5
        assert tone.goertzel_power(echoed, 440.0) > 10 * tone.goertzel_power(echoed, 1000.0)
        assert byes == 0
        output, _ = phone.communicate(timeout=20)
        assert phone.returncode == 0, output.decode(errors="replace")[-3000:]
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()

    queue_key = f"call:{setup['queue']['id']}"
    wait_until(
        lambda: any(e.type == "call.ended" for e in _events(helpline, "call.")),
        what="the call's end event",
    )
    types = [e.type for e in _events(helpline, "acd.") if e.payload.get("queue_id") == queue_key]
    for expected in (
        "acd.contact_queued",
        "acd.contact_offered",
        "acd.contact_accepted",
        "acd.wrap_up_started",
    ):
        assert expected in types, types
    ended = [e for e in _events(helpline, "call.") if e.type == "call.ended"]
    assert ended[0].payload["outcome"] == "handled"
    card = setup["admin"].get(f"/api/v1/acd/queues/{queue_key}").json()["card"]
    assert card["handled"] == 1
    voice = helpline.app.state.voice
    # Nothing of the call is left behind in the service's indexes (both legs, the contact).
    wait_until(lambda: not voice.calls and not voice.legs, what="the call's legs to be forgotten")
    assert voice._by_contact == {}


def test_a_caller_who_hangs_up_in_the_queue_is_abandoned(
    voice_call_center: Helpline, tmp_path: Path
) -> None:
    helpline = voice_call_center
    setup = _setup(helpline)  # nobody logged in: the call waits with hold music

    async def the_call() -> tuple[Response, bytes]:
        caller = Caller(helpline.app.state.voice.port)
        try:
            invite, response = await caller.call("100")
            await caller.talk(1.5, 700.0)
            heard = bytes(caller.heard)
            assert await caller.hang_up(invite, response) == 200
            return response, heard
        finally:
            await caller.close()

    response, heard = asyncio.run(the_call())
    assert response.status == 200
    assert tone.level_dbfs(heard[-8000:]) > -40  # hold music, not silence
    queue_key = f"call:{setup['queue']['id']}"
    wait_until(
        lambda: any(e.type == "acd.contact_abandoned" for e in _events(helpline, "acd.")),
        what="the abandon",
    )
    card = setup["admin"].get(f"/api/v1/acd/queues/{queue_key}").json()["card"]
    assert card["abandoned"] == 1


def test_star_leaves_the_queue_by_the_on_exit_branch_and_unknown_numbers_get_404(
    voice_call_center: Helpline,
) -> None:
    helpline = voice_call_center
    setup = _setup(helpline)

    async def the_call() -> tuple[Response, Response, int]:
        caller = Caller(helpline.app.state.voice.port)
        try:
            _invite, response = await caller.call("100")
            await caller.talk(0.6)
            # RFC 4733 '*' (event 10), three end packets as phones send them.
            sender = RtpSender(ssrc=99, payload_type=101)
            from helpline.channels.media.dtmf import DtmfSender

            assert caller.remote is not None
            for packet in DtmfSender(101).packets("*", sender):
                caller.rtp.sendto(packet.encode(), caller.remote)
                await asyncio.sleep(0.02)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(caller.hung_up.wait(), 5)
            _, missing = await caller.call("555")
            return response, missing, len(caller.byes)
        finally:
            await caller.close()

    response, missing, byes = asyncio.run(the_call())
    assert response.status == 200
    assert byes == 1  # the plan's "bye" node hung up
    assert missing.status == 404
    queue_key = f"call:{setup['queue']['id']}"
    card = setup["admin"].get(f"/api/v1/acd/queues/{queue_key}").json()["card"]
    assert card["expired"] == 1


def _plan(helpline: Helpline, admin: Any, queue_id: int, nodes: list[dict[str, Any]]) -> None:
    plans = admin.get("/api/v1/call-plans").json()
    plan = plans[0]
    full = admin.get(f"/api/v1/call-plans/{plan['id']}").json()
    saved = admin.put(
        f"/api/v1/call-plans/{plan['id']}",
        json={
            "name": full["name"],
            "entry": nodes[0]["id"],
            "nodes": nodes,
            "version": full["version"],
        },
    )
    assert saved.status_code == 200, saved.text


async def _press(caller: Caller, digit: str) -> None:
    from helpline.channels.media.dtmf import DtmfSender

    assert caller.remote is not None
    sender = RtpSender(ssrc=77, payload_type=101)
    for packet in DtmfSender(101).packets(digit, sender):
        caller.rtp.sendto(packet.encode(), caller.remote)
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(("key", "queued"), [("1", True), ("2", False)])
def test_a_menu_key_chooses_the_branch(voice_call_center: Helpline, key: str, queued: bool) -> None:
    helpline = voice_call_center
    setup = _setup(helpline)
    _plan(
        helpline,
        setup["admin"],
        setup["queue"]["id"],
        [
            {
                "id": "hours",
                "type": "schedule",
                "on_open": "menu",
                "on_closed": "menu",
                "open_hours": [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)],
            },
            {
                "id": "menu",
                "type": "menu",
                "prompt": "menu_default",
                "timeout_seconds": 3,
                "choices": {"1": "wait", "2": "bye"},
            },
            {
                "id": "wait",
                "type": "queue",
                "queue_id": setup["queue"]["id"],
                "announce_position": True,
            },
            {"id": "bye", "type": "prompt", "prompt": "goodbye"},
        ],
    )

    async def the_call() -> tuple[Response, int, bytes]:
        caller = Caller(helpline.app.state.voice.port)
        try:
            invite, response = await caller.call("100")
            await caller.talk(0.5)
            await _press(caller, key)
            await caller.talk(3.0)
            heard = bytes(caller.heard)
            if not caller.byes:
                assert await caller.hang_up(invite, response) == 200
            return response, len(caller.byes), heard
        finally:
            await caller.close()

    response, byes, heard = asyncio.run(the_call())
    assert response.status == 200
    assert tone.level_dbfs(heard[:8000]) > -40  # the menu prompt was spoken
    queue_events = [e for e in _events(helpline, "acd.") if e.type == "acd.contact_queued"]
    assert bool(queue_events) is queued
    # "2" plays goodbye and the plan ends: Helpline hangs up.
    assert byes == (0 if queued else 1)


def test_calls_follow_the_numbers_an_admin_changes(voice_call_center: Helpline) -> None:
    """The voice service keeps number -> plan in memory: a change must reach the next call."""
    helpline = voice_call_center
    setup = _setup(helpline)
    admin = setup["admin"]
    plan_id = admin.get("/api/v1/call-plans").json()[0]["id"]

    def numbers(*wanted: str) -> None:
        body = {"numbers": [{"number": n} for n in wanted]}
        changed = admin.put(f"/api/v1/call-plans/{plan_id}/numbers", json=body)
        assert changed.status_code == 200, changed.text

    async def status_of_calls_to(*dialled: str) -> list[int]:
        caller = Caller(helpline.app.state.voice.port)
        statuses = []
        try:
            for number in dialled:
                invite, response = await caller.call(number)
                statuses.append(response.status)
                if response.status == 200:
                    await caller.hang_up(invite, response)
        finally:
            await caller.close()
        return statuses

    assert asyncio.run(status_of_calls_to("100", "101")) == [200, 404]
    numbers("101")  # 100 no longer answers; 101 now does
    assert asyncio.run(status_of_calls_to("100", "101")) == [404, 200]

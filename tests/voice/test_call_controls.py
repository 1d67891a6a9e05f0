"""Call controls with real SIP/RTP peers, audio checked by frequency.

Every party sends its own tone: the caller 440 Hz, the agent's phone 1000 Hz, the third
party's 1500 Hz, the supervisor's 2000 Hz. What each one hears is then tested for the
tones it must and must not hear. The caller is our SIP stack with a plain RTP socket (as
in ``test_queue_calls``); the phones are :class:`TonePhone`: a REGISTERed line on our
stack that answers INVITEs, sends its tone at a 20 ms pace and keeps what it hears, by
phase. The recording test's agent is sipp, echoing what it hears; in the last test the
supervisor's phone is baresip (in a network namespace), recording what it hears.
"""

from __future__ import annotations

import asyncio
import io
import random
import socket
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from helpline.channels.media import g711, tone, wav
from helpline.channels.media.rtp import RtpPacket, RtpSender
from helpline.channels.sip import sdp
from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.message import Headers, Request, parse_name_addr
from helpline.channels.sip.transaction import Timers, new_tag
from helpline.channels.sip.transport import Peer
from helpline.timeutil import utcnow
from helpline.users import service as users
from helpline.users.schemas import UserCreate
from tests.support import Helpline, wait_until
from tests.voice import test_baresip
from tests.voice.test_baresip import Baresip, Namespace, _loudest_stretch, _registered_phones
from tests.voice.test_queue_calls import (
    AGENT_PHONE,
    SIP_PASSWORD,
    Caller,
    _events,
    _free_udp_port,
    _register_phone,
    _setup,
)
from tests.voice.test_registrar import Phone

# The phone tests' fixtures (a network namespace, baresip, the app on the namespace's veth).
netns = test_baresip.netns
baresip = test_baresip.baresip
call_center_on = test_baresip.call_center_on

CALLER = 440.0
AGENT = 1000.0
THIRD = 1500.0
SUPERVISOR = 2000.0
FRAME = 320  # bytes of 20 ms of 8 kHz 16-bit audio


class TonePhone:
    """A registered phone that answers every INVITE, sends its tone and keeps what it hears."""

    def __init__(self, sip_port: int, frequency: float) -> None:
        self.sip_port = sip_port
        self.frequency = frequency
        self.endpoint = SipEndpoint(self, timers=Timers(t1=0.1))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.setblocking(False)
        self.remote: tuple[str, int] | None = None
        self.codec: g711.Codec | None = None
        self.heard = bytearray()
        self.invites = 0
        self.byes = 0
        self.answered = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self.dialog: tuple[Request, Peer, str] | None = None  # the INVITE, its peer, our tag

    async def start(self, extension: str, username: str, server: str = "127.0.0.1") -> None:
        await self.endpoint.start("127.0.0.1", 0)
        registrar = Phone(self.sip_port, username=username, password=SIP_PASSWORD)
        registrar.server = Peer("UDP", server, self.sip_port)
        await registrar.endpoint.start("127.0.0.1", 0)
        try:
            contact = f"<sip:{extension}@127.0.0.1:{self.endpoint.port}>"
            response = await registrar.register(extension, [contact])
            assert response.status == 200, response
        finally:
            await registrar.endpoint.stop()

    def on_request(self, transaction):  # type: ignore[no-untyped-def]
        request = transaction.request
        if request.method == "INVITE":
            self.invites += 1
            self.dialog = (request, transaction.peer, new_tag())
            offer = sdp.negotiate(sdp.parse(request.body))
            self.remote = (offer.remote_address, offer.remote_port)
            self.codec = g711.get_codec(offer.codec)
            answer = sdp.audio_description(
                address="127.0.0.1",
                port=self.rtp.getsockname()[1],
                session_id=7,
                version=1,
                codecs=[(offer.payload_type, offer.codec)],
            ).encode()
            transaction.respond(
                self.endpoint.response(
                    request,
                    200,
                    to_tag=self.dialog[2],
                    headers=[
                        ("Contact", f"<sip:phone@127.0.0.1:{self.endpoint.port}>"),
                        ("Content-Type", "application/sdp"),
                    ],
                    body=answer,
                )
            )
            self.answered.set()
            if self._sender is None:
                self._sender = asyncio.get_running_loop().create_task(self._send())
            return
        if request.method == "BYE":
            self.byes += 1
            self.remote = None
        transaction.respond(self.endpoint.response(request, 200))

    def on_cancel(self, transaction):  # type: ignore[no-untyped-def]
        pass

    def on_ack(self, request, peer):  # type: ignore[no-untyped-def]
        pass

    def on_stray_response(self, response, peer):  # type: ignore[no-untyped-def]
        pass

    async def hang_up(self) -> int:
        """BYE in the dialog of the INVITE we answered (the person puts the phone down)."""
        assert self.dialog is not None
        invite, peer, tag = self.dialog
        contact = parse_name_addr(invite.headers.get("Contact") or "")
        headers = Headers()
        headers.add("From", f"{invite.headers.get('To')};tag={tag}")
        headers.add("To", invite.headers.get("From") or "")
        headers.add("Call-ID", invite.headers.get("Call-ID") or "")
        headers.add("CSeq", "1 BYE")
        self.remote = None
        bye = Request("BYE", str(contact.uri), headers)
        return (await self.endpoint.send_request(bye, peer).final()).status

    async def _send(self) -> None:
        sender: RtpSender | None = None
        audio = tone.sine(self.frequency, 1000, 0.3)
        loop = asyncio.get_running_loop()
        start = loop.time()
        index = 0
        while True:
            remote, codec = self.remote, self.codec
            if remote is not None and codec is not None:
                if sender is None:
                    sender = RtpSender(ssrc=4321, payload_type=codec.payload_type)
                offset = (index % 50) * FRAME
                frame = audio[offset : offset + FRAME]
                self.rtp.sendto(sender.frame(codec.encode(frame)).encode(), remote)
            self.drain()
            index += 1
            await asyncio.sleep(max(0.0, start + index * 0.02 - loop.time()))

    def drain(self) -> None:
        while True:
            try:
                data = self.rtp.recv(2048)
            except (BlockingIOError, OSError):
                return
            packet = RtpPacket.parse(data)
            if packet.payload_type in (0, 8):
                self.heard += g711.get_codec(packet.payload_type).decode(packet.payload)

    def mark(self) -> int:
        self.drain()
        return len(self.heard)

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
        self.rtp.close()
        await self.endpoint.stop()


TONES = (CALLER, AGENT, THIRD, SUPERVISOR)


def _tones(pcm: bytes) -> set[float]:
    """The parties' tones that are a real part of this audio, not leakage or noise: each
    at least 5 % of the power of all the parties' tones together."""
    powers = {f: tone.goertzel_power(pcm, f) for f in TONES}
    total = sum(powers.values())
    return {f for f, power in powers.items() if total > 0 and power > 0.05 * total}


def _last_second(heard: bytearray, start: int, end: int) -> bytes:
    """The last second of what was heard between two marks (the phase has settled)."""
    end -= end % 2
    return bytes(heard[max(start, end - 16000) : end])


def _add_user(helpline: Helpline, username: str, roles: list[str], extension: str) -> Any:
    user_in = UserCreate(
        username=username,
        display_name=username.title(),
        password="login-password-1",
        roles=roles,
        lines=[{"extension": extension}],
        sip_password=SIP_PASSWORD,
    )
    return helpline.run(
        lambda session: users.create(session=session, user_in=user_in, now=utcnow(), actor_id=None)
    )


async def _call(client: TestClient, method: str, url: str, **kwargs: Any) -> Any:
    """An HTTP request from the peers' event loop (the app runs in its own thread)."""
    return await asyncio.to_thread(client.request, method, url, **kwargs)


async def _until(check: Callable[[], bool], what: str) -> None:
    """Poll ``check`` from the peers' loop, for at most 10 s."""
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _agent_ready(helpline: Helpline) -> TestClient:
    agent = helpline.login("agent1", "login-password-1")
    assert agent.post("/api/v1/acd/me/login", json={}).status_code == 200
    assert agent.post("/api/v1/acd/me/ready", json={}).status_code == 200
    return agent


def _run_with_phones(
    helpline: Helpline,
    phones: list[tuple[str, str, float]],
    scenario: Callable[[Caller, list[TonePhone]], Awaitable[None]],
) -> None:
    """Register the phones (extension, user, tone), place the caller's call to 100 and run
    ``scenario``; the caller hangs up at the end."""
    sip_port = helpline.app.state.voice.port

    async def run() -> None:
        started = [TonePhone(sip_port, frequency) for _, _, frequency in phones]
        caller = Caller(sip_port)
        try:
            for phone, (extension, username, _) in zip(started, phones, strict=True):
                await phone.start(extension, username)
            helpline.app.state.voice.forget_configuration()
            await scenario(caller, started)
        finally:
            await caller.close()
            for phone in started:
                await phone.close()

    asyncio.run(run())


async def _answered_call(caller: Caller, agent_phone: TonePhone) -> tuple[Any, Any]:
    invite, response = await caller.call("100")
    assert response.status == 200, response
    await _until(agent_phone.answered.is_set, "the agent's phone answers")
    return invite, response


def test_a_three_way_call_where_everyone_hears_everyone_then_the_agent_leaves(
    voice_call_center: Helpline,
) -> None:
    helpline = voice_call_center
    _setup(helpline)
    _add_user(helpline, "agent2", ["agent"], "202")
    agent = _agent_ready(helpline)

    async def scenario(caller: Caller, phones: list[TonePhone]) -> None:
        agent_phone, third = phones
        invite, response = await _answered_call(caller, agent_phone)
        await caller.talk(0.6, CALLER)
        added = await _call(agent, "POST", "/api/v1/calls/me/parties", json={"target": "202"})
        assert added.status_code == 202, added.text
        party = added.json()
        assert (party["state"], party["target"]) == ("ringing", "202")
        await _until(third.answered.is_set, "the third party answers")
        await caller.talk(0.5, CALLER)  # the conference settles
        marks = (len(caller.heard), agent_phone.mark(), third.mark())
        await caller.talk(1.5, CALLER)
        caller_heard = _last_second(caller.heard, marks[0], len(caller.heard))
        agent_heard = _last_second(agent_phone.heard, marks[1], agent_phone.mark())
        third_heard = _last_second(third.heard, marks[2], third.mark())
        # Everyone hears the two others, and not themselves (mix-minus).
        assert _tones(caller_heard) == {AGENT, THIRD}
        assert _tones(agent_heard) == {CALLER, THIRD}
        assert _tones(third_heard) == {CALLER, AGENT}
        state = (await _call(agent, "GET", "/api/v1/calls/me")).json()
        assert [p["state"] for p in state["parties"]] == ["joined"]

        # A second third party is refused while one is on.
        again = await _call(agent, "POST", "/api/v1/calls/me/parties", json={"target": "202"})
        assert again.status_code == 409, again.text

        # The agent leaves: the caller and the third party talk on; the agent's phone is
        # hung up and the agent is in wrap-up.
        left = await _call(agent, "POST", "/api/v1/calls/me/leave")
        assert left.status_code == 200, left.text
        await _until(lambda: agent_phone.byes == 1, "the agent's phone is hung up")
        await caller.talk(0.5, CALLER)
        marks = (len(caller.heard), third.mark())
        await caller.talk(1.5, CALLER)
        caller_heard = _last_second(caller.heard, marks[0], len(caller.heard))
        third_heard = _last_second(third.heard, marks[1], third.mark())
        assert _tones(caller_heard) == {THIRD}
        assert _tones(third_heard) == {CALLER}
        me = (await _call(agent, "GET", "/api/v1/acd/me")).json()
        assert me["status"] in ("wrap_up", "ready"), me
        assert (await _call(agent, "GET", "/api/v1/calls/me")).status_code == 204
        # The caller hangs up: the third party's phone hears BYE.
        assert await caller.hang_up(invite, response) == 200
        await _until(lambda: third.byes == 1, "the third party is hung up")

    _run_with_phones(helpline, [("201", "agent1", AGENT), ("202", "agent2", THIRD)], scenario)
    types = [e.type for e in _events(helpline, "call.")]
    for expected in ("call.party_added", "call.party_joined", "call.agent_left"):
        assert expected in types, types
    left = [e for e in _events(helpline, "call.party_left")]
    assert [e.payload["reason"] for e in left] == ["call ended"]


def test_the_agent_drops_the_third_party_and_talks_on_with_the_caller(
    voice_call_center: Helpline,
) -> None:
    helpline = voice_call_center
    setup = _setup(helpline, queue_settings={"record_calls": True})
    _add_user(helpline, "agent2", ["agent"], "202")
    agent = _agent_ready(helpline)

    async def scenario(caller: Caller, phones: list[TonePhone]) -> None:
        agent_phone, third = phones
        invite, response = await _answered_call(caller, agent_phone)
        added = await _call(agent, "POST", "/api/v1/calls/me/parties", json={"target": "202"})
        assert added.status_code == 202, added.text
        await _until(third.answered.is_set, "the third party answers")
        await caller.talk(0.5, CALLER)
        dropped = await _call(
            agent, "DELETE", f"/api/v1/calls/me/parties/{added.json()['party_id']}"
        )
        assert dropped.status_code == 200, dropped.text
        assert dropped.json()["parties"] == []
        assert third.byes == 1
        await caller.talk(0.5, CALLER)
        marks = (len(caller.heard), agent_phone.mark())
        await caller.talk(1.5, CALLER)
        caller_heard = _last_second(caller.heard, marks[0], len(caller.heard))
        agent_heard = _last_second(agent_phone.heard, marks[1], agent_phone.mark())
        assert _tones(caller_heard) == {AGENT}
        assert _tones(agent_heard) == {CALLER}
        missing = await _call(agent, "DELETE", "/api/v1/calls/me/parties/nobody")
        assert missing.status_code == 404
        assert await caller.hang_up(invite, response) == 200

    _run_with_phones(helpline, [("201", "agent1", AGENT), ("202", "agent2", THIRD)], scenario)
    left = [e for e in _events(helpline, "call.party_left")]
    assert [e.payload["reason"] for e in left] == ["dropped"]
    # The recording restarts when the parties change: each segment holds who was talking.
    wait_until(
        lambda: len(_events(helpline, "call.recording_stopped")) == 3,
        what="the last recording segment's end",
    )
    recordings = setup["admin"].get("/api/v1/recordings").json()
    segments: dict[int, list[str]] = {}
    for row in recordings:
        segments.setdefault(row["segment"], []).append(row["kind"])
    assert {number: sorted(kinds) for number, kinds in segments.items()} == {
        1: ["agent", "caller", "mixed"],
        2: ["agent", "caller", "mixed", "third_party"],
        3: ["agent", "caller", "mixed"],
    }
    data_dir = Path(helpline.app.state.settings.data_dir)
    third = next(r for r in recordings if r["kind"] == "third_party")
    pcm = bytes(wav.read_wav(data_dir / third["path"]))
    assert _tones(_loudest_stretch(pcm)) == {THIRD}


def test_a_supervisor_listens_whispers_and_barges_from_their_phone(
    voice_call_center: Helpline,
) -> None:
    helpline = voice_call_center
    setup = _setup(helpline)
    boss = _add_user(helpline, "super1", ["supervisor"], "301")
    _add_user(helpline, "super2", ["supervisor"], "302")
    admin = setup["admin"]
    assigned = admin.put(
        f"/api/v1/call-queues/{setup['queue']['id']}/assignments",
        json={"agents": [setup["agent"].id], "supervisors": [boss.id]},
    )
    assert assigned.status_code == 200, assigned.text
    agent = _agent_ready(helpline)
    supervisor = helpline.login("super1", "login-password-1")
    outsider = helpline.login("super2", "login-password-1")
    agent_id = setup["agent"].id
    monitor_url = f"/api/v1/calls/agents/{agent_id}/monitor"

    async def phase(caller: Caller, phones: list[TonePhone]) -> list[bytes]:
        await caller.talk(0.5, CALLER)
        marks = [len(caller.heard), *(p.mark() for p in phones)]
        await caller.talk(1.5, CALLER)
        heard = [_last_second(caller.heard, marks[0], len(caller.heard))]
        for phone, mark in zip(phones, marks[1:], strict=True):
            heard.append(_last_second(phone.heard, mark, phone.mark()))
        return heard

    async def scenario(caller: Caller, phones: list[TonePhone]) -> None:
        agent_phone, boss_phone = phones
        invite, response = await _answered_call(caller, agent_phone)
        refused = await _call(outsider, "PUT", monitor_url, json={"mode": "listen"})
        assert refused.status_code == 403, refused.text
        by_agent = await _call(agent, "PUT", monitor_url, json={"mode": "listen"})
        assert by_agent.status_code == 403, by_agent.text
        bad = await _call(supervisor, "PUT", monitor_url, json={"mode": "shout"})
        assert bad.status_code == 422

        started = await _call(supervisor, "PUT", monitor_url, json={"mode": "listen"})
        assert started.status_code == 200, started.text
        await _until(boss_phone.answered.is_set, "the supervisor's phone answers")
        caller_heard, agent_heard, boss_heard = await phase(caller, phones)
        assert _tones(boss_heard) == {CALLER, AGENT}
        assert _tones(caller_heard) == {AGENT}
        assert _tones(agent_heard) == {CALLER}

        whisper = await _call(supervisor, "PUT", monitor_url, json={"mode": "whisper"})
        assert whisper.status_code == 200, whisper.text
        assert whisper.json()["monitors"][0]["mode"] == "whisper"
        caller_heard, agent_heard, boss_heard = await phase(caller, phones)
        assert _tones(agent_heard) == {CALLER, SUPERVISOR}
        assert _tones(caller_heard) == {AGENT}
        assert _tones(boss_heard) == {CALLER, AGENT}

        barge = await _call(supervisor, "PUT", monitor_url, json={"mode": "barge"})
        assert barge.status_code == 200, barge.text
        caller_heard, agent_heard, boss_heard = await phase(caller, phones)
        assert _tones(caller_heard) == {AGENT, SUPERVISOR}
        assert _tones(agent_heard) == {CALLER, SUPERVISOR}
        assert _tones(boss_heard) == {CALLER, AGENT}

        stopped = await _call(supervisor, "DELETE", monitor_url)
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["monitors"] == []
        assert boss_phone.byes == 1
        caller_heard, agent_heard, _ = await phase(caller, phones)
        assert _tones(caller_heard) == {AGENT}
        assert _tones(agent_heard) == {CALLER}
        assert await caller.hang_up(invite, response) == 200

    _run_with_phones(helpline, [("201", "agent1", AGENT), ("301", "super1", SUPERVISOR)], scenario)
    types = [e.type for e in _events(helpline, "call.monitor")]
    assert types == [
        "call.monitor_started",
        "call.monitor_mode_changed",
        "call.monitor_mode_changed",
        "call.monitor_ended",
    ]


def _silent_run(pcm: bytes) -> tuple[int, int]:
    """The longest run of quiet 20 ms frames between the first and the last loud one."""
    frames = [tone.level_dbfs(pcm[i : i + FRAME]) for i in range(0, len(pcm) - FRAME + 1, FRAME)]
    loud = [i for i, level in enumerate(frames) if level > -30]
    assert loud, "the recording holds no audio"
    best = (0, 0)
    start = None
    for index in range(loud[0], loud[-1] + 1):
        if frames[index] < -60:
            start = index if start is None else start
            if index + 1 - start > best[1] - best[0]:
                best = (start, index + 1)
        else:
            start = None
    return best


def test_a_recorded_call_paused_in_the_middle_has_silence_there_and_tone_around(
    voice_call_center: Helpline, sipp: str, tmp_path: Path
) -> None:
    helpline = voice_call_center
    setup = _setup(helpline, queue_settings={"record_calls": True})
    assert setup["queue"]["record_calls"] is True
    phone_port = _free_udp_port()
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
            str(random.randrange(20000, 29000, 2)),
            "-rtp_echo",
            "-m",
            "1",
            "-timeout",
            "30s",
            "-timeout_error",
            "-nostdin",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _register_phone(helpline, phone_port)
        agent = _agent_ready(helpline)

        async def the_call() -> None:
            caller = Caller(helpline.app.state.voice.port)
            try:
                invite, response = await caller.call("100")
                assert response.status == 200, response

                def recording() -> bool:
                    state = agent.get("/api/v1/calls/me")
                    return state.status_code == 200 and state.json()["recording"]["enabled"]

                await _until(recording, "the recording starts")
                await caller.talk(1.5, CALLER)
                paused = await _call(agent, "POST", "/api/v1/calls/me/recording/pause")
                assert paused.status_code == 200, paused.text
                assert paused.json()["recording"]["paused"] is True
                twice = await _call(agent, "POST", "/api/v1/calls/me/recording/pause")
                assert twice.status_code == 409
                await caller.talk(1.5, CALLER)
                resumed = await _call(agent, "POST", "/api/v1/calls/me/recording/resume")
                assert resumed.status_code == 200, resumed.text
                await caller.talk(1.5, CALLER)
                assert await caller.hang_up(invite, response) == 200
            finally:
                await caller.close()

        asyncio.run(the_call())
        phone.communicate(timeout=20)
    finally:
        if phone.poll() is None:
            phone.kill()
            phone.wait()

    wait_until(
        lambda: any(e.type == "call.recording_stopped" for e in _events(helpline, "call.")),
        what="the recording's end",
    )
    types = [e.type for e in _events(helpline, "call.recording")]
    assert types == [
        "call.recording_started",
        "call.recording_paused",
        "call.recording_resumed",
        "call.recording_stopped",
    ]
    admin = setup["admin"]
    listed = admin.get("/api/v1/recordings").json()
    assert sorted(r["kind"] for r in listed) == ["agent", "caller", "mixed"]
    assert all(r["duration_ms"] and r["duration_ms"] > 3000 for r in listed)
    for row in listed:
        download = admin.get(f"/api/v1/recordings/{row['id']}/file")
        assert download.status_code == 200
        assert download.headers["content-type"] == "audio/wav"
        pcm = bytes(wav.read_wav(io.BytesIO(download.content)))
        first, last = _silent_run(pcm)
        # The paused 1.5 s are silence (give or take the time the requests took)...
        assert 1.2 <= (last - first) * 0.02 <= 2.2, (first, last)
        # ...and the caller's tone is there before and after (echoed by the agent's phone).
        before = pcm[max(0, first * FRAME - 16000) : first * FRAME - 3200]
        after = pcm[last * FRAME + 3200 : last * FRAME + 16000]
        for stretch in (before, after):
            assert abs(tone.estimate_frequency(stretch) - CALLER) < 5
    agent_client = helpline.login("agent1", "login-password-1")
    assert agent_client.get("/api/v1/recordings").status_code == 403
    assert agent_client.get(f"/api/v1/recordings/{listed[0]['id']}/file").status_code == 403


def test_baresip_as_the_supervisors_phone_hears_the_call_and_is_not_heard(
    call_center_on: Helpline,
    netns: Namespace,
    baresip: str,
    tmp_path: Path,
) -> None:
    """Monitor (listen) with a real SIP phone: baresip, line 301 of a supervisor, answers by
    itself, plays 1000 Hz and records what it hears. The agent's phone sends 1500 Hz."""
    helpline = call_center_on
    setup = _setup(helpline)
    boss = _add_user(helpline, "super1", ["supervisor"], "301")
    admin = setup["admin"]
    assigned = admin.put(
        f"/api/v1/call-queues/{setup['queue']['id']}/assignments",
        json={"agents": [setup["agent"].id], "supervisors": [boss.id]},
    )
    assert assigned.status_code == 200, assigned.text
    voice = helpline.app.state.voice
    phone = Baresip(baresip, netns, tmp_path / "baresip", voice.port)
    (phone.directory / "accounts").write_text(
        f"<sip:301@{netns.host_address}:{voice.port}>;auth_user=super1;"
        f"auth_pass={SIP_PASSWORD};regint=60;answermode=auto\n"
    )
    phone.start()
    agent = _agent_ready(helpline)
    supervisor = helpline.login("super1", "login-password-1")
    agent_call = f"/api/v1/calls/agents/{setup['agent'].id}"
    try:
        wait_until(
            lambda: any(ext == "301" for ext, _ in _registered_phones(helpline)),
            what="baresip's registration of line 301",
        )

        async def the_call() -> None:
            agent_phone = TonePhone(voice.port, THIRD)
            caller = Caller(voice.port)
            caller.server = Peer("UDP", netns.host_address, voice.port)
            try:
                await agent_phone.start("201", "agent1", netns.host_address)
                voice.forget_configuration()
                invite, response = await _answered_call(caller, agent_phone)
                listen = await _call(
                    supervisor, "PUT", agent_call + "/monitor", json={"mode": "listen"}
                )
                assert listen.status_code == 200, listen.text

                def joined() -> bool:
                    monitors = supervisor.get(agent_call).json()["monitors"]
                    return [m["state"] for m in monitors] == ["joined"]

                await _until(joined, "baresip answers")
                await caller.talk(0.5, CALLER)
                marks = (len(caller.heard), agent_phone.mark())
                await caller.talk(2.0, CALLER)
                assert _tones(_last_second(caller.heard, marks[0], len(caller.heard))) == {THIRD}
                agent_heard = _last_second(agent_phone.heard, marks[1], agent_phone.mark())
                assert _tones(agent_heard) == {CALLER}
                # Silent monitoring is silent: the agent's own view does not show it.
                mine = (await _call(agent, "GET", "/api/v1/calls/me")).json()
                assert mine["monitors"] == []
                assert await caller.hang_up(invite, response) == 200
            finally:
                await caller.close()
                await agent_phone.close()

        asyncio.run(the_call())
        wait_until(
            lambda: any(e.type == "call.monitor_ended" for e in _events(helpline, "call.")),
            what="the monitor's end",
        )
        phone.stop()
        heard = _loudest_stretch(phone.heard())
        assert len(heard) >= 16000, f"only {len(heard) / 16000:.2f} s of audio"
        assert _tones(heard) == {CALLER, THIRD}
    except BaseException:
        phone.stop()
        print(f"---- baresip's log ({phone.log}) ----\n{phone.output()[-6000:]}")
        raise
    finally:
        phone.stop()
    ended = [e for e in _events(helpline, "call.monitor_ended")]
    assert [e.payload["reason"] for e in ended] == ["call ended"]


def test_the_agent_hanging_up_in_a_three_way_leaves_the_caller_with_the_third_party(
    voice_call_center: Helpline,
) -> None:
    helpline = voice_call_center
    _setup(helpline)
    _add_user(helpline, "agent2", ["agent"], "202")
    agent = _agent_ready(helpline)

    async def scenario(caller: Caller, phones: list[TonePhone]) -> None:
        agent_phone, third = phones
        invite, response = await _answered_call(caller, agent_phone)
        added = await _call(agent, "POST", "/api/v1/calls/me/parties", json={"target": "202"})
        assert added.status_code == 202, added.text
        await _until(third.answered.is_set, "the third party answers")
        await caller.talk(0.5, CALLER)
        assert await agent_phone.hang_up() == 200
        await caller.talk(0.5, CALLER)
        marks = (len(caller.heard), third.mark())
        await caller.talk(1.5, CALLER)
        assert _tones(_last_second(caller.heard, marks[0], len(caller.heard))) == {THIRD}
        assert _tones(_last_second(third.heard, marks[1], third.mark())) == {CALLER}
        me = (await _call(agent, "GET", "/api/v1/acd/me")).json()
        assert me["status"] in ("wrap_up", "ready"), me
        # The third party hangs up: the call is over, the caller hears BYE.
        assert await third.hang_up() == 200
        await _until(caller.hung_up.is_set, "the caller is hung up")
        assert invite is not None
        assert response.status == 200

    _run_with_phones(helpline, [("201", "agent1", AGENT), ("202", "agent2", THIRD)], scenario)
    left = [e for e in _events(helpline, "call.")]
    types = [e.type for e in left]
    assert "call.agent_left" in types
    reasons = [e.payload["reason"] for e in left if e.type == "call.party_left"]
    assert reasons == ["hung up"]


def test_ending_a_three_way_on_the_dashboard_ends_it_for_everyone(
    voice_call_center: Helpline,
) -> None:
    helpline = voice_call_center
    _setup(helpline)
    _add_user(helpline, "agent2", ["agent"], "202")
    agent = _agent_ready(helpline)

    async def scenario(caller: Caller, phones: list[TonePhone]) -> None:
        agent_phone, third = phones
        await _answered_call(caller, agent_phone)
        added = await _call(agent, "POST", "/api/v1/calls/me/parties", json={"target": "202"})
        assert added.status_code == 202, added.text
        await _until(third.answered.is_set, "the third party answers")
        contact_id = (await _call(agent, "GET", "/api/v1/calls/me")).json()["contact_id"]
        ended = await _call(agent, "POST", f"/api/v1/acd/contacts/{contact_id}/end")
        assert ended.status_code == 200, ended.text
        await _until(caller.hung_up.is_set, "the caller is hung up")
        await _until(lambda: third.byes == 1 and agent_phone.byes == 1, "the phones hung up")

    _run_with_phones(helpline, [("201", "agent1", AGENT), ("202", "agent2", THIRD)], scenario)
    reasons = [e.payload["reason"] for e in _events(helpline, "call.party_left")]
    assert reasons == ["call ended"]
    assert not _events(helpline, "call.agent_left")

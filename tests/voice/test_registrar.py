"""The registrar: agents' phones register their lines with digest authentication.

sipp (a real SIP peer) registers as a phone would; our own stack plays the phone for the
corner cases that sipp cannot easily express.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from helpline.channels.sip.auth import answer_challenge
from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.message import Headers, Request, Response
from helpline.channels.sip.transaction import Timers, new_call_id, new_tag
from helpline.channels.sip.transport import Peer
from helpline.devices import service as devices
from helpline.storage.eventlog import read_events
from helpline.timeutil import utcnow
from tests.support import Helpline, wait_until
from tests.voice.conftest import run_sipp

SIP_PASSWORD = "phone-secret-1"

REGISTER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{extension}@[remote_ip]>;tag=[pid]SIPpTag[call_number]
To: <sip:{extension}@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:{extension}@[local_ip]:[local_port]>
Expires: 600
Max-Forwards: 70
User-Agent: sipp phone
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{extension}@[remote_ip]>;tag=[pid]SIPpTag[call_number]
To: <sip:{extension}@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:{extension}@[local_ip]:[local_port]>
[authentication username={username} password={password}]
Expires: 600
Max-Forwards: 70
User-Agent: sipp phone
Content-Length: 0

]]></send>
  <recv response="{expected}"/>
</scenario>
"""


def _agent(voice: Helpline, username: str = "agent1", extension: str = "201") -> None:
    from helpline.users import service
    from helpline.users.schemas import UserCreate

    user_in = UserCreate(
        username=username,
        display_name=username.title(),
        password="login-password-1",
        roles=["agent"],
        lines=[{"extension": extension}],
        sip_password=SIP_PASSWORD,
    )
    voice.run(
        lambda session: service.create(
            session=session, user_in=user_in, now=utcnow(), actor_id=None
        )
    )


def _devices(voice: Helpline) -> list[tuple[str, str, str]]:
    async def work(session):  # type: ignore[no-untyped-def]
        rows = await devices.list_devices(session=session, now=utcnow())
        return [(row.extension, row.user_agent, row.transport) for row in rows]

    return voice.run(work)  # type: ignore[no-any-return]


def _event_types(voice: Helpline) -> list[str]:
    async def work(session):  # type: ignore[no-untyped-def]
        return [event.type for event in await read_events(session, after=0, limit=1000)]

    return voice.run(work)  # type: ignore[no-any-return]


def test_sipp_registers_a_line_with_digest_authentication(
    voice: Helpline, sipp: str, tmp_path: Path
) -> None:
    _agent(voice)
    scenario = REGISTER_SCENARIO.format(
        extension="201", username="agent1", password=SIP_PASSWORD, expected=200
    )
    result = run_sipp(sipp, scenario, f"127.0.0.1:{voice.app.state.voice.port}", tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert _devices(voice) == [("201", "sipp phone", "UDP")]
    assert "device.registered" in _event_types(voice)


def test_sipp_with_a_wrong_password_is_refused(voice: Helpline, sipp: str, tmp_path: Path) -> None:
    _agent(voice)
    scenario = REGISTER_SCENARIO.format(
        extension="201", username="agent1", password="not-the-password", expected=403
    )
    result = run_sipp(sipp, scenario, f"127.0.0.1:{voice.app.state.voice.port}", tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert _devices(voice) == []


class Phone:
    """Our own stack acting as a phone, for the registrar's corner cases."""

    def __init__(
        self,
        port: int,
        *,
        username: str = "agent1",
        password: str = SIP_PASSWORD,
        algorithm: str = "MD5",
    ):
        self.algorithm = algorithm
        self.server = Peer("UDP", "127.0.0.1", port)
        self.username = username
        self.password = password
        self.call_id = new_call_id("127.0.0.1")
        self.cseq = 0
        self.endpoint = SipEndpoint(self, timers=Timers(t1=0.05))

    # The phone serves nothing: these satisfy the TransactionUser protocol.
    def on_request(self, transaction):  # type: ignore[no-untyped-def]
        transaction.respond(self.endpoint.response(transaction.request, 501, to_tag=new_tag()))

    def on_cancel(self, transaction):  # type: ignore[no-untyped-def]
        pass

    def on_ack(self, request, peer):  # type: ignore[no-untyped-def]
        pass

    def on_stray_response(self, response, peer):  # type: ignore[no-untyped-def]
        pass

    def _register(
        self, extension: str, contacts: list[str], expires: str | None, auth: str | None
    ) -> Request:
        self.cseq += 1
        headers = Headers()
        headers.add("From", f"<sip:{extension}@127.0.0.1>;tag={new_tag()}")
        headers.add("To", f"<sip:{extension}@127.0.0.1>")
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{self.cseq} REGISTER")
        for contact in contacts:
            headers.add("Contact", contact)
        if expires is not None:
            headers.add("Expires", expires)
        if auth is not None:
            headers.add("Authorization", auth)
        return Request("REGISTER", f"sip:127.0.0.1:{self.server.port}", headers)

    async def register(
        self,
        extension: str,
        contacts: list[str],
        expires: str | None = "600",
        *,
        authenticate: bool = True,
    ) -> Response:
        request = self._register(extension, contacts, expires, None)
        response = await self.endpoint.send_request(request, self.server).final()
        if response.status != 401 or not authenticate:
            return response
        challenge = next(
            value
            for value in response.headers.get_all("WWW-Authenticate")
            if f"algorithm={self.algorithm}" in value
        )
        auth = answer_challenge(
            challenge,
            method="REGISTER",
            uri=request.uri,
            username=self.username,
            password=self.password,
        )
        request = self._register(extension, contacts, expires, auth)
        return await self.endpoint.send_request(request, self.server).final()


def _phone_session(voice: Helpline, steps, **phone_args):  # type: ignore[no-untyped-def]
    async def run():  # type: ignore[no-untyped-def]
        phone = Phone(voice.app.state.voice.port, **phone_args)
        await phone.endpoint.start("127.0.0.1", 0)
        try:
            return await steps(phone)
        finally:
            await phone.endpoint.stop()

    return asyncio.run(run())


def test_a_register_without_credentials_is_challenged_with_md5_alone_by_default(
    voice: Helpline,
) -> None:
    _agent(voice)

    async def steps(phone: Phone) -> Response:
        return await phone.register("201", ["<sip:201@127.0.0.1:5999>"], authenticate=False)

    response = _phone_session(voice, steps)
    assert response.status == 401
    challenges = response.headers.get_all("WWW-Authenticate")
    assert len(challenges) == 1
    assert "algorithm=MD5" in challenges[0]
    assert 'realm="helpline"' in challenges[0]
    assert 'qop="auth"' in challenges[0]


def test_sha256_is_offered_after_md5_when_configured(voice_with_sha256: Helpline) -> None:
    voice = voice_with_sha256
    _agent(voice)

    async def steps(phone: Phone) -> Response:
        return await phone.register("201", ["<sip:201@127.0.0.1:5999>"], authenticate=False)

    challenges = _phone_session(voice, steps).headers.get_all("WWW-Authenticate")
    assert [("MD5" in c, "SHA-256" in c) for c in challenges] == [(True, False), (False, True)]
    response = _phone_session(
        voice,
        lambda phone: phone.register("201", ["<sip:201@127.0.0.1:5999>"]),
        algorithm="SHA-256",
    )
    assert response.status == 200
    assert [row[0] for row in _devices(voice)] == ["201"]


def test_register_refresh_unregister_and_the_events(voice: Helpline) -> None:
    _agent(voice)

    async def steps(phone: Phone) -> list[Response]:
        first = await phone.register("201", ["<sip:201@127.0.0.1:5999;transport=udp>"])
        second = await phone.register("201", ["<sip:201@127.0.0.1:5998>;expires=120"])
        refresh = await phone.register("201", ["<sip:201@127.0.0.1:5999;transport=udp>"])
        gone = await phone.register("201", ["<sip:201@127.0.0.1:5999;transport=udp>"], "0")
        everything = await phone.register("201", ["*"], "0")
        return [first, second, refresh, gone, everything]

    first, second, refresh, gone, everything = _phone_session(voice, steps)
    assert [r.status for r in (first, second, refresh, gone, everything)] == [200] * 5
    assert len(second.headers.values("Contact")) == 2
    assert "expires=120" in " ".join(second.headers.values("Contact"))
    assert len(gone.headers.values("Contact")) == 1
    assert everything.headers.values("Contact") == []
    types = [t for t in _event_types(voice) if t.startswith("device.")]
    # A refresh is not a change: two phones came, two went.
    assert types == ["device.registered"] * 2 + ["device.unregistered"] * 2
    assert _devices(voice) == []


def test_registrar_refusals(voice: Helpline) -> None:
    _agent(voice)
    _agent(voice, "agent2", "202")

    async def steps(phone: Phone) -> dict[str, Response]:
        return {
            "other's line": await phone.register("202", ["<sip:202@127.0.0.1:5999>"]),
            "too brief": await phone.register("201", ["<sip:201@127.0.0.1:5999>"], "30"),
            "bad expires": await phone.register("201", ["<sip:201@127.0.0.1:5999>"], "soon"),
            "wildcard with expires": await phone.register("201", ["*"], "600"),
        }

    answers = _phone_session(voice, steps)
    assert answers["other's line"].status == 403
    assert answers["too brief"].status == 423
    assert answers["too brief"].headers.get("Min-Expires") == "60"
    assert answers["bad expires"].status == 400
    assert answers["wildcard with expires"].status == 400
    wrong = _phone_session(
        voice,
        lambda phone: phone.register("201", ["<sip:201@127.0.0.1:5999>"]),
        password="wrong-password",
    )
    assert wrong.status == 403
    unknown = _phone_session(
        voice,
        lambda phone: phone.register("201", ["<sip:201@127.0.0.1:5999>"]),
        username="nobody",
    )
    assert unknown.status == 403
    assert _devices(voice) == []


def test_options_and_unknown_methods(voice: Helpline) -> None:
    async def steps(phone: Phone) -> tuple[Response, Response]:
        headers = Headers()
        headers.add("From", f"<sip:probe@127.0.0.1>;tag={new_tag()}")
        headers.add("To", "<sip:127.0.0.1>")
        headers.add("Call-ID", new_call_id("127.0.0.1"))
        headers.add("CSeq", "1 OPTIONS")
        options = await phone.endpoint.send_request(
            Request("OPTIONS", "sip:127.0.0.1", headers), phone.server
        ).final()
        headers = headers.copy()
        headers.set("CSeq", "2 PUBLISH")
        publish = await phone.endpoint.send_request(
            Request("PUBLISH", "sip:127.0.0.1", headers), phone.server
        ).final()
        return options, publish

    options, publish = _phone_session(voice, steps)
    assert options.status == 200
    assert "REGISTER" in (options.headers.get("Allow") or "")
    assert publish.status == 405


def test_a_registered_phone_marks_the_line_active_in_log_agents(voice: Helpline) -> None:
    _agent(voice)
    voice.create_user("lead", "admin", "supervisor")
    lead = voice.login("lead")
    queue = lead.post("/api/v1/call-queues", json={"name": "Support"}).json()
    key = f"call:{queue['id']}"
    # The ACD hears of the new queue through the event bus.
    wait_until(
        lambda: lead.get(f"/api/v1/acd/queues/{key}/candidates").status_code == 200,
        what="the queue in the ACD",
    )

    def line_of_agent1() -> dict[str, object]:
        rows = lead.get(f"/api/v1/acd/queues/{key}/candidates", params={"search": "agent1"})
        assert rows.status_code == 200, rows.text
        return dict(rows.json()[0]["lines"][0])

    assert line_of_agent1()["active"] is False
    response = _phone_session(
        voice, lambda phone: phone.register("201", ["<sip:201@127.0.0.1:5999>"])
    )
    assert response.status == 200
    line = line_of_agent1()
    assert line["active"] is True
    assert line["registered_phones"] == 1
    assert line["in_session"] is False


def test_the_phones_an_offer_rings_follow_registrations(voice: Helpline) -> None:
    """The voice service keeps each line's phones in memory: every change must reach it."""
    _agent(voice)
    service = voice.app.state.voice

    async def steps(phone: Phone) -> list[list[int]]:
        seen = []

        async def ports() -> None:
            # In the app's own loop, where its database connections live.
            devices = await asyncio.to_thread(
                voice.client.portal.call,  # type: ignore[union-attr]
                service.extension_devices,
                "201",
            )
            seen.append(sorted(address.port for _, address, _ in devices))

        await ports()  # none yet (and that is remembered)
        await phone.register("201", ["<sip:201@127.0.0.1:5999>"])
        await ports()
        await phone.register("201", ["<sip:201@127.0.0.1:5999>"], "0")  # the phone moves
        await phone.register("201", ["<sip:201@127.0.0.1:5997>"])
        await ports()
        await phone.register("201", ["*"], "0")
        await ports()
        return seen

    assert _phone_session(voice, steps) == [[], [5999], [5997], []]

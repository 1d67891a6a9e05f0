"""Registering to a carrier: sipp plays the carrier's registrar (UAS mode), our stack
registers with the trunk's credentials, answering its digest challenge."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpline.channels.sip.endpoint import SipEndpoint
from helpline.channels.sip.transaction import Timers, new_tag
from helpline.timeutil import utcnow
from helpline.trunks import service
from helpline.trunks.registration import (
    RegistrationResult,
    TrunkRegistrar,
    register_once,
    retry_delay,
)
from helpline.trunks.schemas import Credentials, TrunkCreate, TrunkSettings
from tests.conftest import TEST_SECRET
from tests.support import Helpline, missing_peer
from tests.trunks.conftest import events

USERNAME = "carrier-user"
PASSWORD = "carrier-pass"

_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier registrar">
"""

# One REGISTER without credentials, challenged; the same again with an Authorization that
# sipp checks (user name and digest), then ``final``.
_CHALLENGE_AND_ANSWER = """
  <recv request="REGISTER"/>
  <send><![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=carrier[call_number]
[last_Call-ID:]
[last_CSeq:]
{challenge}
Content-Length: 0

]]></send>
  <recv request="REGISTER">
    <action>
      <ereg regexp="username=\\"{username}\\"" search_in="hdr" header="Authorization:"
            check_it="true" assign_to="user{round}"/>
      <verifyauth assign_to="valid{round}" username="{username}" password="{password}"/>
      <log message="round {round}: [$user{round}]"/>
    </action>
  </recv>
  <nop hide="true" test="valid{round}" next="good{round}"/>
  <send next="end"><![CDATA[
SIP/2.0 403 Wrong Digest
[last_Via:]
[last_From:]
[last_To:];tag=carrier[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <label id="good{round}"/>
  <send><![CDATA[
SIP/2.0 {final}
[last_Via:]
[last_From:]
[last_To:];tag=carrier[call_number]
[last_Call-ID:]
[last_CSeq:]
{headers}Content-Length: 0

]]></send>
"""

_TAIL = """  <label id="end"/>
</scenario>
"""


def _round(
    number: int, final: str = "200 OK", headers: str = "[last_Contact:];expires=120\n"
) -> str:
    challenge = (
        f'WWW-Authenticate: Digest realm="carrier.example", nonce="n{number}[call_number]", '
        'algorithm=MD5, qop="auth"'
    )
    return _CHALLENGE_AND_ANSWER.format(
        round=number,
        challenge=challenge,
        username=USERNAME,
        password=PASSWORD,
        final=final,
        headers=headers,
    )


def _free_port() -> int:
    # sipp must listen on a known port for UDP and TCP alike.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.bind(("127.0.0.1", 0))
        port: int = tcp.getsockname()[1]
    return port


def _listening(port: int, transport: str) -> bool:
    table = Path("/proc/net/tcp" if transport == "TCP" else "/proc/net/udp").read_text()
    for line in table.splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        if local.endswith(f":{port:04X}") and (transport == "UDP" or state == "0A"):
            return True
    return False


@pytest.fixture(scope="session")
def sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        missing_peer("sipp", "install the Debian package sip-tester (the test command does)")
    assert path is not None
    return path


class Carrier:
    """sipp as a carrier's registrar on 127.0.0.1, for one registration's scenario."""

    def __init__(self, sipp: str, scenario: str, tmp_path: Path, transport: str) -> None:
        self.port = _free_port()
        self.transport = transport
        self.tmp_path = tmp_path
        path = tmp_path / "carrier.xml"
        path.write_text(scenario)
        command = [
            sipp,
            "-sf",
            str(path),
            "-i",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-t",
            "t1" if transport == "TCP" else "u1",
            "-m",
            "1",
            "-timeout",
            "30s",
            "-timeout_error",
            "-nostdin",
            "-trace_err",
            "-error_file",
            str(tmp_path / "sipp-errors.log"),
            "-trace_logs",
            "-log_file",
            str(tmp_path / "sipp-logs.log"),
            "-trace_msg",
            "-message_file",
            str(tmp_path / "sipp-messages.log"),
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
        )
        deadline = time.monotonic() + 10
        while not _listening(self.port, transport):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"sipp did not start: {self.output()}")
            time.sleep(0.02)

    def output(self) -> str:
        messages = self.tmp_path / "sipp-messages.log"
        errors = self.tmp_path / "sipp-errors.log"
        logs = self.tmp_path / "sipp-logs.log"
        return "\n".join(
            path.read_text()[-3000:] for path in (errors, logs, messages) if path.exists()
        )

    def finish(self) -> int:
        """sipp's exit code once its one registration is over (0: every step passed)."""
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.process.stdout.close()
        self.process.stderr.close()
        return self.process.returncode

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def carriers() -> Iterator[list[Carrier]]:
    started: list[Carrier] = []
    yield started
    for carrier in started:
        carrier.stop()


class NoServer:
    """The endpoint's transaction user: a registering client serves nothing."""

    def on_request(self, transaction: Any) -> None:
        response = transaction.endpoint.response(transaction.request, 405, to_tag=new_tag())
        transaction.respond(response)

    def on_cancel(self, transaction: Any) -> None:
        pass

    def on_ack(self, request: Any, peer: Any) -> None:
        pass

    def on_stray_response(self, response: Any, peer: Any) -> None:
        pass


def _trunk(port: int, transport: str = "UDP", **changes: Any) -> TrunkSettings:
    values: dict[str, Any] = {
        "id": 1,
        "name": "Carrier",
        "host": "127.0.0.1",
        "port": port,
        "transport": transport,
        "credentials": Credentials(username=USERNAME, password=PASSWORD),
        "from_domain": "carrier.example",
        "caller_id": "",
        "register_expires": 600,
        **changes,
    }
    return TrunkSettings(**values)


def _with_endpoint(work: Callable[[SipEndpoint], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        endpoint = SipEndpoint(NoServer(), timers=Timers(t1=0.1))
        await endpoint.start("127.0.0.1", 0)
        try:
            return await work(endpoint)
        finally:
            await endpoint.stop()

    return asyncio.run(run())


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
def test_register_answers_the_challenge_and_reads_the_grant(
    sipp: str, tmp_path: Path, carriers: list[Carrier], transport: str
) -> None:
    carrier = Carrier(sipp, _HEAD + _round(1) + _TAIL, tmp_path, transport)
    carriers.append(carrier)
    result = _with_endpoint(
        lambda endpoint: register_once(endpoint, _trunk(carrier.port, transport))
    )
    assert carrier.finish() == 0, carrier.output()
    assert result.ok, result
    assert result.status == 200
    # The registrar granted 120 s of the 600 asked for: that is what counts.
    assert result.expires == 120
    assert result.detail == "200 OK, registered for 120 s"
    assert result.ids.cseq == 2
    messages = carrier.output()
    assert 'username="carrier-user"' in messages
    assert "REGISTER sip:carrier.example SIP/2.0" in messages
    assert "From: <sip:carrier-user@carrier.example>;tag=" in messages
    assert "Expires: 600" in messages


def test_a_refused_registration_is_recorded_as_failed_with_the_reason(
    helpline: Helpline, admin: Any, sipp: str, tmp_path: Path, carriers: list[Carrier]
) -> None:
    carrier = Carrier(
        sipp, _HEAD + _round(1, final="403 Forbidden", headers="") + _TAIL, tmp_path, "UDP"
    )
    carriers.append(carrier)
    trunk_in = TrunkCreate.model_validate(
        {
            "name": "Carrier",
            "host": "127.0.0.1",
            "port": carrier.port,
            "username": USERNAME,
            "password": PASSWORD,
            "register": True,
        }
    )
    helpline.run(
        lambda session: service.create(
            session=session, trunk_in=trunk_in, secret_key=TEST_SECRET, now=utcnow(), actor_id=None
        )
    )

    async def register(endpoint: SipEndpoint) -> RegistrationResult:
        # What the voice service does: load the wanted trunks, register, record.
        [trunk] = await asyncio.to_thread(
            helpline.run,
            lambda session: service.registrations_wanted(session=session, secret_key=TEST_SECRET),
        )
        result = await register_once(endpoint, trunk)
        await asyncio.to_thread(
            helpline.run,
            lambda session: service.record_registration_state(
                session=session,
                trunk_id=trunk.id,
                state=result.state,
                detail=result.detail,
                now=utcnow(),
            ),
        )
        return result

    result = _with_endpoint(register)
    assert carrier.finish() == 0, carrier.output()
    assert not result.ok
    assert (result.status, result.detail) == (403, "403 Forbidden")
    [trunk] = admin.get("/api/v1/trunks").json()
    assert trunk["registration"]["state"] == "failed"
    assert trunk["registration"]["detail"] == "403 Forbidden"
    changed = events(admin, "trunk.registration_changed")
    assert [e["payload"]["state"] for e in changed] == ["failed"]


def test_a_wrong_password_is_refused_by_the_carrier(
    sipp: str, tmp_path: Path, carriers: list[Carrier]
) -> None:
    carrier = Carrier(sipp, _HEAD + _round(1) + _TAIL, tmp_path, "UDP")
    carriers.append(carrier)
    wrong = _trunk(carrier.port, credentials=Credentials(username=USERNAME, password="nope"))
    result = _with_endpoint(lambda endpoint: register_once(endpoint, wrong))
    assert carrier.finish() == 0, carrier.output()
    assert not result.ok
    assert result.detail == "403 Wrong Digest"


def test_a_challenge_without_credentials_says_so(
    sipp: str, tmp_path: Path, carriers: list[Carrier]
) -> None:
    scenario = (
        _HEAD
        + """
  <recv request="REGISTER"/>
  <send><![CDATA[
SIP/2.0 407 Proxy Authentication Required
[last_Via:]
[last_From:]
[last_To:];tag=carrier[call_number]
[last_Call-ID:]
[last_CSeq:]
Proxy-Authenticate: Digest realm="carrier.example", nonce="abc", algorithm=MD5
Content-Length: 0

]]></send>
"""
        + _TAIL
    )
    carrier = Carrier(sipp, scenario, tmp_path, "UDP")
    carriers.append(carrier)
    anonymous = _trunk(carrier.port, credentials=None)
    result = _with_endpoint(lambda endpoint: register_once(endpoint, anonymous))
    assert carrier.finish() == 0, carrier.output()
    assert not result.ok
    assert result.detail == (
        "407 Proxy Authentication Required: the carrier asks for credentials; "
        "the trunk has no user name and password"
    )


def test_no_answer_is_a_failure_not_an_exception() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        result = _with_endpoint(lambda endpoint: register_once(endpoint, _trunk(port)))
    assert not result.ok
    assert result.status is None
    assert result.detail == f"no answer from udp:127.0.0.1:{port}"


def test_the_registrar_refreshes_before_expiry_and_unregisters_on_stop(
    sipp: str, tmp_path: Path, carriers: list[Carrier]
) -> None:
    # Round 1 grants 1 s, so the refresh comes at once; round 3 is the REGISTER with
    # Expires: 0 that stop() sends.
    unregister_check = """  <recv request="REGISTER">
    <action>
      <ereg regexp="^ *0$" search_in="hdr" header="Expires:" check_it="true" assign_to="gone"/>
      <log message="unregister: [$gone]"/>
    </action>
  </recv>
"""
    scenario = (
        _HEAD
        + _round(1, headers="[last_Contact:];expires=1\n")
        + _round(2, headers="[last_Contact:];expires=1\n")
        + _round(3, headers="").replace('  <recv request="REGISTER"/>\n', unregister_check, 1)
        + _TAIL
    )
    carrier = Carrier(sipp, scenario, tmp_path, "UDP")
    carriers.append(carrier)
    seen: list[RegistrationResult] = []
    refreshed = asyncio.Event()

    async def report(trunk: TrunkSettings, result: RegistrationResult) -> None:
        seen.append(result)
        if len(seen) == 2:
            refreshed.set()

    async def load() -> list[TrunkSettings]:
        return [_trunk(carrier.port)]

    async def work(endpoint: SipEndpoint) -> None:
        registrar = TrunkRegistrar(on_result=report)
        registrar.start(endpoint, load)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(refreshed.wait(), 10)
        await registrar.stop(wait_seconds=5)

    _with_endpoint(work)
    assert carrier.finish() == 0, carrier.output()
    assert [(r.ok, r.expires) for r in seen] == [(True, 1), (True, 1)]
    # One registration: one Call-ID, CSeq rising through challenges and refreshes.
    assert seen[0].ids.call_id == seen[1].ids.call_id
    assert (seen[0].ids.cseq, seen[1].ids.cseq) == (2, 4)


def test_a_trunk_no_longer_wanted_is_unregistered(
    sipp: str, tmp_path: Path, carriers: list[Carrier]
) -> None:
    scenario = _HEAD + _round(1) + _round(2, headers="") + _TAIL
    carrier = Carrier(sipp, scenario, tmp_path, "TCP")
    carriers.append(carrier)
    wanted = [_trunk(carrier.port, "TCP")]
    seen: list[RegistrationResult] = []
    registered = asyncio.Event()

    async def report(trunk: TrunkSettings, result: RegistrationResult) -> None:
        seen.append(result)
        registered.set()

    async def load() -> list[TrunkSettings]:
        return list(wanted)

    async def work(endpoint: SipEndpoint) -> None:
        registrar = TrunkRegistrar(on_result=report)
        registrar.start(endpoint, load)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(registered.wait(), 10)
        wanted.clear()  # disabled, deleted or no longer registering
        registrar.reload()
        # sipp ends once it has seen the REGISTER with Expires: 0 through.
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(carrier.process.wait, 10)
        await registrar.stop(wait_seconds=2)

    _with_endpoint(work)
    assert carrier.finish() == 0, carrier.output()
    assert [r.ok for r in seen] == [True]
    assert "Expires: 0" in carrier.output()


def test_failures_back_off_doubling_up_to_five_minutes() -> None:
    delays = [retry_delay(n, first=30, maximum=300) for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 300, 300]

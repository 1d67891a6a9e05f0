"""A call plan's Transfer node dialling an outside number through a carrier trunk.

sipp plays the carrier: it challenges Helpline's INVITE with 401, checks the digest of the
second INVITE against the trunk's credentials (sipp's verifyauth), answers and echoes the
audio.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
from pathlib import Path

from helpline.channels.media import tone
from tests.support import Helpline
from tests.voice.test_queue_calls import Caller, _free_udp_port, _plan, _setup

CARRIER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier that asks for credentials">
  <recv request="INVITE"/>
  <send><![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="carrier.example", nonce="4f1bcd99a", algorithm=MD5, qop="auth"
Content-Length: 0

]]></send>
  <recv request="ACK"/>
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="username=.carrier-user." search_in="hdr" header="Authorization:"
            check_it="true" assign_to="user"/>
      <ereg regexp="sip:[+]15551234567@" search_in="msg" check_it="true" assign_to="number"/>
      <verifyauth assign_to="valid" username="carrier-user" password="carrier-secret"/>
      <log message="authenticated INVITE [$user] to [$number]"/>
    </action>
  </recv>
  <nop hide="true" test="valid" next="good"/>
  <send next="end"><![CDATA[
SIP/2.0 403 Wrong Digest
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
  <label id="good"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:carrier@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=carrier 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
]]></send>
  <recv request="ACK"/>
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
  <label id="end"/>
</scenario>
"""


def test_transfer_to_a_number_through_a_trunk_that_asks_for_credentials(
    voice_call_center: Helpline, sipp: str, tmp_path: Path
) -> None:
    helpline = voice_call_center
    setup = _setup(helpline)
    carrier_port = _free_udp_port()
    trunk = setup["admin"].post(
        "/api/v1/trunks",
        json={
            "name": "Carrier",
            "host": "127.0.0.1",
            "port": carrier_port,
            "transport": "UDP",
            "username": "carrier-user",
            "password": "carrier-secret",
            "caller_id": "+390200000000",
        },
    )
    assert trunk.status_code == 201, trunk.text
    _plan(
        helpline,
        setup["admin"],
        setup["queue"]["id"],
        [{"id": "out", "type": "transfer", "target": "+15551234567"}],
    )
    scenario = tmp_path / "carrier.xml"
    scenario.write_text(CARRIER)
    carrier = subprocess.Popen(
        [
            sipp,
            "-sf",
            str(scenario),
            "-i",
            "127.0.0.1",
            "-p",
            str(carrier_port),
            "-mp",
            str(random.randrange(20000, 29000, 2)),
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

        async def the_call() -> tuple[int, bytes, int]:
            caller = Caller(helpline.app.state.voice.port)
            try:
                invite, response = await caller.call("100")
                await caller.talk(6.0, 600.0)
                heard = bytes(caller.heard)
                hung_up = await caller.hang_up(invite, response)
                return response.status, heard, hung_up
            finally:
                await caller.close()

        status, heard, hung_up = asyncio.run(the_call())
        output, _ = carrier.communicate(timeout=20)
        assert carrier.returncode == 0, output.decode(errors="replace")[-3000:]
        assert status == 200
        assert hung_up == 200  # the carrier and the caller were still talking
        echoed = heard[-16000:]
        assert len(echoed) == 16000
        assert abs(tone.estimate_frequency(echoed) - 600.0) < 5
    finally:
        if carrier.poll() is None:
            carrier.kill()
            carrier.wait()

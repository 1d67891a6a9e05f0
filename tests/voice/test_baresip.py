"""baresip, a real SIP phone, as the agent's phone: audio is checked in both directions.

baresip cannot work on ``lo``, so the test puts it in a network namespace of its own, joined
to the host by a veth pair: Helpline listens on the host's end (SIP and RTP), baresip on
the other. baresip registers line 201 with the agent's SIP password, answers the queue call
by itself (``answermode=auto``), plays a 1000 Hz tone file (the ``aufile`` source) and
writes what it hears to a WAV file (the ``sndfile`` filter). The caller, our own SIP stack
with a plain RTP socket, sends 440 Hz: the caller must hear 1000 Hz and baresip's
recording must hold 440 Hz.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpline.channels.media import tone, wav
from helpline.channels.sip.message import Response
from helpline.channels.sip.transport import Peer
from helpline.config import Settings
from helpline.devices import service as devices
from helpline.timeutil import utcnow
from tests.support import Helpline, missing_peer, wait_until
from tests.voice.test_queue_calls import SIP_PASSWORD, Caller, _events, _setup

PHONE_TONE = 1000.0
CALLER_TONE = 440.0
TOLERANCE_HZ = 5.0
BARESIP_SECONDS = 90  # baresip quits by itself after this, whatever happens to the test


@dataclass(frozen=True)
class Namespace:
    """A network namespace joined to the host by a veth pair (a /30 of 10.77.0.0/16)."""

    name: str
    host_address: str  # the host's end of the veth pair
    phone_address: str  # the namespace's end
    phone_interface: str

    def command(self, *argv: str) -> list[str]:
        return [_ip(), "netns", "exec", self.name, *argv]


def _ip() -> str:
    path = shutil.which("ip") or ("/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else None)
    if path is None:
        missing_peer("ip", "install the Debian package iproute2 (the test command does)")
    assert path is not None
    return path


def _run(*argv: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr.strip()}")


def _used_subnets() -> set[int]:
    """The n of every 10.77.n.x address the host already has (another test's namespace)."""
    listing = subprocess.run(
        [_ip(), "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False
    ).stdout
    used = set()
    for word in listing.split():
        if word.startswith("10.77."):
            used.add(int(word.split(".")[2]))
    return used


@pytest.fixture
def netns() -> Iterator[Namespace]:
    ip = _ip()
    if os.geteuid() != 0:
        missing_peer("a network namespace", "the phone tests must run as root (ip netns add)")
    suffix = secrets.token_hex(4)
    name = f"hl-{suffix}"
    host_side, phone_side = f"hl{suffix}h", f"hl{suffix}p"
    free = sorted(set(range(1, 255)) - _used_subnets())
    assert free, "no free 10.77.n.0/30 subnet"
    n = random.choice(free)
    namespace = Namespace(name, f"10.77.{n}.1", f"10.77.{n}.2", phone_side)
    try:
        try:
            _run(ip, "netns", "add", name)
        except RuntimeError as error:  # a container without CAP_SYS_ADMIN, for one
            missing_peer("a network namespace", str(error))
        _run(ip, "link", "add", host_side, "type", "veth", "peer", "name", phone_side)
        _run(ip, "link", "set", phone_side, "netns", name)
        _run(ip, "addr", "add", f"{namespace.host_address}/30", "dev", host_side)
        _run(ip, "link", "set", host_side, "up")
        _run(
            *namespace.command(
                ip, "addr", "add", f"{namespace.phone_address}/30", "dev", phone_side
            )
        )
        _run(*namespace.command(ip, "link", "set", phone_side, "up"))
        _run(*namespace.command(ip, "link", "set", "lo", "up"))
        yield namespace
    finally:
        # Deleting the namespace deletes its end of the pair, and with it the host's end.
        subprocess.run([ip, "netns", "del", name], capture_output=True, check=False)
        subprocess.run([ip, "link", "del", host_side], capture_output=True, check=False)


@pytest.fixture
def baresip() -> str:
    path = shutil.which("baresip")
    if path is None:
        missing_peer("baresip", "install the Debian package baresip (the test command does)")
    assert path is not None
    return path


@pytest.fixture
def call_center_on(settings: Settings, netns: Namespace) -> Iterator[Helpline]:
    """The app with SIP and the media engine on the host's end of the veth pair."""
    from helpline.web.app import create_app

    base = random.randrange(30000, 60000, 2)
    settings = settings.model_copy(
        update={
            "sip_enabled": True,
            "sip_host": netns.host_address,
            "sip_port": 0,
            "rtp_ports": f"{base}-{base + 199}",
        }
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


def _write_tone(path: Path, frequency: float, seconds: float) -> None:
    # baresip 1.0's aufile wants S16LE at the codec's rate and channels: 8 kHz mono for G.711.
    with wav.WavWriter(path) as writer:
        writer.write(tone.sine(frequency, seconds * 1000, 0.5))


BARESIP_CONFIG = """\
poll_method		epoll
sip_listen		{address}:5060
call_local_timeout	60
call_max_calls		2
audio_player		aubridge,nowhere
audio_source		aufile,{tone}
audio_alert		aubridge,nowhere
audio_level		no
ausrc_format		s16
auplay_format		s16
auenc_format		s16
audec_format		s16
audio_buffer		20-160
rtp_ports		10000-10099
rtcp_mux		no
jitter_buffer_delay	1-5
rtp_stats		no
net_interface		{interface}
module_path		/usr/lib/baresip/modules
module			g711.so
module			sndfile.so
module			aufile.so
module			aubridge.so
module_tmp		uuid.so
module_tmp		account.so
module_app		menu.so
snd_path		{recordings}
"""


class Baresip:
    """baresip in the namespace, with a config directory written for this test."""

    def __init__(self, binary: str, netns: Namespace, directory: Path, sip_port: int) -> None:
        self.directory = directory
        self.recordings = directory / "heard"
        self.recordings.mkdir(parents=True)
        self.log = directory / "baresip.log"
        tone_file = directory / "tone.wav"
        _write_tone(tone_file, PHONE_TONE, 60)
        (directory / "config").write_text(
            BARESIP_CONFIG.format(
                address=netns.phone_address,
                tone=tone_file,
                interface=netns.phone_interface,
                recordings=self.recordings,
            )
        )
        (directory / "accounts").write_text(
            f"<sip:201@{netns.host_address}:{sip_port}>;auth_user=agent1;"
            f"auth_pass={SIP_PASSWORD};regint=60;answermode=auto\n"
        )
        (directory / "contacts").write_text("")
        self.command = netns.command(binary, "-f", str(directory), "-t", str(BARESIP_SECONDS))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        """SIGTERM: baresip ends its calls, closes its recordings and unregisters."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def heard(self) -> bytes:
        """What baresip decoded from the call (the sndfile filter's ``dec`` file)."""
        dumps = sorted(self.recordings.glob("dump-*-dec.wav"))
        assert dumps, f"baresip recorded nothing: {sorted(self.recordings.iterdir())}"
        return bytes(wav.read_wav(dumps[-1]))


def _loudest_stretch(pcm: bytes, *, frame_ms: int = 20, min_dbfs: float = -30.0) -> bytes:
    """The longest run of frames above ``min_dbfs``, without its first and last 200 ms."""
    size = 2 * 8 * frame_ms
    best = (0, 0)
    start = None
    frames = len(pcm) // size
    for index in range(frames + 1):
        loud = index < frames and tone.level_dbfs(pcm[index * size : (index + 1) * size]) > min_dbfs
        if loud and start is None:
            start = index
        elif not loud and start is not None:
            if index - start > best[1] - best[0]:
                best = (start, index)
            start = None
    trim = 200 // frame_ms
    first, last = best[0] + trim, best[1] - trim
    return pcm[first * size : last * size] if last > first else b""


def _registered_phones(helpline: Helpline) -> list[tuple[str, str]]:
    async def work(session):  # type: ignore[no-untyped-def]
        rows = await devices.list_devices(session=session, now=utcnow())
        return [(row.extension, row.user_agent) for row in rows]

    return helpline.run(work)  # type: ignore[no-any-return]


def test_baresip_registers_with_the_shipped_challenges(
    call_center_on: Helpline, netns: Namespace, baresip: str, tmp_path: Path
) -> None:
    helpline = call_center_on
    _setup(helpline)
    phone = Baresip(baresip, netns, tmp_path / "baresip", helpline.app.state.voice.port)
    phone.start()
    try:
        wait_until(
            lambda: _registered_phones(helpline) != [] or "Register:" in phone.output(),
            what="baresip's registration or its error",
        )
        assert _registered_phones(helpline) != [], phone.output()[-3000:]
    finally:
        phone.stop()


def test_baresip_answers_a_queue_call_and_the_audio_crosses_both_ways(
    call_center_on: Helpline,
    netns: Namespace,
    baresip: str,
    tmp_path: Path,
) -> None:
    helpline = call_center_on
    setup = _setup(helpline)
    sip_port = helpline.app.state.voice.port
    phone = Baresip(baresip, netns, tmp_path / "baresip", sip_port)
    phone.start()
    try:
        wait_until(
            lambda: any(
                extension == "201" and agent.startswith("baresip")
                for extension, agent in _registered_phones(helpline)
            ),
            what="baresip's registration of line 201",
        )
        agent = helpline.login("agent1", "login-password-1")
        assert agent.post("/api/v1/acd/me/login", json={}).status_code == 200
        assert agent.post("/api/v1/acd/me/ready", json={}).status_code == 200

        async def the_call() -> tuple[Response, bytes]:
            caller = Caller(sip_port)
            # Helpline listens on the host's end of the veth pair only.
            caller.server = Peer("UDP", netns.host_address, sip_port)
            try:
                invite, response = await caller.call("100")
                if response.status != 200:
                    return response, b""
                await caller.talk(4.0, CALLER_TONE)
                heard = bytes(caller.heard)
                await caller.hang_up(invite, response)
                return response, heard
            finally:
                await caller.close()

        response, caller_heard = asyncio.run(the_call())
        assert response.status == 200, response
        wait_until(
            lambda: any(e.type == "call.ended" for e in _events(helpline, "call.")),
            what="the call's end event",
        )
        phone.stop()

        # The caller: ringing, perhaps a moment of hold music, then baresip's tone file.
        from_phone = caller_heard[-2 * 16000 :]
        assert len(from_phone) == 2 * 16000, len(caller_heard)
        frequency = tone.estimate_frequency(from_phone)
        assert abs(frequency - PHONE_TONE) < TOLERANCE_HZ, frequency
        assert tone.goertzel_power(from_phone, PHONE_TONE) > 10 * tone.goertzel_power(
            from_phone, CALLER_TONE
        )

        # baresip: silence until the bridge, then the caller's tone until the hang-up.
        phone_heard = _loudest_stretch(phone.heard())
        assert len(phone_heard) >= 16000, f"only {len(phone_heard) / 16000:.2f} s of tone"
        frequency = tone.estimate_frequency(phone_heard)
        assert abs(frequency - CALLER_TONE) < TOLERANCE_HZ, frequency
        assert tone.goertzel_power(phone_heard, CALLER_TONE) > 10 * tone.goertzel_power(
            phone_heard, PHONE_TONE
        )
    except BaseException:
        phone.stop()
        print(f"---- baresip's log ({phone.log}) ----\n{phone.output()[-6000:]}")
        raise
    finally:
        phone.stop()

    ended = [e for e in _events(helpline, "call.") if e.type == "call.ended"]
    assert ended[0].payload["outcome"] == "handled"
    queue_key = f"call:{setup['queue']['id']}"
    card = setup["admin"].get(f"/api/v1/acd/queues/{queue_key}").json()["card"]
    assert card["handled"] == 1

"""SIP benchmark: ``uv run python -m benchmarks.sip [--quick]``.

Real peers on 127.0.0.1: sipp (Debian ``sip-tester``) places the calls, Helpline runs as
``python -m helpline serve`` (its SIP stack, the ACD, the media engine child process), and
Kamailio (Debian ``kamailio``), a stateless proxy, is the baseline measured in the same run.

1. **Calls answered per second.** sipp calls a number whose call plan plays a prompt and
   then hangs up: INVITE with SDP -> 200 -> ACK -> 1 s -> BYE (the caller hangs up during
   the prompt). The rate steps up until more than 1 % of the calls fail or the rate is not
   sustained (the run overruns calls/rate + 1 s by more than ``SLACK`` seconds); the
   highest clean rate is the figure.
2. **Calls bridged per second.** The same caller dials a queue with many ready agents
   (wrap-up 0) whose phones are one sipp UAS with ``-rtp_echo`` (each agent's line
   registered to it by a sipp REGISTER scenario with digest authentication): Helpline
   answers, the ACD offers, the phone answers, the bridge happens. A step is clean only
   if the queue card also counts at least 99 % of the calls as handled.
3. **Concurrent calls held in a queue with hold music** (the engine sends 50 packets/s to
   every caller) and **recorded** (a voicemail node: the engine writes what the caller
   sends to a WAV file): N calls at once (sipp ``-l N``, a long pause), whose audio is an
   RTP peer of our own that, like a phone, sends 50 packets/s on every call. Reported: the
   media engine's CPU (``/proc/<pid>/stat``) per call over a measured window, the ticks its
   20 ms clock skipped, and packet loss: from sequence numbers at the peer (hold music), or
   from the silent frames inside the recordings (recording). (Queue calls are not recorded
   yet: the queues' ``record_calls`` is not used by the voice service.)
4. **Baseline.** Kamailio with ``forward()`` of every request to a sipp UAS (``children=1``,
   4 MB receive buffer), driven by the same sipp caller at the same rates. Helpline's
   answered and bridged calls/s are printed as a ratio to Kamailio's forwarded calls/s.

Goals (DESIGN.md): >= 800 calls/s answered, >= 400 calls/s bridged, >= 400 concurrent
G.711 calls on one core with no packet lost.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import secrets
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
SOCKET_BUFFER = 4 * 1024 * 1024  # sipp -buff_size; Kamailio maxbuffer
PAUSE_MS = 1000  # the caller's talk time in the rate tests
SLACK = 2.0  # seconds a step may overrun calls/rate + pause and still count as sustained
MAX_FAILED = 0.01
RTP_PORTS = (20000, 29999)  # the engine's legs; sipp and the RTP peer use ports above
PEER_SOCKETS = 8
ADMIN_PASSWORD = "benchmark-admin-" + secrets.token_hex(8)
SIP_PASSWORD = "benchmark-phone-" + secrets.token_hex(8)
AGENT_PASSWORD = "benchmark-agent-" + secrets.token_hex(8)
FIRST_EXTENSION = 3000
GOAL_ANSWERED = 800
GOAL_BRIDGED = 400
GOAL_CONCURRENT = 400
_RTP = struct.Struct("!BBHII")


@dataclass
class Sizes:
    answered_rates: tuple[int, ...]
    bridged_rates: tuple[int, ...]
    baseline_rates: tuple[int, ...]
    step_seconds: float  # calls are placed for this long at each rate
    agents: int
    concurrent: tuple[int, ...]
    ramp_rate: int  # calls/s while the concurrent calls are set up
    patience: float  # seconds, beyond 1.5 times the ramp, to wait for every call to be up
    settle: float  # seconds between the last call set up and the measured window
    window: float  # measured seconds once every concurrent call is up


FULL = Sizes(
    answered_rates=(25, 50, 100, 150, 200, 300, 400, 600, 800, 1200, 1600),
    bridged_rates=(5, 10, 20, 40, 60, 100, 200, 400, 800),
    baseline_rates=(100, 200, 400, 800, 1200, 1600, 2400, 3200, 4800, 6400, 9600),
    step_seconds=5.0,
    # 500: the ACD loads at most 500 agents from the database (``list_users``' default
    # limit); agents beyond them become temporary agents when a supervisor logs them in.
    agents=500,
    concurrent=(400,),
    ramp_rate=25,
    patience=15.0,
    settle=2.0,
    window=10.0,
)
QUICK = Sizes(
    answered_rates=(20,),
    bridged_rates=(10,),
    baseline_rates=(20,),
    step_seconds=1.0,
    agents=10,
    concurrent=(10,),
    ramp_rate=50,
    patience=3.0,
    settle=0.5,
    window=1.0,
)


# --- scenarios (sipp XML) ----------------------------------------------------------------------


def caller_scenario(*, pause_ms: int, media_port: str = "[media_port]") -> str:
    """INVITE with an audio offer; 200 -> ACK; talk for ``pause_ms``; BYE."""
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller">
  <send retrans="500" start_rtd="setup"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Bench" <sip:39021[call_number]@[local_ip]:[local_port]>;tag=[pid]B[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=bench 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio {media_port} RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="setup"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Bench" <sip:39021[call_number]@[local_ip]:[local_port]>;tag=[pid]B[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <pause milliseconds="{pause_ms}"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Bench" <sip:39021[call_number]@[local_ip]:[local_port]>;tag=[pid]B[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"""


# One line of the injection file per agent: user name;extension;[authentication ...]
# (sipp 3.6 reads no [field] inside [authentication], but a field may hold the keyword)
REGISTER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register agents' lines to one phone">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field1]@[remote_ip]>;tag=[pid]R[call_number]
To: <sip:[field1]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[field1]@[local_ip]:{phone_port}>
Expires: 3600
Max-Forwards: 70
User-Agent: sipp agent phone
Content-Length: 0

]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field1]@[remote_ip]>;tag=[pid]R[call_number]
To: <sip:[field1]@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[field1]@[local_ip]:{phone_port}>
[field2]
Expires: 3600
Max-Forwards: 70
User-Agent: sipp agent phone
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"""

KAMAILIO_CFG = """#!KAMAILIO
# The baseline: a stateless proxy that forwards every request to one sipp UAS.
debug=0
log_stderror=yes
children=1
auto_aliases=no
dns=no
rev_dns=no
listen=udp:{host}:{port}
maxbuffer={buffer}
mpath="{modules}"

request_route {{
    forward("{host}", {target});
}}
"""


# --- processes ---------------------------------------------------------------------------------


class Children:
    """Every process this benchmark starts, each in its own process group; all are ended at
    exit, by their ids."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, argv: Sequence[str], *, log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
        with log.open("ab") as output:
            process = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **kwargs,
            )
        self.processes.append(process)
        return process

    @staticmethod
    def stop(
        process: subprocess.Popen[bytes],
        *,
        sig: int = signal.SIGTERM,
        wait: float = 15,
        group: bool = True,
    ) -> None:
        """``sig`` to the process (and its group), then SIGKILL to whatever is left of it."""
        if process.poll() is None:
            with suppress(ProcessLookupError):
                if group:
                    os.killpg(process.pid, sig)
                else:
                    process.send_signal(sig)
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=wait)
        # The group may outlive its leader (the media engine, Kamailio's workers).
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.wait()

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            self.stop(process, wait=5)


def free_port(kind: int = socket.SOCK_DGRAM, *, both: bool = False) -> int:
    """A port free for UDP (and TCP too when ``both``)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if RTP_PORTS[0] <= port <= RTP_PORTS[1]:
            continue
        if both:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((HOST, port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port")


def udp_port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def free_even_port() -> int:
    """An even port with the next three free (sipp's media socket, RTCP, video)."""
    for _ in range(200):
        base = secrets.randbelow((60000 - 40000) // 4) * 4 + 40000
        sockets = []
        try:
            for offset in range(4):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(sock)
                sock.bind((HOST, base + offset))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return base
    raise RuntimeError("no free media port")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``); 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_unreaped(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait until the process exits, without collecting its exit (so that its CPU times can
    still be read); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG):
                return True
        except ChildProcessError:
            return True
        time.sleep(0.02)
    return False


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members.append(int(entry))
    return members


class CpuMeter:
    """CPU of some processes between two readings, as a percentage of one core."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self.start = time.monotonic()
        self.before = {name: sum(cpu_seconds(p) for p in group) for name, group in pids.items()}

    def percent(self) -> dict[str, float]:
        seconds = max(time.monotonic() - self.start, 1e-6)
        return {
            name: max(0.0, 100.0 * (sum(cpu_seconds(p) for p in group) - self.before[name]))
            / seconds
            for name, group in self.pids.items()
        }


def load_average() -> str:
    with open("/proc/loadavg", encoding="ascii") as stat:
        return " ".join(stat.read().split()[:3])


# --- sipp --------------------------------------------------------------------------------------


@dataclass
class Step:
    rate: int
    calls: int
    created: int = 0
    successful: int = 0
    failed: int = 0
    retransmissions: int = 0
    setup_ms: float = 0.0
    seconds: float = 0.0
    exit_code: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    handled: int | None = None  # bridged: what the queue card counted
    note: str = ""

    @property
    def sustained(self) -> bool:
        return self.seconds <= self.calls / self.rate + PAUSE_MS / 1000 + SLACK

    @property
    def clean(self) -> bool:
        if self.successful < (1 - MAX_FAILED) * self.calls or self.failed > MAX_FAILED * self.calls:
            return False
        if self.handled is not None and self.handled < (1 - MAX_FAILED) * self.calls:
            return False
        return self.sustained

    def describe(self, what: str) -> str:
        cpu = ", ".join(
            f"{name} {value:.0f} % ({10 * value / self.rate:.2f} ms/call)"
            for name, value in self.cpu.items()
        )
        handled = f", handled {self.handled}" if self.handled is not None else ""
        verdict = "clean" if self.clean else ("NOT SUSTAINED" if not self.sustained else "FAILED")
        return (
            f"  {self.rate:>6}/s x {self.calls:>6}: {self.successful} ok, {self.failed} failed"
            f"{handled}, {self.retransmissions} retransmissions, setup {self.setup_ms:.1f} ms,"
            f" {self.seconds:.1f} s ({what}: {cpu}) -> {verdict}{self.note}"
        )


def _duration_ms(text: str) -> float:
    """sipp's ``HH:MM:SS:uuuuuu`` as milliseconds."""
    parts = text.strip().split(":")
    if len(parts) != 4:
        return math.nan
    hours, minutes, seconds, micros = (int(p) for p in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + micros / 1000


def read_stats(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    if len(lines) < 2:
        return {}
    header = lines[0].split(";")
    return dict(zip(header, lines[-1].split(";"), strict=False))


class Sipp:
    def __init__(self, binary: str, children: Children, workdir: Path) -> None:
        self.binary = binary
        self.children = children
        self.workdir = workdir
        self.runs = 0

    def _paths(self, name: str) -> tuple[Path, Path, Path]:
        self.runs += 1
        base = self.workdir / f"sipp-{self.runs:02d}-{name}"
        return base.with_suffix(".xml"), base.with_suffix(".csv"), base.with_suffix(".log")

    def command(
        self,
        scenario: Path | str,
        target: str | None,
        *,
        port: int,
        media_port: int,
        extra: Sequence[str] = (),
        stats: Path | None = None,
    ) -> list[str]:
        source = ["-sn", scenario] if isinstance(scenario, str) else ["-sf", str(scenario)]
        argv = [self.binary, *([target] if target else []), *source]
        argv += ["-i", HOST, "-p", str(port), "-mp", str(media_port)]
        argv += ["-buff_size", str(SOCKET_BUFFER), "-nostdin"]
        if stats is not None:
            argv += ["-trace_stat", "-stf", str(stats), "-fd", "1"]
        return argv + list(extra)

    def uas(self, *, port: int, media_port: int, echo: bool, name: str) -> subprocess.Popen[bytes]:
        """A phone answering every call (sipp's built-in ``uas``), until it is stopped."""
        argv = self.command("uas", None, port=port, media_port=media_port)
        if echo:
            argv.append("-rtp_echo")
        return self.children.start(argv, log=self.workdir / f"{name}.log", cwd=self.workdir)

    def calls(
        self,
        target: str,
        service: str,
        *,
        rate: int,
        calls: int,
        scenario_text: str,
        name: str,
        limit: int | None = None,
        injection: Path | None = None,
        timeout: float,
    ) -> tuple[subprocess.Popen[bytes], Path]:
        scenario, stats, log = self._paths(name)
        scenario.write_text(scenario_text)
        extra = ["-s", service, "-r", str(rate), "-rp", "1000", "-m", str(calls)]
        extra += ["-l", str(limit or calls), "-timeout", f"{math.ceil(timeout)}s"]
        extra += ["-recv_timeout", "10000", "-max_recv_loops", "10000", "-max_sched_loops", "10000"]
        if injection is not None:
            extra += ["-inf", str(injection)]
        argv = self.command(
            scenario,
            target,
            port=free_port(),
            media_port=free_even_port(),
            extra=extra,
            stats=stats,
        )
        return self.children.start(argv, log=log, cwd=self.workdir), stats

    def step(
        self,
        target: str,
        service: str,
        *,
        rate: int,
        seconds: float,
        meter_pids: dict[str, list[int]],
        name: str,
    ) -> Step:
        calls = max(1, round(rate * seconds))
        timeout = calls / rate + PAUSE_MS / 1000 + 30
        start = time.monotonic()
        process, stats = self.calls(
            target,
            service,
            rate=rate,
            calls=calls,
            scenario_text=caller_scenario(pause_ms=PAUSE_MS),
            name=name,
            timeout=timeout,
        )
        meter = CpuMeter({**meter_pids, "sipp UAC": [process.pid]})
        if not wait_unreaped(process, timeout + 15):
            Children.stop(process)
        elapsed = time.monotonic() - start
        cpu = meter.percent()  # before the exit is collected: /proc still has sipp's times
        process.wait()
        result = Step(rate, calls, seconds=elapsed, exit_code=process.returncode, cpu=cpu)
        row = read_stats(stats)
        if row:
            result.created = int(row.get("TotalCallCreated", 0))
            result.successful = int(row.get("SuccessfulCall(C)", 0))
            result.failed = int(row.get("FailedCall(C)", 0))
            result.retransmissions = int(row.get("Retransmissions(C)", 0))
            result.setup_ms = _duration_ms(row.get("ResponseTimesetup(C)", ""))
        else:
            result.note = " (sipp wrote no statistics)"
        return result

    def register(self, target: str, agents: Sequence[tuple[str, str]], phone_port: int) -> int:
        """Register every agent's line to the phone at ``phone_port``; returns the failures."""
        injection = self.workdir / "agents.csv"
        injection.write_text(
            "SEQUENTIAL\n"
            + "".join(
                f"{user};{ext};[authentication username={user} password={SIP_PASSWORD}];\n"
                for user, ext in agents
            )
        )
        rate = 200
        process, stats = self.calls(
            target,
            "register",
            rate=rate,
            calls=len(agents),
            scenario_text=REGISTER_SCENARIO.format(phone_port=phone_port),
            name="register",
            injection=injection,
            timeout=len(agents) / rate + 60,
        )
        process.wait(timeout=len(agents) / rate + 90)
        row = read_stats(stats)
        return len(agents) - int(row.get("SuccessfulCall(C)", 0)) if row else len(agents)


def ramp(rates: Sequence[int], run: Any, label: str) -> list[Step]:
    """Steps up the rate until a step is not clean (bounded by ``rates``)."""
    steps: list[Step] = []
    for rate in rates:
        step = run(rate)
        steps.append(step)
        print(step.describe(label), flush=True)
        if not step.clean:
            break
    return steps


def best(steps: Sequence[Step]) -> int:
    return max((s.rate for s in steps if s.clean), default=0)


# --- Kamailio ----------------------------------------------------------------------------------


def kamailio_binary() -> str | None:
    return shutil.which("kamailio") or (
        "/usr/sbin/kamailio" if os.path.exists("/usr/sbin/kamailio") else None
    )


def kamailio_modules() -> str:
    for candidate in ("/usr/lib/x86_64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules"):
        if os.path.isdir(candidate):
            return candidate
    return "/usr/lib/kamailio/modules"


def run_baseline(sipp: Sipp, children: Children, workdir: Path, sizes: Sizes) -> list[Step]:
    binary = kamailio_binary()
    assert binary is not None
    uas_port, proxy_port = free_port(), free_port()
    uas = sipp.uas(port=uas_port, media_port=free_even_port(), echo=False, name="kamailio-uas")
    config = workdir / "kamailio.cfg"
    config.write_text(
        KAMAILIO_CFG.format(
            host=HOST,
            port=proxy_port,
            target=uas_port,
            buffer=SOCKET_BUFFER,
            modules=kamailio_modules(),
        )
    )
    kamailio_dir = workdir / "kamailio"
    kamailio_dir.mkdir()
    proxy = children.start(
        [binary, "-f", str(config), "-DD", "-E", "-w", str(kamailio_dir), "-m", "128"],
        log=workdir / "kamailio.log",
    )
    deadline = time.monotonic() + 20
    while proxy.poll() is None and not udp_port_taken(proxy_port) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # its workers are forked after the socket is bound
    if proxy.poll() is not None or not udp_port_taken(proxy_port):
        raise RuntimeError(f"Kamailio did not start: see {workdir / 'kamailio.log'}")
    print(f"Kamailio (stateless forward(), children=1) on {HOST}:{proxy_port} -> sipp UAS")
    meter = {"Kamailio": group_members(proxy.pid), "sipp UAS": [uas.pid]}
    try:
        return ramp(
            sizes.baseline_rates,
            lambda rate: sipp.step(
                f"{HOST}:{proxy_port}",
                "100",
                rate=rate,
                seconds=sizes.step_seconds,
                meter_pids=meter,
                name=f"kamailio-{rate}",
            ),
            "CPU",
        )
    finally:
        Children.stop(proxy)
        Children.stop(uas)


# --- Helpline ----------------------------------------------------------------------------------


class Helpline:
    """``python -m helpline serve`` with SIP and the media engine, and its REST API."""

    def __init__(self, children: Children, workdir: Path) -> None:
        self.children = children
        self.data_dir = workdir / "helpline-data"
        self.log = workdir / "helpline.log"
        self.http_port = free_port(socket.SOCK_STREAM)
        self.sip_port = free_port(both=True)
        self.process: subprocess.Popen[bytes] | None = None
        self.client: Any = None
        self.agent_ids: list[int] = []

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{(self.data_dir / 'helpline.sqlite3').resolve()}"

    def prepare(self, agents: int) -> None:
        """The schema and the agents, written before the server starts (with cheap password
        hashes: creating hundreds of users through the API would measure argon2)."""
        from helpline.auth import passwords
        from helpline.migrations import upgrade_database
        from helpline.storage.engine import create_engine, create_session_factory
        from helpline.storage.unit_of_work import unit_of_work
        from helpline.timeutil import utcnow
        from helpline.users import service
        from helpline.users.schemas import UserCreate

        self.data_dir.mkdir(parents=True)
        upgrade_database(self.database_url)
        passwords.configure(time_cost=1, memory_cost=1024, parallelism=1)

        async def create() -> list[int]:
            engine = create_engine(self.database_url)
            ids = []
            try:
                async with unit_of_work(create_session_factory(engine)) as session:
                    # The first admin too: `serve` creates it only in an empty database.
                    admin = UserCreate(
                        username="admin",
                        display_name="Administrator",
                        password=ADMIN_PASSWORD,
                        roles=["admin"],
                    )
                    await service.create(
                        session=session, user_in=admin, now=utcnow(), actor_id=None
                    )
                    for index in range(agents):
                        user_in = UserCreate(
                            username=f"agent{index + 1}",
                            display_name=f"Agent {index + 1}",
                            password=AGENT_PASSWORD,
                            roles=["agent"],
                            lines=[{"extension": str(FIRST_EXTENSION + index)}],
                            sip_password=SIP_PASSWORD,
                        )
                        user = await service.create(
                            session=session, user_in=user_in, now=utcnow(), actor_id=None
                        )
                        ids.append(user.id)
            finally:
                await engine.dispose()
            return ids

        self.agent_ids = asyncio.run(create())

    def start(self) -> None:
        import httpx

        env = dict(os.environ)
        env.update(
            HELPLINE_ENV="test",
            HELPLINE_DATA_DIR=str(self.data_dir),
            HELPLINE_SECRET_KEY=secrets.token_urlsafe(48),
            HELPLINE_ADMIN_PASSWORD=ADMIN_PASSWORD,
            HELPLINE_SIP_ENABLED="true",
            HELPLINE_SIP_HOST=HOST,
            HELPLINE_SIP_PORT=str(self.sip_port),
            HELPLINE_RTP_PORTS=f"{RTP_PORTS[0]}-{RTP_PORTS[1]}",
        )
        env.pop("HELPLINE_DATABASE_URL", None)
        argv = [sys.executable, "-m", "helpline", "serve", "--host", HOST]
        argv += ["--port", str(self.http_port)]
        self.process = self.children.start(argv, log=self.log, env=env)
        self.client = httpx.Client(base_url=f"http://{HOST}:{self.http_port}", timeout=60)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"helpline serve exited: see {self.log}")
            with suppress(httpx.HTTPError):
                if self.client.get("/healthz").status_code == 200 and self.engine_pid():
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"helpline serve did not come up: see {self.log}")
        self._ok(
            self.client.post(
                "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
        )

    def stop(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.process is not None:
            # The server stops its media engine itself; whatever is left is killed.
            Children.stop(self.process, sig=signal.SIGINT, wait=20, group=False)

    @staticmethod
    def _ok(response: Any) -> Any:
        if response.status_code >= 300:
            raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
        return response.json()

    def post(self, path: str, body: Any) -> Any:
        return self._ok(self.client.post(path, json=body))

    def put(self, path: str, body: Any) -> Any:
        return self._ok(self.client.put(path, json=body))

    def get(self, path: str) -> Any:
        return self._ok(self.client.get(path))

    def engine_pid(self) -> int | None:
        assert self.process is not None
        for pid in group_members(self.process.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"helpline.channels.media.engine" in command:
                return pid
        return None

    def pids(self) -> dict[str, list[int]]:
        assert self.process is not None
        engine = self.engine_pid()
        return {"helpline": [self.process.pid], "engine": [engine] if engine else []}

    def queue(self, name: str) -> dict[str, Any]:
        return dict(
            self.post(
                "/api/v1/call-queues",
                {
                    "name": name,
                    "wrap_up_seconds": 0,
                    "max_wait_seconds": 3600,
                    "offer_timeout_seconds": 30,
                },
            )
        )

    def plan(self, name: str, number: str, entry: str, nodes: list[dict[str, Any]]) -> None:
        plan = self.post("/api/v1/call-plans", {"name": name, "entry": entry, "nodes": nodes})
        self.put(f"/api/v1/call-plans/{plan['id']}/numbers", {"numbers": [{"number": number}]})

    def card(self, queue_id: int) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/acd/queues/call:{queue_id}")["card"])

    def quiet(self, limit: float = 60.0) -> None:
        """Wait (bounded) until the server and its engine are nearly idle: the calls of a
        step that failed may still be ending."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            meter = CpuMeter(self.pids())
            time.sleep(1.0)
            if sum(meter.percent().values()) < 15:
                return


@dataclass
class Concurrent:
    calls: int
    mode: str
    up: int = 0  # calls delivering or receiving audio in the window
    cpu: dict[str, float] = field(default_factory=dict)
    expected: int = 0
    received: int = 0
    lost: int = 0
    skipped_ticks: int = 0  # 20 ms ticks the engine's clock skipped in the window
    peer_late_ticks: int = 0  # ticks the callers' RTP went out > 60 ms late (the load)
    peer_max_late_ms: float = 0.0
    unit: str = "packets"
    note: str = ""

    @property
    def engine_cpu_per_call(self) -> float:
        return self.cpu.get("engine", 0.0) / self.calls if self.calls else 0.0

    @property
    def clean(self) -> bool:
        return (
            self.up == self.calls
            and self.lost == 0
            and self.expected > 0
            and self.skipped_ticks == 0
        )

    def describe(self) -> str:
        cpu = ", ".join(f"{name} {value:.0f} %" for name, value in self.cpu.items())
        loss = 100.0 * self.lost / self.expected if self.expected else math.nan
        return (
            f"  {self.calls} calls {self.mode}: {self.up} up; CPU {cpu}; engine "
            f"{self.engine_cpu_per_call:.3f} % of a core per call; {self.unit} {self.received}"
            f"/{self.expected}, lost {self.lost} ({loss:.3f} %), clock skipped "
            f"{self.skipped_ticks} ticks; callers' RTP sent > 60 ms late on "
            f"{self.peer_late_ticks} ticks (max {self.peer_max_late_ms:.0f} ms){self.note}"
        )


# --- the RTP peer (its own process) ------------------------------------------------------------


def rtp_peer_main(conn: Connection, ports: list[int]) -> None:
    """The callers' phones: every engine leg that sends to one of ``ports`` is a call. Like a
    phone, the peer sends 50 packets/s of PCMU to each of them (a caller on hold still sends
    audio; without it the engine would hang up after its RTP timeout), and counts what each
    leg sends, from the sequence numbers, between "start" and "stop"."""
    sockets: list[socket.socket] = []
    selector = selectors.DefaultSelector()
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        sock.bind((HOST, port))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, len(sockets))
        sockets.append(sock)
    selector.register(conn.fileno(), selectors.EVENT_READ, None)
    from helpline.channels.media.g711 import PCMU
    from helpline.channels.media.tone import sine

    payload = PCMU.encode(sine(440, 20, 0.3))
    # stream (socket index, source) -> [received, highest extended sequence, last sequence,
    # first sequence, last arrival]
    streams: dict[tuple[int, tuple[str, int]], list[Any]] = {}
    marks: dict[tuple[int, tuple[str, int]], tuple[int, int]] = {}
    frame = 0
    next_send = time.monotonic()
    late_ticks = 0  # ticks sent more than the engine's jitter buffer (60 ms) late
    max_late = 0.0
    unpack = _RTP.unpack_from
    conn.send("ready")
    while True:
        events = selector.select(max(0.0, next_send - time.monotonic()))
        now = time.monotonic()
        for key, _ in events:
            if key.data is None:
                command = conn.recv()
                if command == "count":
                    active = sum(1 for v in streams.values() if now - v[4] < 1.0)
                    conn.send((len(streams), active))
                elif command == "start":
                    marks = {s: (v[0], v[1]) for s, v in streams.items()}
                    conn.send("started")
                elif command == "stop":
                    expected = received = up = 0
                    for stream, values in streams.items():
                        got0, high0 = marks.get(stream, (0, values[3] - 1))
                        got, high = values[0] - got0, values[1] - high0
                        if got:
                            up += 1
                            received += got
                            expected += max(high, got)
                    conn.send(
                        {
                            "up": up,
                            "received": received,
                            "expected": expected,
                            "late_ticks": late_ticks,
                            "max_late": max_late,
                        }
                    )
                elif command == "quit":
                    for sock in sockets:
                        sock.close()
                    return
                continue
            index = key.data
            sock = sockets[index]
            for _ in range(256):
                try:
                    data, source = sock.recvfrom(2048)
                except BlockingIOError:
                    break
                if len(data) < 12:
                    continue
                sequence = unpack(data)[2]
                stream = (index, source)
                known = streams.get(stream)
                if known is None:
                    streams[stream] = [1, sequence, sequence, sequence, now]
                    continue
                values = known
                values[0] += 1
                values[4] = now
                delta = (sequence - values[2]) & 0xFFFF
                if delta < 0x8000:  # forward (reordered or duplicated packets are not)
                    values[1] += delta
                    values[2] = sequence
        if now >= next_send:
            late = now - next_send
            max_late = max(max_late, late)
            if late > 0.06:
                late_ticks += 1
            header = (0x80, 0, frame & 0xFFFF, (frame * 160) & 0xFFFFFFFF)
            for number, (index, source) in enumerate(list(streams)):
                packet = _RTP.pack(*header, 0x5000 + number) + payload
                with suppress(OSError):
                    sockets[index].sendto(packet, source)
            frame += 1
            next_send += 0.02
            if next_send < now:  # fell behind (a busy machine): keep the pace from now
                next_send = now + 0.02


@contextmanager
def rtp_peer() -> Iterator[tuple[Connection, list[int]]]:
    ports = [free_port() for _ in range(PEER_SOCKETS)]
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=rtp_peer_main, args=(theirs, ports), daemon=True
    )
    process.start()
    try:
        if not ours.poll(60) or ours.recv() != "ready":
            raise RuntimeError("the RTP peer did not start")
        yield ours, ports
    finally:
        with suppress(OSError, BrokenPipeError):
            ours.send("quit")
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()


def silent_frames(path: Path, window: tuple[float, float]) -> tuple[int, int, int, int]:
    """Frames and silent frames between the first and last sound of a recording: in all,
    and inside ``window`` (wall-clock times; the file ends at its modification time and
    holds one frame per 20 ms)."""
    from helpline.channels.media import tone, wav

    pcm = wav.read_wav(path)
    ended = path.stat().st_mtime
    size = 320
    count = len(pcm) // size
    loud = [tone.level_dbfs(pcm[i * size : (i + 1) * size]) > -40 for i in range(count)]
    if True not in loud:
        return 0, 0, 0, 0
    first = loud.index(True)
    last = count - 1 - loud[::-1].index(True)
    inside = [
        i for i in range(first, last + 1) if window[0] <= ended - (count - i) * 0.02 < window[1]
    ]
    return (
        last - first + 1,
        loud[first : last + 1].count(False),
        len(inside),
        sum(1 for i in inside if not loud[i]),
    )


def clock_overruns(log: Path) -> int:
    """Ticks the media engine's 20 ms clock skipped so far (its warnings in the server log)."""
    skipped = 0
    with suppress(OSError):
        for line in log.read_text(errors="replace").splitlines():
            if "the media clock fell behind" in line:
                with suppress(ValueError, IndexError):
                    skipped += int(line.rsplit(":", 1)[1].split()[0])
    return skipped


def run_concurrent(
    sipp: Sipp, helpline: Helpline, sizes: Sizes, calls: int, mode: str, service: str
) -> Concurrent:
    """``calls`` calls at once, held (``mode`` "hold music") or recorded (``"recording"``)."""
    result = Concurrent(calls, mode)
    started = time.time()
    ramp_seconds = calls / sizes.ramp_rate
    patience = 1.5 * ramp_seconds + sizes.patience  # by then every call must be up
    hold_ms = int((patience + sizes.settle + sizes.window + 3) * 1000)
    with rtp_peer() as (peer, ports):
        injection = sipp.workdir / f"media-{mode.replace(' ', '-')}.csv"
        injection.write_text(
            "SEQUENTIAL\n" + "".join(f"{ports[i % len(ports)]};\n" for i in range(calls))
        )
        process, stats = sipp.calls(
            f"{HOST}:{helpline.sip_port}",
            service,
            rate=sizes.ramp_rate,
            calls=calls,
            limit=calls,
            scenario_text=caller_scenario(pause_ms=hold_ms, media_port="[field0]"),
            name=f"concurrent-{mode.replace(' ', '-')}",
            injection=injection,
            timeout=hold_ms / 1000 + patience + 60,
        )
        try:
            begin = time.monotonic()
            while time.monotonic() - begin < patience:
                time.sleep(0.5)
                peer.send("count")
                known, active = peer.recv()
                # Held calls keep sending hold music; recorded ones fall silent after the
                # beeps, so count the legs heard from at all.
                if (active if mode == "hold music" else known) >= calls:
                    break
            result.note = f"; all up after {time.monotonic() - begin:.1f} s"
            # The recording starts after the beeps (under a second); hold music at once.
            time.sleep(sizes.settle + (1.5 if mode == "recording" else 0.0))
            skipped = clock_overruns(helpline.log)
            meter = CpuMeter(helpline.pids())
            peer.send("start")
            peer.recv()
            window = (time.time(), time.time() + sizes.window)
            time.sleep(sizes.window)
            result.cpu = meter.percent()
            peer.send("stop")
            counts = peer.recv()
            result.skipped_ticks = clock_overruns(helpline.log) - skipped
        finally:
            process.wait(timeout=hold_ms / 1000 + patience + 90)
    row = read_stats(stats)
    failed = int(row.get("FailedCall(C)", 0)) if row else calls
    if failed:
        result.note += f"; {failed} call(s) failed in sipp"
    result.peer_late_ticks = counts["late_ticks"]
    result.peer_max_late_ms = 1000 * counts["max_late"]
    if mode == "hold music":
        result.up = counts["up"]
        result.expected = counts["expected"]
        result.received = counts["received"]
        result.lost = result.expected - result.received
    else:
        helpline.quiet(60)
        files = [
            path
            for path in sorted((helpline.data_dir / "voicemail").glob("*.wav"))
            if path.stat().st_mtime >= started  # this run's calls only
        ]
        frames = gaps = 0
        for path in files:
            whole, silent, inside, silent_inside = silent_frames(path, window)
            result.up += 1 if inside else 0
            result.expected += inside
            result.lost += silent_inside
            frames += whole
            gaps += silent
        result.received = result.expected - result.lost
        result.unit = "recorded frames"
        result.note += (
            f"; {len(files)} recordings; lost = silent 20 ms frames inside them (in the "
            f"window; over the whole calls, set-up and hang-up included: {gaps}/{frames})"
        )
    return result


# --- the run -----------------------------------------------------------------------------------


def goal(met: bool, text: str) -> str:
    return f"  [{'x' if met else ' '}] {text}"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.3f}" if baseline else "n/a"


def missing_tools() -> list[str]:
    missing = []
    if shutil.which("sipp") is None:
        missing.append("sipp (Debian sip-tester)")
    if kamailio_binary() is None:
        missing.append("kamailio")
    return missing


PARTS = ("baseline", "answered", "bridged", "media")


def run(sizes: Sizes, workdir: Path, parts: Sequence[str] = PARTS) -> int:
    children = Children()
    sipp_binary = shutil.which("sipp")
    assert sipp_binary is not None
    sipp = Sipp(sipp_binary, children, workdir)
    started = time.monotonic()
    print(f"SIP benchmark on {HOST}, {os.cpu_count()} cores, load average {load_average()}")
    print(f"  work files in {workdir}")
    try:
        baseline = answered = bridged = 0
        concurrent: list[Concurrent] = []
        if "baseline" in parts:
            print("\n1/4 Baseline: Kamailio forwarding calls statelessly to a sipp UAS")
            baseline_steps = run_baseline(sipp, children, workdir, sizes)
            baseline = best(baseline_steps)
            print(f"  Kamailio: {baseline} calls/s forwarded cleanly")

        helpline = Helpline(children, workdir)
        setup = time.monotonic()
        helpline.prepare(sizes.agents)
        helpline.start()
        support = helpline.queue("Support")
        waiting = helpline.queue("Waiting")
        helpline.put(
            f"/api/v1/call-queues/{support['id']}/assignments", {"agents": helpline.agent_ids}
        )
        helpline.plan(
            "Answer",
            "100",
            "welcome",
            [
                {"id": "welcome", "type": "prompt", "prompt": "welcome", "next": "bye"},
                {"id": "bye", "type": "hangup"},
            ],
        )
        helpline.plan(
            "Bridge", "200", "wait", [{"id": "wait", "type": "queue", "queue_id": support["id"]}]
        )
        helpline.plan(
            "Hold", "300", "wait", [{"id": "wait", "type": "queue", "queue_id": waiting["id"]}]
        )
        helpline.plan(
            "Record",
            "400",
            "message",
            [
                {
                    "id": "message",
                    "type": "voicemail",
                    "queue_id": waiting["id"],
                    "prompt": "beep",  # short: the recording starts after two beeps
                    "max_seconds": 600,
                }
            ],
        )
        print(
            f"\nHelpline on {HOST}:{helpline.sip_port} (HTTP {helpline.http_port}), "
            f"{sizes.agents} agents created, ready in {time.monotonic() - setup:.1f} s"
        )

        target = f"{HOST}:{helpline.sip_port}"
        if "answered" in parts:
            print("\n2/4 Calls answered per second (prompt, caller hangs up after 1 s)")
            answered_steps = ramp(
                sizes.answered_rates,
                lambda rate: sipp.step(
                    target,
                    "100",
                    rate=rate,
                    seconds=sizes.step_seconds,
                    meter_pids=helpline.pids(),
                    name=f"answered-{rate}",
                ),
                "CPU",
            )
            answered = best(answered_steps)
            print(f"  Helpline: {answered} calls/s answered cleanly")
            helpline.quiet()

        if "bridged" in parts:
            print(f"\n3/4 Calls bridged per second ({sizes.agents} ready agents, wrap-up 0)")
            phone_port = free_port()
            phone = sipp.uas(port=phone_port, media_port=free_even_port(), echo=True, name="phones")
            time.sleep(0.5)
            lines = [(f"agent{i + 1}", str(FIRST_EXTENSION + i)) for i in range(sizes.agents)]
            begin = time.monotonic()
            failures = sipp.register(target, lines, phone_port)
            print(
                f"  registered {sizes.agents - failures}/{sizes.agents} lines to one sipp UAS in "
                f"{time.monotonic() - begin:.1f} s"
            )
            begin = time.monotonic()
            key = f"call:{support['id']}"
            for user_id in helpline.agent_ids:  # a supervisor's login leaves the agent ready
                helpline.post(f"/api/v1/acd/queues/{key}/agents/{user_id}/login", {})
            per_agent = (time.monotonic() - begin) / max(1, sizes.agents)
            ready = helpline.card(support["id"]).get("agents_ready")
            print(
                f"  {ready} agents logged in and ready (by a supervisor) in "
                f"{time.monotonic() - begin:.1f} s ({1000 * per_agent:.1f} ms an agent)"
            )

            def bridged_step(rate: int) -> Step:
                before = helpline.card(support["id"]).get("handled", 0)
                step = sipp.step(
                    target,
                    "200",
                    rate=rate,
                    seconds=sizes.step_seconds,
                    meter_pids=helpline.pids(),
                    name=f"bridged-{rate}",
                )
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    step.handled = helpline.card(support["id"]).get("handled", 0) - before
                    if step.handled >= step.successful:
                        break
                    time.sleep(0.5)
                return step

            bridged_steps = ramp(sizes.bridged_rates, bridged_step, "CPU")
            bridged = best(bridged_steps)
            print(f"  Helpline: {bridged} calls/s bridged cleanly")
            Children.stop(phone)
            helpline.quiet()

        if "media" in parts:
            print("\n4/4 Concurrent calls with media")
            for calls in sizes.concurrent:
                for mode, service in (("hold music", "300"), ("recording", "400")):
                    result = run_concurrent(sipp, helpline, sizes, calls, mode, service)
                    concurrent.append(result)
                    print(result.describe(), flush=True)
                    helpline.quiet()
        helpline.stop()

        print("\nSummary")
        print(f"  Kamailio forwarded:  {baseline:>6} calls/s (baseline)")
        print(f"  Helpline answered:   {answered:>6} calls/s  ratio {ratio(answered, baseline)}")
        print(f"  Helpline bridged:    {bridged:>6} calls/s  ratio {ratio(bridged, baseline)}")
        for result in concurrent:
            print(
                f"  {result.calls} concurrent calls, {result.mode}: engine "
                f"{result.cpu.get('engine', 0):.0f} % of a core, lost {result.lost}"
            )
        held = [r for r in concurrent if r.mode == "hold music" and r.calls >= GOAL_CONCURRENT]
        print("\nGoals:")
        print(goal(answered >= GOAL_ANSWERED, f">= {GOAL_ANSWERED} calls/s answered"))
        print(goal(bridged >= GOAL_BRIDGED, f">= {GOAL_BRIDGED} calls/s bridged"))
        print(
            goal(
                any(r.clean and r.cpu.get("engine", 100.0) < 100.0 for r in held),
                f">= {GOAL_CONCURRENT} concurrent G.711 calls (hold music) on one core, "
                "no packet lost",
            )
        )
        print(f"\nload average at the end: {load_average()}; {time.monotonic() - started:.0f} s")
        return 0
    finally:
        children.stop_all()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run (smoke test, < 60 s)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run, among {', '.join(PARTS)} (default: all)",
    )
    args = parser.parse_args(argv)
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose among {', '.join(PARTS)}")
    missing = missing_tools()
    if missing:
        print(f"error: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="helpline-sip-bench-"))

    def stop_on_signal(signum: int, _frame: object) -> None:
        # A benchmark killed with SIGTERM (timeout, kill) still stops its children.
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        return run(QUICK if args.quick else FULL, workdir, parts)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

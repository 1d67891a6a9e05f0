"""Media engine benchmark: ``uv run python -m benchmarks.media_engine [--quick] [--calls N]``.

Relayed calls through the real engine process, with real UDP sockets on 127.0.0.1:

- the engine is started through ``MediaEngineClient``; it gets 2 legs per call, the caller's
  leg in PCMU and the agent's in PCMA (so every packet is transcoded), bridged;
- a load generator in a separate process plays both phones of every call from its own
  sockets: 50 packets a second per leg (a 20 ms G.711 packet each, the legs spread over
  the 20 ms), and counts the packets that come back on the other leg of the call;
- the engine process's CPU is read from ``/proc/<pid>/stat`` (utime + stime) over the
  measured interval, as a percentage of one core.

The baseline, measured in the same run with the same load, is the cheapest relay there is:
a plain asyncio + uvloop UDP forwarder in another child process that sends each datagram
on to the other socket of its pair without looking at it. The ratio says what parsing,
latching, loss accounting, transcoding and renumbering cost on top of moving the bytes.

DESIGN goal: at least 400 concurrent relayed G.711 calls on one core with no packet lost.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import struct
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from helpline.channels.media.client import MediaEngineClient
from helpline.channels.media.g711 import PCMA, PCMU
from helpline.channels.media.tone import sine

HOST = "127.0.0.1"
PACKETS_PER_SECOND = 50
SLOTS = 4  # the legs are spread over 4 sends of 5 ms in each 20 ms
BUFFER_BYTES = 1 << 20  # what the engine gives its RTP sockets
GENERATOR_SOCKETS = 16
GENERATOR_BUFFER_BYTES = 4 << 20
QUIET = 1.0  # seconds without a packet back that end the run
MAX_DRAIN = 15.0
GOAL_CALLS = 400
_HEADER = struct.Struct("!BBHII")


@dataclass
class Result:
    name: str
    sent: int
    received: int
    cpu: float  # seconds of CPU the relay process used while the load was sent
    seconds: float  # how long sending took (longer than asked if the generator fell behind)
    generator_cpu_percent: float  # the load generator's own CPU, % of one core
    waiting_percent: float  # of the interval, runnable but kept off the CPU by other work
    overruns: int = 0  # times the engine's 20 ms clock fell more than 5 ticks behind

    @property
    def lost(self) -> int:
        return self.sent - self.received

    @property
    def cpu_percent(self) -> float:
        """CPU over the measured interval, as a percentage of one core."""
        return 100.0 * self.cpu / self.seconds

    def rate(self, calls: int) -> float:
        """The load actually offered, as a fraction of 50 packets/s on every leg."""
        return self.sent / self.seconds / (2 * calls * PACKETS_PER_SECOND)

    def cpu_percent_at_full_rate(self, calls: int) -> float:
        """CPU per packet times the nominal packet rate: what the target would use if the
        load generator had kept the exact pace (it falls behind on a busy machine)."""
        return 100.0 * self.cpu / self.sent * 2 * calls * PACKETS_PER_SECOND


def _udp_socket(buffer_bytes: int = BUFFER_BYTES) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_bytes)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer_bytes)
    sock.setblocking(False)
    sock.bind((HOST, 0))
    return sock


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # the command name (field 2) may hold spaces; fields after it are plain numbers
        fields = stat.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def cpu_wait_seconds(pid: int) -> float:
    """Time the process spent runnable but waiting for a CPU (``/proc/<pid>/schedstat``):
    on a shared machine, the share of the run it was kept off the CPU by other work."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


# --- load generator (its own process) --------------------------------------------------------


def loadgen_main(conn: Connection, legs: int, seconds: float) -> None:
    import uvloop

    uvloop.run(_loadgen(conn, legs, seconds))


async def _loadgen(conn: Connection, legs: int, seconds: float) -> None:
    """Plays the phones of every call. A few sockets serve all the legs (leg ``i`` sends
    from socket ``i % n``, and the engine latches each leg to that address): the generator
    has to move as many packets as the relay, twice over, and per-socket callbacks for
    hundreds of sockets would make it, not the relay, the bottleneck on two cores."""
    loop = asyncio.get_running_loop()
    sockets = [_udp_socket(GENERATOR_BUFFER_BYTES) for _ in range(min(legs, GENERATOR_SOCKETS))]
    conn.send([sockets[leg % len(sockets)].getsockname()[1] for leg in range(legs)])
    targets: list[int] = await loop.run_in_executor(None, conn.recv)
    received = 0
    buffer = bytearray(2048)

    def drain(sock: socket.socket) -> None:
        nonlocal received
        recv_into = sock.recv_into
        try:
            while True:
                recv_into(buffer)
                received += 1
        except BlockingIOError:
            pass

    for sock in sockets:
        loop.add_reader(sock.fileno(), drain, sock)
    tone = {
        PCMU.payload_type: PCMU.encode(sine(440, 20, 0.3)),
        PCMA.payload_type: PCMA.encode(sine(1000, 20, 0.3)),
    }
    payloads = [
        tone[PCMU.payload_type if leg % 2 == 0 else PCMA.payload_type] for leg in range(legs)
    ]
    payload_types = [
        PCMU.payload_type if leg % 2 == 0 else PCMA.payload_type for leg in range(legs)
    ]
    sends = [sockets[leg % len(sockets)].sendto for leg in range(legs)]
    addresses = [(HOST, port) for port in targets]
    slots = [list(range(slot, legs, SLOTS)) for slot in range(SLOTS)]
    interval = 1.0 / PACKETS_PER_SECOND / SLOTS
    frames = round(seconds * PACKETS_PER_SECOND)
    pack = _HEADER.pack
    sent = 0
    conn.send("started")
    start = loop.time()
    step = 0
    for frame in range(frames):
        sequence = frame & 0xFFFF
        timestamp = (frame * 160) & 0xFFFF_FFFF
        for slot in slots:
            for leg in slot:
                sends[leg](
                    pack(0x80, payload_types[leg], sequence, timestamp, 0x10000 + leg)
                    + payloads[leg],
                    addresses[leg],
                )
            sent += len(slot)
            step += 1
            await asyncio.sleep(max(0.0, start + step * interval - loop.time()))
    conn.send(("sent", loop.time() - start))
    # wait for the relay to catch up (on a busy machine it may be seconds behind): until
    # every packet is back or none came for a while
    quiet_since, last = loop.time(), received
    deadline = loop.time() + MAX_DRAIN
    while received < sent and loop.time() < deadline and loop.time() - quiet_since < QUIET:
        await asyncio.sleep(0.05)
        if received != last:
            quiet_since, last = loop.time(), received
    for sock in sockets:
        drain(sock)
        loop.remove_reader(sock.fileno())
        sock.close()
    conn.send({"sent": sent, "received": received})


# --- the baseline: a forwarder that does not parse (its own process) -------------------------


class _Forward(asyncio.DatagramProtocol):
    __slots__ = ("address", "peer")

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.peer: Any = None

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.peer.sendto(data, self.address)


def relay_main(conn: Connection) -> None:
    import uvloop

    uvloop.run(_relay(conn))


async def _relay(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    peers: list[int] = conn.recv()  # the load generator's port of each leg
    sockets = [_udp_socket() for _ in peers]
    protocols: list[_Forward] = []
    transports: list[Any] = []
    for index, sock in enumerate(sockets):
        # a packet in on leg i goes out of leg i^1 (its pair) to that leg's phone
        protocol = _Forward((HOST, peers[index ^ 1]))
        transport, _ = await loop.create_datagram_endpoint(lambda p=protocol: p, sock=sock)
        protocols.append(protocol)
        transports.append(transport)
    for index, protocol in enumerate(protocols):
        protocol.peer = transports[index ^ 1]
    conn.send([sock.getsockname()[1] for sock in sockets])
    await loop.run_in_executor(None, conn.recv)  # until told to stop
    for transport in transports:
        transport.close()


# --- driver ------------------------------------------------------------------------------------


async def _measure(
    name: str, pid: int, loadgen: tuple[Any, Connection], targets: list[int], seconds: float
) -> Result:
    """Start the load, read the target's CPU time while the load generator sends."""
    process, conn = loadgen
    loop = asyncio.get_running_loop()
    conn.send(targets)
    assert await loop.run_in_executor(None, conn.recv) == "started"
    cpu0, wall0, generator0 = cpu_seconds(pid), time.monotonic(), cpu_seconds(process.pid)
    wait0 = cpu_wait_seconds(pid)
    message, _elapsed = await loop.run_in_executor(None, conn.recv)
    assert message == "sent"
    cpu1, wall1, generator1 = cpu_seconds(pid), time.monotonic(), cpu_seconds(process.pid)
    wait1 = cpu_wait_seconds(pid)
    counts = await loop.run_in_executor(None, conn.recv)
    await loop.run_in_executor(None, process.join)
    return Result(
        name,
        counts["sent"],
        counts["received"],
        cpu1 - cpu0,
        wall1 - wall0,
        100.0 * (generator1 - generator0) / (wall1 - wall0),
        100.0 * (wait1 - wait0) / (wall1 - wall0),
    )


async def _start_loadgen(ctx: Any, legs: int, seconds: float) -> tuple[Any, Connection, list[int]]:
    parent, child = ctx.Pipe()
    process = ctx.Process(target=loadgen_main, args=(child, legs, seconds), daemon=True)
    process.start()
    ports = await asyncio.get_running_loop().run_in_executor(None, parent.recv)
    return process, parent, ports


async def run_baseline(ctx: Any, calls: int, seconds: float) -> Result:
    legs = 2 * calls
    loadgen, conn, phone_ports = await _start_loadgen(ctx, legs, seconds)
    parent, child = ctx.Pipe()
    relay = ctx.Process(target=relay_main, args=(child,), daemon=True)
    relay.start()
    try:
        parent.send(phone_ports)
        targets = await asyncio.get_running_loop().run_in_executor(None, parent.recv)
        return await _measure("baseline", relay.pid, (loadgen, conn), targets, seconds)
    finally:
        parent.send("stop")
        relay.join(5)
        if relay.is_alive():
            relay.kill()
        if loadgen.is_alive():
            loadgen.kill()


async def run_engine(ctx: Any, calls: int, seconds: float, ports: tuple[int, int]) -> Result:
    legs = 2 * calls
    loadgen, conn, phone_ports = await _start_loadgen(ctx, legs, seconds)
    client = MediaEngineClient(host=HOST, rtp_ports=ports)
    await client.start()
    try:
        targets = []
        for leg in range(legs):
            leg_id = f"c{leg // 2}-{'ab'[leg % 2]}"
            codec = PCMU if leg % 2 == 0 else PCMA
            targets.append(await client.create_leg(leg_id))
            await client.connect_leg(
                leg_id,
                remote_host=HOST,
                remote_port=phone_ports[leg],
                codec=codec.name,
                payload_type=codec.payload_type,
            )
        for call in range(calls):
            await client.bridge(f"c{call}-a", f"c{call}-b")
        pid = client.pid
        assert pid is not None
        before = (await client.ping())["overruns"]
        result = await _measure("engine", pid, (loadgen, conn), targets, seconds)
        result.overruns = (await client.ping())["overruns"] - before
        stats = [await client.stats(f"c{leg // 2}-{'ab'[leg % 2]}") for leg in range(legs)]
        lost_in = sum(s["lost"] for s in stats)
        errors = sum(s["errors"] + s["malformed"] + s["dropped"] for s in stats)
        if lost_in or errors:
            print(f"  (engine counted {lost_in} packets lost on the way in, {errors} errors)")
        return result
    finally:
        await client.stop()
        if loadgen.is_alive():
            loadgen.kill()


def parse_ports(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    return int(low), int(high)


async def run(args: argparse.Namespace) -> int:
    seconds = 2.0 if args.quick else args.seconds
    calls = args.calls
    ctx = multiprocessing.get_context("spawn")
    out = sys.stdout.write
    out(
        f"Media engine benchmark: {calls} bridged calls ({2 * calls} legs, PCMU <-> PCMA), "
        f"{PACKETS_PER_SECOND} packets/s per leg for {seconds:g} s, {os.cpu_count()} cores\n"
    )
    baseline = await run_baseline(ctx, calls, seconds)
    engine = await run_engine(ctx, calls, seconds, parse_ports(args.rtp_ports))
    out(
        f"  {'relay':<30} {'sent':>9} {'received':>9} {'lost':>5} {'load':>6} "
        f"{'CPU % core':>11} {'at 100% load':>13} {'per call':>9}\n"
    )
    for label, result in (("baseline (uvloop forwarder)", baseline), ("media engine", engine)):
        full = result.cpu_percent_at_full_rate(calls)
        out(
            f"  {label:<30} {result.sent:>9,} {result.received:>9,} {result.lost:>5,} "
            f"{100 * result.rate(calls):>5.0f}% {result.cpu_percent:>11.1f} {full:>13.1f} "
            f"{full / calls:>9.3f}\n"
        )
    engine_full = engine.cpu_percent_at_full_rate(calls)
    baseline_full = baseline.cpu_percent_at_full_rate(calls)
    ratio = engine_full / baseline_full if baseline_full > 0 else float("inf")
    capacity = 100.0 * calls / engine_full if engine_full > 0 else float("inf")
    out(
        "\n  load: the packet rate the generator reached, of 50 packets/s per leg; 'at 100% "
        "load': CPU per packet x the full rate\n"
    )
    out(
        f"  load generator CPU: {baseline.generator_cpu_percent:.0f} % of one core (baseline "
        f"run), {engine.generator_cpu_percent:.0f} % (engine run); machine load average "
        f"{os.getloadavg()[0]:.1f}\n"
    )
    out(
        f"  time the relay waited for a CPU (other work on the machine): baseline "
        f"{baseline.waiting_percent:.0f} %, engine {engine.waiting_percent:.0f} % of the run\n"
    )
    out(
        f"  engine clock overruns during the run: {engine.overruns} (a tick more than "
        "100 ms late; relayed packets do not wait for the tick)\n"
    )
    out(f"  engine CPU / baseline CPU: {ratio:.2f}x\n")
    out(f"  engine CPU per call: {engine_full / calls:.3f} % of one core\n")
    out(f"  calls one core would carry at this cost per call: {capacity:,.0f}")
    out(" (fixed costs dominate at a few calls)\n" if calls < 50 else "\n")
    kept_pace = engine.rate(calls) >= 0.95
    met = calls >= GOAL_CALLS and engine.lost == 0 and engine_full < 100.0 and kept_pace
    out("\nGoal:\n")
    label = f">= {GOAL_CALLS} concurrent relayed G.711 calls on one core with no packet lost"
    if calls < GOAL_CALLS:
        out(f"  [ ] {label}: not judged at {calls} calls (run with --calls {GOAL_CALLS})\n")
    elif not kept_pace and engine.lost == 0:
        out(
            f"  [ ] {label}: not judged: the load generator reached only "
            f"{100 * engine.rate(calls):.0f}% of the rate (machine busy?)\n"
        )
    else:
        detail = f"{calls} calls, {engine_full:.0f} % of one core, {engine.lost} lost"
        out(f"  [{'x' if met else ' '}] {label}: {'met' if met else 'NOT met'} ({detail})\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s instead of 10 (smoke test)")
    parser.add_argument("--calls", type=int, default=GOAL_CALLS, help="concurrent calls")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured interval")
    parser.add_argument(
        "--rtp-ports", default="42000-44999", help="the engine's RTP port range (LOW-HIGH)"
    )
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    import uvloop

    return uvloop.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())

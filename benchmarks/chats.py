"""Inbound chat messages: Twilio-signed SMS webhooks to the agent's WebSocket.

``python -m helpline serve`` (SQLite in a temporary data directory, no SIP) with a chat
queue for SMS, agents logged in with their dashboard's WebSocket open, and conversations
already assigned to them. The benchmark posts signed webhooks (as Twilio signs them) for
those conversations at a rate that steps up, over a few keep-alive connections, and times
each message from the POST to the ``chat.message_received`` event on its agent's socket.

A step is clean when every message arrived and the p99 latency is under the goal. The
baseline, measured in the same run on the same connections and rates, is ``GET /healthz``:
what the HTTP server answers with no work behind it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.sip import ADMIN_PASSWORD, AGENT_PASSWORD, HOST, Children, load_average

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = secrets.token_hex(16)
SUPPORT_NUMBER = "+390612345678"
GOAL_RATE = 1000  # messages a second
GOAL_P99_MS = 50.0
CONNECTIONS = 32  # concurrent requests at most: one at a time on each


@dataclass(frozen=True)
class Sizes:
    agents: int
    conversations: int
    seconds: float
    rates: tuple[int, ...]


FULL = Sizes(agents=20, conversations=200, seconds=5.0, rates=(100, 250, 500, 750, 1000, 1500))
QUICK = Sizes(agents=2, conversations=10, seconds=1.0, rates=(20, 50))


@dataclass
class Step:
    rate: int
    sent: int
    delivered: int
    failed: int
    seconds: float
    latencies_ms: list[float]

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def clean(self) -> bool:
        return (
            self.failed == 0
            and self.delivered == self.sent
            and self.percentile(0.99) < GOAL_P99_MS
            and self.seconds < self.sent / self.rate + 1.0
        )

    def line(self, what: str) -> str:
        verdict = "clean" if self.clean else "NOT CLEAN"
        return (
            f"  {what} {self.rate:5d}/s x {self.sent:5d}: {self.delivered} delivered, "
            f"{self.failed} failed in {self.seconds:.2f} s = {self.per_second:,.0f}/s, "
            f"p50 {self.percentile(0.5):.1f} ms, p99 {self.percentile(0.99):.1f} ms "
            f"-> {verdict}"
        )


# --- a small HTTP/1.1 keep-alive client (httpx would cost the load more CPU than the server) --


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.lock = asyncio.Lock()

    async def request(self, head: bytes, body: bytes = b"") -> int:
        async with self.lock:
            for _attempt in range(2):  # again on a fresh connection if the server closed it
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
                assert self.reader is not None
                try:
                    self.writer.write(head + body)
                    status_line = await self.reader.readline()
                except ConnectionError:
                    status_line = b""
                if status_line:
                    break
                self.writer.close()
                self.writer = None
            else:
                raise ConnectionError("the server closed the connection")
            length = 0
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await self.reader.readexactly(length)
            return int(status_line.split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(Exception):
                await self.writer.wait_closed()


def webhook(port: int, message_id: str, sender: str, text: str) -> tuple[bytes, bytes]:
    from helpline.channels.sms import twilio

    url = f"http://{HOST}:{port}/webhooks/twilio/messages"
    params = {
        "MessageSid": message_id,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "To": SUPPORT_NUMBER,
        "Body": text,
        "NumMedia": "0",
    }
    signature = twilio.request_signature(AUTH_TOKEN, url, {k: [v] for k, v in params.items()})
    body = urlencode(params).encode()
    head = (
        f"POST /webhooks/twilio/messages HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head, body


# --- the server ------------------------------------------------------------------------------


class Server:
    def __init__(self, children: Children, workdir: Path) -> None:
        self.children = children
        self.data_dir = workdir / "helpline-data"
        self.log = workdir / "helpline.log"
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = int(probe.getsockname()[1])
        self.process: Any = None

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{(self.data_dir / 'helpline.sqlite3').resolve()}"

    def prepare(self, agents: int) -> None:
        """Schema, admin and agents before the server starts (cheap password hashes)."""
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

        async def create() -> None:
            engine = create_engine(self.database_url)
            try:
                async with unit_of_work(create_session_factory(engine)) as session:
                    users = [("admin", "Administrator", ADMIN_PASSWORD, ["admin"])]
                    users += [
                        (f"agent{i + 1}", f"Agent {i + 1}", AGENT_PASSWORD, ["agent"])
                        for i in range(agents)
                    ]
                    for username, name, password, roles in users:
                        user_in = UserCreate(
                            username=username, display_name=name, password=password, roles=roles
                        )
                        await service.create(
                            session=session, user_in=user_in, now=utcnow(), actor_id=None
                        )
            finally:
                await engine.dispose()

        asyncio.run(create())

    def start(self) -> None:
        import httpx

        env = dict(os.environ)
        env.update(
            HELPLINE_ENV="test",
            HELPLINE_DATA_DIR=str(self.data_dir),
            HELPLINE_SECRET_KEY=secrets.token_urlsafe(48),
            HELPLINE_ADMIN_PASSWORD=ADMIN_PASSWORD,
            HELPLINE_SIP_ENABLED="false",
            HELPLINE_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
            HELPLINE_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            # Nothing is sent in this benchmark; a closed port keeps it that way.
            HELPLINE_TWILIO_API_URL="http://127.0.0.1:9",
        )
        env.pop("HELPLINE_DATABASE_URL", None)
        argv = [sys.executable, "-m", "helpline", "serve", "--host", HOST, "--port", str(self.port)]
        self.process = self.children.start(argv, log=self.log, env=env)
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=f"http://{HOST}:{self.port}") as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"helpline serve exited: see {self.log}")
                with suppress(httpx.HTTPError):
                    if client.get("/healthz").status_code == 200:
                        return
                time.sleep(0.2)
        raise RuntimeError(f"helpline serve did not come up: see {self.log}")

    def stop(self) -> None:
        if self.process is not None:
            Children.stop(self.process, sig=signal.SIGINT, wait=20, group=False)


# --- the run ---------------------------------------------------------------------------------


class Agents:
    """The agents' API sessions and dashboard sockets; each socket's message events go to
    ``arrivals`` (text -> arrival time)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.clients: list[Any] = []
        self.sockets: list[Any] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.arrivals: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}

    async def log_in(self, count: int) -> None:
        import httpx
        import websockets

        for index in range(count):
            client = httpx.AsyncClient(base_url=f"http://{HOST}:{self.port}", timeout=60)
            login = await client.post(
                "/api/v1/auth/login",
                json={"username": f"agent{index + 1}", "password": AGENT_PASSWORD},
            )
            login.raise_for_status()
            (await client.post("/api/v1/acd/me/login", json={})).raise_for_status()
            self.clients.append(client)
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            socket_ = await websockets.connect(
                f"ws://{HOST}:{self.port}/ws",
                additional_headers={"Cookie": cookie},
                max_size=2**24,
            )
            await socket_.send(
                json.dumps({"type": "register", "event_types": ["chat.message_received"]})
            )
            json.loads(await socket_.recv())  # the initial state
            self.sockets.append(socket_)
            self.tasks.append(asyncio.create_task(self._listen(socket_)))

    async def _listen(self, socket_: Any) -> None:
        with suppress(Exception):
            async for raw in socket_:
                at = time.perf_counter()
                data = json.loads(raw)
                if data.get("type") != "event":
                    continue
                text = data["event"]["payload"].get("message", {}).get("text") or ""
                waiter = self.waiters.pop(text, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(at)

    async def accept_all(self, expected: int) -> None:
        """Accept every offer until ``expected`` conversations are assigned."""
        accepted = 0
        deadline = time.monotonic() + 60
        while accepted < expected and time.monotonic() < deadline:
            for client in self.clients:
                offers = (await client.get("/api/v1/acd/me")).json().get("open_offers", [])
                for offer in offers:
                    answer = await client.post(f"/api/v1/acd/offers/{offer['offer_id']}/accept")
                    if answer.status_code == 200:
                        accepted += 1
            await asyncio.sleep(0.1)
        if accepted < expected:
            views = [(await client.get("/api/v1/acd/me")).json() for client in self.clients]
            raise RuntimeError(
                f"only {accepted} of {expected} conversations were accepted: {views}"
            )

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for socket_ in self.sockets:
            with suppress(Exception):
                await socket_.close()
        for client in self.clients:
            await client.aclose()


async def paced(rate: int, seconds: float, send: Any) -> tuple[int, int, float, list[float]]:
    """Call ``send(n)`` ``rate`` times a second for ``seconds``; each returns a latency in
    ms or None (failed)."""
    total = max(1, int(rate * seconds))
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks = []
    for n in range(total):
        delay = start + n / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = loop.time() - start
    latencies = [r for r in results if isinstance(r, float)]
    failed = total - len(latencies)
    return total, failed, elapsed, latencies


async def run_async(sizes: Sizes, server: Server) -> list[tuple[Step, Step]]:
    import httpx

    port = server.port
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=60) as admin:
        (
            await admin.post(
                "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
        ).raise_for_status()
        users = (await admin.get("/api/v1/users")).json()
        agent_ids = [u["id"] for u in users if u["username"].startswith("agent")]
        queue = await admin.post(
            "/api/v1/chat-queues",
            json={"name": "SMS", "channels": ["sms"], "max_concurrent_chats": 20},
        )
        queue.raise_for_status()
        queue_id = queue.json()["id"]
        (
            await admin.put(
                f"/api/v1/chat-queues/{queue_id}/assignments",
                json={"agents": agent_ids, "supervisors": []},
            )
        ).raise_for_status()
        (
            await admin.put(
                "/api/v1/chats/addresses",
                json={"channel": "sms", "address": SUPPORT_NUMBER, "queue_id": queue_id},
            )
        ).raise_for_status()
    await asyncio.sleep(1.0)  # the distributor follows the configuration

    agents = Agents(port)
    await agents.log_in(sizes.agents)
    connections = [Connection(port) for _ in range(CONNECTIONS)]
    customers = [f"+3934700{index:05d}" for index in range(sizes.conversations)]
    for index, customer in enumerate(customers):  # each opens a conversation
        head, body = webhook(port, f"SMopen{index}", customer, f"hello {index}")
        status = await connections[index % CONNECTIONS].request(head, body)
        if status != 200:
            raise RuntimeError(f"the opening message was answered {status}")
    await agents.accept_all(len(customers))
    await asyncio.sleep(0.5)

    counter = 0

    async def send_message(n: int) -> float | None:
        nonlocal counter
        counter += 1
        text = f"m{counter} {secrets.token_hex(4)}"
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        agents.waiters[text] = waiter
        head, body = webhook(port, f"SM{counter:012d}", customers[n % len(customers)], text)
        sent = time.perf_counter()
        status = await connections[n % CONNECTIONS].request(head, body)
        if status != 200:
            agents.waiters.pop(text, None)
            return None
        try:
            arrived = await asyncio.wait_for(waiter, 10)
        except TimeoutError:
            agents.waiters.pop(text, None)
            return None
        return (arrived - sent) * 1000.0

    health = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

    async def get_health(n: int) -> float | None:
        sent = time.perf_counter()
        status = await connections[n % CONNECTIONS].request(health)
        return (time.perf_counter() - sent) * 1000.0 if status == 200 else None

    steps = []
    for rate in sizes.rates:
        total, failed, seconds, latencies = await paced(rate, sizes.seconds, get_health)
        base = Step(rate, total, len(latencies), failed, seconds, latencies)
        print(base.line("baseline /healthz"), flush=True)
        total, failed, seconds, latencies = await paced(rate, sizes.seconds, send_message)
        step = Step(rate, total, len(latencies), failed, seconds, latencies)
        print(step.line("chat messages    "), flush=True)
        steps.append((base, step))
        if step.per_second < 0.5 * rate:  # far behind: higher rates only queue more
            break
        await asyncio.sleep(1.0)
    for connection in connections:
        await connection.close()
    await agents.close()
    return steps


def run(sizes: Sizes, workdir: Path) -> int:
    started = time.monotonic()
    print(f"Chat messages benchmark on {HOST}, {os.cpu_count()} cores, load {load_average()}")
    children = Children()
    server = Server(children, workdir)
    try:
        server.prepare(sizes.agents)
        server.start()
        print(
            f"Helpline on {HOST}:{server.port}: {sizes.agents} agents, "
            f"{sizes.conversations} assigned SMS conversations, {CONNECTIONS} connections"
        )
        steps = asyncio.run(run_async(sizes, server))
    finally:
        server.stop()
        children.stop_all()
    clean = [step for _, step in steps if step.clean]
    best = max(clean, key=lambda s: s.rate) if clean else None
    base_best = max((b for b, _ in steps if b.clean), key=lambda s: s.rate, default=None)
    print("\nSummary")
    if best is not None:
        ratio = best.rate / base_best.rate if base_best else float("nan")
        print(
            f"  chat messages: {best.rate} messages/s cleanly, p99 {best.percentile(0.99):.1f} ms"
            f" (ratio to the /healthz baseline's clean rate: {ratio:.2f})"
        )
    else:
        print("  chat messages: no clean step")
    met = best is not None and best.rate >= GOAL_RATE
    print("Goals:")
    print(
        f"  [{'x' if met else ' '}] >= {GOAL_RATE} messages/s to the agent's WebSocket, "
        f"p99 < {GOAL_P99_MS:.0f} ms"
    )
    print(f"load average at the end: {load_average()}; {time.monotonic() - started:.0f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="helpline-chat-bench-"))

    def stop_on_signal(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        return run(QUICK if args.quick else FULL, workdir)
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work files in {workdir}")


if __name__ == "__main__":
    sys.exit(main())

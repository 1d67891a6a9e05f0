"""Browser tests: a real ``helpline serve`` process and Debian's Chromium driven by Playwright.

The server runs once per session on a free loopback port with its own temporary data
directory (SQLite). Its output goes to a log file that is attached to every failing test's
report, and printed if it does not come up. Chromium is ``/usr/bin/chromium`` (never a
Playwright download); without it these tests skip on a user's machine and fail in CI.

Sync Playwright does not mix with asyncio tests in one process: run these apart, with
``uv run pytest -m browser tests/browser``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.support import missing_peer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 720}
ADMIN_PASSWORD = "browser-admin-password"
SECRET_KEY = "browser-tests-secret-key-long-enough-for-anything-at-all"
STARTUP_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
# Playwright's default waits are 30 s; a page of this app answers in milliseconds.
ACTION_TIMEOUT_MS = 10_000
LOG_TAIL_CHARS = 20_000


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    sip_port: int = 0  # UDP and TCP, on 127.0.0.1

    def log(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no server log: {error})"
        if len(text) > LOG_TAIL_CHARS:
            text = "…" + text[-LOG_TAIL_CHARS:]
        return text


_server: Server | None = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _helpline_command() -> list[str]:
    """The ``helpline`` script of the environment running pytest (what ``uv run`` runs)."""
    script = Path(sys.executable).parent / "helpline"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from helpline.cli import main; main()"]


def _free_sip_port() -> int:
    """A port free for both UDP and TCP (SIP listens on both)."""
    for _ in range(50):
        port = _free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no port free for both UDP and TCP")


def _server_env(data_dir: Path, sip_port: int) -> dict[str, str]:
    # Nothing of the caller's Helpline settings leaks in (for example a PostgreSQL URL).
    env = {key: value for key, value in os.environ.items() if not key.startswith("HELPLINE_")}
    env.update(
        {
            "HELPLINE_ENV": "test",
            "HELPLINE_DATA_DIR": str(data_dir),
            "HELPLINE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "HELPLINE_SECRET_KEY": SECRET_KEY,
            "HELPLINE_SIP_PORT": str(sip_port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback http
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)


@pytest.fixture(scope="session")
def helpline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running ``helpline serve`` on 127.0.0.1, fresh data directory, admin/ADMIN_PASSWORD."""
    global _server
    root = tmp_path_factory.mktemp("helpline-server")
    log_path = root / "server.log"
    port = _free_port()
    sip_port = _free_sip_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [*_helpline_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=_server_env(root / "data", sip_port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(base_url=base_url, process=process, log_path=log_path, sip_port=sip_port)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not _healthy(f"{base_url}/healthz"):
        if process.poll() is not None:
            pytest.fail(
                f"helpline serve exited with code {process.returncode} before answering "
                f"/healthz.\ncommand: {' '.join(command)}\n--- server log ---\n{server.log()}",
                pytrace=False,
            )
        if time.monotonic() > deadline:
            _stop(process)
            pytest.fail(
                f"helpline serve did not answer {base_url}/healthz within "
                f"{STARTUP_TIMEOUT_SECONDS:.0f} s.\ncommand: {' '.join(command)}\n"
                f"--- server log ---\n{server.log()}",
                pytrace=False,
            )
        time.sleep(0.1)
    _server = server
    try:
        yield server
    finally:
        _server = None
        _stop(process)
        # A server that died during the run is a failure of its own, with its log.
        if process.returncode not in (0, -15):
            sys.stderr.write(
                f"\nhelpline serve ended with code {process.returncode}\n"
                f"--- server log ---\n{server.log()}\n"
            )


@pytest.fixture(scope="session")
def base_url(helpline_server: Server) -> str:
    return helpline_server.base_url


# The README's screenshots show a fresh install: the modules that take them run before the
# others, whose users, queues and pause reasons (same server) would show in them.
FIRST_MODULES = ("test_foundation.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    positions = [i for i, item in enumerate(items) if item.path.resolve().parent == here]
    ordered = sorted(
        (items[i] for i in positions), key=lambda item: item.path.name not in FIRST_MODULES
    )
    for position, item in zip(positions, ordered, strict=True):
        items[position] = item


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the server's log to every failing test's report."""
    report = yield
    if report.failed and _server is not None:
        report.sections.append(("helpline serve log", _server.log()))
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    """Debian's Chromium, headless. Never a browser downloaded by ``playwright install``."""
    executable = str(CHROMIUM) if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")
    if executable is None:
        missing_peer("Chromium", "install Debian's package: `apt-get install chromium`")
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def context(browser: Any, base_url: str) -> Iterator[Any]:
    """A fresh browser profile (no cookies) per test, English, 1280×720."""
    context = browser.new_context(
        base_url=base_url, viewport=VIEWPORT, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()

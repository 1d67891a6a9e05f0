from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def helpline(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helpline", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HELPLINE_")}
    return clean | {
        "HELPLINE_DATA_DIR": str(tmp_path / "data"),
        "HELPLINE_DATABASE_URL": database_url,
        "HELPLINE_SECRET_KEY": "cli-test-secret-key-long-enough-for-anything",
        "HELPLINE_SIP_PORT": "0",
    }


def test_db_upgrade_reports_the_revision(env: dict[str, str]) -> None:
    result = helpline("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert re.search(r"revision \d{4}", result.stdout)


def test_users_create_and_its_errors(env: dict[str, str]) -> None:
    created = helpline(
        "users",
        "create",
        "bob",
        "--name",
        "Bob",
        "--role",
        "agent",
        "--role",
        "supervisor",
        "--extension",
        "201",
        "--password-stdin",
        env=env,
        stdin="a long password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "roles: agent, supervisor" in created.stdout
    again = helpline(
        "users", "create", "BOB", "--password-stdin", env=env, stdin="a long password\n"
    )
    assert again.returncode == 1
    assert "taken" in again.stderr
    bad_role = helpline(
        "users",
        "create",
        "eve",
        "--role",
        "owner",
        "--password-stdin",
        env=env,
        stdin="a long password\n",
    )
    assert bad_role.returncode == 2
    assert "roles" in bad_role.stderr
    short = helpline("users", "create", "eve", "--password-stdin", env=env, stdin="short\n")
    assert short.returncode == 2
    assert "password" in short.stderr


def test_bad_settings_stop_the_cli_with_a_clear_message(env: dict[str, str]) -> None:
    result = helpline("db", "upgrade", env=env | {"HELPLINE_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 2
    assert "HELPLINE_TIMEZONE" in result.stderr
    production = helpline(
        "db", "upgrade", env=env | {"HELPLINE_ENV": "production", "HELPLINE_SECRET_KEY": "x"}
    )
    assert production.returncode == 2
    assert "HELPLINE_SECRET_KEY" in production.stderr


def test_demo_loads_once(env: dict[str, str]) -> None:
    first = helpline("demo", env=env)
    assert first.returncode == 0, first.stderr
    assert "Created the first admin account." in first.stdout
    assert "agent1…agent10" in first.stdout
    second = helpline("demo", env=env)
    assert second.returncode == 0
    assert "already loaded" in second.stdout
    assert "first admin" not in second.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_creates_the_admin_prints_the_password_and_serves(env: dict[str, str]) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "helpline", "serve", "--port", str(port), "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 60
        password = None
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            output.append(line)
            found = re.search(r"password:\s+(\S+)", line)
            if found and password is None:
                password = found.group(1)
            if "Helpline is listening" in line:
                break
        assert password, "".join(output)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with httpx.Client(base_url=base) as client:
            login = client.post(
                "/api/v1/auth/login", json={"username": "admin", "password": password}
            )
            assert login.status_code == 200, login.text
            users = client.get("/api/v1/users").json()
            assert {"agent1", "agent10", "supervisor2"} <= {u["username"] for u in users}
            agent = httpx.post(
                f"{base}/api/v1/auth/login",
                json={"username": "agent3", "password": "agent-demo-pass"},
            )
            assert agent.json()["user"]["lines"][0]["extension"] == "203"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_simulate_prints_the_staffing_figures(env: dict[str, str]) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "simulation.toml"
    result = helpline("simulate", str(example), env=env)
    assert result.returncode == 0, result.stderr
    assert "ASA" in result.stdout
    assert "overall" in result.stdout
    missing = helpline("simulate", "/nonexistent.toml", env=env)
    assert missing.returncode == 2
    assert missing.stderr.startswith("error:")

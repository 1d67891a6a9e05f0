from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from helpline.config import Settings
from tests.support import Helpline, missing_peer


@pytest.fixture
def voice(settings: Settings) -> Iterator[Helpline]:
    """The app with its SIP endpoint on a free UDP/TCP port of 127.0.0.1."""
    from helpline.web.app import create_app

    settings = settings.model_copy(update={"sip_enabled": True, "sip_port": 0})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


@pytest.fixture
def voice_with_sha256(settings: Settings) -> Iterator[Helpline]:
    """As ``voice``, with the registrar offering SHA-256 after MD5."""
    from helpline.web.app import create_app

    settings = settings.model_copy(
        update={"sip_enabled": True, "sip_port": 0, "sip_digest_algorithms": "MD5,SHA-256"}
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


@pytest.fixture
def voice_call_center(settings: Settings) -> Iterator[Helpline]:
    """The app with SIP and the media engine, on free ports."""
    from helpline.web.app import create_app

    base = random.randrange(30000, 60000, 2)
    settings = settings.model_copy(
        update={"sip_enabled": True, "sip_port": 0, "rtp_ports": f"{base}-{base + 199}"}
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(settings)) as client:
        yield Helpline(client)


@pytest.fixture(scope="session")
def sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        missing_peer("sipp", "install the Debian package sip-tester (the test command does)")
    assert path is not None
    return path


def run_sipp(
    sipp: str, scenario: str, target: str, tmp_path: Path, *extra: str, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """One sipp call of ``scenario`` (XML text) against ``target``; exit code 0 is success."""
    path = tmp_path / "scenario.xml"
    path.write_text(scenario)
    command = [
        sipp,
        target,
        "-sf",
        str(path),
        "-m",
        "1",
        "-i",
        "127.0.0.1",
        "-p",
        "0",
        "-timeout",
        f"{int(timeout)}s",
        "-timeout_error",
        "-nostdin",
        "-trace_err",
        "-error_file",
        str(tmp_path / "sipp-errors.log"),
        *extra,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout + 10, cwd=tmp_path, check=False
    )

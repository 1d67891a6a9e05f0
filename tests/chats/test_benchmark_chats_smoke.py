"""The chat benchmark runs (quick mode, as a subprocess): Helpline starts, agents connect
their sockets, signed webhooks reach them and each step prints its figures. No timing
assertions: the figures depend on the machine; only that every message arrives and the
figures are printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_chat_benchmark_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.chats", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    steps = re.findall(
        r"^\s+(baseline /healthz|chat messages)\s+(\d+)/s x\s+(\d+): (\d+) delivered, (\d+) failed",
        out,
        re.MULTILINE,
    )
    assert [kind for kind, *_ in steps] == ["baseline /healthz", "chat messages"] * 2, out
    for _kind, _rate, sent, delivered, failed in steps:
        assert int(delivered) == int(sent), out
        assert int(failed) == 0, out
    assert re.search(r"p50 [\d.]+ ms, p99 [\d.]+ ms", out), out
    assert "Goals:" in out

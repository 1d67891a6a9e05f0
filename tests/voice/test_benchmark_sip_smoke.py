"""The SIP benchmark runs (quick mode, as a subprocess): Kamailio, Helpline and sipp start,
every part measures something and prints it. No timing assertions: the figures depend on
the machine; only that they are measured and printed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import missing_peer

ROOT = Path(__file__).resolve().parents[2]


def test_sip_benchmark_runs_in_quick_mode() -> None:
    if shutil.which("sipp") is None:
        missing_peer("sipp", "install the Debian package sip-tester (the test command does)")
    if shutil.which("kamailio") is None and not Path("/usr/sbin/kamailio").exists():
        missing_peer("kamailio", "install the Debian package kamailio (the test command does)")
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.sip", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    # Every rate step completes its calls (the quick rates are far below any limit).
    steps = re.findall(r"^\s+(\d+)/s x\s+(\d+): (\d+) ok, (\d+) failed", out, re.MULTILINE)
    assert len(steps) == 3, out
    for _rate, calls, ok, failed in steps:
        assert int(ok) == int(calls), out
        assert int(failed) == 0, out
    for figure in (
        r"Kamailio forwarded:\s+\d+ calls/s \(baseline\)",
        r"Helpline answered:\s+\d+ calls/s\s+ratio [\d.]+",
        r"Helpline bridged:\s+\d+ calls/s\s+ratio [\d.]+",
        r"10 calls hold music: 10 up; CPU .*engine [\d.]+ %.*lost 0",
        r"10 calls recording: 10 up; CPU .*engine [\d.]+ %",
        r"handled 10,",
    ):
        assert re.search(figure, out), (figure, out)
    assert "Goals:" in out

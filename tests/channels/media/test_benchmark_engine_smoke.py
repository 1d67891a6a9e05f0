"""The media engine benchmark runs (quick mode, 5 calls, as a subprocess). No timing
assertions: the figures depend on the machine; only that they are measured and printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_media_engine_benchmark_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.media_engine", "--quick", "--calls", "5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "5 bridged calls (10 legs" in out
    for row in ("baseline (uvloop forwarder)", "media engine"):
        line = next(line for line in out.splitlines() if line.strip().startswith(row))
        sent, received = (int(n.replace(",", "")) for n in re.findall(r"[\d,]+", line)[:2])
        assert sent == 5 * 2 * 50 * 2  # 5 calls, 2 legs, 50 packets/s, 2 s
        assert received > 0
    assert "engine CPU / baseline CPU:" in out
    assert "engine CPU per call:" in out
    assert "not judged at 5 calls" in out

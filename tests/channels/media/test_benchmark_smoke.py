"""The media benchmark runs (quick mode, as a subprocess). No timing assertions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_media_benchmark_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.media", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "relay: parse, jitter, PCMU->PCMA, send" in result.stdout
    assert "equivalent concurrent calls per core" in result.stdout
    assert "baseline" in result.stdout

"""The SIP parser benchmark runs (quick mode, as a subprocess). No timing assertions."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_sip_parse_benchmark_runs_in_quick_mode() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.sip_parse", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for label in ("INVITE with SDP offer", "200 OK with SDP answer", "REGISTER with digest"):
        [row] = [line for line in result.stdout.splitlines() if label in line]
        # bytes, headers, parses/s, us/parse, stdlib parses/s, ratio: all figures
        figures = row.split(label)[1].split()
        assert len(figures) == 6, row
        assert all(re.fullmatch(r"[\d,]+(\.\d+)?", figure) for figure in figures), row
        assert float(figures[-1]) > 0
    assert "BytesHeaderParser" in result.stdout

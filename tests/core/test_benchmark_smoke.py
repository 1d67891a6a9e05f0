"""The ACD benchmark runs (quick mode). No timing assertions: benchmarks are not tests."""

from __future__ import annotations

import pytest
from benchmarks import acd


def test_benchmark_quick_mode_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert acd.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "null router" in out
    assert "ratio" in out
    assert "p99" in out
    assert "queues per agent" in out

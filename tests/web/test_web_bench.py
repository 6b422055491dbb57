"""Smoke test of bench/web_bench.py so it cannot rot (figures are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_web_bench_quick_runs_every_row() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "web_bench.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines()[2:]]
    assert [(r[0], r[1]) for r in rows] == [
        ("noop", "distinct"),
        ("noop", "shared"),
        ("fast", "distinct"),
        ("fast", "shared"),
    ]
    assert all(float(r[3]) > 0 for r in rows)

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


def test_web_stacks_quick_measures_todays_server() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "web_stacks.py"), "--quick", "--stacks", "stdlib"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    table = out.split("== what the server answers")[1].split("\n== ")[0].splitlines()[2:]
    assert len(table) >= 10 and all(row.split()[-2].isdigit() or "closed" in row for row in table), table
    assert "2xx!" not in out  # Argo never sees a success without a verdict
    for row in ("SIGTERM drain", "overhead 1", "overhead 16", "slow clients", "memory", "adds to image"):
        assert f"  {row}" in out, row

"""The evidence bench must keep running: tiny sizes, figures printed, nothing timed."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_evidence_bench_quick_prints_a_table() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "evidence_bench.py"), "--quick", "--sizes", "500"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    header, row = result.stdout.strip().splitlines()[:2]
    assert "evidence l/s" in header and "drain3 l/s" in header
    assert int(row.split()[0].replace(",", "")) >= 500

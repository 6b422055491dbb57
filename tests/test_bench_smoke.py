"""The evidence bench must keep running: tiny sizes, figures printed, nothing timed."""

import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench(script: str, *args: str) -> str:
    """What `bench/<script>` prints, run from the project root with nothing of this shell's
    environment but PATH (a bench must not depend on an activated venv or an installed package)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True, text=True, timeout=300, check=True, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return result.stdout


def test_evidence_bench_quick_prints_a_table() -> None:
    header, row = _bench("evidence_bench.py", "--quick", "--sizes", "500").strip().splitlines()[:2]
    assert "evidence l/s" in header and "drain3 l/s" in header
    assert int(row.split()[0].replace(",", "")) >= 500


def test_highcard_bench_quick_prints_a_row_per_size() -> None:
    header, row = _bench("highcard_bench.py", "--quick", "--kinds", "words").strip().splitlines()[:2]
    assert "median l/s" in header and "best l/s" in header and "drain3 l/s" in header and "peak MB" in header
    assert row.split()[0] == "words" and int(row.split()[1].replace(",", "")) >= 2000


def test_highcard_bench_times_every_row_each_round_and_reads_linearity_from_the_rounds() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.highcard_bench import Row, _linear, time_rounds

    ran: list[tuple[int, str]] = []  # (round, row) per run: a fast row is run more than once a round

    def row(kind: str, size: int, lines: int) -> Row:
        made = Row(kind, size, lines, 0.0, lambda: None, 0.0, 0, 0.0, 0.0)
        made.run = lambda: ran.append((len(made.seconds), f"{kind}{size}"))
        return made

    rows = [row("words", 100_000, 100_000), row("words", 1_000_000, 1_000_000), row("ids", 10_000, 10_000)]
    time_rounds(rows, rounds=3)
    assert all(len(r.seconds) == 3 for r in rows)
    orders = [list(dict.fromkeys(name for number, name in ran if number == n)) for n in range(3)]
    assert all(sorted(order) == ["ids10000", "words100000", "words1000000"] for order in orders)
    assert len({tuple(order) for order in orders}) > 1  # a new order per round (seeded)
    base, big = rows[0], rows[1]
    base.seconds, big.seconds = [1.0, 3.0, 2.0], [30.0, 19.0, 22.0]
    assert _linear(big, base, min) == "1.90" and _linear(big, base, statistics.median) == "1.10"
    assert _linear(base, base, min) == "-" and _linear(rows[2], None, min) == "-"


def test_clock_cost_times_the_stage_with_and_without_reading_times() -> None:
    out = _bench("clock_cost.py", "--quick")
    rows = [
        line.split() for line in out.splitlines() if line.split()[:1] in (["mixed"], ["stamped"], ["corpus"])
    ]
    assert [(row[0], row[3]) for row in rows] == [
        (name, clock) for name in ("mixed", "stamped", "corpus") for clock in ("on", "off")
    ]
    assert all(row[-1].endswith("%") for row in rows[::2])


def test_clock_cost_off_reads_no_time_and_puts_the_clock_back() -> None:
    sys.path.insert(0, str(ROOT))
    import job.evidence
    from bench.clock_cost import inputs, without_clock
    from bench.evidence_bench import _stream
    from job.evidence import build_evidence
    from job.model import SideSnapshot, Snapshot

    ((stable, canary),) = inputs(400, 1)["mixed"][0]

    def evidence():  # type: ignore[no-untyped-def]
        return build_evidence(
            Snapshot(
                stable=SideSnapshot(streams=[_stream("s", c) for c in stable]),
                canary=SideSnapshot(streams=[_stream("c", c) for c in canary]),
            )
        )

    clock = job.evidence.LineClock
    with without_clock():
        assert evidence().activity is None
    assert job.evidence.LineClock is clock and evidence().activity is not None


def test_run_all_records_machine_date_command_and_each_benchmark(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    _bench(
        "run_all.py",
        "--quick",
        "--output",
        str(results),
        "--only",
        "evidence_bench",
        "--only",
        "evidence only",
    )
    text = results.read_text()
    for line in ("- machine: ", "- date: ", "- commit: ", "- command: `python bench/run_all.py --quick`"):
        assert line in text
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Evidence stage: lines/s and peak memory, beside plain drain3",
        "## Verdict accuracy on the labelled scenario corpus (evidence only)",
    ]
    assert "exited" not in text and "evidence l/s" in text and "accuracy:" in text


def test_redaction_bench_quick_prints_its_cost() -> None:
    out = _bench("redaction_bench.py", "--quick")
    assert "redaction alone:" in out and "cost of redaction:" in out


def test_run_all_only_replaces_its_sections_and_keeps_the_others(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(
        "# Benchmark results\n\n- date: long ago\n- commit: abc1234\n\n"
        "## Verdict accuracy on the labelled scenario corpus (evidence only)\n\n"
        "`python bench/accuracy.py` (1 s)\n\nold accuracy figures\n\n"
        "## Evidence stage: lines/s and peak memory, beside plain drain3\n\nold evidence figures\n\n"
        "## A benchmark that no longer exists\n\ngone\n"
    )
    _bench("run_all.py", "--quick", "--output", str(results), "--only", "evidence_bench")
    text = results.read_text()
    assert "old accuracy figures" in text and "old evidence figures" not in text and "gone" not in text
    assert "evidence l/s" in text and "load average" in text and "the other sections are kept" in text
    assert "`python bench/accuracy.py` (1 s) (run of long ago, commit abc1234)" in text
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == [
        "## Evidence stage: lines/s and peak memory, beside plain drain3",
        "## Verdict accuracy on the labelled scenario corpus (evidence only)",
    ]


def test_evidence_ab_quick_compares_two_commits() -> None:
    out = _bench("evidence_ab.py", "--quick", "HEAD", ".")
    rows = [line.split() for line in out.splitlines() if line.split()[:1] in (["HEAD"], ["."])]
    assert [(row[0], row[1]) for row in rows] == [
        ("HEAD", "mixed"),
        ("HEAD", "stamped"),
        ("HEAD", "corpus"),
        (".", "mixed"),
        (".", "stamped"),
        (".", "corpus"),
    ]
    assert all(int(row[2].replace(",", "")) > 0 and int(row[4].replace(",", "")) > 0 for row in rows)


def test_evidence_ab_same_output_compares_every_analysis() -> None:
    out = _bench("evidence_ab.py", "--quick", "--same-output", ".", ".")
    assert out.strip() == ". against .: 4 of 4 analyses give the same Evidence"


def test_stamped_mix_is_the_mix_after_runtime_timestamps_in_order() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.evidence_bench import generate
    from job.evidence.clock import parse_runtime_stamp

    plain = b"".join(generate(300, seed=4)).decode().splitlines()
    stamped = b"".join(generate(300, seed=4, stamped=True)).decode().splitlines()
    stamps, lines = zip(*(line.split(" ", 1) for line in stamped), strict=True)
    assert list(lines) == plain
    times = [parse_runtime_stamp(stamp) for stamp in stamps]
    assert all(t is not None for t in times) and times == sorted(times) and len(set(times)) == len(times)


@pytest.mark.skipif(
    shutil.which("valgrind") is None, reason="valgrind is not installed (apt-get install valgrind)"
)
def test_instructions_bench_prints_a_count_per_line() -> None:
    header, row, footer = (
        _bench("instructions.py", "--inputs", "words", "--lines", "200", ".").strip().splitlines()
    )
    assert header.split() == ["commit", "words"] and row.split()[0] == "."
    assert int(row.split()[1].replace(",", "")) > 1000  # an analysis costs thousands of instructions a line
    assert "instructions per line" in footer

"""What redacting secrets on every line costs: alone, and inside the evidence stage.

    PYTHONPATH=. python bench/redaction_bench.py              # 100k lines, 11 rounds
    PYTHONPATH=. python bench/redaction_bench.py --quick      # a smoke test

The lines are evidence_bench.py's generated mixed-format logs. Inside the stage the cost is an
A/B: the same evidence run with `LineRedactor.batch` (what the line reader calls on each decoded
block) and with it swapped for a pass-through, in random order, round after round (a shared
machine's load drifts; medians and best runs are printed).
Speed is CPU seconds of this process, as in evidence_bench.py.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import job.evidence as evidence_stage
from bench.evidence_bench import _stream, generate_sides
from job.evidence.lines import LineReader
from job.evidence.redact import LineRedactor
from job.model import SideSnapshot, Snapshot


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=11)
    args = parser.parse_args(argv)
    lines, rounds = (4_000, 2) if args.quick else (args.lines, args.rounds)
    stable, canary = generate_sides(lines)
    total = sum(chunk.count(b"\n") for chunk in stable + canary)

    read = list(LineReader(canary))
    start = time.process_time()
    changed = sum(a != b for a, b in zip(read, LineRedactor().batch(read), strict=True))
    alone = len(read) / (time.process_time() - start)
    print(f"redaction alone: {alone:,.0f} lines/s, {changed} of {len(read):,} lines changed")

    redacting = LineRedactor.batch
    modes = {"with redaction": redacting, "without": lambda self, lines: lines}
    seconds: dict[str, list[float]] = {mode: [] for mode in modes}
    order = list(modes)
    for _ in range(rounds):
        random.shuffle(order)
        for mode in order:
            LineRedactor.batch = modes[mode]  # type: ignore[method-assign]
            snapshot = Snapshot(stable=SideSnapshot(streams=[_stream("stable", stable)]),
                                canary=SideSnapshot(streams=[_stream("canary", canary)]))  # fmt: skip
            gc.collect()
            start = time.process_time()
            evidence_stage.build_evidence(snapshot)
            seconds[mode].append(time.process_time() - start)
    LineRedactor.batch = redacting  # type: ignore[method-assign]
    median = {mode: statistics.median(s) for mode, s in seconds.items()}
    best = {mode: min(s) for mode, s in seconds.items()}
    for mode in modes:
        rates = f"median {total / median[mode]:,.0f} lines/s, best {total / best[mode]:,.0f}"
        print(f"evidence stage {mode}: {rates}")
    by_median = (median["with redaction"] / median["without"] - 1) * 100
    by_best = (best["with redaction"] / best["without"] - 1) * 100
    print(f"cost of redaction: {by_median:.1f}% (medians), {by_best:.1f}% (best runs), ", end="")
    print(f"{total:,} lines, {rounds} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())

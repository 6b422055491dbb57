"""What reading each line's time costs the evidence stage: the same inputs with and without it.

    PYTHONPATH=. python bench/clock_cost.py            # 100k generated mixed lines and the corpus
    PYTHONPATH=. python bench/clock_cost.py --quick    # a smoke test

The quiet-canary test needs every event's time (the stream clock, job/evidence/clock.py) and
counts it into the activity timeline; the first release (284ef97) read no time at all. Each round
builds the Evidence of every input twice, as it is and with a clock that reads no time (so no
activity is counted either), in random order; the medians and best runs are printed, and what the
time costs as a share of the stage. Inputs: evidence_bench.py's generated mix as a file holds it
(its format and second change on nearly every line: the clock's worst case), the same lines as
cluster mode reads them (after the runtime's timestamp, which the clock reads first), and every
scenario of the labelled corpus (real programs' logs, where a stream's lines share a format and
mostly a second).
Lines per CPU second of this process.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import job.evidence  # noqa: E402
from bench.evidence_bench import Pair, _stream, corpus_pairs, generate_sides  # noqa: E402
from job.evidence import build_evidence  # noqa: E402
from job.model import SideSnapshot, Snapshot  # noqa: E402


class _NoTime:
    """A stream clock that reads no time: what the stage costs without the clock and the activity."""

    def __init__(self, year: int | None = None) -> None:
        pass

    def time(self, line: str) -> float | None:
        return None


@contextmanager
def without_clock() -> Iterator[None]:
    kept = job.evidence.LineClock
    job.evidence.LineClock = _NoTime  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        job.evidence.LineClock = kept  # type: ignore[misc]


def _timed(pairs: list[Pair]) -> float:
    gc.collect()
    start = time.process_time()
    for stable, canary in pairs:
        build_evidence(
            Snapshot(
                stable=SideSnapshot(streams=[_stream("stable", chunks) for chunks in stable]),
                canary=SideSnapshot(streams=[_stream("canary", chunks) for chunks in canary]),
            )
        )
    return time.process_time() - start


def inputs(lines: int, scenarios: int) -> dict[str, tuple[list[Pair], int]]:
    """name -> (analyses, lines in them)."""
    stable, canary = generate_sides(lines)
    stamped_stable, stamped_canary = generate_sides(lines, stamped=True)
    mixed: list[Pair] = [([stable], [canary])]
    stamped: list[Pair] = [([stamped_stable], [stamped_canary])]
    corpus = corpus_pairs(scenarios)

    def count(pairs: list[Pair]) -> int:
        return sum(c.count(b"\n") for pair in pairs for side in pair for chunks in side for c in chunks)

    return {
        "mixed": (mixed, count(mixed)),
        "stamped": (stamped, count(mixed)),
        "corpus": (corpus, count(corpus)),
    }


def measure(
    named: dict[str, tuple[list[Pair], int]], rounds: int, seed: int = 2
) -> dict[tuple[str, bool], list[float]]:
    """(input, clock on) -> seconds per round, each round's runs in a new random order."""
    runs = [(name, clock) for name in named for clock in (True, False)]
    seconds: dict[tuple[str, bool], list[float]] = {run: [] for run in runs}
    order = random.Random(seed)
    for _ in range(rounds):
        order.shuffle(runs)
        for name, clock in runs:
            if clock:
                seconds[name, clock].append(_timed(named[name][0]))
            else:
                with without_clock():
                    seconds[name, clock].append(_timed(named[name][0]))
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--lines", type=int, default=100_000, help="generated mixed-format lines")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    lines, rounds, scenarios = (2_000, 2, 4) if args.quick else (args.lines, args.rounds, 0)
    named = inputs(lines, scenarios)
    _timed(named["mixed"][0])  # a first analysis in the process is cold
    seconds = measure(named, rounds)
    print(f"{'input':>7} {'lines':>9} | {'clock':>5} {'median l/s':>10} {'best l/s':>9} | time's share")
    for name, (_, count) in named.items():
        with_clock, without = statistics.median(seconds[name, True]), statistics.median(seconds[name, False])
        for clock in (True, False):
            median, best = statistics.median(seconds[name, clock]), min(seconds[name, clock])
            share = f"{1 - without / with_clock:>11.0%}" if clock else ""
            label = "on" if clock else "off"
            print(
                f"{name:>7} {count:>9,} | {label:>5} {count / median:>10,.0f} {count / best:>9,.0f} | {share}"
            )
    print(
        f"{rounds} rounds, runs in random order each round; off = a clock that reads no time (no activity);"
        " time's share = 1 - median off / median on; lines per CPU second"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Evidence stage on high-cardinality logs (every line a new shape): lines/s and peak memory.

    python bench/highcard_bench.py                       # every kind at 10k, 100k and 1M lines
    python bench/highcard_bench.py --quick               # tiny sizes, a smoke test
    python bench/highcard_bench.py --kinds words json --sizes 10000 100000

Inputs (generated, half stable and half canary, different seeds):
  words   logfmt lines whose message is 4 random words (issue 18's reproduction)
  ids     Java-layout lines naming UUIDs, e-mail addresses and free text a user typed
  json    JSON lines with no message key and a unique payload (the payload is the message)
  java    Java stack traces whose head names a unique object address (`Order@1b6d3586`)
  binary  random bytes: 1 MB and 2 MB per side (sizes here are megabytes, not lines)
Beside each: plain drain3 (TemplateMiner.add_log_message on every line, same masks), whose time
grows with the square of the shapes, so it runs on at most --drain-lines lines (10k: the whole
10k input, the first and last 5k lines of the bigger ones; a starred row says so). At 100k lines
of random words it would take hours: 20k lines took 41 s, 10k about 45 s on this machine.
"linear" is the time per line against the 100k row: 1M lines within 1.1 x 10 x the 100k time
means <= 1.10. Speed is lines per CPU second (one core). A shared machine's speed drifts by a
third from one minute to the next, so one pass proves little: every row is timed once per round
(--rounds, 5 by default), the rows of a round in random order, and the median and the best of the
rounds are printed, with "linear" from each (a row's run: the best of up to 5 runs that fit in
5 s, evidence_bench._timed, so a 10k row is 5 fresh analyses, a 1M row one). Memory is
tracemalloc's peak, measured once per row in a separate run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.evidence_bench import _measure, _stream, _timed, plain_drain3_miner
from job.evidence import build_evidence
from job.evidence.lines import read_lines
from job.model import SideSnapshot, Snapshot

DRAIN_LINES = 10_000  # plain drain3 is quadratic here: 20k lines of random words took 41 s
BINARY_MB = (1, 2)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))


def _words(rng: random.Random, i: int) -> str:
    return f'level=info msg="{_word(rng)} {_word(rng)} {_word(rng)} {_word(rng)}"'


def _ids(rng: random.Random, i: int) -> str:
    bits = rng.getrandbits
    uid = f"{bits(32):08x}-{bits(16):04x}-4{bits(12):03x}-a{bits(12):03x}-{bits(48):012x}"
    email = f"{_word(rng)}.{_word(rng)}{rng.randrange(100)}@{_word(rng)}.example.org"
    text = " ".join(_word(rng) for _ in range(rng.randint(2, 10)))
    level = "WARN " if i % 50 == 0 else "INFO "
    return (
        f"2024-05-01 12:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d} {level}[http-nio-8080-exec-"
        f'{rng.randrange(1, 20)}] c.e.FeedbackController - feedback {uid} from {email}: "{text}"'
    )


def _json(rng: random.Random, i: int) -> str:
    keys = rng.sample(("sku", "note", "color", "size", "tag", "region", "plan", "coupon", "ref"), 4)
    payload = ", ".join(f'"{k}": "{_word(rng)}"' for k in keys)
    return f'{{"time": "2024-05-01T12:00:{i % 60:02d}Z", "level": "info", "event": {{{payload}}}}}'


def _java(rng: random.Random, i: int) -> str:
    address = f"{rng.getrandbits(32):x}"
    cls = rng.choice(("Order", "Cart", "Invoice", "Shipment"))
    return (
        f"2024-05-01 12:00:{i % 60:02d}.{i % 1000:03d} ERROR [pool-2-thread-{rng.randrange(1, 9)}] "
        f"c.e.Worker - could not process com.example.{cls}@{address}\n"
        f"java.lang.IllegalStateException: {cls.lower()} com.example.{cls}@{address} is {_word(rng)}\n"
        f"\tat com.example.Worker.lambda$run$0(Worker.java:{rng.randrange(20, 90)})\n"
        f"\tat com.example.Worker$$Lambda$14/0x0000000800{rng.getrandbits(24):06x}.run(Unknown Source)\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:833)"
    )


KINDS: dict[str, Callable[[random.Random, int], str]] = {
    "words": _words,
    "ids": _ids,
    "json": _json,
    "java": _java,
}


def generate(kind: str, lines: int, seed: int) -> list[bytes]:
    """About `lines` lines of `kind` (or `lines` MB of random bytes for "binary"), 1 MiB chunks."""
    rng = random.Random(seed)
    if kind == "binary":
        data = rng.randbytes(lines << 20)
    else:
        make, text, produced, i = KINDS[kind], [], 0, 0
        while produced < lines:
            entry = make(rng, i)
            text.append(entry)
            produced += entry.count("\n") + 1
            i += 1
        data = ("\n".join(text) + "\n").encode()
    return [data[k : k + (1 << 20)] for k in range(0, len(data), 1 << 20)]


def _line_count(chunks: list[bytes]) -> int:
    return sum(1 for _ in read_lines(chunks))


_DRAIN_RUNS: dict[tuple[str, int], tuple[float, float]] = {}  # plain drain3 on the same capped input


@dataclass
class Row:
    """One kind at one size: its analysis (to time), and what is measured once."""

    kind: str
    size: int
    lines: int
    input_mb: float
    run: Callable[[], None]
    ours_mb: float
    drain_lines: int
    drain_lps: float
    drain_mb: float
    seconds: list[float] = field(default_factory=list)  # one per round


def prepare(kind: str, size: int, drain_lines: int) -> Row:
    """Generate a row's input (half stable, half canary), measure its peak memory and plain drain3."""
    stable = generate(kind, size if kind == "binary" else size // 2, seed=1)
    canary = generate(kind, size if kind == "binary" else size - size // 2, seed=2)
    lines = _line_count(stable) + _line_count(canary)

    def ours() -> None:
        build_evidence(
            Snapshot(
                stable=SideSnapshot(streams=[_stream("stable", stable)]),
                canary=SideSnapshot(streams=[_stream("canary", canary)]),
            )
        )

    text = [line for chunks in (stable, canary) for line in read_lines(chunks)]
    head = text[: drain_lines // 2] + text[len(text) - (drain_lines - drain_lines // 2) :]
    del text

    def plain_drain3() -> None:
        miner = plain_drain3_miner()
        for line in head:
            miner.add_log_message(line)

    _, peak = _measure(ours)
    key = (kind, len(head)) if len(head) < lines else (kind, -size)
    if key not in _DRAIN_RUNS:
        _DRAIN_RUNS[key] = (_timed(plain_drain3), _measure(plain_drain3)[1])
    drain_seconds, drain_peak = _DRAIN_RUNS[key]
    input_mb = sum(len(c) for c in stable + canary) / 2**20
    return Row(kind, size, lines, input_mb, ours, peak, len(head), len(head) / drain_seconds, drain_peak)


def time_rounds(rows: list[Row], rounds: int, seed: int = 18) -> None:
    """Time every row once per round, the rows of each round in a new random order, so the
    machine's drift falls on every row alike rather than on whichever ran last."""
    order = random.Random(seed)
    for number in range(1, rounds + 1):
        shuffled = rows[:]
        order.shuffle(shuffled)
        for row in shuffled:
            row.seconds.append(_timed(row.run))
        print(f"round {number}/{rounds} timed", file=sys.stderr, flush=True)


def _linear(row: Row, base: Row | None, pick: Callable[[list[float]], float]) -> str:
    """Time per line against the 100k row's, both by the same statistic of the rounds."""
    if base is None or base is row:
        return "-"
    return f"{(pick(row.seconds) / row.lines) / (pick(base.seconds) / base.lines):.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--kinds", nargs="*", default=[*KINDS, "binary"], choices=[*KINDS, "binary"])
    parser.add_argument("--sizes", type=int, nargs="*", default=None, help="lines per run (binary: MB)")
    parser.add_argument("--drain-lines", type=int, default=DRAIN_LINES, help="plain drain3's cap")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds (5; --quick: 2)")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([2_000] if args.quick else [10_000, 100_000, 1_000_000])
    drain_lines = min(args.drain_lines, 1_000) if args.quick else args.drain_lines
    rounds = args.rounds or (2 if args.quick else 5)
    if rounds < 1:
        parser.error(f"--rounds must be 1 or more, not {rounds}")
    rows = [
        prepare(kind, size, drain_lines)
        for kind in args.kinds
        for size in (BINARY_MB if kind == "binary" else sizes)
    ]
    time_rounds(rows, rounds)
    header = ("kind", "lines", "input MB", "median l/s", "best l/s", "peak MB", "linear", "best",
              "drain3 l/s", "on lines", "peak MB")  # fmt: skip
    print("{:>6} {:>9} {:>8} | {:>10} {:>9} {:>7} {:>6} {:>5} | {:>10} {:>8} {:>7}".format(*header))
    for row in rows:
        base = next((r for r in rows if r.kind == row.kind and r.size == 100_000), None)  # binary: MB
        median, best = statistics.median(row.seconds), min(row.seconds)
        linear = f"{_linear(row, base, statistics.median):>6} {_linear(row, base, min):>5}"
        ours = f"{row.lines / median:>10,.0f} {row.lines / best:>9,.0f} {row.ours_mb:>7.1f} {linear}"
        capped = "" if row.drain_lines >= row.lines else "*"
        drain = f"{row.drain_lps:>10,.0f} {row.drain_lines:>7,}{capped} {row.drain_mb:>7.1f}"
        print(f"{row.kind:>6} {row.lines:>9,} {row.input_mb:>8.1f} | {ours} | {drain}", flush=True)
    print(
        f"{rounds} rounds, rows in random order each round; linear = time per line against the 100k row"
        " (median of the rounds, then best)"
    )
    print(
        f"* plain drain3 ran on the first and last {drain_lines // 2:,} lines only: quadratic on these inputs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

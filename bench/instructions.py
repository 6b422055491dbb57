"""Instructions per line of the evidence stage, per commit and input: a measure the load cannot move.

    python bench/instructions.py main HEAD                        # the generated mix and every high-card kind
    python bench/instructions.py --inputs mix 284ef97 HEAD        # the first release: the mix only
    python bench/instructions.py --inputs mix,ids --lines 10000 main .

The first release (284ef97) mines every new shape with drain3's quadratic scan: a high-card kind
takes it tens of minutes under valgrind, so measure it on the mix alone (`mix,stamped`).

Timings on a shared 2-core machine vary by 20-35% from one run to the next; the number of
instructions a process executes does not. Each commit's `job/` is taken with `git archive` (as
bench/evidence_ab.py does; "." is this tree) and run under `valgrind --tool=cachegrind` twice per
input, with and without one `build_evidence`, on the same generated lines (this tree's
generators: bench/evidence_bench.py's mix, as a file holds it and `stamped` as cluster mode
reads it, after runtime timestamps; bench/highcard_bench.py's kinds); the difference,
divided by the lines, is the analysis's cost a line, start-up and input generation excluded.
Needs valgrind (Debian: `apt-get install valgrind`); a 20k-line input takes about a minute a run.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.evidence_ab import commit_tree

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ("mix", "stamped", "ids", "json", "words", "java")

# Run under valgrind with the commit's tree first on sys.path: job/ is imported from the tree before
# the generators (which put this tree's root on sys.path) are loaded from this tree.
CHILD = r"""
import importlib.util, sys
tree, root, kind, lines, analyse = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
sys.path.insert(0, tree)
from job.evidence import build_evidence
from job.model import LogStream, SideSnapshot, Snapshot

def load(name):
    spec = importlib.util.spec_from_file_location(name, f"{root}/bench/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module

if kind in ("mix", "stamped"):
    stable, canary = load("evidence_bench").generate_sides(lines, stamped=kind == "stamped")
else:
    high = load("highcard_bench")
    stable, canary = high.generate(kind, lines // 2, 1), high.generate(kind, lines - lines // 2, 2)
if analyse:
    side = lambda chunks: SideSnapshot(streams=[LogStream(name="s", open=lambda: iter(chunks))])
    build_evidence(Snapshot(stable=side(stable), canary=side(canary)))
"""


def _instructions(tree: Path, kind: str, lines: int, analyse: bool) -> int:
    run = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
         sys.executable, "-c", CHILD, str(tree), str(ROOT), kind, str(lines), "1" if analyse else "0"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commits", nargs="+", help="commits to compare (git names), or . for this tree")
    parser.add_argument("--inputs", default=",".join(INPUTS), help=f"comma-separated, of {', '.join(INPUTS)}")
    parser.add_argument("--lines", type=int, default=20_000, help="lines per input (half a side)")
    args = parser.parse_args(argv)
    args.inputs = args.inputs.split(",")
    unknown = sorted(set(args.inputs) - set(INPUTS))
    if unknown:
        parser.error(f"unknown input {', '.join(unknown)}: choose from {', '.join(INPUTS)}")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install valgrind", file=sys.stderr)
        return 2
    print(f"{'commit':>10} " + " ".join(f"{kind:>9}" for kind in args.inputs))
    first: list[int] = []
    with tempfile.TemporaryDirectory() as scratch:
        for i, commit in enumerate(args.commits):
            tree = commit_tree(commit, Path(scratch, str(i)))
            quadratic = not (tree / "job" / "evidence" / "miner.py").exists()
            if quadratic and set(args.inputs) - {"mix", "stamped"}:
                print(
                    f"{commit} mines with drain3's quadratic scan (no job/evidence/miner.py): a high-card"
                    " kind would take it tens of minutes; measure it with --inputs mix",
                    file=sys.stderr,
                )
                return 2
            per_line = [
                (_instructions(tree, kind, args.lines, True) - _instructions(tree, kind, args.lines, False))
                // args.lines
                for kind in args.inputs
            ]
            first = first or per_line
            change = [f"{(n - f) / f:+.1%}" for n, f in zip(per_line, first, strict=True)]
            print(f"{commit:>10} " + " ".join(f"{n:>9,}" for n in per_line), flush=True)
            if i:
                print(f"{'':>10} " + " ".join(f"{c:>9}" for c in change), flush=True)
    print(
        f"instructions per line, {args.lines:,} lines an input "
        "(valgrind cachegrind, less the same run without the analysis)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

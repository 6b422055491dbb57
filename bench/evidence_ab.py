"""A/B of the evidence stage between commits: the same inputs, interleaved rounds, CPU seconds.

    PYTHONPATH=. python bench/evidence_ab.py 284ef97 HEAD          # first release vs this tree
    PYTHONPATH=. python bench/evidence_ab.py --quick 284ef97 HEAD  # a smoke test

Each commit's `job/` is taken with `git archive` into a temporary directory and run in its own
process (so nothing is shared but the inputs): evidence_bench.py's generated mixed-format lines
(repetitive: ~100 templates) as a file holds them (`mixed`: its format and second change on nearly
every line, the stream clock's worst case) and as cluster mode reads them (`stamped`: each line
after the runtime's timestamp, which the clock reads first), and every scenario of the labelled
corpus (real programs' logs), per round in random order. A shared machine's load drifts, so the
rounds interleave the commits and the medians and best runs are printed. "HEAD" is the commit;
"." is this working tree as it is.

    PYTHONPATH=. python bench/evidence_ab.py --same-output main .   # is the Evidence unchanged?

`--same-output` times nothing: it builds each commit's Evidence once for every corpus scenario and
the generated mix and says which (if any) differ from the first commit's, field by field (template
ids and keys, examples, counts, p-values: the whole document).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a child process with the commit's tree first on sys.path: prints {"input": seconds}.
CHILD = r"""
import gc, json, sys, time
tree, root, lines, scenarios = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, tree)
sys.path.insert(1, root)
from pathlib import Path
from job.evidence import build_evidence
from job.model import LogStream, SideSnapshot, Snapshot
from bench.evidence_bench import corpus_pairs, generate_sides

def side(streams):
    return SideSnapshot(streams=[LogStream(name="s", open=lambda c=c: iter(c)) for c in streams])

def timed(pairs):
    gc.collect()
    start = time.process_time()
    for stable, canary in pairs:
        build_evidence(Snapshot(stable=side(stable), canary=side(canary)))
    return time.process_time() - start

mixed = [tuple([chunks] for chunks in generate_sides(lines))]
stamped = [tuple([chunks] for chunks in generate_sides(lines, stamped=True))]
corpus = corpus_pairs(scenarios)
if len(sys.argv) > 5:  # --same-output: each analysis's Evidence, hashed
    import dataclasses, hashlib
    def digest(pair):
        evidence = build_evidence(Snapshot(stable=side(pair[0]), canary=side(pair[1])))
        text = json.dumps(dataclasses.asdict(evidence), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()
    chosen = sorted(Path(root, "tests", "corpus").iterdir())[:scenarios or None]
    names = ["mixed", "stamped"] + [scenario.name for scenario in chosen if (scenario / "canary").is_dir()]
    print(json.dumps(dict(zip(names, map(digest, mixed + stamped + corpus)))))
else:
    print(json.dumps({"mixed": timed(mixed), "stamped": timed(stamped), "corpus": timed(corpus)}))
"""


def _lines(lines: int, scenarios: int) -> dict[str, int]:
    sys.path.insert(0, str(ROOT))
    from bench.evidence_bench import generate_sides

    stable, canary = generate_sides(lines)
    mixed = sum(c.count(b"\n") for c in stable + canary)  # the same lines, stamped or not
    chosen = sorted((ROOT / "tests" / "corpus").iterdir())[: scenarios or None]
    corpus = sum(f.read_bytes().count(b"\n") for d in chosen for f in d.glob("*/*.log"))
    return {"mixed": mixed, "stamped": mixed, "corpus": corpus}


def commit_tree(commit: str, into: Path) -> Path:
    """The commit's `job/` unpacked into `into` (git archive), or this tree for "."."""
    if commit == ".":
        return ROOT
    into.mkdir()
    archive = subprocess.run(["git", "archive", commit, "job"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _same_output(commits: list[str], lines: int, scenarios: int) -> int:
    """Each commit's Evidence on every input against the first commit's: 0 when all are the same."""
    with tempfile.TemporaryDirectory() as scratch:
        digests = []
        for i, commit in enumerate(commits):
            tree = commit_tree(commit, Path(scratch, str(i)))
            args = [sys.executable, "-c", CHILD, str(tree), str(ROOT), str(lines), str(scenarios), "same"]
            digests.append(
                json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
            )
    differ = 0
    for commit, outputs in zip(commits[1:], digests[1:], strict=True):
        changed = [name for name, digest in outputs.items() if digests[0].get(name) != digest]
        differ += len(changed)
        same = f"{len(outputs) - len(changed)} of {len(outputs)} analyses give the same Evidence"
        listed = f"; different: {', '.join(changed)}" if changed else ""
        print(f"{commit} against {commits[0]}: {same}{listed}")
    return 1 if differ else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commits", nargs="+", help="commits to compare (git names), or . for this tree")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--lines", type=int, default=100_000, help="generated mixed-format lines")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--same-output", action="store_true", help="compare the Evidence, time nothing")
    args = parser.parse_args(argv)
    lines, rounds, scenarios = (2_000, 1, 4) if args.quick else (args.lines, args.rounds, 0)
    if args.same_output:
        return _same_output(args.commits, lines, scenarios)
    counts = _lines(lines, scenarios)
    seconds: dict[str, dict[str, list[float]]] = {c: {k: [] for k in counts} for c in args.commits}
    with tempfile.TemporaryDirectory() as scratch:
        trees = {c: commit_tree(c, Path(scratch, str(i))) for i, c in enumerate(args.commits)}
        order = list(args.commits)
        for _ in range(rounds):
            random.shuffle(order)
            for commit in order:
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, str(trees[commit]), str(ROOT), str(lines), str(scenarios)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                for kind, spent in json.loads(done.stdout).items():
                    seconds[commit][kind].append(spent)
    print(f"{'commit':>12} {'input':>7} {'lines':>9} | {'median l/s':>11} {'best l/s':>9}")
    for commit in args.commits:
        for kind, total in counts.items():
            runs = seconds[commit][kind]
            median, best = total / statistics.median(runs), total / min(runs)
            print(f"{commit:>12} {kind:>7} {total:>9,} | {median:>11,.0f} {best:>9,.0f}")
    print(f"{rounds} rounds, interleaved in random order; lines per CPU second of one process")
    return 0


if __name__ == "__main__":
    sys.exit(main())

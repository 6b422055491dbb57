"""Accuracy of the verdict on the labelled corpus of real logs (tests/corpus/).

    PYTHONPATH=. python bench/accuracy.py                   # evidence-only, every scenario
    PYTHONPATH=. python bench/accuracy.py --only rd-bad-5xx go-good
    PYTHONPATH=. python bench/accuracy.py --json            # one JSON document

Prints one row per scenario (label, verdict, time, summary), then accuracy, false passes and
false fails. A mode is a function from a Scenario to the Verdict the tool gives; add one to
MODES (say an "llm" mode that enables the model) and it can be compared on the same labels.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from job.model import AnalysisRequest, Evidence, FileSource, LLMConfig, Verdict

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
# A canary in one of these must never pass: it crashes, answers 5xx, bursts new errors,
# or is failing while its logs try to talk the judge into a pass.
CRITICAL_CATEGORIES = frozenset({"crash", "http5xx", "error-burst", "injection", "quiet"})
VERDICTS = ("pass", "fail", "inconclusive")


@dataclass(frozen=True)
class Scenario:
    name: str
    expect: str
    category: str
    app: str
    format: str
    how_made: str
    stable_paths: tuple[str, ...]
    canary_paths: tuple[str, ...]
    # the team's acknowledge file the scenario carries (docs/acknowledge.md), judged with it
    acknowledge: str | None = None


def load_scenarios(root: Path = CORPUS) -> list[Scenario]:
    """Every directory under `root` with a scenario.yaml, sorted by name."""
    scenarios = []
    for meta_path in sorted(root.glob("*/scenario.yaml")):
        meta = yaml.safe_load(meta_path.read_text())
        folder = meta_path.parent
        scenarios.append(
            Scenario(
                name=folder.name,
                expect=meta["expect"],
                category=meta["category"],
                app=meta["app"],
                format=meta["format"],
                how_made=meta["how_made"],
                stable_paths=tuple(str(p) for p in sorted((folder / "stable").glob("*.log"))),
                canary_paths=tuple(str(p) for p in sorted((folder / "canary").glob("*.log"))),
                acknowledge=str(folder / "acknowledge.yaml")
                if (folder / "acknowledge.yaml").is_file()
                else None,
            )
        )
    return scenarios


def evidence_and_floor(scenario: Scenario) -> tuple[Evidence, Verdict]:
    """What a model is shown for `scenario` and the evidence-only floor, as the pipeline makes them
    (with the scenario's acknowledge file, if it carries one)."""
    from job.collect import collect
    from job.judge import floor_of
    from job.judge.known import Matcher, load_file
    from job.pipeline import evidence_for

    known = Matcher(load_file(scenario.acknowledge)) if scenario.acknowledge else None
    snapshot = collect(FileSource(stable_paths=scenario.stable_paths, canary_paths=scenario.canary_paths))
    return floor_of(evidence_for(snapshot, known), known)


# ------------------------------------------------------------------ modes

JudgeFn = Callable[[Scenario], Verdict]


def evidence_only(scenario: Scenario) -> Verdict:
    """The real pipeline on the scenario's files with no model: the evidence-only floor."""
    from job.pipeline import analyze  # imported here so the corpus loads even while a stage is missing

    source = FileSource(stable_paths=scenario.stable_paths, canary_paths=scenario.canary_paths)
    known = None
    if scenario.acknowledge is not None:
        from job.judge.known import load_file

        known = load_file(scenario.acknowledge)
    return analyze(AnalysisRequest(source=source, llm=LLMConfig(enabled=False), acknowledgements=known))


MODES: dict[str, JudgeFn] = {"evidence": evidence_only}


# ------------------------------------------------------------------ scoring


@dataclass
class Row:
    name: str
    category: str
    expect: str
    verdict: str  # pass | fail | inconclusive | error (the tool raised)
    seconds: float
    summary: str

    @property
    def correct(self) -> bool:
        return self.verdict == self.expect

    @property
    def false_pass(self) -> bool:
        return self.verdict == "pass" and self.expect != "pass"

    @property
    def false_fail(self) -> bool:
        return self.verdict == "fail" and self.expect == "pass"

    @property
    def critical_false_pass(self) -> bool:
        return self.false_pass and self.category in CRITICAL_CATEGORIES


@dataclass
class Report:
    mode: str
    rows: list[Row] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(r.correct for r in self.rows) / len(self.rows) if self.rows else 0.0

    @property
    def misses(self) -> list[Row]:
        return [r for r in self.rows if not r.correct]

    def to_dict(self) -> dict:
        return {
            "mode": self.mode,
            "scenarios": len(self.rows),
            "accuracy": round(self.accuracy, 4),
            "false_passes": [r.name for r in self.rows if r.false_pass],
            "critical_false_passes": [r.name for r in self.rows if r.critical_false_pass],
            "false_fails": [r.name for r in self.rows if r.false_fail],
            "errors": [r.name for r in self.rows if r.verdict == "error"],
            "rows": [asdict(r) for r in self.rows],
        }


def judge_one(scenario: Scenario, judge: JudgeFn) -> Row:
    started = time.perf_counter()
    try:
        result = judge(scenario)
        verdict, summary = result.verdict, result.summary
    except Exception as error:  # a crash of the tool is a wrong answer, never a pass
        verdict, summary = "error", f"{type(error).__name__}: {error}"
    return Row(
        name=scenario.name,
        category=scenario.category,
        expect=scenario.expect,
        verdict=verdict,
        seconds=time.perf_counter() - started,
        summary=" ".join(summary.split()),
    )


def evaluate(scenarios: Sequence[Scenario], judge: JudgeFn, mode: str = "evidence") -> Report:
    return Report(mode=mode, rows=[judge_one(s, judge) for s in scenarios])


def format_table(report: Report, width: int = 70) -> str:
    lines = [f"{'scenario':32} {'category':12} {'expect':12} {'verdict':12} {'sec':>5}  summary"]
    for r in report.rows:
        mark = " " if r.correct else ("!" if r.critical_false_pass else "x")
        summary = r.summary if len(r.summary) <= width else r.summary[: width - 3] + "..."
        lines.append(
            f"{mark}{r.name:31} {r.category:12} {r.expect:12} {r.verdict:12} {r.seconds:5.2f}  {summary}"
        )
    data = report.to_dict()
    lines += [
        "",
        f"mode: {report.mode}   scenarios: {data['scenarios']}   accuracy: {report.accuracy:.3f}",
        f"false passes: {len(data['false_passes'])} {data['false_passes']}",
        f"  of them in {sorted(CRITICAL_CATEGORIES)}: {data['critical_false_passes']}",
        f"false fails: {len(data['false_fails'])} {data['false_fails']}",
        f"errors: {len(data['errors'])} {data['errors']}",
        "(x = wrong, ! = a critical canary passed)",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=sorted(MODES), default="evidence")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of scenarios")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="just these scenarios")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    args = parser.parse_args(argv)
    scenarios = load_scenarios(args.corpus)
    if args.only:
        unknown = set(args.only) - {s.name for s in scenarios}
        if unknown:
            print(f"no such scenario in {args.corpus}: {sorted(unknown)}", file=sys.stderr)
            return 2
        scenarios = [s for s in scenarios if s.name in args.only]
    if not scenarios:
        print(f"no scenarios found under {args.corpus} (each needs a scenario.yaml)", file=sys.stderr)
        return 2
    report = evaluate(scenarios, MODES[args.mode], args.mode)
    print(json.dumps(report.to_dict(), indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

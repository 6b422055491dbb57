"""Verdicts to render: one per verdict and failure shape, from the labelled corpus (real logs),
and one whose log lines try to inject markup into the report."""

from __future__ import annotations

from pathlib import Path

from job.collect.files import collect
from job.evidence import build_evidence
from job.judge import judge
from job.model import FileSource, LLMConfig, LLMResult, PodSignal, Verdict
from job.render.html import ReportContext

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
# verdict case -> corpus scenario
CASES = {
    "pass": "rd-good-colour",
    "fail": "rd-bad-5xx",
    "inconclusive": "rd-few-data",
    "quiet": "py-canary-goes-quiet",
    "latency": "pino-latency-regression",
}
INJECTIONS = (
    "<script>document.title='pwned'</script>",
    '"><img src=x onerror="document.title=\'pwned\'">',
    "javascript:document.title='pwned'",
    "</pre></td></tr></table><h1 id=injected>owned</h1>",
)


def corpus_verdict(scenario: str) -> Verdict:
    root = CORPUS / scenario
    source = FileSource(
        tuple(str(p) for p in sorted((root / "stable").glob("*.log"))),
        tuple(str(p) for p in sorted((root / "canary").glob("*.log"))),
    )
    return judge(build_evidence(collect(source)), LLMConfig(enabled=False))


def context(scenario: str) -> ReportContext:
    return ReportContext(
        source="log files", stable=[f"{scenario}/stable/*.log"], canary=[f"{scenario}/canary/*.log"]
    )


def injected_verdict(tmp: Path) -> Verdict:
    """A failing canary whose logs, pod messages and model answer carry markup and script."""
    stable = "".join(f"2026/11/26 06:00:{i % 60:02d} 200 - blue\n" for i in range(200))
    canary = "".join(
        f"2026/11/26 06:00:{i % 60:02d} ERROR upstream said {INJECTIONS[i % len(INJECTIONS)]} id={i}\n"
        f"2026/11/26 06:00:{i % 60:02d} 500 - {INJECTIONS[i % len(INJECTIONS)]}\n"
        for i in range(120)
    )
    (tmp / "stable.log").write_text(stable)
    (tmp / "canary.log").write_text(canary)
    verdict = judge(
        build_evidence(collect(FileSource((str(tmp / "stable.log"),), (str(tmp / "canary.log"),)))),
        LLMConfig(enabled=False),
    )
    assert verdict.evidence is not None
    verdict.evidence.notes.append(f"note from a log: {INJECTIONS[0]}")
    verdict.evidence.canary.signals.append(PodSignal("shop-c1", "warning_event", 1, INJECTIONS[1]))
    verdict.llm = LLMResult(used=True, model="qwen", verdict="fail", confidence=0.9, reasoning=INJECTIONS[0])
    verdict.mode = "evidence+llm"
    return verdict

"""One analysis from request to Verdict: collect -> evidence -> judge. Used by the CLI and the server."""

from __future__ import annotations

from job.collect import collect
from job.evidence import build_evidence
from job.judge import judge
from job.model import AnalysisRequest, Verdict


def analyze(request: AnalysisRequest) -> Verdict:
    snapshot = collect(request.source)
    evidence = build_evidence(snapshot)
    return judge(evidence, request.llm)

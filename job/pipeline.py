"""One analysis from request to Verdict: collect -> evidence -> judge. Used by the CLI and the server."""

from __future__ import annotations

from job.collect import collect, collect_metrics
from job.evidence import build_evidence
from job.judge import judge
from job.model import AnalysisRequest, Verdict


def analyze(request: AnalysisRequest) -> Verdict:
    snapshot = collect(request.source)
    if request.metrics is not None:
        # after the logs' collector: the pods it found and its window select the metrics' sides
        metrics = collect_metrics(request.metrics, request.source, snapshot)
        snapshot.metrics = metrics.metrics
        snapshot.notes.extend(metrics.notes)
    evidence = build_evidence(snapshot)
    return judge(evidence, request.llm)

"""One analysis from request to Verdict: collect -> evidence -> judge. Used by the CLI and the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from job.collect import collect, collect_metrics
from job.evidence import build_evidence
from job.judge import judge
from job.model import Acknowledgements, AnalysisRequest, Evidence, Snapshot, Verdict

if TYPE_CHECKING:
    from job.judge.known import Matcher


def analyze(request: AnalysisRequest) -> Verdict:
    known = _acknowledgements(request)
    snapshot = collect(request.source)
    if request.metrics is not None:
        # after the logs' collector: the pods it found and its window select the metrics' sides
        metrics = collect_metrics(request.metrics, request.source, snapshot)
        snapshot.metrics = metrics.metrics
        snapshot.notes.extend(metrics.notes)
    if known is None:
        return judge(evidence_for(snapshot, None), request.llm)
    from job.judge.known import Matcher

    matcher = Matcher(known)
    return judge(evidence_for(snapshot, matcher), request.llm, matcher)


def evidence_for(snapshot: Snapshot, matcher: Matcher | None) -> Evidence:
    """The snapshot's Evidence; with an acknowledge file's matcher it keeps (and counts) every
    template an entry matches, so the judge sees them, and mines every shape an always-fail entry
    matches, even past the template budget."""
    if matcher is None:
        return build_evidence(snapshot)
    return build_evidence(snapshot, keep=matcher.keep, must_mine=matcher.must_fail_hook())


def _acknowledgements(request: AnalysisRequest) -> Acknowledgements | None:
    """The request's acknowledge file, or the ConfigMap it names (read before any log: a missing
    or invalid one stops the analysis, never silently judges without it)."""
    if request.acknowledge_configmap is None:
        return request.acknowledgements
    from job.collect.acknowledge import read_configmap

    return read_configmap(request.source, request.acknowledge_configmap)

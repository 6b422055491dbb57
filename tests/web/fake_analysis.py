"""A fast fake analysis for the web tests and bench, chosen by the request's canary hash.

`--analysis-function fake_analysis:analyze` (with this folder on PYTHONPATH). The canary
hash (or a `verdict=<behaviour>` canary selector) picks the behaviour: pass | fail | inconclusive |
critical (fail with a critical finding) | error | input | boom | nan | junk,
optionally prefixed by `sleep<seconds>-` (e.g. `sleep1.5-pass`). Each call appends one line
to $FAKE_ANALYSIS_LOG when set, so a test can count the analyses the service ran.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time

from job.errors import AnalysisError, InputError
from job.model import AnalysisRequest, ClusterSource, Finding, Verdict


def analyze(request: AnalysisRequest) -> Verdict:
    source = request.source
    assert isinstance(source, ClusterSource), "the web service must only ever build cluster sources"
    # Flagger's calls carry selectors: `verdict=fail` picks the behaviour as a hash would
    behaviour = source.canary_hash or (source.canary_selector or "").partition("verdict=")[2] or "pass"
    if behaviour.startswith("sleep"):
        seconds, _, behaviour = behaviour[len("sleep") :].partition("-")
        time.sleep(float(seconds))
    log_path = os.environ.get("FAKE_ANALYSIS_LOG")
    if log_path:
        with open(log_path, "a") as log:
            log.write(f"{source.canary_hash}\n")
    if behaviour == "error":
        raise AnalysisError("cannot list pods in namespace 'shop': forbidden")
    if behaviour == "input":
        raise InputError("no pods match the canary hash")
    if behaviour == "boom":
        raise RuntimeError("a defect")
    if behaviour == "critical":
        finding = Finding("crash", "critical", "canary", "canary has 3 crash/fatal event(s)", 3)
        return Verdict(verdict="fail", score=0.1, confidence=0.9, summary="crashes", findings=[finding])
    if behaviour == "junk":
        return {"verdict": "pass"}  # type: ignore[return-value]
    echo = {
        "source": dataclasses.asdict(source),
        "model": request.llm.model,
        "extra": request.llm.extra_prompt,
        "metrics": None if request.metrics is None else dataclasses.asdict(request.metrics),
        "acknowledgements": None
        if request.acknowledgements is None
        else dataclasses.asdict(request.acknowledgements),
    }
    score = float("nan") if behaviour == "nan" else {"pass": 1.0, "fail": 0.0}.get(behaviour, 0.5)
    verdict = behaviour if behaviour in ("pass", "fail", "inconclusive") else "pass"
    return Verdict(verdict=verdict, score=score, confidence=0.9, summary=json.dumps(echo))  # type: ignore[arg-type]


def noop(request: AnalysisRequest) -> Verdict:
    """No work at all: what remains of a request's time is the service's own overhead."""
    return Verdict(verdict="pass", score=1.0, confidence=1.0, summary="noop")

"""Judge stage: Evidence in, Verdict out.

Deterministic rules make findings, a team's acknowledge file (known.py, acknowledge.py) marks known
noise and must-fail messages, the policy turns them into the evidence-only verdict (the floor),
and when a model is configured it is consulted and its answer combined within guardrails: it may
explain and escalate, never override a critical finding.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from job.judge.known import Matcher
from job.judge.policy import decide
from job.judge.rules import run_rules
from job.model import Evidence, LLMConfig, Verdict


def floor_of(
    evidence: Evidence, known: Matcher | None = None, today: datetime.date | None = None
) -> tuple[Evidence, Verdict]:
    """The evidence-only verdict (the floor), and the evidence it was decided on: `evidence` itself,
    or without a team's known noise (the model is shown that one; the result shows `evidence`)."""
    findings = run_rules(evidence)
    if known is None:
        return evidence, decide(evidence, findings)
    from job.judge.acknowledge import apply

    applied = apply(evidence, findings, known, today)
    floor = decide(applied.evidence, applied.findings)
    if applied.evidence is evidence:
        return evidence, floor
    summary = f"{floor.summary} {applied.summary}".strip()
    return applied.evidence, replace(floor, evidence=evidence, summary=summary)


def judge(
    evidence: Evidence, llm: LLMConfig, known: Matcher | None = None, today: datetime.date | None = None
) -> Verdict:
    judged, floor = floor_of(evidence, known, today)
    if not llm.enabled:
        return floor
    from job.judge.combine import combine
    from job.judge.llm import consult

    return combine(floor, consult(judged, floor, llm), llm)

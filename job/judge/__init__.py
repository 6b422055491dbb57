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


def judge(
    evidence: Evidence, llm: LLMConfig, known: Matcher | None = None, today: datetime.date | None = None
) -> Verdict:
    findings = run_rules(evidence)
    judged = evidence
    if known is not None:
        from job.judge.acknowledge import apply

        applied = apply(evidence, findings, known, today)
        judged, findings = applied.evidence, applied.findings
    floor = decide(judged, findings)
    if judged is not evidence:
        # decided without the known noise; the result shows every template as it was counted
        summary = f"{floor.summary} {applied.summary}".strip()
        floor = replace(floor, evidence=evidence, summary=summary)
    if not llm.enabled:
        return floor
    from job.judge.combine import combine
    from job.judge.llm import consult

    return combine(floor, consult(judged, floor, llm), llm)

"""Judge stage: Evidence in, Verdict out.

Deterministic rules make findings, the policy turns them into the evidence-only verdict
(the floor), and when a model is configured it is consulted and its answer combined
within guardrails: it may explain and escalate, never override a critical finding.
"""

from __future__ import annotations

from job.judge.policy import decide
from job.judge.rules import run_rules
from job.model import Evidence, LLMConfig, Verdict


def judge(evidence: Evidence, llm: LLMConfig) -> Verdict:
    findings = run_rules(evidence)
    floor = decide(evidence, findings)
    if not llm.enabled:
        return floor
    from job.judge.combine import combine
    from job.judge.llm import consult

    return combine(floor, consult(evidence, floor, llm), llm)

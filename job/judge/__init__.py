"""Judge stage: Evidence in, Verdict out (deterministic rules, optional model, policy)."""

from __future__ import annotations

from job.model import Evidence, LLMConfig, Verdict


def judge(evidence: Evidence, llm: LLMConfig) -> Verdict:
    raise NotImplementedError("judge stage: issues 2 and 3")

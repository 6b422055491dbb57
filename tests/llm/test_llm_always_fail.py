"""A model that answers "fail" to everything, confidently and citing every item, through the real
pipeline on the labelled corpus: on the healthy scenarios the verdict never moves."""

from __future__ import annotations

import json

import cases
import pytest

from bench.accuracy import evidence_and_floor, load_scenarios
from job.judge.backends import Reply
from job.judge.combine import combine
from job.judge.llm import parse_answer
from job.judge.prompt import build_prompt
from job.model import LLMConfig, LLMResult

HEALTHY = [s for s in load_scenarios() if s.expect == "pass"]


def always_fail(evidence, floor):
    """The worst valid answer the grounding lets through: fail, certain, citing everything, with a
    cause that names what it cites (the grounding refuses one that names nothing)."""
    prompt = build_prompt(evidence, floor)
    cited = list(prompt.references)[:4]
    named = ", ".join(prompt.references[key].signal.label for key in cited)
    content = {"cited": cited, "cause": f"The canary shows {named}.", "remediation": "",
               "verdict": "fail", "confidence": 1.0}  # fmt: skip
    answer = parse_answer(Reply(json.dumps(content), cut_off=False), prompt, floor, evidence)
    answer.result = LLMResult(model="always-fail")
    return answer, prompt


@pytest.mark.parametrize("scenario", HEALTHY, ids=lambda s: s.name)
def test_a_model_that_always_says_fail_never_moves_a_healthy_verdict(scenario) -> None:
    evidence, floor = evidence_and_floor(scenario)  # with its acknowledge file, as the pipeline does
    answer, prompt = always_fail(evidence, floor)
    # Citing the items that count against the canary, if any, is the most damaging choice.
    against = [key for key, ref in prompt.references.items() if ref.canary_worse]
    if against:
        answer.cited = answer.supporting = against
    verdict = combine(floor, answer, LLMConfig())
    assert verdict.verdict == floor.verdict == "pass", (scenario.name, against, verdict.summary)


def test_the_same_model_does_escalate_a_canary_with_significant_evidence() -> None:
    """So the test above can fail: the gate opens for a template significant by the rules' standard."""
    evidence, floor = cases.grey_canary()
    answer, _ = always_fail(evidence, floor)
    assert answer.usable and answer.supporting == ["T1"]
    assert combine(floor, answer, LLMConfig()).verdict == "inconclusive"

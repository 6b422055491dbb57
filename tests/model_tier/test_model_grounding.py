"""Slow tier: the grounding with a real small model's answers, on real corpus scenarios.

Whatever the 0.5B model says, an answer is either accepted whole (and then only in the model's
own fields and report section) or rejected with a reason, and then nothing of it is shown. And
the Ollama stand-in stops generating when its client has gone, as Ollama does.
"""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
import requests

from bench.accuracy import load_scenarios
from job.collect import collect
from job.evidence import build_evidence
from job.judge import policy, rules
from job.judge.combine import combine
from job.judge.grounding import ground
from job.judge.llm import consult
from job.judge.prompt import against_canary, build_prompt, openers
from job.judge.signal import plain
from job.model import FileSource, LLMConfig
from job.report import render, termination_message
from tests.model_tier.llama_ollama import MODEL_NAME

# One failing scenario per kind of cause (5xx, a panic, an exception burst, latency) and a healthy one.
SCENARIOS = {s.name: s for s in load_scenarios()}
CHOSEN = ["rd-bad-5xx", "go-handler-panic", "java-npe-burst", "pino-latency-regression", "rd-good-colour"]


def judged(name: str, url: str):
    scenario = SCENARIOS[name]
    evidence = build_evidence(collect(FileSource(scenario.stable_paths, scenario.canary_paths)))
    floor = policy.decide(evidence, rules.run_rules(evidence))
    cfg = LLMConfig(host=url, model=MODEL_NAME, timeout_seconds=600)
    answer = consult(evidence, floor, cfg)
    return evidence, floor, answer, combine(floor, answer, cfg)


@pytest.mark.parametrize("name", CHOSEN)
def test_a_real_answer_is_accepted_whole_or_shown_nowhere(llama_ollama, name: str) -> None:
    before = len(llama_ollama.model.replies)
    evidence, floor, answer, verdict = judged(name, llama_ollama.url)
    raw = [_json(text) for text in llama_ollama.model.replies[before:]]
    print(name, "->", answer.result.attempts, "attempt(s):", raw, "| rejected:", answer.rejected)
    prompt = build_prompt(evidence, floor)
    if not against_canary(prompt):  # a healthy canary: nothing to explain, no verdict to move
        assert not raw and verdict.llm.skipped and not verdict.llm.used, "the model was not asked"
        assert (verdict.verdict, verdict.summary) == (floor.verdict, floor.summary)
        assert "Model: not asked" in render(verdict, "text")
        return
    assert raw, "the model was asked"
    # A failing floor asks for no verdict: the grammar-constrained stand-in generates none.
    assert prompt.asks_verdict or not any("verdict" in said or "confidence" in said for said in raw), raw
    assert answer.error is None or answer.error.startswith("the model"), answer.error  # not the plumbing
    assert verdict.verdict == floor.verdict or (floor.verdict != "fail" and verdict.llm.used)
    assert verdict.summary == floor.summary or verdict.summary.startswith("Escalated"), "the summary stays"
    # Where a model's text could appear: the llm block (but its rejection reason), the text report's
    # model section, the termination message's model line. The summary was checked above.
    llm_block = {k: v for k, v in dataclasses.asdict(verdict.llm).items() if k != "rejected"}
    model_section = render(verdict, "text").rsplit("\n\n", 1)[-1].replace(answer.rejected or "", "")
    model_line = [line for line in termination_message(verdict).splitlines() if line.startswith("model")]
    shown = json.dumps(llm_block) + model_section + "\n".join(model_line)
    if answer.rejected:
        assert verdict.llm.cause is None and verdict.llm.reasoning is None and not verdict.llm.used
        for said in raw:
            for text in (said.get("cause"), said.get("remediation")):
                if isinstance(text, str) and len(text) > 12:
                    assert text not in shown, "a rejected text was shown"
    else:
        last = raw[-1]
        assert answer.usable or answer.error, "accepted, rejected, or no answer at all"
        if not answer.usable:
            assert verdict.llm.cause is None and verdict.summary == floor.summary
            return
        said = last.get("verdict") if prompt.asks_verdict else None
        again = ground(last["cause"], last["remediation"], last["cited"], said, prompt, floor.findings,
                       evidence)  # fmt: skip
        assert again.rejected is None and answer.cause == again.cause
        # The stand-in honours the schema's pattern as Ollama does: against a failing canary the
        # cause opens with one of the signals of the items against it.
        starts = [plain(start) for start in openers(prompt)]
        assert not starts or any(answer.cause.startswith(start) for start in starts), (starts, answer.cause)
        assert answer.cause in render(verdict, "text").split("The model's explanation")[1]


def _json(text: str) -> dict:
    try:
        document = json.loads(text)
    except ValueError:
        return {}  # cut off at the token limit: consult reports it as an error, and shows nothing
    return document if isinstance(document, dict) else {}


def test_generation_stops_when_the_client_disconnects(llama_ollama) -> None:
    """One client timing out must not hold the model while the next requests queue behind it."""
    model = llama_ollama.model
    before = model.abandoned
    body = {
        "model": MODEL_NAME,
        "stream": False,
        "messages": [{"role": "user", "content": "Count from 1 to 500, one number per line."}],
        "options": {"num_predict": 1500, "temperature": 0},
    }
    with pytest.raises(requests.Timeout):
        requests.post(f"{llama_ollama.url}/api/chat", json=body, timeout=2)
    deadline = time.monotonic() + 60
    while model.abandoned == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert model.abandoned == before + 1, "the server noticed the client had gone and stopped"
    quick = {**body, "options": {"num_predict": 8, "temperature": 0}}
    answer = requests.post(f"{llama_ollama.url}/api/chat", json=quick, timeout=120).json()
    assert answer["done"] is True and answer["eval_count"] <= 8

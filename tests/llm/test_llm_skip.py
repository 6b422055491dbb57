"""The model is asked only where it can add something: when an item of its prompt is against the
canary. Skipping it must never change a verdict: proved on every corpus scenario, through the real
pipeline (`judge`) and the real `ollama` client, with a model that answers "fail" to everything."""

from __future__ import annotations

import json
from typing import Any

import cases
import pytest

from bench.accuracy import load_scenarios
from job.collect import collect
from job.evidence import build_evidence
from job.judge import floor_of, judge
from job.judge.combine import combine
from job.judge.known import Matcher, load_file
from job.judge.llm import NOTHING_AGAINST_CANARY, ModelAnswer, consult
from job.judge.prompt import against_canary, build_prompt
from job.model import Evidence, FileSource, LLMConfig, LLMResult, Verdict
from job.render.html import render_html
from job.report import render
from tests.fake_ollama import DEFAULT_MODEL, Canned, FakeOllama, ollama_reply

SCENARIOS = load_scenarios()


def worst_answer(evidence: Evidence, floor: Verdict) -> dict[str, Any]:
    """The most damaging answer grounding lets through for this evidence: fail, certain, citing the
    items against the canary (or every item), with a cause that names what it cites."""
    prompt = build_prompt(evidence, floor)
    cited = against_canary(prompt) or list(prompt.references)
    named = ", ".join(prompt.references[key].signal.label for key in cited) or "the canary's logs"
    return {"cited": cited, "cause": f"The canary shows {named}.", "remediation": "",
            "verdict": "fail", "confidence": 1.0}  # fmt: skip


class AlwaysFail:
    """A fake Ollama whose model answers `worst_answer` for the analysis in hand."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] = {}
        self.server = FakeOllama(self.reply)

    def reply(self, body: dict[str, Any]) -> Canned:
        return ollama_reply(self.answer)


@pytest.fixture(scope="module")
def always_fail():
    model = AlwaysFail()
    with model.server:
        yield model


def evidence_of(scenario) -> tuple[Evidence, Matcher | None]:
    known = Matcher(load_file(scenario.acknowledge)) if scenario.acknowledge else None
    snapshot = collect(FileSource(stable_paths=scenario.stable_paths, canary_paths=scenario.canary_paths))
    return build_evidence(snapshot, keep=known.keep if known else None), known


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_model_is_asked_exactly_when_an_item_is_against_the_canary(always_fail, scenario) -> None:
    """Through `judge`, as `analyze` and `serve` call it: a canary with an item against it in the
    model's prompt is always asked (so no escalation is lost); one with none is not, and then even
    the worst answer could not have moved its verdict, so skipping it changes nothing."""
    evidence, known = evidence_of(scenario)
    judged, floor = floor_of(evidence, known)
    prompt = build_prompt(judged, floor)
    always_fail.answer = worst_answer(judged, floor)
    before = len(always_fail.server.requests)
    cfg = LLMConfig(host=always_fail.server.url, model=DEFAULT_MODEL, on_error="fail")
    verdict = judge(evidence, cfg, known)
    asked = len(always_fail.server.requests) > before
    assert asked == bool(against_canary(prompt)), (scenario.name, against_canary(prompt))
    if not asked:
        assert verdict.llm.skipped == NOTHING_AGAINST_CANARY and not verdict.llm.used
        assert (verdict.verdict, verdict.summary) == (floor.verdict, floor.summary)
        assert verdict.mode == "evidence-only"
        # What the model would have changed, had it been asked: nothing. The most damaging usable
        # answer (fail, certain, citing every item; its support is what parse_answer derives)
        # leaves the verdict where it is, as no item of the prompt is against the canary.
        cited = list(prompt.references)
        worst = ModelAnswer(
            result=LLMResult(model=DEFAULT_MODEL), verdict="fail", confidence=1.0, cause="x", cited=cited,
            supporting=[key for key in cited if prompt.references[key].canary_worse],
        )  # fmt: skip
        assert worst.usable and combine(floor, worst, LLMConfig()).verdict == floor.verdict
    if scenario.expect == "pass" and floor.verdict == "pass":
        assert verdict.verdict == "pass", (scenario.name, verdict.summary)
    # A failing canary is never passed, asked or not (here: the floor already fails every one).
    if scenario.expect == "fail":
        assert verdict.verdict != "pass"


def test_the_always_fail_model_does_escalate_where_the_evidence_allows_it(always_fail) -> None:
    """So the test above can fail: the same model moves a passing floor with a significant item."""
    evidence, floor = cases.grey_canary()
    always_fail.answer = worst_answer(evidence, floor)
    before = len(always_fail.server.requests)
    cfg = LLMConfig(host=always_fail.server.url, model=DEFAULT_MODEL)
    verdict = combine(floor, consult(evidence, floor, cfg), cfg)
    assert len(always_fail.server.requests) == before + 1
    assert (floor.verdict, verdict.verdict) == ("pass", "inconclusive")


@pytest.mark.parametrize("on_error", ["evidence", "inconclusive", "fail"])
def test_a_canary_nothing_is_against_is_not_asked_and_says_so(on_error: str) -> None:
    """No request, no error to fall back on (--on-llm-error is for an answer that was needed), the
    floor's verdict and summary, and the reports say the model was not asked, and why."""
    evidence, floor = cases.good_canary()
    with FakeOllama([ollama_reply(cases.UNGROUNDED_PASS)]) as server:
        cfg = LLMConfig(host=server.url, model=DEFAULT_MODEL, on_error=on_error)
        answer = consult(evidence, floor, cfg)
        verdict = combine(floor, answer, cfg)
    assert server.requests == []
    assert answer.skipped == NOTHING_AGAINST_CANARY and not answer.usable and answer.error is None
    assert (verdict.verdict, verdict.score, verdict.summary) == (floor.verdict, floor.score, floor.summary)
    llm = verdict.llm
    assert llm.skipped == NOTHING_AGAINST_CANARY and not llm.used and llm.error is None
    assert llm.attempts == 0 and llm.cause is None and verdict.mode == "evidence-only"
    document = json.loads(render(verdict, "json"))
    assert document["llm"]["skipped"] == NOTHING_AGAINST_CANARY and document["llm"]["used"] is False
    assert f"Model: not asked - {NOTHING_AGAINST_CANARY}." in render(verdict, "text")
    assert f"not asked: {NOTHING_AGAINST_CANARY}" in render_html(verdict)


def test_a_thin_canary_with_a_significant_item_is_still_asked() -> None:
    """Little data makes the floor inconclusive; the item against the canary is still worth asking
    about (the model may escalate inconclusive to fail through it)."""
    evidence, floor = cases.thin_canary()
    assert against_canary(build_prompt(evidence, floor))
    with FakeOllama([ollama_reply(cases.UNGROUNDED_PASS)]) as server:
        answer = consult(evidence, floor, LLMConfig(host=server.url, model=DEFAULT_MODEL))
    assert server.requests and answer.skipped is None
    assert "verdict" in server.requests[0]["format"]["properties"], "its verdict can count: asked"

"""consult() against a fake OpenAI-compatible /v1/chat/completions server (vLLM, llama.cpp, LocalAI)."""

from __future__ import annotations

import cases
import pytest

from job.judge.combine import combine
from job.judge.llm import consult, ping
from job.judge.prompt import answer_schema, build_prompt, openers
from job.model import LLMConfig
from tests.fake_ollama import DEFAULT_MODEL, Canned, FakeOpenAI, openai_reply


def config(server: FakeOpenAI, **kw: object) -> LLMConfig:
    return LLMConfig(api="openai", url=server.url, model=DEFAULT_MODEL, **kw)


def test_json_schema_request_and_answer() -> None:
    evidence, floor = cases.bad_canary()
    with FakeOpenAI([openai_reply(cases.GOOD_FAIL, prompt_tokens=901)]) as server:
        answer = consult(evidence, floor, config(server))
    assert answer.usable and answer.verdict is None and answer.result.prompt_tokens == 901
    (request,) = server.requests
    assert request["response_format"]["type"] == "json_schema"
    prompt = build_prompt(evidence, floor)
    schema = answer_schema(list(prompt.references), openers(prompt), prompt.asks_verdict)
    assert request["response_format"]["json_schema"]["schema"] == schema
    assert request["temperature"] == 0 and isinstance(request["seed"], int) and request["max_tokens"] > 0


@pytest.mark.parametrize("status", [400, 422, 500])
def test_falls_back_to_json_object_when_json_schema_is_rejected(status: int) -> None:
    evidence, floor = cases.bad_canary()
    with FakeOpenAI([openai_reply(cases.GOOD_FAIL)], json_schema=False, reject_status=status) as server:
        answer = consult(evidence, floor, config(server))
    assert answer.usable
    assert [r["response_format"]["type"] for r in server.requests] == ["json_schema", "json_object"]
    prompt = build_prompt(evidence, floor)
    schema = answer_schema(list(prompt.references), openers(prompt), prompt.asks_verdict)
    assert server.requests[1]["response_format"]["schema"] == schema, "the schema still travels"


def test_url_with_or_without_v1() -> None:
    evidence, floor = cases.bad_canary()
    with FakeOpenAI([openai_reply(cases.GOOD_FAIL)]) as server:
        cfg = LLMConfig(api="openai", url=server.url + "/v1/", model=DEFAULT_MODEL)
        assert consult(evidence, floor, cfg).usable


def test_unknown_model_is_not_retried() -> None:
    evidence, floor = cases.bad_canary()
    with FakeOpenAI([openai_reply(cases.GOOD_FAIL)], models=("other",)) as server:
        answer = consult(evidence, floor, config(server))
    assert not answer.usable and "/models" in answer.error and len(server.requests) == 1


def test_5xx_is_retried() -> None:
    evidence, floor = cases.bad_canary()
    script = [Canned(503, {"error": {"message": "loading model"}}), openai_reply(cases.GOOD_FAIL)]
    with FakeOpenAI(script) as server:
        assert consult(evidence, floor, config(server)).usable
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (openai_reply('{"verdict": "fail", "confid', finish_reason="length"), "cut off"),
        (openai_reply("sure! here is my answer"), "not JSON"),
        (Canned(200, {"choices": []}), "not a chat completion"),
        (Canned(200, "<html>proxy error</html>"), "not a chat completion"),
    ],
)
def test_bad_answers_fall_back_as_configured(reply: Canned, problem: str) -> None:
    evidence, floor = cases.grey_canary()  # a passing floor the model is asked about
    with FakeOpenAI([reply]) as server:
        cfg = config(server, on_error="fail")
        answer = consult(evidence, floor, cfg)
        verdict = combine(floor, answer, cfg)
    assert problem in answer.error
    assert verdict.verdict == "fail" and "--on-llm-error fail" in verdict.summary


def test_missing_url_is_a_clear_error() -> None:
    evidence, floor = cases.grey_canary()
    answer = consult(evidence, floor, LLMConfig(api="openai", url=None))
    assert "--llm-url" in answer.error


def test_ping() -> None:
    with FakeOpenAI([openai_reply(cases.GOOD_FAIL)]) as server:
        assert ping(config(server)) is True
        wrong = ping(LLMConfig(api="openai", url=server.url, model="nope"))
    assert isinstance(wrong, str) and "nope" in wrong

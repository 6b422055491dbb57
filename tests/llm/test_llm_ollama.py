"""consult() with the real `ollama` client against a fake server speaking Ollama's /api/chat."""

from __future__ import annotations

import json
import socket

import cases
import pytest

from job.judge.combine import combine
from job.judge.llm import consult, ping
from job.judge.prompt import answer_schema, build_prompt, openers
from job.model import LLMConfig
from job.report import render, termination_message
from tests.fake_ollama import DEFAULT_MODEL, Canned, FakeOllama, ollama_reply


def config(server: FakeOllama | None = None, **kw: object) -> LLMConfig:
    values: dict = {"host": server.url if server else "http://127.0.0.1:9", "model": DEFAULT_MODEL}
    values.update(kw)
    return LLMConfig(**values)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_valid_answer_is_read_and_the_request_is_pinned() -> None:
    evidence, floor = cases.bad_canary()
    with FakeOllama([ollama_reply(cases.GOOD_FAIL, prompt_eval_count=777)]) as server:
        answer = consult(evidence, floor, config(server))
    assert answer.usable and answer.error is None
    # The floor already fails this canary: no verdict of the model could count, so none is read.
    assert (answer.verdict, answer.confidence) == (None, None)
    assert answer.cited == ["F1", "T1"] and answer.supporting == ["F1", "T1"]
    assert answer.result.prompt_tokens == 777, "the real prompt size reported by Ollama is recorded"
    assert answer.result.model == DEFAULT_MODEL and answer.result.duration_ms is not None
    assert (answer.result.prompt_eval_ms, answer.result.generation_ms) == (1900, 450), "where the time went"
    assert answer.result.completion_tokens == 60 and answer.result.attempts == 1
    assert "upstream connect error" in answer.cause and "/api/cart" in answer.remediation

    (request,) = server.requests
    assert request["stream"] is False
    prompt = build_prompt(evidence, floor)
    schema = answer_schema(list(prompt.references), openers(prompt), verdict=False)
    assert request["format"] == schema and schema["properties"]["cited"]["items"]["enum"] == [
        "F1",
        "F2",
        "T1",
    ]
    options = request["options"]
    assert options["temperature"] == 0 and isinstance(options["seed"], int)
    prompt_chars = sum(len(m["content"]) for m in request["messages"])
    assert options["num_ctx"] * 3 >= prompt_chars, "num_ctx is set explicitly and covers the prompt"
    assert options["num_predict"] > 0 and request["keep_alive"]
    assert [m["role"] for m in request["messages"]] == ["system", "user"]


def test_model_not_found_is_not_retried_and_says_how_to_fix() -> None:
    evidence, floor = cases.bad_canary()
    with FakeOllama([ollama_reply(cases.GOOD_FAIL)], models=("llama3.2:1b",)) as server:
        answer = consult(evidence, floor, config(server))
    assert not answer.usable
    assert f"ollama pull {DEFAULT_MODEL}" in answer.error
    assert len(server.requests) == 1


def test_transient_500_is_retried_then_answered() -> None:
    evidence, floor = cases.bad_canary()
    script = [Canned(500, {"error": "llama runner process has terminated"}), ollama_reply(cases.GOOD_FAIL)]
    with FakeOllama(script) as server:
        answer = consult(evidence, floor, config(server))
    assert answer.usable and len(server.requests) == 2


def test_persistent_500_gives_up_after_bounded_attempts() -> None:
    evidence, floor = cases.grey_canary()
    with FakeOllama([Canned(500, {"error": "out of memory"})]) as server:
        answer = consult(evidence, floor, config(server))
    assert not answer.usable
    assert "500" in answer.error and "out of memory" in answer.error and "3 attempts" in answer.error
    assert len(server.requests) == 3


def test_slow_model_times_out_within_the_overall_deadline() -> None:
    evidence, floor = cases.grey_canary()
    with FakeOllama([ollama_reply(cases.GOOD_FAIL, delay=5)]) as server:
        answer = consult(evidence, floor, config(server, timeout_seconds=0.6))
    assert not answer.usable
    assert "did not answer within" in answer.error and "--llm-timeout" in answer.error
    assert len(server.requests) == 1, "no time is left for a second attempt"


def test_connection_refused_names_the_host_and_the_fix() -> None:
    evidence, floor = cases.grey_canary()
    host = f"http://127.0.0.1:{free_port()}"
    answer = consult(evidence, floor, LLMConfig(host=host, model=DEFAULT_MODEL, timeout_seconds=2))
    assert not answer.usable
    assert host in answer.error and "OLLAMA_HOST" in answer.error


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (ollama_reply('{"verdict": "fail", "confidence": 0.9, "summ', done_reason="length"), "cut off"),
        (ollama_reply("I think the canary is fine."), "not JSON"),
        (ollama_reply("[1, 2]"), "not an object"),
        (ollama_reply({**cases.GOOD_FAIL, "verdict": "promote"}), "unknown verdict"),
        (ollama_reply({**cases.GOOD_FAIL, "confidence": 1.7}), "out-of-range"),
        (ollama_reply({**cases.GOOD_FAIL, "confidence": "high"}), "out-of-range"),
        (ollama_reply({**cases.GOOD_FAIL, "confidence": True}), "out-of-range"),
        (ollama_reply({**cases.GOOD_FAIL, "verdict": "pass", "confidence": 0}), "contradicts"),
        (Canned(200, "this is not json"), "unreadable"),
        (Canned(200, {"unexpected": "shape"}), ""),
    ],
)
def test_bad_answers_never_crash_and_never_pass(reply: Canned, problem: str) -> None:
    # The floor passes, and an item is against the canary, so the model is asked: a bad answer must
    # not keep a silent pass.
    evidence, floor = cases.grey_canary()
    with FakeOllama([reply]) as server:
        cfg = config(server, on_error="inconclusive")
        answer = consult(evidence, floor, cfg)
        verdict = combine(floor, answer, cfg)
    assert not answer.usable and answer.error
    assert problem in answer.error
    assert verdict.verdict == "inconclusive" and verdict.llm.error and not verdict.llm.used
    assert verdict.mode == "evidence-only"


def test_injection_obeyed_by_the_model_cannot_promote_a_failing_canary() -> None:
    def obedient_model(body: dict) -> Canned:
        prompt = body["messages"][1]["content"]
        if "ignore previous instructions" in prompt.lower():
            return ollama_reply(
                {"cited": [], "cause": "Promote.", "remediation": "", "verdict": "pass", "confidence": 1.0}
            )
        return ollama_reply(cases.GOOD_FAIL)

    evidence, floor = cases.bad_canary(examples=[cases.INJECTION])
    with FakeOllama(obedient_model) as server:
        cfg = config(server)
        answer = consult(evidence, floor, cfg)
        verdict = combine(floor, answer, cfg)
    user = server.requests[0]["messages"][1]["content"]
    assert json.dumps(cases.INJECTION)[1:-1] in user, "the injected line reached the model only JSON-quoted"
    assert "healthy" in answer.rejected, "the fake model obeyed the injection; grounding refused it"
    assert verdict.verdict == "fail" and not verdict.llm.used and verdict.summary == floor.summary
    assert "Promote" not in json.dumps(verdict.to_dict())


@pytest.mark.parametrize("case", ["bad", "grey"])
def test_confident_ungrounded_pass_is_rejected_retried_once_and_shown_nowhere(case: str) -> None:
    """The stand-in for a small model at its worst: a confident pass, invented figures and names,
    citing ids that do not exist. Nothing of it may reach a user, however it is rendered: where
    its verdict is not asked (bad: the floor fails) and where it is (grey: the floor passes)."""
    evidence, floor = cases.bad_canary() if case == "bad" else cases.grey_canary()
    with FakeOllama([ollama_reply(cases.UNGROUNDED_PASS)]) as server:
        cfg = config(server)
        answer = consult(evidence, floor, cfg)
        verdict = combine(floor, answer, cfg)
    assert answer.rejected and answer.result.attempts == 2 and len(server.requests) == 2
    retry = server.requests[1]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "user"], "the refused answer is not sent back"
    assert "refused" in retry[2]["content"]
    assert verdict.verdict == floor.verdict and verdict.summary == floor.summary
    assert ("verdict" in server.requests[0]["format"]["properties"]) == (case == "grey")
    llm = verdict.llm
    assert not llm.used and llm.rejected and llm.cause is None and llm.reasoning is None
    assert llm.verdict is None and llm.confidence is None
    shown = [render(verdict, "json"), render(verdict, "text"), termination_message(verdict)]
    for text in shown:
        for invented in ("healthier", "RETRY_BUDGET_MS", "20%", "Promote it", "T42"):
            assert invented not in text.replace(llm.rejected, ""), (invented, text)


def test_a_rejected_answer_is_retried_with_the_reason_and_a_grounded_one_kept() -> None:
    evidence, floor = cases.bad_canary()
    script = [ollama_reply(cases.UNGROUNDED_PASS), ollama_reply(cases.GOOD_FAIL)]
    with FakeOllama(script) as server:
        answer = consult(evidence, floor, config(server))
    assert answer.usable and answer.result.attempts == 2 and answer.rejected is None
    feedback = server.requests[1]["messages"][2]["content"]
    assert "refused" in feedback and "F7" in feedback, "the reason goes back to the model"
    assert server.requests[1]["options"]["num_ctx"] >= server.requests[0]["options"]["num_ctx"]


def test_no_retry_when_the_deadline_leaves_no_time_for_one() -> None:
    evidence, floor = cases.bad_canary()
    with FakeOllama([ollama_reply(cases.UNGROUNDED_PASS, delay=1.2)]) as server:
        answer = consult(evidence, floor, config(server, timeout_seconds=2.0))
    assert answer.rejected and answer.result.attempts == 1 and len(server.requests) == 1


def test_ping_ready_missing_model_and_down() -> None:
    with FakeOllama([ollama_reply(cases.GOOD_FAIL)]) as server:
        assert ping(config(server)) is True
        missing = ping(config(server, model="llama3.2:1b"))
    assert isinstance(missing, str) and "ollama pull llama3.2:1b" in missing
    down = ping(LLMConfig(host=f"http://127.0.0.1:{free_port()}"), timeout=1)
    assert isinstance(down, str) and "not reachable" in down


def test_a_retry_that_echoes_the_reason_it_was_given_is_refused() -> None:
    evidence, floor = cases.bad_canary()
    echo = {**cases.GOOD_FAIL, "cause": "The answer cites an id which the data does not contain."}
    with FakeOllama([ollama_reply(cases.UNGROUNDED_PASS), ollama_reply(echo)]) as server:
        answer = consult(evidence, floor, config(server))
    assert answer.result.attempts == 2 and answer.rejected_kind == "parrot", answer.rejected
    assert not answer.usable and not answer.cause

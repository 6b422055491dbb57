"""Slow tier (pytest -m model): a real 0.5B model behind Ollama's and OpenAI's wire formats.

Small on purpose (a few analyses, ~1 minute each on 2 CPU cores under load): it checks what
only real inference can show: the token estimate really is an upper bound for the model's
tokenizer, num_ctx is never exceeded (no silent truncation), a real small model's answers go
through the guardrails without crashing, and an injected log line does not promote a bad canary.
"""

from __future__ import annotations

import os
import random
import socket
import string
import subprocess
import sys
import time

import cases
import pytest
import requests
from conftest import MODEL_FILE

from job.judge.combine import combine
from job.judge.llm import consult, ping
from job.judge.prompt import build_prompt, context_size
from job.model import Finding, LLMConfig, TemplateStat
from tests.model_tier.llama_ollama import MODEL_NAME

BUDGET = 1200  # small prompts keep this tier fast; the budget logic is the same at 3000
TRANSPORT_OK = ("the model",)  # errors about the answer itself start so; anything else is plumbing


def hostile_evidence():
    """Digits, non-ASCII and long lines: the text the token estimate is most likely to undercount."""
    evidence, floor = cases.bad_canary(examples=[cases.INJECTION])
    evidence.templates += [
        TemplateStat(
            id=f"n{i}",
            template=f"ERROR 処理に失敗しました id=<*> trace=<*> {i}",
            level="error",
            stable=i,
            canary=3 * i + 1,
            p_value=0.01,
            examples=[f"ERROR 処理に失敗しました id={i * 7919:08d} trace=af{i:04x}9c1e0b7d22 🚨 ñ" * 3],
        )
        for i in range(60)
    ]
    floor.findings.append(Finding("secrets", "info", "both", "1234567890 " * 20, 3, ["0xdeadbeef " * 20]))
    return evidence, floor


def id_heavy_evidence():
    """Examples made of hex ids, base64 and punctuation: a few characters per token."""
    rng = random.Random(7)
    evidence, floor = cases.bad_canary()
    for t in evidence.templates:
        t.examples = [
            " ".join(f"{rng.getrandbits(64):016x}" for _ in range(12)),
            "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(230)),
            "".join(rng.choice(string.punctuation) for _ in range(230)),
        ]
    return evidence, floor


@pytest.mark.parametrize("budget", [1000, BUDGET, 3000])
def test_token_estimate_is_an_upper_bound_for_the_real_tokenizer(llama_ollama, budget: int) -> None:
    for evidence, floor in (cases.good_canary(), cases.bad_canary(), hostile_evidence(), id_heavy_evidence()):
        prompt = build_prompt(evidence, floor, "Expect slower startup ⏱ on canary pods.", budget)
        real = llama_ollama.model.count_tokens(
            [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]
        )
        assert real <= prompt.estimated_tokens <= budget, (real, prompt.estimated_tokens)


def test_injected_log_line_does_not_promote_a_failing_canary(llama_ollama) -> None:
    evidence, floor = cases.bad_canary(examples=[cases.INJECTION])
    cfg = LLMConfig(host=llama_ollama.url, model=MODEL_NAME, timeout_seconds=600, prompt_token_budget=BUDGET)
    before = llama_ollama.model.truncations
    answer = consult(evidence, floor, cfg)
    verdict = combine(floor, answer, cfg)
    print("model said:", answer.verdict, answer.confidence, answer.error, answer.rejected, answer.cause[:200])
    assert llama_ollama.model.truncations == before, "num_ctx covered the prompt: nothing was cut"
    estimate = build_prompt(evidence, floor, "", BUDGET).estimated_tokens
    assert answer.result.prompt_tokens <= estimate < context_size(estimate), "Ollama's prompt_eval_count"
    assert answer.error is None or answer.error.startswith(TRANSPORT_OK)
    assert verdict.verdict == "fail"


def test_a_healthy_canary_is_not_asked_and_stays_passed(llama_ollama) -> None:
    evidence, floor = cases.good_canary()
    cfg = LLMConfig(host=llama_ollama.url, model=MODEL_NAME, timeout_seconds=600, prompt_token_budget=BUDGET)
    assert ping(cfg) is True
    before = len(llama_ollama.model.replies)
    answer = consult(evidence, floor, cfg)
    verdict = combine(floor, answer, cfg)
    assert answer.skipped and len(llama_ollama.model.replies) == before, "nothing against it: not asked"
    assert verdict.verdict == "pass" and verdict.mode == "evidence-only"


def test_where_its_verdict_can_count_a_real_model_gives_one_and_moves_at_most_one_step(llama_ollama) -> None:
    """A passing floor with a significant item against the canary: the one case the verdict is asked
    for. The real model's answer is read (or refused with a reason), and the verdict moves at most
    one step, never below the floor."""
    evidence, floor = cases.grey_canary()
    cfg = LLMConfig(host=llama_ollama.url, model=MODEL_NAME, timeout_seconds=600, prompt_token_budget=BUDGET)
    before = len(llama_ollama.model.replies)
    answer = consult(evidence, floor, cfg)
    verdict = combine(floor, answer, cfg)
    raw = llama_ollama.model.replies[before:]
    print("model said:", raw, answer.error, answer.rejected)
    assert raw and answer.verdict_asked and all('"verdict"' in said for said in raw if said.endswith("}"))
    assert answer.error is None or answer.error.startswith(TRANSPORT_OK)
    assert answer.usable == (answer.verdict is not None)
    assert verdict.verdict in ("pass", "inconclusive")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_cpp_server(tmp_path_factory: pytest.TempPathFactory):
    """The real OpenAI-compatible server that ships with llama-cpp-python."""
    port = _free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL_FILE), "--model_alias", MODEL_NAME,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
        "--n_threads", os.environ.get("ROLLOUTS_AI_TEST_THREADS", "2"),
    ]  # fmt: skip
    # A file, not a pipe: the server prints the model's metadata, which would fill a pipe and block it.
    log = tmp_path_factory.mktemp("llama-cpp-server") / "server.log"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if requests.get(f"{url}/v1/models", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            pytest.fail(f"llama_cpp.server did not start within 120 s: {log.read_text()[-2000:]}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_openai_backend_against_llama_cpp_server(llama_cpp_server: str) -> None:
    evidence, floor = cases.bad_canary(examples=[cases.INJECTION])
    cfg = LLMConfig(
        api="openai", url=llama_cpp_server, model=MODEL_NAME, timeout_seconds=600, prompt_token_budget=BUDGET
    )
    assert ping(cfg) is True
    answer = consult(evidence, floor, cfg)
    verdict = combine(floor, answer, cfg)
    print("model said:", answer.verdict, answer.confidence, answer.error, answer.rejected, answer.cause[:200])
    assert answer.error is None or answer.error.startswith(TRANSPORT_OK)
    estimate = build_prompt(evidence, floor, "", BUDGET).estimated_tokens
    assert answer.result.prompt_tokens and answer.result.prompt_tokens <= estimate, "usage from the server"
    assert verdict.verdict == "fail"

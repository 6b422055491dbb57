"""Consult the self-hosted model: build the prompt, call the server with bounded retries, read the answer.

`consult` never raises: whatever goes wrong (server down, slow, missing model, a malformed or
contradicting answer) comes back as a ModelAnswer with `error` set, and `combine` decides
what that means for the verdict.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field

from job.judge.backends import BackendError, ChatRequest, Reply, make_backend, ping
from job.judge.prompt import ANSWER_SCHEMA, ANSWER_TOKENS, Prompt, build_prompt, context_size
from job.model import Evidence, LLMConfig, LLMResult, Verdict, VerdictValue

__all__ = ["ModelAnswer", "consult", "parse_answer", "ping"]

log = logging.getLogger("job.judge.llm")

MAX_ATTEMPTS = 3
FIRST_BACKOFF_SECONDS = 0.5
MIN_ATTEMPT_SECONDS = 0.5  # do not start an attempt with less time than this left
TEXT_CHARS = 600  # cap on each text field taken from the model
VERDICTS: tuple[VerdictValue, ...] = ("pass", "fail", "inconclusive")


@dataclass
class ModelAnswer:
    """What the model said, checked; or why there is no usable answer (`error`)."""

    result: LLMResult
    verdict: VerdictValue | None = None
    confidence: float | None = None
    summary: str = ""
    root_cause: str = ""
    remediation: str = ""
    relied_on: list[str] = field(default_factory=list)  # ids that exist in the prompt
    supporting: list[str] = field(default_factory=list)  # those of them that point at the canary
    error: str | None = None

    @property
    def usable(self) -> bool:
        return self.error is None and self.verdict is not None


def consult(evidence: Evidence, floor: Verdict, cfg: LLMConfig) -> ModelAnswer:
    prompt = build_prompt(evidence, floor, cfg.extra_prompt, cfg.prompt_token_budget)
    result = LLMResult(used=False, model=cfg.model, prompt_tokens=prompt.estimated_tokens)
    request = ChatRequest(
        system=prompt.system,
        user=prompt.user,
        schema=ANSWER_SCHEMA,
        num_ctx=context_size(prompt.estimated_tokens),
        max_tokens=ANSWER_TOKENS,
    )
    started = time.monotonic()
    try:
        reply = _call_with_retries(request, cfg, started + cfg.timeout_seconds)
    except BackendError as error:
        result.error = str(error)
        result.duration_ms = _ms_since(started)
        log.warning("model not consulted", extra={"fields": {"error": result.error}})
        return ModelAnswer(result=result, error=result.error)
    result.duration_ms = _ms_since(started)
    result.model = reply.model or cfg.model
    if reply.prompt_tokens:
        result.prompt_tokens = reply.prompt_tokens
    answer = parse_answer(reply, prompt)
    answer.result = result
    result.verdict, result.confidence = answer.verdict, answer.confidence
    result.reasoning = _reasoning(answer) or None
    result.error = answer.error
    return answer


def _call_with_retries(request: ChatRequest, cfg: LLMConfig, deadline: float) -> Reply:
    """Retry transient failures with backoff, all within one overall deadline."""
    backend = make_backend(cfg)
    backoff = FIRST_BACKOFF_SECONDS
    for attempt in range(1, MAX_ATTEMPTS + 1):
        remaining = deadline - time.monotonic()
        try:
            return backend.chat(request, timeout=max(remaining, 0.1))
        except BackendError as error:
            remaining = deadline - time.monotonic()
            if not error.transient or attempt == MAX_ATTEMPTS or remaining < backoff + MIN_ATTEMPT_SECONDS:
                if error.transient and attempt > 1:
                    raise BackendError(f"{error} (after {attempt} attempts)", transient=True) from None
                raise
            log.info("retrying the model", extra={"fields": {"attempt": attempt, "error": str(error)}})
            time.sleep(backoff)
            backoff *= 2
    raise AssertionError("unreachable")


def parse_answer(reply: Reply, prompt: Prompt) -> ModelAnswer:
    """Check the model's text against the schema and for contradictions; never raises."""
    answer = ModelAnswer(result=LLMResult())
    if reply.cut_off:
        answer.error = "the model's answer was cut off at the token limit (incomplete JSON)"
        return answer
    try:
        document = json.loads(reply.content)
    except ValueError:
        answer.error = f"the model's answer is not JSON: {reply.content[:120]!r}"
        return answer
    if not isinstance(document, dict):
        answer.error = "the model's answer is JSON but not an object"
        return answer

    verdict = document.get("verdict")
    confidence = document.get("confidence")
    if verdict not in VERDICTS:
        answer.error = f"the model gave an unknown verdict {str(verdict)[:40]!r}"
        return answer
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not math.isfinite(confidence)
        or not 0 <= confidence <= 1
    ):
        answer.error = f"the model gave an out-of-range confidence {str(confidence)[:40]!r} (want 0..1)"
        return answer
    if verdict == "pass" and confidence < 0.5:
        answer.error = f"the model contradicts itself: verdict pass with confidence {confidence}"
        return answer

    answer.verdict = verdict
    answer.confidence = float(confidence)
    answer.summary = _text(document.get("summary"))
    answer.root_cause = _text(document.get("root_cause"))
    answer.remediation = _text(document.get("remediation"))
    cited = document.get("relied_on")
    cited = [str(c).strip() for c in cited] if isinstance(cited, list) else []
    answer.relied_on = [c for c in dict.fromkeys(cited) if c in prompt.references]
    answer.supporting = [c for c in answer.relied_on if prompt.references[c].canary_worse]
    return answer


def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    value = " ".join(value.split())
    return value if len(value) <= TEXT_CHARS else value[: TEXT_CHARS - 1] + "…"


def _reasoning(answer: ModelAnswer) -> str:
    parts = [answer.summary]
    if answer.root_cause:
        parts.append(f"Root cause: {answer.root_cause}")
    if answer.remediation:
        parts.append(f"Remediation: {answer.remediation}")
    if answer.relied_on:
        parts.append(f"Relied on: {', '.join(answer.relied_on)}")
    return " ".join(p for p in parts if p)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

"""Consult the self-hosted model: build the prompt, call the server with bounded retries, read the answer.

`consult` never raises: whatever goes wrong (server down, slow, missing model, a malformed or
contradicting answer) comes back as a ModelAnswer with `error` set; an answer the evidence does
not support (grounding.py) comes back with `rejected` set, after one retry that tells the model
why when the deadline leaves time for it. `combine` decides what that means for the verdict.

The model is asked only where it can add something: when an item of its prompt is against the
canary (otherwise it could neither escalate, combine.py, nor name a problem; it wrote filler), and
for a verdict only where its verdict can count (the evidence does not already fail the canary).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field, replace

from job.evidence.redact import redact
from job.judge.backends import BackendError, ChatRequest, Reply, make_backend, ping
from job.judge.grounding import ground
from job.judge.prompt import (
    ANSWER_TOKENS,
    CHAT_TEMPLATE_TOKENS,
    Prompt,
    against_canary,
    answer_schema,
    build_prompt,
    context_size,
    estimate_tokens,
    openers,
)
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
    """What the model said, checked against the schema and grounded in the evidence; or why there
    is no usable answer: `error` (no answer, or not the schema's) or `rejected` (not grounded)."""

    result: LLMResult
    verdict: VerdictValue | None = None
    confidence: float | None = None
    cause: str = ""
    remediation: str = ""
    cited: list[str] = field(default_factory=list)  # ids that exist in the prompt
    supporting: list[str] = field(default_factory=list)  # those of them significant against the canary
    labels: dict[str, str] = field(default_factory=dict)  # cited id -> the finding's message or template
    error: str | None = None
    rejected: str | None = None
    rejected_kind: str | None = None  # grounding's kind of rejection (number, name, direction, ...)
    verdict_asked: bool = True  # False where the evidence already fails the canary: no verdict to read
    skipped: str | None = None  # why the model was not asked at all (not an error: nothing to ask)

    @property
    def usable(self) -> bool:
        answered = self.verdict is not None or (not self.verdict_asked and bool(self.cause))
        return self.error is None and self.rejected is None and self.skipped is None and answered


NOTHING_AGAINST_CANARY = (
    "nothing in the evidence is significant against the canary, so the model could neither explain a "
    "problem nor change the verdict"
)


def consult(evidence: Evidence, floor: Verdict, cfg: LLMConfig) -> ModelAnswer:
    prompt = build_prompt(evidence, floor, cfg.extra_prompt, cfg.prompt_token_budget)
    if not against_canary(prompt):
        # The escalation gate (combine.py) needs a cited item of this prompt that is against the
        # canary, so no answer could move the verdict; and with nothing to explain a small model
        # writes filler ("The canary does not replace the stable version it would replace.").
        log.info("model not asked", extra={"fields": {"reason": NOTHING_AGAINST_CANARY}})
        skipped = LLMResult(used=False, model=cfg.model, skipped=NOTHING_AGAINST_CANARY)
        return ModelAnswer(result=skipped, skipped=NOTHING_AGAINST_CANARY)
    result = LLMResult(used=False, model=cfg.model, prompt_tokens=prompt.estimated_tokens)
    request = ChatRequest(
        system=prompt.system,
        user=prompt.user,
        schema=answer_schema(list(prompt.references), openers(prompt), prompt.asks_verdict),
        num_ctx=context_size(prompt.estimated_tokens),
        max_tokens=ANSWER_TOKENS,
    )
    started = time.monotonic()
    deadline = started + cfg.timeout_seconds
    try:
        reply = _call_with_retries(request, cfg, deadline)
    except BackendError as error:
        result.error = redact(str(error))  # it may quote the server's URL, with a password
        result.duration_ms = _ms_since(started)
        log.warning("model not consulted", extra={"fields": {"error": result.error}})
        return ModelAnswer(result=result, error=result.error)
    result.attempts = 1
    result.model = reply.model or cfg.model
    if reply.prompt_tokens:  # the prompt's real size, from the first call (a retry adds the exchange)
        result.prompt_tokens = reply.prompt_tokens
    _add_timings(result, reply)
    answer = parse_answer(reply, prompt, floor, evidence)
    first_call = time.monotonic() - started
    # One retry that says what was wrong, when the deadline leaves as much time as the first call took.
    if _answer_problem(answer) and deadline - time.monotonic() > first_call:
        retry = _retry_request(request, prompt.estimated_tokens, reply, _answer_problem(answer) or "")
        try:
            second = _call_with_retries(retry, cfg, deadline)
        except BackendError as error:
            log.info("no retry of the rejected answer", extra={"fields": {"error": str(error)}})
        else:
            result.attempts = 2
            _add_timings(result, second)
            # The 0.5B model answered a retry with the reason itself ("The cause was cut off
            # mid-sentence by the length limit."): an echo of what it was told is refused too.
            told = retry.follow_up[-1][1]
            answer = parse_answer(second, prompt, floor, evidence, told)
    result.duration_ms = _ms_since(started)
    answer.result = result
    result.error, result.rejected = answer.error, answer.rejected
    if not answer.usable:
        log.info(
            "model answer not used", extra={"fields": {"error": answer.error, "rejected": answer.rejected}}
        )
    return answer


def _add_timings(result: LLMResult, reply: Reply) -> None:
    """Where the time went, summed over the calls: prompt evaluation, generation, tokens generated."""
    for name in ("completion_tokens", "prompt_eval_ms", "generation_ms"):
        value = getattr(reply, name)
        if value is not None:
            setattr(result, name, (getattr(result, name) or 0) + value)


def _answer_problem(answer: ModelAnswer) -> str | None:
    """What was wrong with the answer itself (not the transport), in words the model can act on."""
    return answer.rejected or (
        answer.error if answer.error and answer.error.startswith("the model") else None
    )


def _retry_request(request: ChatRequest, prompt_tokens: int, reply: Reply, problem: str) -> ChatRequest:
    """The same question once more, with why the answer was refused. The refused answer itself is
    not sent back: a small model at temperature 0 shown its own answer repeats it word for word
    (measured with the 0.5B model: every retry that carried it came back identical)."""
    feedback = (
        f"An answer to this was refused: {problem}. Answer again with the JSON object, writing only "
        "ids, names and numbers that are in the data."
    )
    extra = estimate_tokens(feedback) + CHAT_TEMPLATE_TOKENS
    return replace(request, follow_up=(("user", feedback),), num_ctx=context_size(prompt_tokens + extra))


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


def parse_answer(
    reply: Reply, prompt: Prompt, floor: Verdict, evidence: Evidence, told: str = ""
) -> ModelAnswer:
    """Check the model's text against the schema, then ground it in the evidence; never raises.
    Where the prompt asked for no verdict, a verdict or confidence in the answer is not read."""
    answer = ModelAnswer(result=LLMResult(), verdict_asked=prompt.asks_verdict)
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

    verdict: VerdictValue | None = None
    confidence: float | None = None
    if prompt.asks_verdict:
        answer.error = _verdict_problem(document.get("verdict"), document.get("confidence"))
        if answer.error:
            return answer
        verdict, confidence = document["verdict"], float(document["confidence"])

    cited = document.get("cited")
    grounded = ground(
        _text(document.get("cause")),
        _text(document.get("remediation")),
        [str(c) for c in cited] if isinstance(cited, list) else [],
        verdict,
        prompt,
        floor.findings,
        evidence,
        told,
    )
    if grounded.rejected:
        answer.rejected = grounded.rejected
        answer.rejected_kind = grounded.kind
        return answer
    answer.verdict = verdict
    answer.confidence = confidence
    answer.cause, answer.remediation = grounded.cause, grounded.remediation
    answer.cited = list(grounded.cited)
    answer.supporting = [c for c in answer.cited if prompt.references[c].canary_worse]
    answer.labels = {c: prompt.references[c].label for c in answer.cited}
    return answer


def _verdict_problem(verdict: object, confidence: object) -> str | None:
    """What is wrong with an answer's verdict and confidence, or None."""
    if verdict not in VERDICTS:
        return f"the model gave an unknown verdict {str(verdict)[:40]!r}"
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not math.isfinite(confidence)
        or not 0 <= confidence <= 1
    ):
        return f"the model gave an out-of-range confidence {str(confidence)[:40]!r} (want 0..1)"
    if verdict == "pass" and confidence < 0.5:
        return f"the model contradicts itself: verdict pass with confidence {confidence}"
    return None


def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    value = " ".join(value.split())
    return value if len(value) <= TEXT_CHARS else value[: TEXT_CHARS - 1] + "…"


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

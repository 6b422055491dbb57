"""Combine the evidence-only verdict (the floor) with the model's answer, within guardrails.

The rules, in order:
1. The result is never better than the floor: pass < inconclusive < fail, and the model can
   only keep or raise the verdict. So the model never passes a canary the evidence did not
   pass, and never clears a critical finding (the floor fails on those).
2. The model may escalate one step (pass -> inconclusive, inconclusive -> fail), and only
   when its answer is valid, confident (>= ESCALATE_MIN_CONFIDENCE), more severe than the
   floor, and cites at least one item of the prompt that really points at the canary (a
   canary-side finding, or a template whose rate rose significantly). A model that says
   "fail" to everything, as small models do, cannot escalate a canary whose evidence has
   nothing against it.
3. No usable answer (server down, slow, missing model, invalid or contradicting JSON): the
   verdict falls back as --on-llm-error says, and is still never better than the floor.
"""

from __future__ import annotations

from dataclasses import replace

from job.judge.llm import ModelAnswer
from job.model import LLMConfig, Verdict, VerdictValue

RANK: dict[str, int] = {"pass": 0, "inconclusive": 1, "fail": 2}
NEXT_STEP: dict[str, VerdictValue] = {"pass": "inconclusive", "inconclusive": "fail", "fail": "fail"}
SCORE_CAP: dict[str, float] = {"pass": 1.0, "inconclusive": 0.5, "fail": 0.25}
ESCALATE_MIN_CONFIDENCE = 0.7
ESCALATED_CONFIDENCE_CAP = 0.8  # a verdict resting on the model is never fully certain


def worst(a: VerdictValue, b: VerdictValue) -> VerdictValue:
    return a if RANK[a] >= RANK[b] else b


def combine(floor: Verdict, answer: ModelAnswer, cfg: LLMConfig) -> Verdict:
    llm = replace(answer.result)
    if not answer.usable:
        llm.used = False
        llm.error = llm.error or answer.error or "the model gave no answer"
        fallback: VerdictValue = floor.verdict if cfg.on_error == "evidence" else cfg.on_error
        final = worst(floor.verdict, fallback)
        summary = floor.summary
        if final != floor.verdict:
            summary += f" The model could not be used, and --on-llm-error {cfg.on_error} makes this {final}."
        return _with(floor, final, floor.confidence, summary, llm, "evidence-only")

    llm.used = True
    model = llm.model or cfg.model
    said = f"{answer.verdict} ({answer.confidence:.2f})"
    if RANK[answer.verdict] <= RANK[floor.verdict]:
        if answer.verdict == floor.verdict:
            note = f"The model ({model}) agrees: {answer.summary}".rstrip(": ")
        else:
            note = f"The model ({model}) said {said}; it may not lower the evidence verdict."
        return _with(floor, floor.verdict, floor.confidence, _join(floor.summary, note), llm, "evidence+llm")

    if answer.confidence is None or answer.confidence < ESCALATE_MIN_CONFIDENCE:
        note = f"The model ({model}) said {said}, too unsure to change the verdict."
        return _with(floor, floor.verdict, floor.confidence, _join(floor.summary, note), llm, "evidence+llm")
    if not answer.supporting:
        note = f"The model ({model}) said {said} without citing canary-side evidence, so the verdict stands."
        return _with(floor, floor.verdict, floor.confidence, _join(floor.summary, note), llm, "evidence+llm")

    final = NEXT_STEP[floor.verdict]
    confidence = min(answer.confidence, ESCALATED_CONFIDENCE_CAP)
    note = (
        f"Escalated from {floor.verdict} to {final}: the model ({model}, {said}) points at "
        f"{', '.join(answer.supporting)}: {answer.summary}"
    ).rstrip(": ")
    return _with(floor, final, confidence, _join(note, floor.summary), llm, "evidence+llm")


def _with(
    floor: Verdict, final: VerdictValue, confidence: float, summary: str, llm: object, mode: str
) -> Verdict:
    score = min(floor.score, SCORE_CAP[final]) if final != floor.verdict else floor.score
    return replace(
        floor,
        verdict=final,
        score=round(score, 3),
        confidence=round(confidence, 3),
        summary=summary,
        llm=llm,
        mode=mode,
    )


def _join(first: str, second: str) -> str:
    return f"{first.rstrip()} {second}".strip()

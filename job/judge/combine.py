"""Combine the evidence-only verdict (the floor) with the model's answer, within guardrails.

The rules, in order:
1. The result is never better than the floor: pass < inconclusive < fail, and the model can
   only keep or raise the verdict. So the model never passes a canary the evidence did not
   pass, and never clears a critical finding (the floor fails on those).
2. The model may escalate one step (pass -> inconclusive, inconclusive -> fail), and only
   when its answer is valid and grounded, confident by its own account (>=
   ESCALATE_MIN_CONFIDENCE; the prompt states no confidence to copy), more severe than the
   floor, and cites at least one item that is significant against the canary by the rules'
   own standard (a major or critical canary finding, or a problem template whose rate rose
   significantly after correction, seen at least MIN_ERRORS times). A model that says "fail"
   to everything, as small models do, cannot escalate a canary whose evidence has nothing
   against it.
3. No usable answer (server down, slow, missing model, invalid JSON, or an answer grounding
   rejected): the verdict falls back as --on-llm-error says, never better than the floor. A model
   not asked at all (llm.consult: nothing in its prompt is against the canary, so by rule 2 no
   answer could move the verdict) is no error: the verdict is the floor's, and `llm.skipped` says why.
   Where the evidence already fails the canary the model is asked for no verdict (none could
   count): its grounded cause and remediation are kept, and the verdict is the floor's.
4. The summary stays the evidence's. The model's grounded cause and remediation live in
   their own fields of the `llm` block; its disagreement or a refused escalation is a note
   there (`llm.note`). Only an escalation, which changes the verdict, adds a sentence to the
   summary, naming the evidence it rests on in the evidence's words.
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
    if answer.skipped:  # not asked: no answer could have moved the verdict, and none is missing
        llm.used, llm.skipped = False, answer.skipped
        return _with(floor, floor.verdict, floor.confidence, floor.summary, llm, "evidence-only")
    if not answer.usable:
        llm.used = False
        if answer.rejected:
            llm.rejected = answer.rejected
        else:
            llm.error = llm.error or answer.error or "the model gave no answer"
        fallback: VerdictValue = floor.verdict if cfg.on_error == "evidence" else cfg.on_error
        final = worst(floor.verdict, fallback)
        summary = floor.summary
        if final != floor.verdict:
            why = "its answer was not grounded in the evidence" if answer.rejected else "it could not be used"
            summary += f" No model answer ({why}); --on-llm-error {cfg.on_error} makes this {final}."
        return _with(floor, final, floor.confidence, summary, llm, "evidence-only")

    # The summary stays the evidence's: the model's grounded explanation has its own fields, and
    # how its verdict bore on the result is a note.
    llm.used = True
    llm.verdict, llm.confidence = answer.verdict, answer.confidence
    llm.cause, llm.remediation, llm.cited = (
        answer.cause or None,
        answer.remediation or None,
        list(answer.cited),
    )
    llm.reasoning = _reasoning(answer) or None
    if answer.verdict is None or answer.confidence is None:  # not asked: the explanation only
        return _with(floor, floor.verdict, floor.confidence, floor.summary, llm, "evidence+llm")
    said = f"{answer.verdict} ({answer.confidence:.2f})"
    if RANK[answer.verdict] <= RANK[floor.verdict]:
        if answer.verdict != floor.verdict:
            llm.note = f"The model said {said}; it may not lower the evidence verdict ({floor.verdict})."
        return _with(floor, floor.verdict, floor.confidence, floor.summary, llm, "evidence+llm")
    if answer.confidence < ESCALATE_MIN_CONFIDENCE:
        llm.note = f"The model said {said}, too unsure to change the verdict."
        return _with(floor, floor.verdict, floor.confidence, floor.summary, llm, "evidence+llm")
    if not answer.supporting:
        llm.note = (
            f"The model said {said} without citing a finding or template that is significant against "
            "the canary, so the verdict stands."
        )
        return _with(floor, floor.verdict, floor.confidence, floor.summary, llm, "evidence+llm")

    final = NEXT_STEP[floor.verdict]
    confidence = min(answer.confidence, ESCALATED_CONFIDENCE_CAP)
    llm.note = f"The model said {said}, citing {', '.join(answer.supporting)}."
    cited = "; ".join(_label(ref, answer) for ref in answer.supporting)
    note = f"Escalated from {floor.verdict} to {final} by the model ({llm.model or cfg.model}) on: {cited}."
    return _with(floor, final, confidence, _join(note, floor.summary), llm, "evidence+llm")


def _reasoning(answer: ModelAnswer) -> str:
    """The contract's `reasoning`: the grounded cause and remediation, nothing else of the answer."""
    parts = [answer.cause, f"Remediation: {answer.remediation}" if answer.remediation else ""]
    return " ".join(p for p in parts if p)


def _label(ref: str, answer: ModelAnswer) -> str:
    """The evidence an escalation rests on, in the evidence's own words."""
    label = answer.labels.get(ref, "")
    return f"{ref} ({label[:160]})" if label else ref


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

"""Evidence-only verdict (the floor any model answer is combined with).

    any critical finding                    -> fail
    no log lines on either side             -> inconclusive
    major finding, enough canary events     -> fail (its tests already weigh a thin stable)
    major finding, thin canary              -> inconclusive (a problem is likely; too little to be sure)
    too few events on a side                -> inconclusive, never pass (unless both sides are quiet alike)
    a doubt no pass may hide (NEVER_PASS_KINDS: a canary that went quiet, required metrics missing)
                                            -> inconclusive
    a side lost more than MAX_LOSS_FOR_PASS of its data (cut, skipped, unreadable) -> inconclusive
    otherwise                               -> pass (minor and info findings are reported)

Lost data (DataLoss.share of a side) never helps a pass: above MAX_LOSS_FOR_PASS the verdict is
inconclusive; any smaller loss scales a pass's confidence by (1 - share) and caps it at
LOSSY_PASS_CONFIDENCE, and the notes say what was lost. A fail stays a fail: what was read already
shows the problem, and the lost part could only add to it.

Score bands (1 = healthy) keep the score consistent with the verdict for a web metric's
successCondition: pass 0.6..1, inconclusive 0.5, fail 0..0.4. Confidence grows with the
events seen on both sides and is high for a critical finding whatever the volume.
"""

from __future__ import annotations

import math

from job.judge.cause import likely_cause
from job.judge.rules import MIN_EVENTS, NEVER_PASS_KINDS, thin_sides
from job.model import Evidence, Finding, LLMResult, Verdict

EVIDENCE_ONLY = "the model was not used (--no-llm): evidence-only verdict"
_VOLUME_HALF = 100  # events at which a side counts as half-way to "enough"
MAX_LOSS_FOR_PASS = 0.2  # a side that lost more than a fifth of its log data is never a pass
LOSSY_PASS_CONFIDENCE = 0.8  # the highest confidence of a pass on a side that lost anything


def decide(evidence: Evidence, findings: list[Finding], llm_note: str = EVIDENCE_ONLY) -> Verdict:
    critical = [f for f in findings if f.severity == "critical"]
    major = [f for f in findings if f.severity == "major"]
    minor = [f for f in findings if f.severity == "minor"]
    canary, stable = evidence.canary, evidence.stable
    # Metric signals with data on both sides judge a canary whose pods log nothing (metrics only).
    metrics_judged = sum(1 for m in evidence.metrics if m.gating and m.classification != "NoData")
    no_logs = canary.events == 0 and stable.events == 0
    data = _volume_confidence(stable.events, canary.events)
    thin_names = thin_sides(evidence)
    if no_logs and metrics_judged:
        data, thin_names = min(0.8, 0.5 + 0.1 * metrics_judged), []
    thin = bool(thin_names)
    # a metric finding rests on its own volume (requests, observations), not on the log lines
    major_by_metrics = any(f.source == "metrics" for f in major)
    lost = max(stable.loss.share, canary.loss.share)
    lossy = stable.loss.any() or canary.loss.any()

    if critical:
        verdict, score = "fail", max(0.0, 0.2 - 0.05 * (len(critical) - 1) - 0.02 * len(major))
        confidence = max(0.85, data)
        summary = _problems(critical + major, evidence)
    elif no_logs and not metrics_judged:
        verdict, score, confidence = "inconclusive", 0.5, 0.0
        summary = (
            "no log lines on either side: nothing to compare (are the paths, selectors or --since right?)"
        )
    elif major and ("canary" not in thin_names or major_by_metrics):
        verdict, score = "fail", max(0.05, 0.4 - 0.05 * (len(major) - 1))
        confidence = 0.5 + 0.5 * data
        summary = _problems(major, evidence)
    elif thin:
        verdict, score, confidence = "inconclusive", 0.5, round(data * 0.5, 3)
        summary = _thin(evidence, thin_names) + (f" Meanwhile: {_problems(major)}" if major else "")
    elif doubts := [f for f in findings if f.kind in NEVER_PASS_KINDS]:
        verdict, score, confidence = "inconclusive", 0.5, round(data * 0.5, 3)
        summary = f"Not a pass: {_problems(doubts)}"
    elif lost > MAX_LOSS_FOR_PASS:
        verdict, score, confidence = "inconclusive", 0.5, round(data * 0.5 * (1 - lost), 3)
        summary = f"Not a pass: {_lost(evidence)}, too much to call the canary healthy. Of what was read: "
        summary += _healthy(evidence, minor)
    else:
        verdict = "pass"
        score = max(0.6, 1.0 - 0.1 * len(minor))
        confidence = data * (0.9 if minor else 1.0)
        summary = _healthy(evidence, minor)
        if lossy:
            confidence = min(confidence * (1 - lost), LOSSY_PASS_CONFIDENCE)
            summary += f" Confidence lowered: {_lost(evidence)}."
    return Verdict(
        verdict=verdict,  # type: ignore[arg-type]
        score=round(score, 3),
        confidence=round(confidence, 3),
        summary=summary,
        findings=findings,
        evidence=evidence,
        llm=LLMResult(used=False, error=llm_note),
        mode="evidence-only",
        notes=list(evidence.notes),
    )


def _lost(evidence: Evidence) -> str:
    """'the canary lost 35% of its log data' (and the stable's), for a summary."""
    sides = [
        f"the {name} lost {side.loss.share:.0%} of its log data"
        for name, side in (("canary", evidence.canary), ("stable", evidence.stable))
        if side.loss.any()
    ]
    return " and ".join(sides) + " (cut, skipped or unreadable; see the notes)"


def _volume_confidence(stable_events: int, canary_events: int) -> float:
    def side(n: int) -> float:
        return n / (n + _VOLUME_HALF)

    return round(math.sqrt(side(stable_events) * side(canary_events)), 3)


def _problems(findings: list[Finding], evidence: Evidence | None = None) -> str:
    """The top two findings; or the top one and its most likely cause (cause.py) in one sentence."""
    cause = likely_cause(evidence, findings[0]) if evidence is not None and findings else None
    shown = 1 if cause else 2
    head = "; ".join(f.message.rstrip(".") for f in findings[:shown])
    if cause:
        head += f"; most likely cause: {cause}"
    more = f" (+{len(findings) - shown} more)" if len(findings) > shown else ""
    return f"{head[0].upper()}{head[1:]}{more}." if head else ""


def _thin(evidence: Evidence, thin_names: list[str]) -> str:
    sides = [
        f"{name} has {side.events} log events"
        for name, side in (("canary", evidence.canary), ("stable", evidence.stable))
        if name in thin_names
    ]
    return (
        f"Too little data to judge: {' and '.join(sides)} (need {MIN_EVENTS} per side); "
        "run the analysis later or over a longer window."
    )


def _healthy(evidence: Evidence, minor: list[Finding]) -> str:
    c, s = evidence.canary, evidence.stable
    parts = [
        f"Canary looks healthy: {c.events} canary and {s.events} stable events compared",
        f"error-level share {_pct(c.error_share)} vs {_pct(s.error_share)}",
    ]
    if c.requests and s.requests:
        parts.append(f"HTTP 5xx {_pct(c.http_5xx_share)} vs {_pct(s.http_5xx_share)}")
    if c.durations and s.durations and min(c.durations.count, s.durations.count) >= 20:
        parts.append(f"p90 latency {c.durations.p90_ms:.0f} ms vs {s.durations.p90_ms:.0f} ms")
    alike = [m.name for m in evidence.metrics if m.gating and m.classification == "Pass"]
    if alike:
        parts.append(
            f"metrics alike: {', '.join(alike[:4])}" + (f" (+{len(alike) - 4})" if len(alike) > 4 else "")
        )
    text = ", ".join(parts) + "."
    if minor:
        text += f" {len(minor)} minor difference(s) noted, e.g. {minor[0].message[:160]}."
    return text


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"

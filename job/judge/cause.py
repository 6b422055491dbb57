"""The most likely cause of a finding that does not name a log message itself.

An HTTP 5xx share, an error-level share or a latency finding says what is wrong, not why. The
canary's own error messages usually say why: the error template that appears with the 5xx (an
upstream "connection refused", a `KeyError` traceback, an exception class), or its crash. The
summary names the top finding and this cause in one sentence, so the decisive message is never
behind "(+1 more)".
"""

from __future__ import annotations

from job.judge.rules import names_failure
from job.model import Evidence, Finding, TemplateStat

# findings whose message already quotes the log message (or the pod signal) that explains them
_NAMES_ITS_MESSAGE = frozenset(("crash", "new-error", "template-increase", "failing-warning", "new-warning"))
_OTHER_SHAPES = "(other shapes"


def likely_cause(evidence: Evidence, finding: Finding) -> str | None:
    """The canary message most likely behind `finding`, as "<message> (N in the canary, ...)"."""
    if finding.kind in _NAMES_ITS_MESSAGE or finding.kind.startswith("pod-") or finding.side != "canary":
        return None
    candidates = [t for t in evidence.templates if _could_explain(t)]
    if candidates:
        best = max(candidates, key=_weight)
        seen = "never in stable" if best.stable == 0 else f"{best.stable} in stable"
        return f"{best.template[:200]} ({best.canary} in the canary, {seen})"
    if evidence.canary.crash_examples:
        return (
            evidence.canary.crash_examples[0].splitlines()[0][:200]
            + f" ({evidence.canary.crashes} crash(es))"
        )
    return None


def _could_explain(template: TemplateStat) -> bool:
    """A canary problem message that is new or more frequent there, and not a request record."""
    if template.canary < 1 or template.id.startswith("-") or template.template.startswith(_OTHER_SHAPES):
        return False
    rising = template.stable == 0 or template.significant
    if template.level in ("error", "fatal"):
        return rising
    return rising and names_failure(template)


def _weight(template: TemplateStat) -> tuple[int, int, int]:
    """Errors before warnings, new before more frequent, then the busiest."""
    return (template.level in ("error", "fatal"), template.stable == 0, template.canary)

"""other_shapes: a canary logging far more never-seen shapes than the stable is noted, never failed."""

from dataclasses import replace

from judge_helpers import evidence, side

from job.judge.policy import decide
from job.judge.rules import other_shapes, run_rules


def _with_other(events: int, other: int):  # type: ignore[no-untyped-def]
    return replace(side(events), other_shapes=other)


def test_a_jump_in_never_seen_shapes_is_a_minor_finding_and_still_a_pass() -> None:
    found = evidence(stable=_with_other(2000, 0), canary=_with_other(2000, 900))
    findings = other_shapes(found)
    assert [(f.kind, f.severity, f.count) for f in findings] == [("other-shapes", "minor", 900)]
    assert "45%" in findings[0].message and "0%" in findings[0].message
    assert decide(found, run_rules(found)).verdict == "pass"


def test_a_stable_as_free_text_as_the_canary_says_nothing() -> None:
    assert other_shapes(evidence(stable=_with_other(2000, 800), canary=_with_other(2000, 850))) == []


def test_a_small_share_says_nothing() -> None:
    assert other_shapes(evidence(stable=_with_other(20000, 0), canary=_with_other(20000, 600))) == []

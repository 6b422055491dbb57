from judge_helpers import evidence, evidence_from_logs, side

from job.judge.policy import decide
from job.judge.rules import run_rules
from job.model import Finding
from tests.sample_logs import web_log


def verdict_of(ev):  # type: ignore[no-untyped-def]
    return decide(ev, run_rules(ev))


def test_healthy_canary_passes_with_numbers_and_confidence_from_volume() -> None:
    small = verdict_of(evidence_from_logs(web_log(60, 1), web_log(60, 2)))
    large = verdict_of(evidence_from_logs(web_log(1500, 1), web_log(1500, 2)))
    assert small.verdict == large.verdict == "pass"
    assert 0.6 <= large.score <= 1.0
    assert small.confidence < large.confidence and large.confidence > 0.9
    assert "Canary looks healthy" in large.summary and "HTTP 5xx 0.0% vs 0.0%" in large.summary


def test_any_critical_fails_even_with_thin_data() -> None:
    ev = evidence(stable=side(events=1000), canary=side(events=5, crashes=1))
    result = verdict_of(ev)
    assert result.verdict == "fail" and result.score <= 0.2 and result.confidence >= 0.85
    assert "crash/fatal event" in result.summary


def test_5xx_canary_fails_with_an_actionable_summary() -> None:
    result = verdict_of(evidence_from_logs(web_log(400, 1), web_log(400, 2, error_share=0.85)))
    assert result.verdict == "fail"
    assert result.summary.startswith("Canary returns HTTP 5xx on 8") and "stable 0%" in result.summary


def test_major_with_enough_data_fails() -> None:
    major = Finding("latency", "major", "canary", "canary p90 3x stable")
    result = decide(evidence(), [major])
    assert result.verdict == "fail" and result.score <= 0.4 and "p90 3x" in result.summary


def test_major_with_thin_data_is_inconclusive_and_mentions_it() -> None:
    major = Finding("http-5xx", "major", "canary", "canary returns HTTP 5xx on 80% of requests (8/10)")
    result = decide(evidence(canary=side(events=10)), [major])
    assert (
        result.verdict == "inconclusive" and "Too little data" in result.summary and "80%" in result.summary
    )


def test_a_five_line_canary_is_never_a_pass() -> None:
    result = verdict_of(evidence_from_logs(web_log(500, 1), web_log(2, 2)))
    assert result.verdict == "inconclusive" and result.score == 0.5
    assert "canary has 5 log events" in result.summary


def test_both_sides_empty_is_inconclusive_with_zero_confidence() -> None:
    result = verdict_of(evidence(side(events=0), side(events=0)))
    assert result.verdict == "inconclusive" and result.confidence == 0.0
    assert "no log lines on either side" in result.summary


def test_minor_findings_still_pass_with_a_lower_score() -> None:
    minor = Finding("new-error", "minor", "canary", "1 error message only in the canary")
    result = decide(evidence(), [minor])
    assert result.verdict == "pass" and result.score == 0.9 and "minor" in result.summary


def test_the_verdict_says_the_model_was_not_used() -> None:
    result = decide(evidence(), [])
    assert (
        result.mode == "evidence-only" and result.llm.used is False and "not used" in (result.llm.error or "")
    )

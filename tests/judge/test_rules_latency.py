from judge_helpers import evidence, evidence_from_logs, side

from job.judge.rules import latency
from job.model import DurationStats
from tests.sample_logs import web_log


def test_a_threefold_slower_canary_is_major_with_percentiles() -> None:
    [finding] = latency(evidence_from_logs(web_log(300, 1), web_log(300, 2, slow=3)))
    assert finding.severity == "major"
    assert "p90" in finding.message and "slower than the stable p90" in finding.message


def test_same_speed_is_nothing() -> None:
    assert latency(evidence_from_logs(web_log(300, 1), web_log(300, 2))) == []


def test_a_significant_but_tiny_shift_is_nothing() -> None:
    d = DurationStats(count=1000, p50_ms=10, p90_ms=20, p99_ms=30, mean_ms=12)
    slower = DurationStats(count=1000, p50_ms=10.5, p90_ms=21, p99_ms=31, mean_ms=12.5)
    ev = evidence(
        side(durations=d), side(durations=slower), latency_p_value=1e-9, canary_above_stable_p90=0.2
    )
    assert latency(ev) == []


def test_a_huge_regression_is_critical() -> None:
    d = DurationStats(count=500, p50_ms=50, p90_ms=100, p99_ms=200, mean_ms=60)
    slow = DurationStats(count=500, p50_ms=3000, p90_ms=5000, p99_ms=9000, mean_ms=3500)
    ev = evidence(side(durations=d), side(durations=slow), latency_p_value=1e-30, canary_above_stable_p90=1.0)
    assert latency(ev)[0].severity == "critical"


def test_no_durations_no_finding() -> None:
    assert latency(evidence()) == []


def test_slow_canary_without_a_stable_baseline_is_major() -> None:
    slow = DurationStats(count=60, p50_ms=2000, p90_ms=2000, p99_ms=2001, mean_ms=2000)
    [finding] = latency(evidence(side(), side(durations=slow)))
    assert (
        finding.severity == "major" and "no baseline" in finding.message and "p50 2000 ms" in finding.message
    )


def test_fast_canary_without_a_baseline_is_nothing() -> None:
    fast = DurationStats(count=60, p50_ms=20, p90_ms=40, p99_ms=90, mean_ms=25)
    assert latency(evidence(side(), side(durations=fast))) == []

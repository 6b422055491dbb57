"""tail_latency: a few percent of canary requests much slower while p50 and p90 hold."""

from __future__ import annotations

import random

import pytest
from judge_helpers import evidence_from_logs

from job.evidence.stats import DurationHistogram, tail_excess
from job.judge.policy import decide
from job.judge.rules import latency, run_rules, tail_latency


def access_log(
    requests: int, seed: int, base_ms: float = 20.0, slow_share: float = 0.0, slow_x: float = 1.0
) -> str:
    """A JSON access log: lognormal durations around base_ms, `slow_share` of them `slow_x` times slower."""
    rng = random.Random(seed)
    lines = []
    for i in range(requests):
        ms = rng.lognormvariate(0, 0.25) * base_ms
        if rng.random() < slow_share:
            ms *= slow_x
        lines.append(
            f'{{"ts":"2024-05-01T12:{i // 60 % 60:02d}:{i % 60:02d}Z","level":"info","method":"GET",'
            f'"path":"/api/items/{rng.randrange(100)}","status":200,"duration_ms":{ms:.2f}}}'
        )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("canary_requests", [120, 200])
def test_five_percent_ten_times_slower_fails_on_a_small_canary(canary_requests: int) -> None:
    found = evidence_from_logs(
        access_log(2000, 1), access_log(canary_requests, 2, slow_share=0.05, slow_x=12)
    )
    assert latency(found) == []  # p50 and p90 did not move: the p90 test sees nothing
    [finding] = tail_latency(found)
    assert finding.severity == "major" and finding.kind == "latency-tail"
    assert "p99.9" in finding.message and "max" in finding.message and "stable p99" in finding.message
    assert found.canary.durations.p99_ms > 5 * found.stable.durations.p99_ms
    assert decide(found, run_rules(found)).verdict == "fail"


def test_a_small_stable_uses_its_maximum() -> None:
    found = evidence_from_logs(access_log(60, 1), access_log(150, 2, slow_share=0.08, slow_x=15))
    [finding] = tail_latency(found)
    assert "stable maximum" in finding.message
    assert found.tail_threshold_ms == pytest.approx(found.stable.durations.max_ms, rel=0.03)
    assert found.tail_expected_share == pytest.approx(1 / 61)


def test_a_two_to_three_ms_tail_never_fails() -> None:
    found = evidence_from_logs(
        access_log(2000, 1, base_ms=2.0), access_log(200, 2, base_ms=2.0, slow_share=0.2, slow_x=1.5)
    )
    assert found.tail_p_value is not None and found.tail_p_value < 0.01  # significant, but tiny
    assert tail_latency(found) == []


def test_same_distribution_is_nothing() -> None:
    for seed in range(2, 12):
        assert tail_latency(evidence_from_logs(access_log(1000, 1), access_log(150, seed))) == []


def test_expected_share_is_never_zero_and_counts_match_buckets() -> None:
    stable, canary = DurationHistogram(), DurationHistogram()
    for ms in range(1, 51):
        stable.add(float(ms))
    for ms in (10.0, 20.0, 500.0, 600.0):
        canary.add(ms)
    tail = tail_excess(stable, canary)
    assert tail.threshold_ms == pytest.approx(50, rel=0.02) and tail.above == 2
    assert tail.expected_share == pytest.approx(1 / 51)
    assert stable.max == 50.0


def test_a_stable_that_logs_zero_durations_still_has_a_tail_to_compare() -> None:
    """Responses under the log's resolution (nginx's `0.000`, a cache) are 0 ms: values equal to a
    0 ms threshold are not above it, so a canary tail of seconds fails and one of 1 ms does not."""

    def log(durations: list[float]) -> str:  # spread over the same 10 minutes on both sides
        seconds = [i * 600 // len(durations) for i in range(len(durations))]
        return "".join(
            f'{{"ts":"2024-05-01T12:{s // 60:02d}:{s % 60:02d}Z","level":"info","method":"GET",'
            f'"path":"/api/items","status":200,"duration_ms":{ms}}}\n'
            for s, ms in zip(seconds, durations, strict=True)
        )

    stable = log([0.0] * 400)
    slow = evidence_from_logs(stable, log([0.0] * 190 + [3000.0] * 10))
    assert slow.tail_threshold_ms == 0 and slow.canary_above_stable_tail == pytest.approx(0.05)
    [finding] = tail_latency(slow)
    assert finding.severity == "major" and decide(slow, run_rules(slow)).verdict == "fail"
    assert tail_latency(evidence_from_logs(stable, log([0.0] * 190 + [1.0] * 10))) == []

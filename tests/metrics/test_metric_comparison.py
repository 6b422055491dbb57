"""Each signal kind compared with the test that fits it; High/Low/Pass/NoData like Kayenta."""

from __future__ import annotations

import random

from job.evidence.metrics import compare, quantile
from job.evidence.stats import rank_shift_p
from job.model import MetricReading, MetricSignal, MetricValues

RATIO = MetricSignal("errors", "ratio", "q{ {{side}} }", total="t{ {{side}} }", min_ratio=2, min_delta=0.02)
LATENCY = MetricSignal("latency", "histogram", "b{ {{side}} }", min_ratio=1.5, min_delta=0.025, unit="s")
MEMORY = MetricSignal("memory", "series", "m{ {{side}} }", min_ratio=1.3, min_delta=16e6, unit="bytes")
RATE = MetricSignal("rate", "series", "r{ {{side}} }", direction="decrease", min_ratio=2)
BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf"))


def ratio(bad_s: float, total_s: float, bad_c: float, total_c: float) -> str:
    reading = MetricReading(
        RATIO, MetricValues(count=bad_s, total=total_s), MetricValues(count=bad_c, total=total_c)
    )
    return compare(reading).classification


def test_error_ratio_counts_are_compared_as_counts() -> None:
    assert ratio(10, 10_000, 300, 1_000) == "High"  # 0.1% -> 30%
    assert ratio(10, 10_000, 2, 1_000) == "Pass"  # the same rate
    assert ratio(0, 10_000, 1, 1_000) == "Pass"  # one error: not significant, and below the floor
    assert ratio(100, 10_000, 12, 1_000) == "Pass"  # 1.0% -> 1.2%: below the effect floor
    assert ratio(3_000, 10_000, 10, 1_000) == "Low"  # the canary is better
    assert ratio(1, 10, 5, 10) == "NoData"  # too few requests to compare


def histogram(samples: list[float]) -> list[tuple[float, float]]:
    cumulative, out = 0, []
    for bound in BOUNDS:
        cumulative = sum(1 for s in samples if s <= bound)
        out.append((bound, float(cumulative)))
    return out


def test_histogram_quantile_interpolates_like_prometheus() -> None:
    buckets = [(0.1, 50.0), (0.2, 100.0), (float("inf"), 100.0)]
    assert quantile(buckets, 0.5) == 0.1
    assert abs(quantile(buckets, 0.75) - 0.15) < 1e-9
    assert quantile([], 0.5) is None


def test_a_tail_regression_is_high_while_the_median_stays() -> None:
    rng = random.Random(1)
    stable = [0.02 * rng.lognormvariate(0, 0.3) for _ in range(2000)]
    canary = [
        rng.uniform(1, 2) if rng.random() < 0.04 else 0.02 * rng.lognormvariate(0, 0.3) for _ in range(200)
    ]
    result = compare(
        MetricReading(
            LATENCY, MetricValues(buckets=histogram(stable)), MetricValues(buckets=histogram(canary))
        )
    )
    assert result.classification == "High"
    assert (
        result.canary["p50"] < 1.5 * result.stable["p50"] and result.canary["p99"] > 10 * result.stable["p99"]
    )


def test_a_small_latency_shift_passes() -> None:
    rng = random.Random(2)
    stable = [0.002 * rng.lognormvariate(0, 0.2) for _ in range(2000)]
    canary = [0.003 * rng.lognormvariate(0, 0.2) for _ in range(500)]  # 2 ms -> 3 ms: below the 25 ms floor
    result = compare(
        MetricReading(
            LATENCY, MetricValues(buckets=histogram(stable)), MetricValues(buckets=histogram(canary))
        )
    )
    assert result.classification == "Pass"


def test_a_series_that_climbs_is_high_and_a_flat_one_passes() -> None:
    rng = random.Random(3)
    flat = [100e6 + rng.random() * 1e6 for _ in range(40)]
    climbing = [100e6 + i * 4e6 for i in range(40)]
    assert (
        compare(
            MetricReading(MEMORY, MetricValues(samples=flat), MetricValues(samples=climbing))
        ).classification
        == "High"
    )
    other = [100e6 + rng.random() * 1e6 for _ in range(40)]
    assert (
        compare(MetricReading(MEMORY, MetricValues(samples=flat), MetricValues(samples=other))).classification
        == "Pass"
    )
    assert (
        compare(
            MetricReading(MEMORY, MetricValues(samples=flat), MetricValues(samples=flat[:3]))
        ).classification
        == "NoData"
    )


def test_a_drop_is_low_and_bad_only_for_a_decrease_signal() -> None:
    stable = [50.0 + (i % 3) for i in range(30)]
    canary = [5.0 + (i % 3) for i in range(30)]
    assert (
        compare(
            MetricReading(RATE, MetricValues(samples=stable), MetricValues(samples=canary))
        ).classification
        == "Low"
    )


def test_a_failed_query_is_no_data_with_the_reason() -> None:
    result = compare(MetricReading(RATIO, error="cannot connect", unavailable=True))
    assert result.classification == "NoData" and "cannot connect" in result.message and result.unavailable


def test_the_rank_test_sees_a_shift_and_not_noise() -> None:
    rng = random.Random(4)
    low = [rng.gauss(0, 1) for _ in range(30)]
    high = [rng.gauss(2, 1) for _ in range(30)]
    assert rank_shift_p(low, high) < 1e-4
    assert rank_shift_p(high, low) > 0.99
    assert rank_shift_p([1.0] * 10, [1.0] * 10) is None

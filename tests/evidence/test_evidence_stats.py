import math

import pytest

from job.evidence.stats import DurationHistogram, binomial_upper_tail, rate_increase_p


def exact_tail(k: int, n: int, p: float) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


@pytest.mark.parametrize(
    ("k", "n", "p"), [(3, 3, 0.1), (10, 20, 0.5), (50, 60, 0.5), (1, 100, 0.01), (400, 1000, 0.35)]
)
def test_binomial_tail_matches_the_exact_sum(k: int, n: int, p: float) -> None:
    assert binomial_upper_tail(k, n, p) == pytest.approx(exact_tail(k, n, p), rel=1e-9)


def test_binomial_tail_edges() -> None:
    assert binomial_upper_tail(0, 10, 0.3) == 1.0
    assert binomial_upper_tail(11, 10, 0.3) == 0.0


def test_rate_test_is_normalised_by_volume() -> None:
    # 10 vs 10 errors, but the canary saw a tenth of the traffic: that is a 10x rate
    assert rate_increase_p(10, 10, 10_000, 1_000) < 1e-5
    # same counts, same volume: nothing to see
    assert rate_increase_p(10, 10, 1_000, 1_000) > 0.4
    # a new template seen 5 times on equal volume: 0.5 ** 5
    assert rate_increase_p(0, 5, 1_000, 1_000) == pytest.approx(0.03125)
    assert rate_increase_p(3, 0, 100, 100) == 1.0
    assert rate_increase_p(1, 1, 0, 100) is None


def test_histogram_percentiles_within_two_percent() -> None:
    histogram = DurationHistogram()
    for ms in range(1, 1001):
        histogram.add(float(ms))
    for q, want in ((0.5, 500), (0.9, 900), (0.99, 990)):
        assert histogram.percentile(q) == pytest.approx(want, rel=0.02)
    assert histogram.count_above(900) == pytest.approx(100, abs=20)
    histogram.add(float("nan"))
    assert histogram.count == 1000

"""Small exact statistics without scipy: a one-sided rate test, a bounded histogram, a tail test."""

from __future__ import annotations

import math
from typing import NamedTuple


def rate_increase_p(
    stable_count: int, canary_count: int, stable_total: int, canary_total: int
) -> float | None:
    """One-sided p-value that the canary's rate (count / total) is higher than the stable's.

    Conditional test for two Poisson rates: given n = stable_count + canary_count events,
    under "same rate" the canary's share is Binomial(n, canary_total / (both totals)).
    Exact for any n (via the regularised incomplete beta); None when a side has no volume.
    """
    if stable_total <= 0 or canary_total <= 0 or canary_count <= 0:
        return None if stable_total <= 0 or canary_total <= 0 else 1.0
    n = stable_count + canary_count
    share = canary_total / (stable_total + canary_total)
    return binomial_upper_tail(canary_count, n, share)


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p) = I_p(k, n - k + 1)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    return min(1.0, max(0.0, _regularised_beta(p, k, n - k + 1)))


def _regularised_beta(x: float, a: float, b: float) -> float:
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(1.0 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 3e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


class DurationHistogram:
    """Log-spaced buckets (2% wide): percentiles within 2% using memory bounded by the range."""

    _GROWTH = math.log(1.02)

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.sums: dict[int, float] = {}  # a bucket's mean stands for its values: exact if they are equal
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def add(self, ms: float) -> None:
        if ms < 0 or ms != ms or ms == math.inf:
            return
        index = int(math.log(ms + 1e-3) / self._GROWTH)
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.sums[index] = self.sums.get(index, 0.0) + ms
        self.count += 1
        self.total += ms
        if ms > self.max:
            self.max = ms

    def percentile(self, q: float) -> float:
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return self.sums[index] / self.buckets[index]
        return 0.0

    def count_above(self, ms: float) -> int:
        """Values in buckets entirely above `ms` (conservative: the bucket holding `ms` is not counted).
        A 0 ms threshold (a stable whose responses are under its log's resolution) has the 0 ms values
        at or below it: counting them above made every canary value look slow, so none could."""
        if ms < 0:
            return self.count
        limit = int(math.log(ms + 1e-3) / self._GROWTH)
        return sum(n for index, n in self.buckets.items() if index > limit)


def rank_shift_p(lower: list[float], higher: list[float]) -> float | None:
    """One-sided Mann-Whitney p-value that `higher` tends to be larger than `lower`.

    Normal approximation with the tie correction and a continuity correction (sound from about
    five values a side); None when a side has fewer than two values or every value is equal.
    """
    n1, n2 = len(lower), len(higher)
    if n1 < 2 or n2 < 2:
        return None
    pooled = sorted((value, side) for side, values in ((0, lower), (1, higher)) for value in values)
    ranks_higher = 0.0
    tie_term = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        mean_rank = (i + j) / 2 + 1
        ties = j - i + 1
        tie_term += ties**3 - ties
        ranks_higher += mean_rank * sum(1 for k in range(i, j + 1) if pooled[k][1] == 1)
        i = j + 1
    u = ranks_higher - n2 * (n2 + 1) / 2
    n = n1 + n2
    variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if variance <= 0:
        return None
    z = (u - n1 * n2 / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


TAIL_QUANTILE = 0.99
TAIL_MIN_STABLE = 100  # fewer stable durations: their maximum is the threshold


class TailExcess(NamedTuple):
    threshold_ms: float  # the stable p99 (its maximum when it has fewer than TAIL_MIN_STABLE)
    above: int  # canary durations above it
    expected_share: float  # the share expected above it if the canary were like the stable
    p_value: float  # one-sided exact binomial test that more canary durations are above it


def tail_excess(stable: DurationHistogram, canary: DurationHistogram) -> TailExcess:
    """Are more canary durations above the stable's tail than the stable itself has there?

    The expected share is (stable values above the threshold + 1) / (stable count + 1): under
    "same distribution" a canary value is as likely as any stable one to be the largest, so even
    with the stable maximum as the threshold it is 1 / (n + 1), never 0. Both counts use the same
    buckets, so the 2% bucket width cannot make the canary look slower.
    """
    threshold = stable.percentile(TAIL_QUANTILE if stable.count >= TAIL_MIN_STABLE else 1.0)
    above = canary.count_above(threshold)
    expected = (stable.count_above(threshold) + 1) / (stable.count + 1)
    return TailExcess(threshold, above, expected, binomial_upper_tail(above, canary.count, expected))

"""Small exact statistics without scipy: a one-sided rate test and a bounded histogram."""

from __future__ import annotations

import math


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

    def add(self, ms: float) -> None:
        if ms < 0 or ms != ms or ms == math.inf:
            return
        index = int(math.log(ms + 1e-3) / self._GROWTH)
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.sums[index] = self.sums.get(index, 0.0) + ms
        self.count += 1
        self.total += ms

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
        """Values in buckets entirely above `ms` (conservative: the bucket holding `ms` is not counted)."""
        if ms <= 0:
            return self.count
        limit = int(math.log(ms + 1e-3) / self._GROWTH)
        return sum(n for index, n in self.buckets.items() if index > limit)

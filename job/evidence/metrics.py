"""Metric readings -> MetricComparisons, classified like Kayenta: High, Low, Pass or NoData.

Kayenta's Mann-Whitney test alone misses tail changes and sparse error counts (kayenta #780,
#426), so each kind is compared with the test that fits what it counts:

* ratio (errors / requests): counts as counts, the exact conditional Poisson-rate test the log
  engine uses, plus an effect-size floor on the share (min_delta) and the ratio (min_ratio);
* histogram (latency buckets): each quantile of both sides, and an exact binomial test of how
  many canary observations lie above the bucket holding the stable's quantile, so a p99 that
  moves while p50 stays is seen;
* series (CPU throttling, memory, request rate): a rank test over the window plus the effect on
  the median and on the last quarter of the window (a leak is worst at the end);
* count (restarts): the canary's count against the stable's, with an absolute floor.

High means the canary's figure is higher, Low lower; which one is bad is the signal's direction,
and the rules decide what that means for the verdict.
"""

from __future__ import annotations

import math
import statistics

from job.evidence.stats import binomial_upper_tail, rank_shift_p, rate_increase_p
from job.model import MetricClass, MetricComparison, MetricReading, MetricSignal, MetricValues

ALPHA = 0.01
MIN_REQUESTS = 20  # per side, for a ratio
MIN_OBSERVATIONS = 20  # per side, for a histogram
MIN_SAMPLES = 5  # per side, for a series


def compare_metrics(readings: list[MetricReading]) -> list[MetricComparison]:
    return [compare(reading) for reading in readings]


def compare(reading: MetricReading) -> MetricComparison:
    signal = reading.signal
    comparison = MetricComparison(
        name=signal.name,
        kind=signal.kind,
        classification="NoData",
        direction=signal.direction,
        critical=signal.critical,
        required=signal.required,
        gating=signal.gating,
    )
    if reading.error:
        comparison.message = f"no data: {reading.error}"
        comparison.unavailable = reading.unavailable
        return comparison
    judge = {"ratio": _ratio, "histogram": _histogram, "series": _series, "count": _count}[signal.kind]
    judge(signal, reading.stable, reading.canary, comparison)
    return comparison


def _set(
    c: MetricComparison, classification: MetricClass, message: str, p: float | None, effect: float | None
) -> None:
    c.classification = classification
    c.message = message
    c.p_value = None if p is None else round(p, 6)
    c.effect = None if effect is None or not math.isfinite(effect) else round(effect, 3)


def _ratio_of(canary: float, stable: float) -> float:
    if stable > 0:
        return canary / stable
    return math.inf if canary > 0 else 1.0


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "bytes":
        return f"{value / 2**20:.0f} MiB"
    if abs(value) >= 100 or value == int(value):
        return f"{value:.0f}{' ' + unit if unit else ''}"
    return f"{value:.3g}{' ' + unit if unit else ''}"


def _clearly_above(p: float | None, higher: float, lower: float, signal: MetricSignal) -> bool:
    """`higher` exceeds `lower` significantly and by both effect-size floors of the signal."""
    return (
        p is not None
        and p < ALPHA
        and higher - lower >= signal.min_delta
        and _ratio_of(higher, lower) >= signal.min_ratio
    )


# ---------------------------------------------------------------- ratio


def _ratio(signal: MetricSignal, stable: MetricValues, canary: MetricValues, c: MetricComparison) -> None:
    if (
        stable.total is None
        or canary.total is None
        or stable.total < MIN_REQUESTS
        or canary.total < MIN_REQUESTS
    ):
        totals = f"{stable.total or 0:.0f} stable and {canary.total or 0:.0f} canary"
        _set(
            c,
            "NoData",
            f"{totals} in the denominator: fewer than {MIN_REQUESTS} on a side to compare",
            None,
            None,
        )
        return
    bad_s, bad_c = round(stable.count or 0.0), round(canary.count or 0.0)
    total_s, total_c = max(round(stable.total), bad_s), max(round(canary.total), bad_c)
    share_s, share_c = bad_s / total_s, bad_c / total_c
    c.stable = {"count": bad_s, "total": total_s, "share": round(share_s, 5)}
    c.canary = {"count": bad_c, "total": total_c, "share": round(share_c, 5)}
    text = f"canary {share_c:.1%} ({bad_c}/{total_c}), stable {share_s:.1%} ({bad_s}/{total_s})"
    p_high = rate_increase_p(bad_s, bad_c, total_s, total_c)
    p_low = rate_increase_p(bad_c, bad_s, total_c, total_s)
    if _clearly_above(p_high, share_c, share_s, signal):
        _set(c, "High", text, p_high, _ratio_of(share_c, share_s))
    elif _clearly_above(p_low, share_s, share_c, signal):
        _set(c, "Low", text, p_low, _ratio_of(share_c, share_s))
    else:
        _set(c, "Pass", text, p_high, _ratio_of(share_c, share_s))


# ---------------------------------------------------------------- histogram


def _cumulative(buckets: list[tuple[float, float]], le: float) -> float:
    """Observations at or below the bucket bound `le` (one of the bounds)."""
    seen = 0.0
    for bound, count in buckets:
        if bound > le:
            break
        seen = count
    return seen


def quantile(buckets: list[tuple[float, float]], q: float) -> float | None:
    """Prometheus' histogram_quantile: linear within the bucket holding the rank."""
    if not buckets or buckets[-1][1] <= 0:
        return None
    total = buckets[-1][1]
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


def _histogram(signal: MetricSignal, stable: MetricValues, canary: MetricValues, c: MetricComparison) -> None:
    total_s = stable.buckets[-1][1] if stable.buckets else 0.0
    total_c = canary.buckets[-1][1] if canary.buckets else 0.0
    if total_s < MIN_OBSERVATIONS or total_c < MIN_OBSERVATIONS:
        _set(c, "NoData", f"{total_s:.0f} stable and {total_c:.0f} canary observations: fewer than "
             f"{MIN_OBSERVATIONS} on a side", None, None)  # fmt: skip
        return
    bounds = sorted({b for b, _ in stable.buckets} & {b for b, _ in canary.buckets})
    worst: tuple[float, float, float, float] | None = None  # (p, effect, q, canary quantile)
    parts = []
    for q in signal.quantiles:
        qs, qc = quantile(stable.buckets, q), quantile(canary.buckets, q)
        if qs is None or qc is None:
            continue
        c.stable[f"p{_q(q)}"], c.canary[f"p{_q(q)}"] = round(qs, 6), round(qc, 6)
        parts.append(f"p{_q(q)} {_fmt(qc, signal.unit)} vs {_fmt(qs, signal.unit)}")
        # The bucket bound holding the stable's quantile: how many canary observations lie above it,
        # against the share of stable observations above it.
        bound = next((b for b in bounds if b >= qs and not math.isinf(b)), None)
        if bound is None:
            continue
        above_s = total_s - _cumulative(stable.buckets, bound)
        above_c = total_c - _cumulative(canary.buckets, bound)
        expected = max(above_s / total_s, 0.5 / total_s)
        p = binomial_upper_tail(round(above_c), round(total_c), min(expected, 1.0))
        effect = _ratio_of(qc, qs)
        big_enough = effect >= signal.min_ratio and qc - qs >= signal.min_delta
        threshold = ALPHA / len(signal.quantiles)
        if big_enough and p < threshold and (worst is None or effect > worst[1]):
            worst = (p, effect, q, qc)
    text = "; ".join(parts) + f" ({total_c:.0f} canary, {total_s:.0f} stable observations)"
    c.stable["count"], c.canary["count"] = round(total_s), round(total_c)
    if worst is not None:
        _set(c, "High", text, worst[0], worst[1])
        return
    median_s, median_c = quantile(stable.buckets, 0.5) or 0.0, quantile(canary.buckets, 0.5) or 0.0
    if _ratio_of(median_s, median_c) >= signal.min_ratio and median_s - median_c >= signal.min_delta:
        _set(c, "Low", text, None, _ratio_of(median_c, median_s))
    else:
        _set(c, "Pass", text, None, _ratio_of(median_c, median_s))


def _q(q: float) -> str:
    return f"{q * 100:g}".replace(".", "")


# ---------------------------------------------------------------- series


def _series(signal: MetricSignal, stable: MetricValues, canary: MetricValues, c: MetricComparison) -> None:
    s, k = stable.samples, canary.samples
    if len(s) < MIN_SAMPLES or len(k) < MIN_SAMPLES:
        _set(c, "NoData", f"{len(s)} stable and {len(k)} canary samples: fewer than {MIN_SAMPLES} on a side",
             None, None)  # fmt: skip
        return
    median_s, median_c = statistics.median(s), statistics.median(k)
    end_s, end_c = _end_level(s), _end_level(k)
    c.stable = {"median": round(median_s, 6), "end": round(end_s, 6), "samples": len(s)}
    c.canary = {"median": round(median_c, 6), "end": round(end_c, 6), "samples": len(k)}
    text = (
        f"canary median {_fmt(median_c, signal.unit)} (end of window {_fmt(end_c, signal.unit)}), "
        f"stable {_fmt(median_s, signal.unit)} ({_fmt(end_s, signal.unit)})"
    )

    def shifted(
        high: list[float], low: list[float], figures: tuple[tuple[float, float], ...]
    ) -> tuple[float, float] | None:
        p = rank_shift_p(low, high)
        if p is None or p >= ALPHA:
            return None
        best = max(figures, key=lambda pair: _ratio_of(*pair))
        if _ratio_of(*best) >= signal.min_ratio and best[0] - best[1] >= signal.min_delta:
            return p, _ratio_of(*best)
        return None

    if found := shifted(k, s, ((median_c, median_s), (end_c, end_s))):
        _set(c, "High", text, found[0], found[1])
    elif found := shifted(s, k, ((median_s, median_c), (end_s, end_c))):
        _set(c, "Low", text, found[0], 1 / found[1] if found[1] else None)
    else:
        _set(c, "Pass", text, rank_shift_p(s, k), _ratio_of(median_c, median_s))


def _end_level(samples: list[float]) -> float:
    tail = samples[-max(1, len(samples) // 4) :]
    return sum(tail) / len(tail)


# ---------------------------------------------------------------- count


def _count(signal: MetricSignal, stable: MetricValues, canary: MetricValues, c: MetricComparison) -> None:
    if stable.count is None and canary.count is None:
        _set(c, "NoData", "no series on either side", None, None)
        return
    count_s, count_c = stable.count or 0.0, canary.count or 0.0
    c.stable, c.canary = {"count": round(count_s, 3)}, {"count": round(count_c, 3)}
    text = f"canary {_fmt(count_c, signal.unit)}, stable {_fmt(count_s, signal.unit)}"
    floor = max(signal.min_delta, 1.0)
    if count_c - count_s >= floor:
        _set(c, "High", text, None, _ratio_of(count_c, count_s))
    elif count_s - count_c >= floor:
        _set(c, "Low", text, None, _ratio_of(count_c, count_s))
    else:
        _set(c, "Pass", text, None, _ratio_of(count_c, count_s))

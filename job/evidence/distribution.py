"""Both sides' duration histograms on one coarse, log-spaced grid: the picture of the latency
distributions in the HTML report. Bounded: at most BINS counts per side whatever the volume."""

from __future__ import annotations

import math

from job.evidence.stats import DurationHistogram
from job.model import LatencyHistogram

BINS = 40
SPAN = 1e4  # the picture covers at most four decades below the slowest request


def latency_histogram(
    stable: DurationHistogram, canary: DurationHistogram, bins: int = BINS
) -> LatencyHistogram | None:
    """None when neither side logged a duration."""
    sides = [h for h in (stable, canary) if h.count]
    if not sides:
        return None
    values = [h.sums[i] / h.buckets[i] for h in sides for i in h.buckets]
    high = max(max(values), 1e-3) * 1.2  # room to the right of the slowest bin
    low = max(min(values), 1e-3, high / SPAN)  # a few 0 ms requests must not squeeze the picture
    if high <= low * 1.05:  # all alike: widen so the bars still have a width
        low, high = low / 1.5, high * 1.5
    low_log, step = math.log(low), (math.log(high) - math.log(low)) / bins
    edges = [round(math.exp(low_log + step * i), 4) for i in range(bins + 1)]

    def counts(h: DurationHistogram) -> list[int]:
        out = [0] * bins
        for index, n in h.buckets.items():
            value = max(h.sums[index] / n, 1e-3)
            out[min(bins - 1, max(0, int((math.log(value) - low_log) / step)))] += n
        return out

    return LatencyHistogram(edges_ms=edges, stable=counts(stable), canary=counts(canary))

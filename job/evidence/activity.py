"""Per-side activity over the window: events, errors, requests, 5xx and 4xx per time slice,
and the tests that tell a canary that went quiet from one that only gets less traffic.

Memory is bounded whatever the input: each side counts events in time buckets whose width
doubles (merging neighbours) whenever more than MAX_BUCKETS are in use, so out-of-order
streams (one pod after another) and any time span fit. At the end both sides are put on
one grid of SLICES equal slices (fewer, of a second each, for a window under a minute) over
the window: the collection window when it is known
(cluster mode), else from the later of the two sides' first lines to the last line seen.

The quiet tests compare the canary with the stable, never with itself, so a canary that
gets 10% of the traffic all along is as active as expected, and a quiet service (both sides
logging little, or both stopping) has too few stable events in the quiet part to mean
anything. Both are conditional binomial tests on the canary's share of the events before
the quiet part:
  * silence: the canary's last event against the window's end, and the stable events since;
  * collapse: the canary's events in the last quarter of the window against its share before.
"""

from __future__ import annotations

import math

from job.evidence.stats import binomial_upper_tail
from job.model import Activity, SideActivity, SideSnapshot

SLICES = 60
MAX_BUCKETS = 4096
TAIL_SHARE = 0.25  # the last part of the window whose activity is compared with the part before
MIN_REQUESTS = 20  # per side in the window before requests (not all events) are compared
KNOWN_WINDOW_SLACK = 120.0  # seconds the lines' times may stray outside a known window (clock skew)
# seconds the canary's lines may run past the stable's last one before the stable's last line ends the
# window (file mode): a canary log taken a little later is the same window; one whose times run far past
# the stable's has a clock or zone change, or a date in a message read as a line's time
BEYOND_STABLE_SLACK = 120.0

_EVENTS, _ERRORS, _REQUESTS, _5XX, _4XX = range(5)


class ActivityCounter:
    """One side's events per time bucket (bounded), and its first and last event times."""

    def __init__(self) -> None:
        self.width = 1.0  # seconds per bucket, doubled as needed
        self.buckets: dict[int, list[int]] = {}
        self.timed = 0
        self.first: float | None = None
        self.last: float | None = None
        self.last_request: float | None = None

    def add(self, when: float, error: bool, status: int | None) -> None:
        self.timed += 1
        first, last = self.first, self.last
        if first is None or when < first:
            self.first = when
        if last is None or when > last:
            self.last = when
        bucket = self.buckets.get(int(when // self.width))
        if bucket is None:
            bucket = self._bucket(when)
        bucket[0] += 1  # _EVENTS
        if error:
            bucket[1] += 1  # _ERRORS
        if status is not None:
            bucket[2] += 1  # _REQUESTS
            if self.last_request is None or when > self.last_request:
                self.last_request = when
            if 500 <= status < 600:
                bucket[3] += 1  # _5XX
            elif 400 <= status < 500:
                bucket[4] += 1  # _4XX

    def _bucket(self, when: float) -> list[int]:
        """A new bucket for `when` (coarser buckets first if there are too many)."""
        if len(self.buckets) >= MAX_BUCKETS:
            self._coarsen()
        key = int(when // self.width)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = [0, 0, 0, 0, 0]
        return bucket

    def _coarsen(self) -> None:
        while len(self.buckets) >= MAX_BUCKETS:
            merged: dict[int, list[int]] = {}
            for key, counts in self.buckets.items():
                into = merged.get(key // 2)
                if into is None:
                    merged[key // 2] = counts
                else:
                    for i, n in enumerate(counts):
                        into[i] += n
            self.buckets = merged
            self.width *= 2

    def count(self, series: int, start: float, end: float) -> int:
        """Events of a series in buckets whose middle lies in (start, end]."""
        width = self.width
        return sum(
            counts[series] for key, counts in self.buckets.items() if start < (key + 0.5) * width <= end
        )

    def last_by(self, series: int, end: float) -> float | None:
        """The end of the latest bucket holding events of a series whose middle is at or before `end`
        (never past `end`), or None: the side's last event within a window that ends before its own."""
        width, latest = self.width, None
        for key, counts in self.buckets.items():
            if counts[series] and (key + 0.5) * width <= end and (latest is None or key > latest):
                latest = key
        return None if latest is None else min((latest + 1) * width, end)


def build_activity(
    stable: ActivityCounter, canary: ActivityCounter, stable_side: SideSnapshot, canary_side: SideSnapshot
) -> tuple[Activity | None, str | None]:
    """Both sides on one grid, with the quiet tests; None when no line carried a time. The
    second value is a note for the reader when the times could not be used as they are (or not
    at all: a canary that went quiet cannot be seen then, and the reader is told so)."""
    if not stable.timed and not canary.timed:
        return None, _untimed_note("the log lines of both sides")
    window, note = _window(stable, canary, stable_side, canary_side)
    start, end, kind = window
    span = max(end - start, 1.0)
    slices = min(
        SLICES, max(1, math.ceil(span))
    )  # slices of at least a second: many logs write whole seconds
    slice_seconds = span / slices
    activity = Activity(
        start=start,
        end=start + span,
        slice_seconds=slice_seconds,
        window=kind,
        stable=_slices(stable, start, slice_seconds, slices),
        canary=_slices(canary, start, slice_seconds, slices),
    )
    both = stable.timed and canary.timed
    # closed: a canary that logged only within one second (then hung) lies inside the stable's span
    overlap = both and max(stable.first, canary.first) <= min(stable.last, canary.last)  # type: ignore[type-var]
    if overlap or (both and kind == "known"):
        if kind == "lines" and end < canary.last:  # type: ignore[operator]
            activity.canary_beyond = canary.count(_EVENTS, end + canary.width, math.inf)
            note = (
                f"{activity.canary_beyond} canary event(s) are timed up to {_span(canary.last - end)} after "  # type: ignore[operator]
                "the stable's last line (its log taken later, a clock or time-zone change, or a date in a "
                "message read as a line's time?): the canary's activity is judged up to the stable's last"
                " line"
            )
        _quiet_tests(activity, stable, canary)
    elif both:
        note = note or (
            "the stable's and the canary's log lines cover different times (recorded one after the other, "
            "or one side writes local time without a zone?): their activity is shown, not compared, so a "
            "canary that went quiet cannot be seen"
        )
    else:
        note = _untimed_note(
            "the stable's log lines (not the canary's)"
            if canary.timed
            else "the canary's log lines (not the stable's)"
        )
    return activity, note


def _untimed_note(lines: str) -> str:
    """Why a canary that went quiet cannot be seen: `lines` (whose) carry no time the clock reads."""
    return (
        f"{lines} carry no time the clock reads, so whether the canary went quiet (stopped logging while "
        "the stable went on) cannot be told (in file mode, take the logs with `kubectl logs --timestamps`)"
    )


def _span(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds:.0f} s"


def _window(
    stable: ActivityCounter, canary: ActivityCounter, stable_side: SideSnapshot, canary_side: SideSnapshot
) -> tuple[tuple[float, float, str], str | None]:
    firsts = [c.first for c in (stable, canary) if c.first is not None]
    lasts = [c.last for c in (stable, canary) if c.last is not None]
    end_known = canary_side.window_end or stable_side.window_end
    seconds = canary_side.window_seconds or stable_side.window_seconds
    if end_known and seconds:
        start = end_known - seconds
        inside = min(firsts) >= start - KNOWN_WINDOW_SLACK and max(lasts) <= end_known + KNOWN_WINDOW_SLACK
        if inside:
            return (start, end_known, "known"), None
        note = (
            "the log lines' own times fall outside the collection window (a time zone or clock "
            "difference?): activity is measured from the lines' first to last time"
        )
    else:
        note = None
    start = max(firsts)  # from when both sides were logging: a stable's older history is not compared
    end = max(lasts)
    if start > min(lasts):  # the sides do not overlap: show all of both
        start = min(firsts)
    elif (
        stable.last is not None
        and canary.last is not None
        and canary.last > stable.last + BEYOND_STABLE_SLACK
    ):
        # the stable is the reference: a canary time far past its last line (a stray date in a message,
        # a clock jump) must not stretch the window until a canary that went quiet looks busy
        end = max(stable.last, start)
    return (start, end, "lines"), note


def _slices(counter: ActivityCounter, start: float, slice_seconds: float, slices: int) -> SideActivity:
    grid = [[0] * slices for _ in range(5)]
    width = counter.width
    for key, counts in counter.buckets.items():
        index = int(((key + 0.5) * width - start) // slice_seconds)
        if index == slices:  # the very end of the window
            index -= 1
        if 0 <= index < slices:
            for series, n in enumerate(counts):
                grid[series][index] += n
    return SideActivity(
        events=grid[_EVENTS],
        errors=grid[_ERRORS],
        requests=grid[_REQUESTS],
        http_5xx=grid[_5XX],
        http_4xx=grid[_4XX],
        timed=counter.timed,
        first=counter.first,
        last=counter.last,
    )


def _quiet_tests(activity: Activity, stable: ActivityCounter, canary: ActivityCounter) -> None:
    start, end = activity.start, activity.end
    by_requests = (
        sum(activity.stable.requests) >= MIN_REQUESTS and sum(activity.canary.requests) >= MIN_REQUESTS
    )
    series = _REQUESTS if by_requests else _EVENTS
    activity.unit = "requests" if by_requests else "events"
    # a process logs its start-up in a burst: without requests to count, the first slice is left out
    base_start = start if by_requests else start + activity.slice_seconds
    tail_seconds = (end - start) * TAIL_SHARE
    for side, counter in ((activity.stable, stable), (activity.canary, canary)):
        side.tail_per_minute = round(counter.count(series, end - tail_seconds, end) * 60 / tail_seconds, 2)
    activity.concurrent_share = _concurrent_share(activity, series, end - tail_seconds)

    canary_last = canary.last_request if by_requests else canary.last
    if canary_last is not None and canary_last > end:  # its times run past the window (see _window)
        canary_last = canary.last_by(series, end)
    if canary_last is not None:
        # split where the canary's last bucket ends: both sides' events of that second count before it
        split = min((canary_last // canary.width + 1) * canary.width, end)
        stable_base = stable.count(series, base_start, split)
        canary_base = canary.count(series, base_start, split)
        share = _share(canary_base, stable_base) if canary_last > base_start else None
        quiet = stable.count(series, split, end)
        activity.quiet_seconds = round(max(0.0, end - canary_last), 3)
        activity.stable_while_quiet = quiet
        if share is not None:
            activity.expected_while_quiet = round(quiet * share / (1 - share), 2)
            activity.quiet_p_value = (1 - share) ** quiet
        # else its share before the silence cannot be measured (it logged only at its start, or only
        # where the stable logged nothing): the rule weighs the silence on its own

    cut = end - tail_seconds
    stable_base = stable.count(series, base_start, cut)
    canary_base = canary.count(series, base_start, cut)
    share = _share(canary_base, stable_base)
    if share is not None:
        stable_tail = stable.count(series, cut, end)
        canary_tail = canary.count(series, cut, end)
        activity.tail_seconds = round(tail_seconds, 3)
        activity.canary_tail = canary_tail
        activity.expected_tail = round(stable_tail * share / (1 - share), 2)
        activity.tail_p_value = binomial_lower_tail(canary_tail, canary_tail + stable_tail, share)


def _share(canary: int, stable: int) -> float | None:
    """The canary's share of both sides' events; None when it cannot be tested (no events, or
    no stable events to see a silence against)."""
    if canary <= 0 or stable <= 0:
        return None
    return canary / (canary + stable)


def _concurrent_share(activity: Activity, series: int, before: float) -> float:
    """Of the canary's events before `before`, the share in slices where the stable logged too.

    Logs of the two sides recorded at different times (one pod after another) cannot show a
    canary going quiet; logs recorded side by side put nearly every canary event in a slice
    where the busier stable was logging as well."""
    pick = {_EVENTS: "events", _REQUESTS: "requests"}[series]
    stable_slices: list[int] = getattr(activity.stable, pick)
    canary_slices: list[int] = getattr(activity.canary, pick)
    last = int((before - activity.start) // activity.slice_seconds)
    total = together = 0
    for index in range(min(last, len(canary_slices))):
        total += canary_slices[index]
        if stable_slices[index]:
            together += canary_slices[index]
    return round(together / total, 3) if total else 0.0


def binomial_lower_tail(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), exact for small values (by the upper tail of n - X)."""
    if k >= n:
        return 1.0
    return binomial_upper_tail(n - k, n, 1 - p)

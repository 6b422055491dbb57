"""Evidence stage: Snapshot in, Evidence out.

bytes -> lines (lines.py) -> secrets redacted (redact.py) -> events (events.py, parse.py)
-> templates (templates.py) -> per-side counts -> rates and tests (compare.py) -> bounded Evidence.
Redaction comes before anything reads a line, so nothing kept or mined can hold a secret.
Memory grows with the number of templates, never with the number of lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from job.errors import AnalysisError
from job.evidence.activity import ActivityCounter, build_activity
from job.evidence.clock import LineClock
from job.evidence.compare import EXAMPLES_PER_TEMPLATE, TemplateCounts, compare_templates, select_templates
from job.evidence.distribution import latency_histogram
from job.evidence.events import Event, group_events
from job.evidence.lines import MAX_LINE_BYTES, LineReader
from job.evidence.loss import account, loss_note
from job.evidence.metrics import compare_metrics
from job.evidence.redact import LineRedactor, redact
from job.evidence.restarts import StreamStarts, is_startup
from job.evidence.stats import DurationHistogram, binomial_upper_tail, tail_excess
from job.evidence.templates import TemplateIndex
from job.model import (
    DurationStats,
    Evidence,
    LogStream,
    PodSignal,
    SideSnapshot,
    SideStats,
    Snapshot,
    TemplateStat,
)

EXAMPLE_CHARS = 600
EXAMPLE_EXTRA_LINES = 6
CRASH_EXAMPLES = 3
MIN_DURATIONS = 20
_ERROR_LEVELS = frozenset(("error", "fatal"))

__all__ = ["build_evidence", "derive_shares", "redact"]


class _Side:
    """Running totals of one side; everything here is bounded except `levels`/`status` keys."""

    def __init__(self, canary: bool) -> None:
        self.canary = canary
        self.stats = SideStats()
        self.durations = DurationHistogram()
        self.activity = ActivityCounter()
        self.status: dict[int, int] = {}  # HTTP status -> requests (SideStats keys them as text at the end)
        # crash events per template, so a new kind of crash shows even when the stable crashes too
        self.crash_kinds: dict[int, int] = {}
        self.crash_first: dict[int, str] = {}
        self.startup: dict[int, bool] = {}  # template id -> its records say the program just started

    def add(self, event: Event, counts: dict[tuple[int, str], TemplateCounts], cluster_id: int) -> None:
        stats = self.stats
        parsed = event.parsed
        level = parsed.level
        stats.events += 1
        stats.lines += event.lines
        stats.levels[level] = stats.levels.get(level, 0) + 1
        status = parsed.status
        if status is not None:
            self.status[status] = self.status.get(status, 0) + 1
        if parsed.duration_ms is not None:
            self.durations.add(parsed.duration_ms)
        if event.crash:
            stats.crashes += 1
            self.crash_kinds[cluster_id] = self.crash_kinds.get(cluster_id, 0) + 1
            if cluster_id not in self.crash_first and len(self.crash_first) < 4 * CRASH_EXAMPLES:
                self.crash_first[cluster_id] = _example(event, 20)
            if len(stats.crash_examples) < CRASH_EXAMPLES:
                named = parsed.message if parsed.message.startswith(("Traceback: ", "uncaught: ")) else None
                text = _example(event, 20)
                stats.crash_examples.append(f"{named}\n{text}" if named else text)
        key = (cluster_id, level)
        entry = counts.get(key)
        if entry is None:
            entry = counts[key] = TemplateCounts()
        if event.crash:
            entry.crashes += 1
        if self.canary:
            entry.canary += 1
            if len(entry.examples) < EXAMPLES_PER_TEMPLATE:
                entry.examples.append(_example(event))
        else:
            entry.stable += 1
            if len(entry.stable_examples) < EXAMPLES_PER_TEMPLATE:
                entry.stable_examples.append(_example(event))


def _example(event: Event, extra_lines: int = EXAMPLE_EXTRA_LINES) -> str:
    """The head, the first continuation lines and the last kept one (a traceback's exception)."""
    text = event.head
    extra = event.extra
    if extra:
        text += "\n" + "\n".join(extra[:extra_lines])
        hidden = event.lines - 1 - extra_lines
        if hidden > 0:
            text += f"\n... ({hidden - 1} more lines)\n{extra[-1]}" if hidden > 1 else f"\n{extra[-1]}"
    if len(text) <= EXAMPLE_CHARS:
        return text
    tail = text[text.rfind("\n") :] if extra and hidden > 0 else ""  # keep the exception line
    return text[: EXAMPLE_CHARS - len(tail) - 4] + " ..." + tail[: EXAMPLE_CHARS // 3]


def _chunks(stream: LogStream) -> Iterator[bytes]:
    """The stream's chunks; any failure while reading becomes an AnalysisError naming it."""
    try:
        yield from stream.open()
    except AnalysisError:
        raise
    except Exception as error:
        raise AnalysisError(f"could not read log stream {stream.name}: {error}") from error


# Events go through the steps below a batch at a time: each step (template ids, counts, times) runs
# over the whole batch before the next one starts, so its code and tables (the template tree, the
# stream clock's formats) stay in the CPU's caches instead of being pushed out by the other steps on
# every event. The steps' results do not depend on the batch's size; the time does (docs/analysis.md,
# seventh pass). A batch also ends once it holds BATCH_CHARS of text, so long lines (up to
# MAX_LINE_BYTES each) keep the memory held to about one event's, as without batches.
BATCH_EVENTS = 256
BATCH_CHARS = 1 << 20


def _batches(events: Iterator[Event], requests_only: bool) -> Iterator[list[Event]]:
    """The stream's events in order, BATCH_EVENTS (or BATCH_CHARS of text) at a time;
    `requests_only`: a mesh proxy's stream, whose own lines (no HTTP status) are left out."""
    batch: list[Event] = []
    held = 0
    for event in events:
        if requests_only and event.parsed.status is None:
            continue
        batch.append(event)
        held += len(event.head)
        if event.extra:
            held += sum(map(len, event.extra))
        if len(batch) == BATCH_EVENTS or held >= BATCH_CHARS:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


class _StreamTimes:
    """One stream's event times in order, read by its clock: counted into its side's activity and
    given to the stream's start-up detector."""

    def __init__(self, activity: ActivityCounter) -> None:
        self.time_of = LineClock().time
        self.active = activity.add
        self.starts = StreamStarts()
        self.events = 0
        self.latest, self.earliest = float("-inf"), None

    def read(self, batch: list[Event], startups: list[bool]) -> None:
        """`startups`: for each event, whether its record says the program just started."""
        time_of, active, starts = self.time_of, self.active, self.starts
        position, latest, earliest = self.events, self.latest, self.earliest
        for event, started in zip(batch, startups, strict=True):
            parsed = event.parsed
            # the runtime's time (kubectl logs --timestamps) when the head line had it, else the record's own
            when = time_of(event.stamp or event.head)
            if started:
                starts.start_line(position, parsed.message, when, latest, earliest)
            elif starts.first_request is None and parsed.status is not None:
                starts.first_request = position
            position += 1
            if when is not None:
                active(when, parsed.level in _ERROR_LEVELS, parsed.status)
                if when > latest:
                    latest = when
                    if earliest is None:
                        earliest = when
        self.events, self.latest, self.earliest = position, latest, earliest


def _read_side(
    side: SideSnapshot, acc: _Side, index: TemplateIndex, counts: dict[tuple[int, str], TemplateCounts]
) -> None:
    id_for, request_id = index.id_for, index.request_id
    add, startup, other_ids = acc.add, acc.startup, index.other_ids
    for stream in side.streams:
        reader = LineReader(_chunks(stream), MAX_LINE_BYTES, clean=LineRedactor().batch)
        times = _StreamTimes(acc.activity)
        for batch in _batches(group_events(reader), stream.requests_only):
            ids = [
                request_id(parsed.message, parsed.level)
                if parsed.request
                else id_for(parsed.message or "(empty)", parsed.level)
                for parsed in [event.parsed for event in batch]
            ]
            startups = []
            for event, cluster_id in zip(batch, ids, strict=True):
                add(event, counts, cluster_id)
                started = startup.get(cluster_id)
                if started is None:  # once per template: is it a start-up line? (each "other shapes" line)
                    started = is_startup(event.parsed)
                    if cluster_id not in other_ids:
                        startup[cluster_id] = started
                startups.append(started)
            times.read(batch, startups)
        timed, untimed, examples = times.starts.restarts(times.events)
        if timed or untimed:
            acc.stats.log_restarts += timed + untimed
            acc.stats.log_restarts_untimed += untimed
            kept = acc.stats.log_restart_examples
            for example in map(redact, examples):
                if len(kept) < 2 and example not in kept:
                    kept.append(example)
        acc.stats.streams += 1
        acc.stats.bytes += reader.bytes
        acc.stats.cut_lines += reader.cut_lines
        acc.stats.loss.bytes += reader.cut_bytes


def derive_shares(stats: SideStats) -> None:
    """A side's request count, error-level share and HTTP 4xx/5xx shares, from its level and status
    counts (the evidence builder, and the acknowledge step after it takes known noise out)."""
    stats.error_share = (
        (stats.levels.get("error", 0) + stats.levels.get("fatal", 0)) / stats.events if stats.events else 0.0
    )
    stats.requests = sum(stats.http_status.values())
    by_class = {"4": 0, "5": 0}
    for code, n in stats.http_status.items():
        if code[:1] in by_class:
            by_class[code[:1]] += n
    stats.http_5xx_share = by_class["5"] / stats.requests if stats.requests else 0.0
    stats.http_4xx_share = by_class["4"] / stats.requests if stats.requests else 0.0


def _finish_side(acc: _Side, side: SideSnapshot, counts: Iterable[TemplateCounts]) -> SideStats:
    stats = acc.stats
    stats.pods = list(side.pods)
    stats.http_status = {str(code): n for code, n in acc.status.items()}
    stats.loss = account(side.loss, stats)
    stats.signals = [
        PodSignal(pod=s.pod, kind=s.kind, count=s.count, message=redact(s.message)[:EXAMPLE_CHARS], at=s.at)
        for s in side.signals
    ]
    derive_shares(stats)
    if acc.durations.count:
        d = acc.durations
        stats.durations = DurationStats(
            count=d.count,
            p50_ms=round(d.percentile(0.50), 3),
            p90_ms=round(d.percentile(0.90), 3),
            p99_ms=round(d.percentile(0.99), 3),
            mean_ms=round(d.total / d.count, 3),
            p999_ms=round(d.percentile(0.999), 3),
            max_ms=round(d.max, 3),
        )
    stats.templates = sum(1 for c in counts if (c.canary if acc.canary else c.stable))
    return stats


def build_evidence(
    snapshot: Snapshot,
    keep: Callable[[TemplateStat], bool] | None = None,
    must_mine: Callable[[str, str], bool] | None = None,
) -> Evidence:
    """`keep`: templates to keep in the Evidence beyond its usual selection (see select_templates);
    `must_mine`: shapes mined past the template budget (see TemplateIndex)."""
    index = TemplateIndex(must_mine=must_mine)
    counts: dict[tuple[int, str], TemplateCounts] = {}
    stable, canary = _Side(canary=False), _Side(canary=True)
    _read_side(snapshot.stable, stable, index, counts)
    index.next_side()
    _read_side(snapshot.canary, canary, index, counts)
    stable_stats = _finish_side(stable, snapshot.stable, counts.values())
    canary_stats = _finish_side(canary, snapshot.canary, counts.values())
    for (template_id, _), c in counts.items():
        if template_id in index.other_ids:
            stable_stats.other_shapes += c.stable
            canary_stats.other_shapes += c.canary
    new_kinds = [kind for kind in canary.crash_kinds if kind not in stable.crash_kinds]
    canary_stats.new_crashes = sum(canary.crash_kinds[kind] for kind in new_kinds)
    canary_stats.new_crash_examples = [
        redact(canary.crash_first[kind]) for kind in new_kinds if kind in canary.crash_first
    ][:CRASH_EXAMPLES]

    names = {cluster_id: index.template(cluster_id) or "" for cluster_id, _ in counts}
    all_templates, tested = compare_templates(counts, names, stable_stats.events, canary_stats.events)
    chosen = select_templates(all_templates, keep=keep)

    above, latency_p = _latency_shift(stable.durations, canary.durations)
    notes = list(snapshot.notes)
    activity, activity_note = build_activity(
        stable.activity, canary.activity, snapshot.stable, snapshot.canary
    )
    if activity_note:
        notes.append(activity_note)
    for name, stats in (("stable", stable_stats), ("canary", canary_stats)):
        if stats.cut_lines:
            notes.append(f"{name}: {stats.cut_lines} lines longer than {MAX_LINE_BYTES // 1024} KiB were cut")
        if stats.other_shapes:
            notes.append(
                f"{name}: {stats.other_shapes} of {stats.events} events were new shapes past the budget "
                f"of {index.side_budget} per side, or came while most of its lines were new shapes "
                "(free text, payloads, binary?): counted as other shapes"
            )
        lost = loss_note(name, stats.loss)
        if lost:
            notes.append(lost)
    if len(all_templates) > len(chosen):
        notes.append(f"{len(chosen)} of {len(all_templates)} templates kept (problems and changes first)")
    return Evidence(
        stable=stable_stats,
        canary=canary_stats,
        templates=chosen,
        template_total=len(all_templates),
        notes=[redact(note) for note in notes],
        tested_templates=tested,
        latency_p_value=latency_p,
        canary_above_stable_p90=above,
        **_tail(stable.durations, canary.durations),
        activity=activity,
        metrics=compare_metrics(snapshot.metrics),
        latency_histogram=latency_histogram(stable.durations, canary.durations),
    )


def _latency_shift(stable: DurationHistogram, canary: DurationHistogram) -> tuple[float | None, float | None]:
    """Share of canary durations above the stable p90, and the p-value that it exceeds 10%."""
    if stable.count < MIN_DURATIONS or canary.count < MIN_DURATIONS:
        return None, None
    above = canary.count_above(stable.percentile(0.90))
    return above / canary.count, binomial_upper_tail(above, canary.count, 0.10)


def _tail(stable: DurationHistogram, canary: DurationHistogram) -> dict[str, float]:
    """The tail test's Evidence fields (none below MIN_DURATIONS on a side)."""
    if stable.count < MIN_DURATIONS or canary.count < MIN_DURATIONS:
        return {}
    tail = tail_excess(stable, canary)
    return {
        "tail_threshold_ms": round(tail.threshold_ms, 3),
        "canary_above_stable_tail": tail.above / canary.count,
        "tail_expected_share": tail.expected_share,
        "tail_p_value": tail.p_value,
    }

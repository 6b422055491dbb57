"""Deterministic findings: one function per signal, all in one registry.

Each rule reads the Evidence and returns Findings; none calls another. Thresholds are
named constants so the table in docs/analysis.md and the code cannot drift apart. A rule that
compares sides needs a minimum count and a significant one-sided test before it can
raise anything above `minor`, so noise (a new request id, a changed colour string, an
info line that only the canary prints) never fails a canary.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from job.evidence.stats import TAIL_MIN_STABLE, binomial_upper_tail, rate_increase_p
from job.evidence.templates import is_other_shapes
from job.judge.excerpt import headline
from job.model import Evidence, Finding, FindingSide, Severity, SideStats, TemplateStat

Rule = Callable[[Evidence], list[Finding]]
RULES: dict[str, Rule] = {}
# Where a rule's evidence comes from (the finding's `source`); every other rule reads the logs.
SOURCES: dict[str, str] = {"pod_signals": "pods", "metrics": "metrics"}

MIN_EVENTS = 30  # per side, below this no verdict can be "pass" (unless both sides are quiet alike)
# A quiet service (a database, a worker) logs its lifecycle, not its traffic: when both sides log at
# least MIN_QUIET_EVENTS and the canary about as much as the stable, the volume is normal, not thin.
MIN_QUIET_EVENTS = 20
QUIET_PARITY = 0.8
MIN_REQUESTS = 20  # per side, for HTTP status shares
MIN_ERRORS = 5  # canary error events before an error-share finding is more than minor
# ...or this many when errors are most of what the canary logs (a start-up failure, restarted)
MIN_DOMINANT_ERRORS = 3
ALPHA = 0.01  # one-sided significance for side-level tests (a handful of tests, no correction)
NEW_ERROR_BURST = 5  # canary events of error templates that stable never printed
CRASH_SIGNALS = {"oomkilled", "crashloopbackoff", "imagepullbackoff", "errimagepull", "createcontainererror",
                 "createcontainerconfigerror", "runcontainererror"}  # fmt: skip
MAJOR_SIGNALS = {"restart", "not_ready", "evicted", "failed", "unschedulable"}
MAX_TEMPLATE_FINDINGS = 5
ONLY_ROUTE = 0.95  # a route with this share of the canary's requests is named without a concentration test
_HTTP_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
# a warning that names a failure or an exhausted resource, new in the canary and at least this share
# of its events: many servers log refused logins, dead backends or memory pressure as warnings
FAILING_WARNING_SHARE = 0.01
_FAILED = (
    r"denied|refused|fail|unable to|cannot|can't|could not|couldn't|timed? ?out|unavailable|unreachable"
    r"|rejected|abort|exceeded|exhausted|no server|not available|is down|lost connection|reset by peer"
    r"|broken pipe|gave up|giving up|no such host|error|exception|no space|too many|retrying|will retry"
)
FAILURE_WORDS = re.compile(_FAILED + r"|heap|memory|\boom\b|gc overhead", re.I)
# A line with no level at all (Go's `log`, print statements) that says a call failed: Go's errors
# rarely say "error" (`charge 42: dial tcp 10.0.0.8:443: connect: connection refused`, `context
# deadline exceeded`). Judged like a failing warning; resource words (heap, memory) are left out:
# a plain line may report them as routine figures.
PLAIN_FAILURE_WORDS = re.compile(_FAILED, re.I)
# a canary that goes quiet: the canary's events in the quiet part against its share before it
QUIET_ALPHA = 0.001  # a handful of looks at one question: strict, so chance silences never fire
QUIET_MIN_EXPECTED = 10  # canary events expected in the quiet part before silence means anything
QUIET_FAIL_EXPECTED = 20  # ...and before it is a failure rather than a doubt
QUIET_MIN_SPAN = 0.10  # a silence must last this share of the window
QUIET_FAIL_SPAN = 0.25
QUIET_MIN_SECONDS = 30.0  # ...and this long (log times are often whole seconds; a pause is no hang)
QUIET_FAIL_SECONDS = 60.0
COLLAPSE_RATIO = 0.25  # the canary's tail activity at most this share of what was expected
COLLAPSE_FAIL_RATIO = 0.10
# canary events timed past the stable's last line (file mode): a few are dates in messages read as a
# line's time; more are a clock or zone change, which leaves a silence a doubt, not a failure
STRAY_TIMES, STRAY_SHARE = 2, 0.01
MIN_CONCURRENT = 0.8  # share of canary events logged while the stable logged too (sides recorded together)
# Even a minor one leaves the verdict inconclusive: a canary that went quiet, required metrics missing.
NEVER_PASS_KINDS = frozenset({"quiet-canary", "metric-no-data", "metrics-unavailable"})
MIN_TIMED = 20  # durations per side before latency is compared
SLOW_WITHOUT_BASELINE_MS = 1000.0  # canary median that is slow whatever the stable did
# the tail: at least this many canary requests above the stable p99, and its p99 this much slower
TAIL_MIN_SLOW = 3
TAIL_MAJOR_RATIO, TAIL_MAJOR_DELTA_MS = 3.0, 100.0
TAIL_MINOR_RATIO, TAIL_MINOR_DELTA_MS = 2.0, 20.0
# restarts seen in the canary's own log (its start-up line again; file mode has no restart count):
# this many fail it, unless the stable restarts about as often per stream (both sides alike)
LOG_RESTARTS_MAJOR = 2
# ...or this many per log without times (`kubectl logs -l` of a few pods, one after another, cannot be
# told from restarts without them)
LOG_RESTARTS_UNTIMED_MAJOR = 5
LOG_RESTARTS_ALIKE = 2.0  # canary restarts per stream at most this many times the stable's: alike
OTHER_SHAPES_JUMP = 0.10  # canary share of never-seen shapes above the stable's before it is noted


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(func: Rule) -> Rule:
        RULES[name] = func
        return func

    return register


def run_rules(evidence: Evidence) -> list[Finding]:
    findings: list[Finding] = []
    for name, check in RULES.items():
        for finding in check(evidence):
            finding.source = SOURCES.get(name, "logs")
            findings.append(finding)
    return sorted(findings, key=lambda f: -_RANK[f.severity])


_RANK = {"critical": 3, "major": 2, "minor": 1, "info": 0}


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%" if 0 < share < 0.1 else f"{share * 100:.0f}%"


def error_events(side: SideStats) -> int:
    """The side's error- and fatal-level events."""
    return side.levels.get("error", 0) + side.levels.get("fatal", 0)


def status_class(side: SideStats, first: str) -> int:
    """The side's responses whose status code starts with `first` ("5": the 5xx)."""
    return sum(n for code, n in side.http_status.items() if code.startswith(first))


def refs(templates: list[TemplateStat], limit: int = 3) -> list[dict[str, str]]:
    """What to copy into an acknowledge file for each template a finding is about (the busiest
    `limit`; never the "other shapes" bucket, which is no one message)."""
    return [{"template": t.key, "pattern": t.template} for t in templates if not is_other_shapes(t.template)][
        :limit
    ]


def _template_examples(templates: list[TemplateStat], limit: int = 3) -> list[str]:
    examples: list[str] = []
    for template in templates:
        examples.extend(template.examples[:1])
    return examples[:limit]


# ---------------------------------------------------------------- crashes


@rule("crash")
def crash(evidence: Evidence) -> list[Finding]:
    """Panics, uncaught tracebacks and fatal logs in the canary: the process went down."""
    canary, stable = evidence.canary, evidence.stable
    findings: list[Finding] = []
    if canary.crashes:
        p = rate_increase_p(stable.crashes, canary.crashes, max(stable.events, 1), max(canary.events, 1))
        # a kind of crash the stable never had is new, whatever the stable's own crash rate
        new = stable.crashes == 0 or (p is not None and p < ALPHA) or canary.new_crashes > 0
        severity: Severity = "critical" if new else "minor"
        where = f"stable {stable.crashes}" if stable.crashes else "stable none"
        if canary.new_crashes and stable.crashes:
            where += f"; {canary.new_crashes} of a kind the stable never had"
        shown = canary.new_crash_examples or canary.crash_examples
        first = headline(shown[0]) if shown else ""
        findings.append(
            Finding(
                kind="crash",
                severity=severity,
                side="canary",
                message=f"canary has {canary.crashes} crash/fatal event(s), first: {first[:160]}; {where}"
                + ("" if new else " (at a similar rate: not new in this version)"),
                count=canary.crashes,
                examples=shown[:2],
            )
        )
    if stable.crashes and not canary.crashes:
        findings.append(
            Finding(
                kind="crash",
                severity="info",
                side="stable",
                message=f"stable has {stable.crashes} crash/fatal event(s); the canary none",
                count=stable.crashes,
                examples=stable.crash_examples[:1],
            )
        )
    return findings


# ---------------------------------------------------------------- HTTP status


def _failing_requests(evidence: Evidence, first: str) -> list[TemplateStat]:
    """Request templates ("GET /color 500") of this status class in the canary, busiest first."""
    found = [
        t
        for t in evidence.templates
        if t.canary and t.template[-3:].isdigit() and t.template[-3] == first and t.template[-4:-3] == " "
    ]
    return sorted(found, key=lambda t: -t.canary)


def _route(template: TemplateStat) -> str | None:
    """ "GET /api/items/<NUM>" of a request template "GET /api/items/<NUM> 500", else None."""
    route, _, status = template.template.rpartition(" ")
    return route if status.isdigit() and route.split(" ", 1)[0] in _HTTP_METHODS else None


def _concentrating_route(evidence: Evidence, failing: list[TemplateStat], bad: int) -> str | None:
    """ "most on <route> (n of N)" when one route holds at least half of the failing requests and
    fails significantly more often than its share of the traffic would give it (exact binomial: its
    failures among all failures, against its share of the canary's requests). Errors spread evenly
    over the routes name none."""
    by_route: dict[str, int] = {}
    for template in failing:
        route = _route(template)
        if route is not None:
            by_route[route] = by_route.get(route, 0) + template.canary
    if not by_route or bad < MIN_ERRORS:
        return None
    route, on_route = max(by_route.items(), key=lambda item: item[1])
    traffic = sum(t.canary for t in evidence.templates if _route(t) == route)
    requests = max(evidence.canary.requests, 1)
    share = min(1.0, traffic / requests)
    if 2 * on_route < bad or (share < ONLY_ROUTE and binomial_upper_tail(on_route, bad, share) >= ALPHA):
        return None  # (a route with nearly all the traffic is named: it is where the errors are)
    return f"most on {route[:120]} ({on_route} of {bad}, {_pct(traffic / requests)} of requests)"


def _http_share(evidence: Evidence, first: str, kind: str, critical_delta: float | None) -> list[Finding]:
    canary, stable = evidence.canary, evidence.stable
    bad_c, bad_s = status_class(canary, first), status_class(stable, first)
    share_c = bad_c / canary.requests if canary.requests else 0.0
    share_s = bad_s / stable.requests if stable.requests else 0.0
    numbers = (
        f"canary returns HTTP {first}xx on {_pct(share_c)} of requests ({bad_c}/{canary.requests}); "
        f"stable {_pct(share_s)} ({bad_s}/{stable.requests})"
    )
    if bad_c == 0 and bad_s == 0:
        return []
    failing = _failing_requests(evidence, first)
    route = _concentrating_route(evidence, failing, bad_c)
    if route is not None:
        numbers += f"; {route}"
    examples = _template_examples(failing)
    related = refs(failing)
    if canary.requests < MIN_REQUESTS:
        if bad_c >= 3 and share_c >= 0.5 and share_c > share_s + 0.25:
            return [
                Finding(
                    kind, "major", "canary", numbers + " (few requests)", bad_c, examples, templates=related
                )
            ]
        return []
    if stable.requests < MIN_REQUESTS:  # no baseline: judge the canary's share on its own
        severity: Severity | None = None
        if critical_delta is not None and share_c >= 0.5:
            severity = "critical"
        elif share_c >= 0.1 and bad_c >= 5:
            severity = "major" if first == "5" else "minor"
        note = f" (stable has only {stable.requests} requests to compare)"
        found = (
            Finding(kind, severity, "canary", numbers + note, bad_c, examples, templates=related)
            if severity
            else None
        )
        return [found] if found else []
    p = rate_increase_p(bad_s, bad_c, stable.requests, canary.requests)
    delta = share_c - share_s
    if p is not None and p < ALPHA and bad_c >= 3:
        if critical_delta is not None and delta >= critical_delta:
            severity = "critical"
        elif delta >= (0.02 if first == "5" else 0.10) and share_c >= 2 * share_s:
            severity = "major"
        else:
            severity = "minor"
        return [Finding(kind, severity, "canary", numbers, bad_c, examples, templates=related)]
    p_stable = rate_increase_p(bad_c, bad_s, canary.requests, stable.requests)
    if p_stable is not None and p_stable < ALPHA and share_s - share_c >= 0.02:
        return [Finding(kind, "info", "stable", numbers + ": the stable is worse", bad_s)]
    return []


@rule("http_5xx")
def http_5xx(evidence: Evidence) -> list[Finding]:
    """Server errors: a higher 5xx share in the canary than in the stable."""
    return _http_share(evidence, "5", "http-5xx", critical_delta=0.20)


@rule("http_4xx")
def http_4xx(evidence: Evidence) -> list[Finding]:
    """Client errors: a canary that 404s or 400s on what stable served (never critical alone)."""
    return _http_share(evidence, "4", "http-4xx", critical_delta=None)


# ---------------------------------------------------------------- log levels and templates


@rule("error_share")
def error_share(evidence: Evidence) -> list[Finding]:
    """A larger share of error/fatal events in the canary than in the stable."""
    canary, stable = evidence.canary, evidence.stable
    err_c, err_s = error_events(canary), error_events(stable)
    if (err_c == 0 and err_s == 0) or not canary.events or not stable.events:
        return []
    share_c, share_s = err_c / canary.events, err_s / stable.events
    numbers = (
        f"error-level share: canary {_pct(share_c)} ({err_c}/{canary.events} events), "
        f"stable {_pct(share_s)} ({err_s}/{stable.events})"
    )
    p = rate_increase_p(err_s, err_c, stable.events, canary.events)
    delta = share_c - share_s
    enough = err_c >= MIN_ERRORS or (err_c >= MIN_DOMINANT_ERRORS and share_c >= 0.5)
    if p is not None and p < ALPHA and enough:
        if delta >= 0.25:
            severity: Severity = "critical"
        elif delta >= 0.03 and share_c >= 2 * share_s:
            severity = "major"
        else:
            severity = "minor"
        top = [t for t in evidence.templates if t.level in ("error", "fatal") and t.canary]
        top.sort(key=lambda t: -t.canary)
        return [
            Finding(
                "error-share",
                severity,
                "canary",
                numbers,
                err_c,
                _template_examples(top),
                templates=refs(top),
            )
        ]
    p_stable = rate_increase_p(err_c, err_s, canary.events, stable.events)
    if p_stable is not None and p_stable < ALPHA and share_s - share_c >= 0.02:
        return [Finding("error-share", "info", "stable", numbers + ": the stable logs more errors", err_s)]
    return []


def _is_problem(template: TemplateStat) -> bool:
    return template.level in ("error", "fatal")


@rule("new_error_templates")
def new_error_templates(evidence: Evidence) -> list[Finding]:
    """Error messages that only the canary prints: each significant one, and a burst of them."""
    new = [t for t in evidence.templates if _is_problem(t) and t.stable == 0 and t.canary > 0]
    if not new:
        return []
    new.sort(key=lambda t: -t.canary)
    findings = [
        Finding(
            "new-error",
            "major",
            "canary",
            f"new error in the canary, {t.canary} times (never in stable): {t.template[:200]}",
            t.canary,
            t.examples[:2],
            templates=refs([t]),
        )
        for t in new
        if t.significant
    ][:MAX_TEMPLATE_FINDINGS]
    rest = [t for t in new if not t.significant]
    if not rest:
        return findings
    total = sum(t.canary for t in rest)
    # all of them together, against the stable printing none: P = share ** total
    share = evidence.canary.events / max(1, evidence.canary.events + evidence.stable.events)
    burst = evidence.stable.events >= MIN_EVENTS and total >= NEW_ERROR_BURST and share**total < ALPHA / 10
    findings.append(
        Finding(
            "new-error",
            "major" if burst else "minor",
            "canary",
            f"{len(rest)} error message(s) that stable never printed appear {total} time(s) in the canary"
            + ("" if burst else ": too few to be significant"),
            total,
            _template_examples(rest),
            templates=refs(sorted(rest, key=lambda t: -t.canary)),
        )
    )
    return findings


def names_failure(template: TemplateStat) -> bool:
    """A warning, or a line without a level, whose message names a failure (or, for a warning,
    resource pressure)."""
    if template.level == "warn":
        return FAILURE_WORDS.search(template.template) is not None
    return template.level == "unknown" and PLAIN_FAILURE_WORDS.search(template.template) is not None


def _frequent(template: TemplateStat, evidence: Evidence) -> bool:
    return template.significant and template.canary >= FAILING_WARNING_SHARE * evidence.canary.events


def _is_failing_warning(template: TemplateStat, evidence: Evidence) -> bool:
    return template.stable == 0 and _frequent(template, evidence) and names_failure(template)


def _what(template: TemplateStat) -> str:
    return "warning" if template.level == "warn" else "message (no level)"


@rule("failing_warnings")
def failing_warnings(evidence: Evidence) -> list[Finding]:
    """Warnings (and lines with no level) new in the canary that name a failure or resource
    pressure, often enough to matter: a database refusing the app's logins, a proxy's backends
    going down, a heap filling up, a Go service's `connect: connection refused`."""
    canary_events = max(1, evidence.canary.events)
    found = [t for t in evidence.templates if _is_failing_warning(t, evidence)]
    found.sort(key=lambda t: -t.canary)
    return [
        Finding(
            "failing-warning",
            "major",
            "canary",
            f"new {_what(t)} in the canary, {t.canary} times "
            f"({_pct(t.canary / canary_events)} of its events, never in stable), "
            f"naming a failure or resource pressure: {t.template[:200]}",
            t.canary,
            t.examples[:2],
            templates=refs([t]),
        )
        for t in found[:MAX_TEMPLATE_FINDINGS]
    ]


@rule("template_increase")
def template_increase(evidence: Evidence) -> list[Finding]:
    """Error and warning messages both sides print, significantly more often in the canary. A
    warning (or a line without a level) naming a failure that became 3x as frequent and is as
    common as a failing warning is major: a timeout the stable hit now and then, on every other
    request of the canary (its retries hide it from the status codes)."""
    findings: list[Finding] = []
    rising = [
        t
        for t in evidence.templates
        if t.stable > 0 and t.significant and (t.level in ("error", "fatal", "warn") or names_failure(t))
    ]
    rising.sort(key=lambda t: (t.p_value if t.p_value is not None else 1.0, -t.canary))
    for template in rising[:MAX_TEMPLATE_FINDINGS]:
        ratio = template.ratio or 0.0
        if template.level in ("warn", "unknown"):
            failing = ratio >= 3 and names_failure(template) and _frequent(template, evidence)
            severity: Severity = "major" if failing else "minor"
        elif ratio >= 3:
            severity = "major"
        elif ratio >= 1.5:
            severity = "minor"
        else:
            continue
        findings.append(
            Finding(
                "template-increase",
                severity,
                "canary",
                f"{_what(template) if template.level == 'unknown' else template.level + ' message'} "
                f"{ratio:.1f}x as frequent in the canary "
                f"({template.canary} vs {template.stable} in stable, per event): {template.template[:200]}",
                template.canary,
                template.examples[:2],
                templates=refs([template]),
            )
        )
    return findings


@rule("new_templates")
def new_templates(evidence: Evidence) -> list[Finding]:
    """New info/warn-level messages: worth knowing, never a failure on their own."""
    new = [t for t in evidence.templates if t.stable == 0 and t.canary > 0 and not _is_problem(t)]
    if not new or not evidence.stable.events:
        return []
    warn = [t for t in new if t.level == "warn" and t.significant and not _is_failing_warning(t, evidence)]
    findings = [
        Finding(
            "new-warning",
            "minor",
            "canary",
            f"new warning in the canary, {t.canary} times: {t.template[:200]}",
            t.canary,
            t.examples[:1],
            templates=refs([t]),
        )
        for t in warn[:MAX_TEMPLATE_FINDINGS]
    ]
    others = [t for t in new if t not in warn]
    if others:
        findings.append(
            Finding(
                "new-messages",
                "info",
                "canary",
                f"{len(others)} message shape(s) only in the canary (info/debug/warn level)",
                sum(t.canary for t in others),
                _template_examples(sorted(others, key=lambda t: -t.canary)),
                templates=refs(sorted(others, key=lambda t: -t.canary)),
            )
        )
    return findings


@rule("other_shapes")
def other_shapes(evidence: Evidence) -> list[Finding]:
    """A canary that logs far more never-seen shapes than the stable (past the template budget):
    free text, payloads or binary output new in this version. Worth a look (debug logging left on,
    request bodies in logs), not a failure: its error-level lines are judged by the error rules."""
    canary, stable = evidence.canary, evidence.stable
    if not canary.other_shapes or not stable.events:
        return []
    share_c, share_s = canary.other_shapes / canary.events, stable.other_shapes / stable.events
    p = rate_increase_p(stable.other_shapes, canary.other_shapes, stable.events, canary.events)
    if p is None or p >= ALPHA or share_c - share_s < OTHER_SHAPES_JUMP or share_c < 2 * share_s:
        return []
    return [
        Finding(
            "other-shapes",
            "minor",
            "canary",
            f"{_pct(share_c)} of canary events ({canary.other_shapes}/{canary.events}) are never-seen shapes "
            f"past the template budget, against {_pct(share_s)} of the stable's: the canary logs free text, "
            "payloads or binary data the stable does not",
            canary.other_shapes,
        )
    ]


@rule("stable_only_errors")
def stable_only_errors(evidence: Evidence) -> list[Finding]:
    """Errors only the stable prints: the canary may have fixed them (for the record)."""
    gone = [t for t in evidence.templates if _is_problem(t) and t.canary == 0 and t.stable >= 3]
    if not gone or evidence.canary.events < MIN_EVENTS:
        return []
    return [
        Finding(
            "stable-only-error",
            "info",
            "stable",
            f"{len(gone)} error message(s) in stable but not in the canary",
            sum(t.stable for t in gone),
            _template_examples(gone),
            templates=refs(gone),
        )
    ]


# ---------------------------------------------------------------- latency


@rule("latency")
def latency(evidence: Evidence) -> list[Finding]:
    """Slower canary: its p90/p50 durations against stable's, with a test on the upper tail."""
    c, s = evidence.canary.durations, evidence.stable.durations
    if c is not None and c.count >= MIN_TIMED and (s is None or s.count < MIN_TIMED):
        if c.p50_ms < SLOW_WITHOUT_BASELINE_MS:
            return []
        return [
            Finding(
                "latency",
                "major",
                "canary",
                f"canary requests take p50 {c.p50_ms:.0f} ms / p90 {c.p90_ms:.0f} ms ({c.count} timed); "
                f"the stable logs {s.count if s else 0} durations, so there is no baseline: over "
                f"{SLOW_WITHOUT_BASELINE_MS / 1000:.0f} s is slow on its own",
                c.count,
            )
        ]
    if c is None or s is None or evidence.latency_p_value is None:
        return []
    p90_ratio = c.p90_ms / s.p90_ms if s.p90_ms > 0 else float("inf")
    p50_ratio = c.p50_ms / s.p50_ms if s.p50_ms > 0 else float("inf")
    slower = evidence.latency_p_value < ALPHA
    above = evidence.canary_above_stable_p90 or 0.0
    numbers = (
        f"canary latency p50 {c.p50_ms:.0f} ms / p90 {c.p90_ms:.0f} ms / p99 {c.p99_ms:.0f} ms vs stable "
        f"{s.p50_ms:.0f} / {s.p90_ms:.0f} / {s.p99_ms:.0f} ms; {_pct(above)} of canary requests are slower "
        f"than the stable p90 ({c.count} and {s.count} timed)"
    )
    if not slower:
        return []
    delta90 = c.p90_ms - s.p90_ms
    if (p90_ratio >= 1.5 and delta90 >= 25) or (p50_ratio >= 1.5 and c.p50_ms - s.p50_ms >= 15):
        severity: Severity = "critical" if p90_ratio >= 5 and delta90 >= 1000 else "major"
    elif p90_ratio >= 1.2 and delta90 >= 10:
        severity = "minor"
    else:
        return []
    return [Finding("latency", severity, "canary", numbers, c.count)]


# ---------------------------------------------------------------- activity


@rule("quiet_canary")
def quiet_canary(evidence: Evidence) -> list[Finding]:
    """A canary whose activity stops or collapses while the stable's goes on (a hang, a deadlock,
    a lost upstream): judged against its own earlier share of the events, so a canary with a
    small share of the traffic all along, or a service where both sides are quiet, is no finding."""
    act = evidence.activity
    if act is None or act.concurrent_share < MIN_CONCURRENT:
        return []
    span = act.end - act.start
    unit = act.unit
    silent = (
        act.quiet_p_value is not None
        and act.quiet_p_value < QUIET_ALPHA
        and act.expected_while_quiet >= QUIET_MIN_EXPECTED
        and act.quiet_seconds >= max(QUIET_MIN_SECONDS, QUIET_MIN_SPAN * span)
    )
    collapsed = (
        act.tail_seconds >= QUIET_MIN_SECONDS
        and act.tail_p_value is not None
        and act.tail_p_value < QUIET_ALPHA
        and act.expected_tail >= QUIET_MIN_EXPECTED
        and act.canary_tail <= COLLAPSE_RATIO * act.expected_tail
    )
    # a long silence after a canary logged only at its start (or only while the stable logged nothing):
    # its earlier share cannot be measured, so the silence is weighed on the stable's activity alone
    unmeasured = (
        act.quiet_p_value is None
        and act.stable_while_quiet >= QUIET_FAIL_EXPECTED
        and act.quiet_seconds >= max(QUIET_FAIL_SECONDS, QUIET_FAIL_SPAN * span)
    )
    if not (silent or collapsed or unmeasured):
        return []
    severe_silence = (
        silent
        and act.expected_while_quiet >= QUIET_FAIL_EXPECTED
        and act.quiet_seconds >= QUIET_FAIL_SPAN * span
    )
    severe_collapse = (
        collapsed
        and act.expected_tail >= QUIET_FAIL_EXPECTED
        and act.canary_tail <= COLLAPSE_FAIL_RATIO * act.expected_tail
    )
    # canary times past the stable's last line (a clock or zone change?) leave the silence in doubt
    shifted = act.canary_beyond > max(STRAY_TIMES, STRAY_SHARE * act.canary.timed)
    severity: Severity = "major" if (severe_silence or severe_collapse) and not shifted else "minor"
    rates = (
        f"{unit} per minute in the last {_duration(act.tail_seconds)}: "
        f"canary {act.canary.tail_per_minute:g}, stable {act.stable.tail_per_minute:g}"
    )
    if unmeasured and not (silent or collapsed):
        message = (
            f"canary went quiet: no {unit} in the last {_duration(act.quiet_seconds)} of the "
            f"{_duration(span)} window while the stable logged {act.stable_while_quiet}; how many it "
            "should have logged cannot be told, as it logged only at its start or while the stable was "
            f"silent ({rates})"
        )
        count = act.stable_while_quiet
    elif silent:
        message = (
            f"canary went quiet: no {unit} in the last {_duration(act.quiet_seconds)} of the "
            f"{_duration(span)} window while the stable logged {act.stable_while_quiet}; at its earlier "
            f"share about {act.expected_while_quiet:.0f} canary {unit} were expected ({rates})"
        )
        count = act.stable_while_quiet
    else:
        message = (
            f"canary activity collapsed: {act.canary_tail} {unit} in the last {_duration(act.tail_seconds)} "
            f"where about {act.expected_tail:.0f} were expected at its earlier share ({rates})"
        )
        count = act.canary_tail
    if shifted:
        message += (
            f"; {act.canary_beyond} canary event(s) are timed after the stable's last line (a clock or "
            "time-zone change?), so the silence is a doubt, not a failure"
        )
    elif severity == "minor" and not unmeasured:
        message += "; too small a silence to fail on, too large to pass"
    return [Finding("quiet-canary", severity, "canary", message, count)]


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


@rule("tail_latency")
def tail_latency(evidence: Evidence) -> list[Finding]:
    """A few percent of canary requests much slower while p50 and p90 hold: more canary durations
    above the stable p99 (its max when small) than the stable has there, by an exact binomial test,
    and slow enough to matter: a 2 ms -> 3 ms change never fails anyone."""
    c, s, p = evidence.canary.durations, evidence.stable.durations, evidence.tail_p_value
    threshold, share, expected = (
        evidence.tail_threshold_ms,
        evidence.canary_above_stable_tail,
        evidence.tail_expected_share,
    )
    if c is None or s is None or p is None or threshold is None or share is None or expected is None:
        return []
    above = round(share * c.count)
    if p >= ALPHA or above < TAIL_MIN_SLOW:
        return []
    ratio = c.p99_ms / threshold if threshold > 0 else float("inf")
    delta = c.p99_ms - threshold
    if ratio >= TAIL_MAJOR_RATIO and delta >= TAIL_MAJOR_DELTA_MS:
        severity: Severity = "major"
    elif ratio >= TAIL_MINOR_RATIO and delta >= TAIL_MINOR_DELTA_MS:
        severity = "minor"
    else:
        return []
    which = "p99" if s.count >= TAIL_MIN_STABLE else "maximum"
    return [
        Finding(
            "latency-tail",
            severity,
            "canary",
            f"canary latency tail: {above} of {c.count} timed canary requests ({_pct(share)}) took longer "
            f"than the stable {which} of {threshold:.0f} ms, against {_pct(expected)} expected (p={p:.2g}); "
            "canary "
            f"p99 {c.p99_ms:.0f} ms / p99.9 {c.p999_ms:.0f} ms / max {c.max_ms:.0f} ms vs stable "
            f"{s.p99_ms:.0f} / {s.p999_ms:.0f} / {s.max_ms:.0f} ms (p50 {c.p50_ms:.0f} vs {s.p50_ms:.0f} ms)",
            above,
        )
    ]


# ---------------------------------------------------------------- volume


def quiet_alike(evidence: Evidence) -> bool:
    """Both sides log little, and the canary about as much as the stable: a quiet service."""
    canary, stable = evidence.canary.events, evidence.stable.events
    return min(canary, stable) >= MIN_QUIET_EVENTS and canary >= QUIET_PARITY * stable


def thin_sides(evidence: Evidence) -> list[str]:
    """The sides with too few events to judge on ("canary", "stable"), or none."""
    if quiet_alike(evidence):
        return []
    return [name for name, side in (("canary", evidence.canary), ("stable", evidence.stable))
            if side.events < MIN_EVENTS]  # fmt: skip


@rule("too_few_data")
def too_few_data(evidence: Evidence) -> list[Finding]:
    """Too little log volume on a side to call the canary healthy."""
    findings = []
    thin = thin_sides(evidence)
    low = [
        (n, s) for n, s in (("canary", evidence.canary), ("stable", evidence.stable)) if s.events < MIN_EVENTS
    ]
    if low and not thin:
        return [
            Finding(
                "quiet-service",
                "info",
                "both",
                f"both sides log little ({evidence.canary.events} canary and {evidence.stable.events} stable "
                f"events) but alike: judged as a quiet service, not as missing data",
                evidence.canary.events,
            )
        ]
    for side_name, side in (("canary", evidence.canary), ("stable", evidence.stable)):
        if side_name in thin:
            side_literal: FindingSide = "canary" if side_name == "canary" else "stable"
            findings.append(
                Finding(
                    "too-few-data",
                    "info",
                    side_literal,
                    f"only {side.events} {side_name} log events ({side.lines} lines); "
                    f"at least {MIN_EVENTS} are needed to judge",
                    side.events,
                )
            )
    return findings


# ---------------------------------------------------------------- pod signals


@rule("pod_signals")
def pod_signals(evidence: Evidence) -> list[Finding]:
    """What Kubernetes says about the canary pods: OOMKilled, CrashLoopBackOff, restarts..."""
    stable_kinds = {s.kind.lower() for s in evidence.stable.signals}
    by_kind: dict[str, list] = {}
    for signal in evidence.canary.signals:
        by_kind.setdefault(signal.kind.lower(), []).append(signal)
    findings: list[Finding] = []
    for kind, signals in by_kind.items():
        count = sum(s.count for s in signals)
        pods = sorted({s.pod for s in signals})
        severity: Severity
        if kind in CRASH_SIGNALS:
            severity = "critical"
        elif kind in MAJOR_SIGNALS:
            severity = "minor" if kind in stable_kinds else "major"
        else:
            severity = "minor"
        also = " (stable too)" if kind in stable_kinds else ""
        messages = [s.message for s in signals if s.message][:2]
        findings.append(
            Finding(
                f"pod-{kind}",
                severity,
                "canary",
                f"canary pod signal {kind} x{count} on {', '.join(pods[:3])}{also}",
                count,
                messages,
            )
        )
    for signal in evidence.stable.signals:
        if signal.kind.lower() not in by_kind:
            findings.append(
                Finding(
                    f"pod-{signal.kind.lower()}",
                    "info",
                    "stable",
                    f"stable pod signal {signal.kind} x{signal.count} on {signal.pod}",
                    signal.count,
                    [signal.message] if signal.message else [],
                )
            )
    return findings


@rule("log_restarts")
def log_restarts(evidence: Evidence) -> list[Finding]:
    """The canary's log shows its program starting again and again (a crash loop read from files)."""
    canary, stable = evidence.canary, evidence.stable
    if not canary.log_restarts or any(s.kind.lower() == "restart" for s in canary.signals):
        return []  # none, or Kubernetes counted them (pod_signals says so)
    rate = canary.log_restarts / max(canary.streams, 1)
    stable_rate = stable.log_restarts / max(stable.streams, 1)
    alike = stable.log_restarts > 0 and rate <= LOG_RESTARTS_ALIKE * stable_rate
    untimed = canary.log_restarts_untimed
    many = canary.log_restarts - untimed >= LOG_RESTARTS_MAJOR or (
        untimed >= LOG_RESTARTS_UNTIMED_MAJOR * max(canary.streams, 1)
    )
    severity: Severity = "major" if many and not alike else "minor"
    also = f"; stable {stable.log_restarts} in {stable.streams} log(s)" if stable.log_restarts else ""
    return [
        Finding(
            "log-restarts",
            severity,
            "canary",
            f"canary log shows the program starting again {canary.log_restarts} times in "
            f"{canary.streams} log(s){also or '; stable none'}",
            canary.log_restarts,
            list(canary.log_restart_examples),
        )
    ]


# ---------------------------------------------------------------- metrics (Prometheus)


def _is_bad(classification: str, direction: str) -> bool:
    return (classification == "High" and direction in ("increase", "either")) or (
        classification == "Low" and direction in ("decrease", "either")
    )


@rule("metrics")
def metrics(evidence: Evidence) -> list[Finding]:
    """Each metric signal of the canary config, classified High/Low/Pass/NoData: a change in the bad
    direction is critical or major (informational for a non-gating signal); a required signal
    without data blocks a pass."""
    findings: list[Finding] = []
    down = [m for m in evidence.metrics if m.unavailable]
    if any(m.required and m.gating for m in down):
        findings.append(
            Finding(
                "metrics-unavailable",
                "minor",
                "both",
                f"Prometheus could not be used ({down[0].message}) and the canary config requires metrics",
            )
        )
    for m in evidence.metrics:
        label = f"metric {m.name} ({m.kind}, {m.classification})"
        if m.unavailable:
            continue
        if m.classification == "NoData":
            if m.required and m.gating:
                findings.append(
                    Finding("metric-no-data", "minor", "both", f"{label}: {m.message}; it is required")
                )
            continue
        if m.classification == "Pass":
            continue
        if not _is_bad(m.classification, m.direction):
            findings.append(
                Finding(f"metric-{m.name}", "info", "canary", f"{label}, the better way: {m.message}")
            )
            continue
        severity: Severity = ("critical" if m.critical else "major") if m.gating else "info"
        p = f", p={m.p_value:.2g}" if m.p_value is not None else ""
        effect = f", {m.effect:g}x" if m.effect is not None else ""
        findings.append(Finding(f"metric-{m.name}", severity, "canary", f"{label}: {m.message}{effect}{p}"))
    return findings

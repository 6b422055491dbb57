"""A team's acknowledge file applied to one analysis (the entries themselves: known.py).

`ignore` judges the lines of the templates it matches as known noise: they stop counting as errors
(error-share), as new or rising messages (new-error, new-warning, failing-warning,
template-increase) and, for a 4xx request shape, as client errors; they still count as events. The
rules then run again on that evidence, so a rate finding is decided on what is left: a 5xx or
error share whose errors all come from acknowledged templates is gone, one mixed with new errors
stays at the severity the new errors alone deserve. Each finding the acknowledgement removed is
kept, as `info` with `acknowledged` naming the entry and its reason.

Fail closed: an ignore never touches crashes, pod signals, a quiet canary, missing data, latency
or metrics (the rules read those apart from templates, and a finding of those kinds that would
vanish is kept as it was); it refuses fatal-level messages and HTTP 5xx request shapes, an entry
that matches more than half of the analysis' message shapes, and an expired entry (each with a
note). `always-fail` makes any canary line of its templates a critical finding, whatever the
stable logs, and wins over an ignore of the same template.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace

from job.evidence import derive_shares
from job.judge.known import Matcher, describe, expired, today_utc
from job.judge.rules import NEVER_PASS_KINDS, refs, run_rules
from job.model import AckEntry, Evidence, Finding, SideStats, TemplateStat

OVER_BROAD_SHARE = 0.5  # an ignore matching more than this share of the analysis' message shapes...
OVER_BROAD_MIN = 2  # ...and more than this many is refused
# read apart from templates: a finding of these kinds is never made to disappear by an ignore
PROTECTED_KINDS = frozenset(
    {
        "crash",
        "log-restarts",
        "too-few-data",
        "quiet-service",
        "latency",
        "latency-tail",
        "other-shapes",
        *NEVER_PASS_KINDS,
    }
)
_RANK = {"critical": 3, "major": 2, "minor": 1, "info": 0}


@dataclass
class Applied:
    evidence: Evidence  # what the verdict is decided on: ignored templates' lines judged as noise
    findings: list[Finding]
    summary: str = ""  # a sentence for the verdict's summary when findings were acknowledged


def apply(
    evidence: Evidence, findings: list[Finding], matcher: Matcher, today: datetime.date | None = None
) -> Applied:
    """The findings with the acknowledge file applied. Notes go to `evidence.notes`; the templates
    an ignore applied to get their `acknowledged` object."""
    acks = matcher.acknowledgements
    today = today or today_utc()
    notes = evidence.notes
    active = []
    for entry in acks.entries:
        if expired(entry, today):
            notes.append(_expired_note(entry, acks.source, evidence, matcher))
        else:
            active.append(entry)
    matched = {e.index: [t for t in evidence.templates if matcher.matches(e, t)] for e in active}
    must_fail = [e for e in active if e.action == "always-fail"]
    for entry in must_fail:  # every canary template it matched, also those the evidence did not keep
        known_ids = {t.id for t in matched[entry.index]}
        matched[entry.index] += [
            t for t in matcher.failing.get(entry.index, {}).values() if t.id not in known_ids
        ]
    failing_ids = {t.id for e in must_fail for t in matched[e.index]}
    extra = [f for e in must_fail if (f := _always_fail(e, matched[e.index], acks.source))]

    shapes = matcher.templates_seen if matcher.counted() else len(evidence.templates)
    ignored: dict[str, tuple[TemplateStat, AckEntry]] = {}
    for entry in (e for e in active if e.action == "ignore"):
        hits = matcher.hits.get(entry.index, 0) if matcher.counted() else len(matched[entry.index])
        if hits > max(OVER_BROAD_MIN, OVER_BROAD_SHARE * shapes):
            notes.append(
                f"{acks.source}: entry {entry.index} ({_short(entry.selector())}) matches {hits} of the "
                f"{shapes} message shapes of this analysis: too broad to be known noise, so it is not "
                "applied; narrow it to the message you mean"
            )
            continue
        for template in matched[entry.index]:
            refusal = _refusal(template, template.id in failing_ids)
            if refusal:
                notes.append(
                    f"{acks.source}: entry {entry.index} is not applied to "
                    f"{_short(template.template)!r}: {refusal}"
                )
            elif template.id not in ignored:
                ignored[template.id] = (template, entry)
    if not ignored:
        return Applied(evidence, _sorted(extra + findings))

    for template, entry in ignored.values():
        template.acknowledged = dict(describe(entry, acks.source))
    judged = _without(evidence, [t for t, _ in ignored.values()])
    kept = run_rules(judged)
    acknowledged = [_acknowledged(f, ignored, acks.source) for f in findings if not _still_found(f, kept)]
    # a kind read apart from templates never disappears through an ignore: keep the original
    protected = [f for f in findings if f.kind in PROTECTED_KINDS and not _still_found(f, kept)]
    acknowledged = [f for f in acknowledged if f.kind not in PROTECTED_KINDS]
    lines = sum(t.canary for t, _ in ignored.values())
    entries = sorted({e.index for _, e in ignored.values()})
    notes.append(
        f"{acks.source}: {lines} canary line(s) of {len(ignored)} template(s) judged as known noise "
        f"(entr{'y' if len(entries) == 1 else 'ies'} {', '.join(map(str, entries))})"
    )
    summary = ""
    if acknowledged:
        first = acknowledged[0].acknowledged or {}
        summary = (
            f"{len(acknowledged)} finding(s) acknowledged as known noise ({acks.source}, entry "
            f"{first.get('entry')}: {_short(str(first.get('reason')), 120)})"
            f"{_raw_shares(evidence, judged)}."
        )
    return Applied(judged, _sorted(extra + kept + protected + acknowledged), summary)


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: -_RANK[f.severity])


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _expired_note(entry: AckEntry, source: str, evidence: Evidence, matcher: Matcher) -> str:
    lines = sum(t.canary for t in evidence.templates if matcher.matches(entry, t))
    now = f"; it matches {lines} canary line(s) of this analysis, judged as any other" if lines else ""
    return (
        f"{source}: entry {entry.index} ({_short(entry.selector())}) expired on {entry.expires} and no "
        f"longer applies{now}: renew its expires date or remove it"
    )


def _status(template: TemplateStat) -> str | None:
    """The HTTP status of a request template ("GET /x 503"), else None."""
    text = template.template
    if template.id.startswith("-") and text[-3:].isdigit() and text[-4:-3] == " ":
        return text[-3:]
    return None


def _refusal(template: TemplateStat, must_fail: bool) -> str | None:
    if must_fail:
        return "an always-fail entry matches it too, and always-fail wins"
    if template.level == "fatal" or template.crashes:
        return "crashes and fatal-level messages are never ignored (a process that dies is no noise)"
    status = _status(template)
    if status is not None and status.startswith("5"):
        return f"HTTP {status} answers are failures users see, never ignored; acknowledge the error message"
    return None


def _always_fail(entry: AckEntry, templates: list[TemplateStat], source: str) -> Finding | None:
    seen = [t for t in templates if t.canary > 0]
    if not seen:
        return None
    seen.sort(key=lambda t: -t.canary)
    count = sum(t.canary for t in seen)
    stable = sum(t.stable for t in seen)
    reason = entry.reason or "no reason given"
    return Finding(
        "always-fail",
        "critical",
        "canary",
        f"the canary logged {_short(seen[0].template, 200)!r} {count} time(s) (stable {stable}); {source} "
        f"entry {entry.index} says this message must fail the rollout: {reason}",
        count,
        [example for t in seen for example in t.examples[:1]][:2],
        templates=refs(seen),
    )


def _raw_shares(raw: Evidence, judged: Evidence) -> str:
    """The canary shares as the report's table counts them, where leaving the noise out changed
    them: the verdict's sentence is about the judged figures and must not read as the table's."""
    changed = [
        f"{name} {raw_share * 100:.1f}% (judged without the noise: {judged_share * 100:.1f}%)"
        for name, raw_share, judged_share in (
            ("error-level share", raw.canary.error_share, judged.canary.error_share),
            ("HTTP 4xx share", raw.canary.http_4xx_share, judged.canary.http_4xx_share),
        )
        if abs(raw_share - judged_share) >= 0.0005
    ]
    return f"; with the noise counted, the canary's {' and '.join(changed)}" if changed else ""


def _without(evidence: Evidence, ignored: list[TemplateStat]) -> Evidence:
    """The evidence with the ignored templates' lines judged as harmless: not errors, not client
    errors, not templates to judge; still events."""
    stable, canary = _copy(evidence.stable), _copy(evidence.canary)
    for template in ignored:
        status = _status(template)
        for side, count in ((stable, template.stable), (canary, template.canary)):
            if not count:
                continue
            left = side.levels.get(template.level, 0) - count
            if left > 0:
                side.levels[template.level] = left
            else:
                side.levels.pop(template.level, None)
            side.levels["info"] = side.levels.get("info", 0) + count
            if status is not None and status.startswith("4"):
                left = side.http_status.get(status, 0) - count
                if left > 0:
                    side.http_status[status] = left
                else:
                    side.http_status.pop(status, None)
    for side in (stable, canary):
        derive_shares(side)
    names = {t.id for t in ignored}
    return replace(
        evidence, stable=stable, canary=canary, templates=[t for t in evidence.templates if t.id not in names]
    )


def _copy(side: SideStats) -> SideStats:
    return replace(side, levels=dict(side.levels), http_status=dict(side.http_status))


def _still_found(finding: Finding, kept: list[Finding]) -> bool:
    """The same finding (kind and side, about at least one of the same templates) is still made."""
    keys = {ref["template"] for ref in finding.templates}
    for other in kept:
        if other.kind != finding.kind or other.side != finding.side:
            continue
        if not keys or not other.templates or keys & {ref["template"] for ref in other.templates}:
            return True
    return False


def _acknowledged(
    finding: Finding, ignored: dict[str, tuple[TemplateStat, AckEntry]], source: str
) -> Finding:
    """`finding` as info, naming the ignore entry behind it (the one of its busiest template)."""
    by_key = {t.key: (t, e) for t, e in ignored.values()}
    own = [by_key[ref["template"]] for ref in finding.templates if ref["template"] in by_key]
    _, entry = max(own or list(ignored.values()), key=lambda pair: pair[0].canary)
    reason = entry.reason or "no reason given"
    return replace(
        finding,
        severity="info",
        message=f"{finding.message} [acknowledged as known noise: entry {entry.index}, {reason}]",
        acknowledged={**describe(entry, source), "severity": finding.severity},
    )

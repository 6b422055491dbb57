"""Render a Verdict: the JSON result document, a readable text report, a termination message."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from job.model import Verdict

TERMINATION_LIMIT = 4096  # bytes Kubernetes keeps of /dev/termination-log
_LATENCY_ROWS = (
    ("p50_ms", "p50"),
    ("p90_ms", "p90"),
    ("p99_ms", "p99"),
    ("p999_ms", "p99.9"),
    ("max_ms", "max"),
)
_KEY_ORDER = ("verdict", "score", "confidence", "summary", "findings", "evidence", "llm", "version", "mode")

# The `compact` object: what the web AnalysisTemplate selects (jsonPath "{$.compact}"), so what
# Argo stores as every measurement's value and shows in `kubectl describe analysisrun` and the
# dashboard. At most COMPACT_LIMIT bytes as Argo stores it, so 10 kept measurements stay small.
COMPACT_LIMIT = 1024
COMPACT_FINDINGS = 3
_COMPACT_SUMMARY = 300  # characters
_COMPACT_FINDING = 160
_SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3}


def document(verdict: Verdict) -> dict[str, Any]:
    """The result document of DESIGN.md, keys in contract order, with its `compact` extension."""
    raw = verdict.to_dict()
    doc = {key: raw[key] for key in _KEY_ORDER if key in raw} | {
        k: v for k, v in raw.items() if k not in _KEY_ORDER
    }
    doc["compact"] = compact(doc)
    return doc


def compact(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict in a few hundred bytes: verdict, score, confidence, summary, the most severe
    findings one line each, and reportUrl when the document has one (add it before calling).

    Cut to COMPACT_LIMIT bytes (stored_bytes): findings go first, then the summary shrinks; the
    verdict, score and confidence are never cut, so the metric's conditions always see them."""
    findings = sorted(doc.get("findings") or [], key=lambda f: _SEVERITY_RANK.get(f.get("severity"), 9))
    out: dict[str, Any] = {
        "verdict": doc["verdict"],
        "score": round(float(doc["score"]), 2),
        "confidence": round(float(doc["confidence"]), 2),
        "summary": _clip(str(doc.get("summary") or ""), _COMPACT_SUMMARY),
        "findings": [
            _clip(f"[{f.get('severity')}] {f.get('message', '')}", _COMPACT_FINDING)
            for f in findings[:COMPACT_FINDINGS]
        ],
    }
    if doc.get("reportUrl"):
        out["reportUrl"] = str(doc["reportUrl"])
    while stored_bytes(out) > COMPACT_LIMIT and out["findings"]:
        out["findings"].pop()
    while stored_bytes(out) > COMPACT_LIMIT and out["summary"]:
        half = len(out["summary"]) // 2
        out["summary"] = _clip(out["summary"], half) if half > 1 else ""
    if stored_bytes(out) > COMPACT_LIMIT:  # only an absurd reportUrl gets here
        out.pop("reportUrl", None)
    return out


def stored_bytes(value: Any) -> int:
    """An upper bound of the bytes Argo stores for `value` (Go's json.Marshal of what jsonPath
    selected): Go writes <, > and & as \\u003c etc., and escaping every non-ASCII character
    (6 or 12 bytes) is never shorter than its UTF-8 (2 to 4 bytes)."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return len(text) + 5 * sum(text.count(c) for c in "<>&")


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def with_report_url(doc: dict[str, Any], url: str) -> dict[str, Any]:
    """The document with `reportUrl`, also in its `compact` object (what Argo keeps per measurement)."""
    doc = {**doc, "reportUrl": url}
    doc["compact"] = compact(doc)
    return doc


def render(verdict: Verdict, output: str = "json", report_url: str | None = None) -> str:
    if output == "json":
        doc = with_report_url(document(verdict), report_url) if report_url else document(verdict)
        return json.dumps(doc, indent=2, ensure_ascii=False, default=str, allow_nan=False)
    if output == "text":
        return _text(verdict) + (f"\n\nReport: {report_url}" if report_url else "")
    raise ValueError(f"unknown output format {output!r}: use json or text")


def termination_message(verdict: Verdict) -> str:
    """Short, for a pod's termination message (and `kubectl describe`): at most 4096 bytes."""
    lines = [
        f"{verdict.verdict.upper()} score={verdict.score:.2f} confidence={verdict.confidence:.2f}",
        verdict.summary,
    ]
    for finding in verdict.findings:
        if finding.severity in ("critical", "major"):
            lines.append(f"[{finding.severity}] {finding.message}")
    if verdict.llm.used and verdict.llm.cause:
        lines.append(f"model's cause: {verdict.llm.cause}")
    return cut_to_bytes("\n".join(lines), TERMINATION_LIMIT)


def cut_to_bytes(text: str, limit: int) -> str:
    """`text` within `limit` UTF-8 bytes (Kubernetes counts bytes), marked with " ..." when cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 4].decode("utf-8", "ignore") + " ..."


def _text(verdict: Verdict) -> str:
    out = [
        f"Verdict: {verdict.verdict.upper()}   score {verdict.score:.2f}   "
        f"confidence {verdict.confidence:.2f}   ({verdict.mode})",
        "",
        verdict.summary,
    ]
    shown = [f for f in verdict.findings if not f.acknowledged]
    if shown:
        out += ["", "Findings:"]
        for f in shown:
            out.append(f"  [{f.severity:8}] {f.side:6} {f.kind}: {f.message}")
            for example in f.examples[:1]:
                out.extend("             | " + line for line in example.splitlines()[:12])
            out.extend(_to_copy(f.templates))
    out += _acknowledged_section(verdict)
    evidence = verdict.evidence
    if evidence is not None:
        s, c = evidence.stable, evidence.canary
        rows = [
            ("log streams", s.streams, c.streams),
            ("lines", s.lines, c.lines),
            ("events", s.events, c.events),
            ("error-level share", f"{s.error_share:.1%}", f"{c.error_share:.1%}"),
            ("requests", s.requests, c.requests),
            ("HTTP 5xx share", f"{s.http_5xx_share:.1%}", f"{c.http_5xx_share:.1%}"),
            ("HTTP 4xx share", f"{s.http_4xx_share:.1%}", f"{c.http_4xx_share:.1%}"),
            ("crashes", s.crashes, c.crashes),
            ("templates", s.templates, c.templates),
        ]
        for name, label in _LATENCY_ROWS:
            rows.append(
                (
                    f"latency {label} ms",
                    f"{getattr(s.durations, name):.1f}" if s.durations else "-",
                    f"{getattr(c.durations, name):.1f}" if c.durations else "-",
                )
            )
        if s.signals or c.signals:
            rows.append(("pod signals", len(s.signals), len(c.signals)))
        if s.loss.any() or c.loss.any():
            rows.append(("data lost (see notes)", f"{s.loss.share:.0%}", f"{c.loss.share:.0%}"))
        out += ["", f"  {'':22}{'stable':>12}{'canary':>12}"]
        out += [f"  {label:22}{d_s!s:>12}{d_c!s:>12}" for label, d_s, d_c in rows]
        if evidence.metrics:
            out += ["", "Metrics (Prometheus; High/Low: the canary's figure is higher/lower):"]
            for m in evidence.metrics:
                p = f"  p={m.p_value:.2g}" if m.p_value is not None else ""
                out.append(f"  {m.classification:7} {m.name:24} {m.message[:150]}{p}")
        interesting = [
            t for t in evidence.templates if t.level in ("error", "fatal", "warn") or t.stable == 0
        ][:10]
        if interesting:
            head = "Templates to look at (stable / canary count, one-sided p, id; "
            head += "* significant, ~ acknowledged):"
            out += ["", head]
            for t in interesting:
                p = f"{t.p_value:.2g}" if t.p_value is not None else "-"
                mark = "~" if t.acknowledged else ("*" if t.significant else " ")
                out.append(
                    f" {mark}{t.level:6}{t.stable:>8}{t.canary:>8}  p={p:<8} {t.key:17} {t.template[:120]}"
                )
        if evidence.notes:
            out += ["", "Notes:"] + [f"  - {note}" for note in evidence.notes]
    return "\n".join(out + _model_section(verdict))


def yaml_quoted(text: str) -> str:
    """`text` as a YAML single-quoted scalar (only ' needs escaping), ready to paste."""
    return "'" + text.replace("'", "''") + "'"


def _to_copy(templates: list[dict[str, str]]) -> list[str]:
    """One line per template a finding is about: the id and the pattern to acknowledge it by."""
    return [
        f"{' ' * 13}to acknowledge: template: {ref['template']}  or  pattern: {yaml_quoted(ref['pattern'])}"
        for ref in templates
    ]


def _acknowledged_section(verdict: Verdict) -> list[str]:
    """Findings a team's ignore entries neutralised (info now, with the entry and its reason)."""
    acknowledged = [f for f in verdict.findings if f.acknowledged]
    if not acknowledged:
        return []
    out = ["", "Acknowledged (known noise, not counted in the verdict):"]
    for f in acknowledged:
        ack = f.acknowledged or {}
        until = f", expires {ack['expires']}" if ack.get("expires") else ""
        out.append(f"  [was {ack.get('severity', '?'):8}] {f.kind}: {f.message}")
        out.append(f"{' ' * 13}by {ack.get('source')} entry {ack.get('entry')}{until}")
        out.extend(_to_copy(f.templates))
    return out


def _model_section(verdict: Verdict) -> list[str]:
    """The model's own section, labelled as its: only a grounded answer's cause and remediation."""
    llm = verdict.llm
    if llm.used:
        out = ["", f"The model's explanation ({llm.model}; checked against the evidence above):"]
        if llm.cause:
            out.append(f"  Cause:       {llm.cause}")
        if llm.remediation:
            out.append(f"  Remediation: {llm.remediation}")
        if llm.note:
            out.append(f"  Note:        {llm.note}")
        return out
    if llm.rejected:
        return ["", f"Model: answer rejected, not shown ({llm.model}): {llm.rejected}"]
    if llm.skipped:
        return ["", f"Model: not asked - {llm.skipped}."]
    return ["", "Model: not used" + (f" - {llm.error}" if llm.error else "")]

"""The HTML report: one self-contained page that shows why the gate decided.

Self-contained (no external fonts, scripts, styles or images: air-gapped clusters and mail
attachments), readable without JavaScript and without colour (verdict and severity words,
line patterns), usable at 375 px. Every string that comes from logs (templates, examples,
notes, pod messages, the model's text) is escaped here, in text nodes or quoted attributes
only; no log text ever becomes a URL, a style or a script. The page carries its own strict
Content-Security-Policy (meta), and `content_security_policy()` gives the same policy for
an HTTP header: only this page's one stylesheet and one small script (sorting the template
table) may run, by hash.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape

from job import __version__
from job.model import SEVERITY_ORDER, Activity, Evidence, Finding, SideStats, TemplateStat, Verdict
from job.render import svg
from job.report import yaml_quoted

MAX_BYTES = 500 * 1024
MIN_CHART_SECONDS = 10.0  # a shorter window is told in words, not drawn
EXAMPLE_CHARS = 1200  # per example shown; examples are already redacted and bounded upstream
STABLE, CANARY = "s-stable", "s-canary"


@dataclass
class ReportContext:
    """What the page says was read, beyond the Evidence: where and when."""

    source: str = ""  # e.g. "files" or "namespace shop"
    stable: list[str] = field(default_factory=list)  # selectors, hashes or paths
    canary: list[str] = field(default_factory=list)
    window_seconds: float | None = None
    generated_at: float | None = None  # epoch seconds
    report_id: str | None = None


# ---------------------------------------------------------------- page

_CSS = """
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--stable:#0b5cad;--canary:#c2410c;
--pass:#116329;--fail:#a40e26;--inc:#7d4e00;--box:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg)}
main,header>div{max-width:1100px;margin:0 auto;padding:0 16px}
header{border-bottom:4px solid var(--line);padding:12px 0 8px}
header.v-pass{border-color:var(--pass);background:#eef8f0}
header.v-fail{border-color:var(--fail);background:#fdeff1}
header.v-inconclusive{border-color:var(--inc);background:#fff6e0}
.verdict{font-size:1.6rem;font-weight:700;margin:0}
.v-pass .verdict .word{color:var(--pass)}.v-fail .verdict .word{color:var(--fail)}
.v-inconclusive .verdict .word{color:var(--inc)}
.verdict .icon{display:inline-block;min-width:1.2em}
.meta{color:var(--muted);font-size:.9rem;margin:.2rem 0}
.summary{font-size:1.05rem;margin:.5rem 0}
dl.read{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:.5rem 0;
font-size:.9rem}
dl.read dt{font-weight:600}dl.read dd{margin:0;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .3rem}
.notes{margin:.4rem 0;padding-left:1.2rem;font-size:.9rem}
ol.findings{list-style:none;padding:0;margin:0}
ol.findings li{border-left:6px solid var(--line);padding:6px 10px;margin:6px 0;
background:var(--box)}
li.sev-critical{border-color:var(--fail)!important}li.sev-major{border-color:#d1242f!important}
li.sev-minor{border-color:var(--inc)!important}li.sev-info{border-color:var(--line)}
li.acked{opacity:.85}
.sev{font-weight:700;font-size:.8rem;letter-spacing:.04em;margin-right:.4rem}
.kind{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;color:var(--muted)}
pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.8rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid var(--line);
padding:6px;margin:4px 0;max-height:18rem;overflow:auto}
code{overflow-wrap:anywhere}
.model{border:2px dashed var(--muted);padding:8px 12px;background:#fbfbfd}
.model h2{border:0;margin-top:.2rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;
color:inherit}
.chg{font-weight:700;white-space:nowrap}
.chg-new,.chg-more{color:var(--fail)}.chg-gone,.chg-less{color:var(--stable)}
svg.chart{width:100%;height:auto;max-width:760px;display:block;margin:.3rem 0}
svg .axis{stroke:#57606a;stroke-width:1}svg .grid{stroke:#d0d7de;stroke-width:1}
svg text{font:11px system-ui,sans-serif;fill:#1b1f24}svg .tick{fill:#57606a}
svg .s-stable{stroke:var(--stable);fill:none;stroke-width:2}
svg .s-canary{stroke:var(--canary);fill:none;stroke-width:2;stroke-dasharray:6 3}
svg .area.s-stable{fill:rgba(11,92,173,.12)}svg .area.s-canary{fill:rgba(194,65,12,.12)}
svg .mark{stroke-width:1.5}svg .mark-label{font-size:10px}
svg .signal{fill:var(--fail);stroke:#fff}
.filters{min-width:0;border:1px solid var(--line);padding:4px 8px;margin:.4rem 0;font-size:.9rem}
.filters label{margin-right:10px;white-space:nowrap}
#lv-problems:checked~.scroll tr.lvl-low,#lv-changed:checked~.scroll tr.chg-row-same{display:none}
details summary{cursor:pointer}
.ack{font-size:.75rem}
.muted{color:var(--muted)}
footer{max-width:1100px;margin:2rem auto 1rem;padding:0 16px;color:var(--muted);font-size:.8rem}
@media (max-width:600px){.verdict{font-size:1.3rem}dl.read{grid-template-columns:1fr}
dl.read dt{margin-top:4px}
td.ex{min-width:14rem}}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b1;--bg:#0d1117;--line:#30363d;
--box:#161b22}
header.v-pass{background:#0f2a19}header.v-fail{background:#3a0d14}
header.v-inconclusive{background:#33260a}
pre{background:#0d1117}.model{background:#10141a}svg text{fill:#e6edf3}}
""".strip()

# Sorting the template table by a column: progressive enhancement (the table reads without it).
_JS = """
document.querySelectorAll('table.sortable th button').forEach(function(b){
b.addEventListener('click',function(){
var th=b.parentNode,table=th.closest('table'),i=Array.prototype.indexOf.call(th.parentNode.children,
th),
d=th.getAttribute('aria-sort')==='descending'?1:-1,body=table.tBodies[0];
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(x,y){
var a=x.cells[i].getAttribute('data-v'),c=y.cells[i].getAttribute('data-v'),p=parseFloat(a),
q=parseFloat(c);
if(!isNaN(p)&&!isNaN(q))return d*(p-q);return d*String(a).localeCompare(String(c));});
table.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
th.setAttribute('aria-sort',d===1?'ascending':'descending');rows.forEach(function(r){
body.appendChild(r);});});});
""".strip()


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def content_security_policy() -> str:
    """The policy the page holds to: nothing external, only its own stylesheet and script."""
    return (
        f"default-src 'none'; style-src '{_sha256(_CSS)}'; script-src '{_sha256(_JS)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def render_html(verdict: Verdict, context: ReportContext | None = None) -> str:
    """The whole page, at most MAX_BYTES (sections are shortened, never the verdict)."""
    started = time.perf_counter()
    context = context or ReportContext()
    for examples in (3, 1, 0):
        page = _page(verdict, context, examples)
        if len(page.encode()) <= MAX_BYTES:
            break
    else:  # still too large (an enormous model answer?): drop the template table's detail
        page = _page(verdict, context, 0, templates=20)
    took = (time.perf_counter() - started) * 1000
    return page.replace("<!--render-ms-->", f"{took:.0f}")


def _page(verdict: Verdict, context: ReportContext, examples: int, templates: int | None = None) -> str:
    evidence = verdict.evidence
    word = verdict.verdict.upper()
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{escape(content_security_policy())}">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape(word)}: canary analysis report (rollouts-ai-job)</title>",
        f"<style>{_CSS}</style></head><body>",
        _banner(verdict, context),
        "<main>",
        _findings(verdict.findings),
        _model(verdict),
    ]
    if evidence is not None:
        parts += [
            _activity(evidence.activity),
            _latency(evidence),
            _pods(evidence),
            _metrics(evidence),
            _templates(evidence, examples, templates),
            _crashes(evidence),
            _sides(evidence),
        ]
    parts += [
        "</main>",
        f"<footer>rollouts-ai-job {escape(__version__)}; rendered in <!--render-ms--> ms. Times are UTC. "
        "Log text on this page is redacted and shown as text; the page loads nothing from outside.</footer>",
        f"<script>{_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


# ---------------------------------------------------------------- banner

_ICONS = {"pass": "✓", "fail": "✗", "inconclusive": "?"}
_NOT_ASKED = "the model was not used"  # --no-llm: said by the mode, not a note about the data


def _banner(verdict: Verdict, context: ReportContext) -> str:
    evidence = verdict.evidence
    mode = "evidence and model" if verdict.mode == "evidence+llm" else "evidence only (no model)"
    rows: list[tuple[str, str]] = []
    if context.source:
        rows.append(("Source", context.source))
    if context.stable or context.canary:
        rows.append(("Stable chosen by", ", ".join(context.stable) or "—"))
        rows.append(("Canary chosen by", ", ".join(context.canary) or "—"))
    window = context.window_seconds
    if window is None and evidence is not None and evidence.activity is not None:
        window = evidence.activity.end - evidence.activity.start
    if evidence is not None and evidence.activity is not None:
        act = evidence.activity
        how = "collection window" if act.window == "known" else "from the lines' own times"
        rows.append(
            ("Window", f"{_clock(act.start)} to {_clock(act.end)} UTC ({_span(act.end - act.start)}, {how})")
        )
    elif window:
        rows.append(("Window", _span(window)))
    if evidence is not None:
        for name, side in (("Stable", evidence.stable), ("Canary", evidence.canary)):
            rows.append((f"{name} read", _read_line(side)))
    if context.generated_at:
        rows.append(("Analysed", f"{_clock(context.generated_at, True)} UTC"))
    if context.report_id:
        rows.append(("Report id", context.report_id))
    notes = list(evidence.notes) if evidence is not None else []
    if verdict.llm.error and not verdict.llm.error.startswith(_NOT_ASKED):
        notes.append(f"model: {verdict.llm.error}")
    note_html = (
        f'<section aria-label="Notes about the data"><h2 class="muted">Notes ({len(notes)})</h2><ul '
        'class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul></section>"
        if notes
        else '<p class="meta">No data was cut or skipped.</p>'
    )
    return (
        f'<header class="v-{escape(verdict.verdict)}" role="banner"><div>'
        '<p class="verdict" id="verdict"><span class="icon" aria-hidden="true">'
        f"{_ICONS.get(verdict.verdict, '')}</span>"
        f'<span class="word">{escape(verdict.verdict.upper())}</span></p>'
        f'<p class="meta" id="scores">score {verdict.score:.2f} · confidence '
        f"{verdict.confidence:.2f} · {escape(mode)}</p>"
        f'<p class="summary" id="summary">{escape(verdict.summary)}</p>'
        '<dl class="read">' + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows) + "</dl>"
        f"{note_html}</div></header>"
    )


def _read_line(side: SideStats) -> str:
    pods = (
        f"{len(side.pods)} pod(s): {', '.join(side.pods[:6])}" + (" …" if len(side.pods) > 6 else "")
        if side.pods
        else ""
    )
    text = f"{side.streams} stream(s), {side.lines:,} lines, {side.events:,} events, {_bytes(side.bytes)}"
    return f"{pods}; {text}" if pods else text


# ---------------------------------------------------------------- findings

_EVIDENCE_OF = {
    "quiet-canary": "activity",
    "latency": "latency",
    "http-5xx": "activity",
    "http-4xx": "activity",
    "error-share": "activity",
    "crash": "crashes",
    "too-few-data": "sides",
    "quiet-service": "sides",
}


def _anchor(finding: Finding) -> str:
    if finding.kind.startswith("pod-"):
        return "pods"
    if finding.kind.startswith("metric"):
        return "metrics"
    return _EVIDENCE_OF.get(finding.kind, "templates")


def _findings(findings: list[Finding]) -> str:
    if not findings:
        return (
            '<section id="findings" aria-labelledby="h-findings"><h2 id="h-findings">'
            "Findings</h2><p>None: nothing differs enough to mention.</p></section>"
        )
    ordered = sorted(findings, key=lambda f: -SEVERITY_ORDER.get(f.severity, 0))
    items = []
    for f in ordered:
        examples = "".join(f"<pre>{escape(_cut(e))}</pre>" for e in f.examples[:2])
        details = (
            f"<details><summary>examples ({len(f.examples[:2])})</summary>{examples}</details>"
            if examples
            else ""
        )
        ack = f.acknowledged or {}
        label = f"ACKNOWLEDGED (was {str(ack.get('severity', '?')).upper()})" if ack else f.severity.upper()
        items.append(
            f'<li class="sev-{escape(f.severity)}{" acked" if ack else ""}"><span class="sev">{escape(label)}'
            f'</span><span class="kind">{escape(f.kind)} · {escape(f.side)}</span><br>{escape(f.message)} '
            f'<a href="#{_anchor(f)}">evidence</a>{_acknowledged_by(ack)}{details}{_to_copy(f)}</li>'
        )
    return (
        '<section id="findings" aria-labelledby="h-findings"><h2 id="h-findings">Findings, most '
        "severe first</h2>"
        f'<ol class="findings">{"".join(items)}</ol></section>'
    )


def _acknowledged_by(ack: dict[str, object]) -> str:
    """Which entry of which file made a finding known noise, and until when."""
    if not ack:
        return ""
    until = f", until {ack['expires']}" if ack.get("expires") else ""
    by = f"{ack.get('source')} entry {ack.get('entry')}{until}"
    return (
        f'<p class="ack">Known noise by {escape(by)}: {escape(str(ack.get("reason")))}. '
        "Not counted in the verdict.</p>"
    )


def _to_copy(finding: Finding) -> str:
    """The template ids and patterns a finding is about, to paste into an acknowledge file."""
    if not finding.templates:
        return ""
    lines = "".join(
        f"<code>- template: {escape(ref['template'])}</code><br>"
        f"<code>  pattern: {escape(yaml_quoted(ref['pattern']))}</code><br>"
        for ref in finding.templates
    )
    return f'<details class="ack"><summary>to acknowledge, copy</summary>{lines}</details>'


def _model(verdict: Verdict) -> str:
    llm = verdict.llm
    if not llm.used:
        reason = escape(f"not asked: {llm.skipped}" if llm.skipped else llm.error or _NOT_ASKED)
        return (
            '<aside class="model" aria-labelledby="h-model"><h2 id="h-model">The model\'s explanation</h2>'
            f"<p>None: {reason}. The verdict rests on the evidence alone.</p></aside>"
        )
    cited = getattr(llm, "relied_on", None) or getattr(llm, "cited", None) or []
    cited_html = (
        "<p>It cited: " + ", ".join(f"<code>{escape(str(c))}</code>" for c in cited) + "</p>" if cited else ""
    )
    # Where the evidence already fails the canary the model is asked for no verdict (none could count).
    said = (
        f"The model said <strong>{escape(llm.verdict)}</strong>"
        + (f" (confidence {llm.confidence:.2f})" if llm.confidence is not None else "")
        + ". Its words, as written:"
        if llm.verdict
        else "Its words, as written:"
    )
    return (
        '<aside class="model" aria-labelledby="h-model">'
        f'<h2 id="h-model">The model\'s explanation ({escape(llm.model or "model")}, not evidence)</h2>'
        f"<p>{said}</p>"
        f"<blockquote>{escape(llm.reasoning or '(no reasoning given)')}</blockquote>{cited_html}"
        '<p class="muted">The model may explain and escalate a verdict; it cannot lower it or clear a '
        "critical finding.</p></aside>"
    )


# ---------------------------------------------------------------- activity


def _activity(act: Activity | None) -> str:
    head = (
        '<section id="activity" aria-labelledby="h-activity"><h2 id="h-activity">Activity over '
        "the window</h2>"
    )
    if act is None:
        return head + "<p>The log lines carry no times: activity over time cannot be shown.</p></section>"
    if act.end - act.start < MIN_CHART_SECONDS:
        return head + f"<p>{escape(_spans(act))}: too short a time to draw activity over it.</p></section>"
    labels = _time_labels(act.start, act.end)
    per_minute = 60.0 / act.slice_seconds
    unit = act.unit
    stable_rate = [n * per_minute for n in (act.stable.requests if unit == "requests" else act.stable.events)]
    canary_rate = [n * per_minute for n in (act.canary.requests if unit == "requests" else act.canary.events)]
    parts = [
        head,
        svg.line_chart(
            f"{unit.capitalize()} per minute",
            f"{unit.capitalize()} per minute of each side over the window; the stable is a solid line, the "
            f"canary dashed. {_activity_words(act)}",
            [(STABLE, "stable", stable_rate), (CANARY, "canary", canary_rate)],
            labels,
            "/min",
        ),
        f"<p>{escape(_activity_words(act))}</p>",
    ]
    shares = [("Error-level share", "errors", "events")]
    if sum(act.stable.requests) or sum(act.canary.requests):
        shares += [("HTTP 5xx share", "http_5xx", "requests"), ("HTTP 4xx share", "http_4xx", "requests")]
    quiet = []
    for title, part, whole in shares:
        if not sum(getattr(act.stable, part)) and not sum(getattr(act.canary, part)):
            quiet.append(title.split(" share")[0].replace("Error-level", "error-level"))
            continue
        lines = []
        for css, name, side in ((STABLE, "stable", act.stable), (CANARY, "canary", act.canary)):
            numerators, totals = getattr(side, part), getattr(side, whole)
            lines.append(
                (css, name, [100 * n / t if t else None for n, t in zip(numerators, totals, strict=True)])
            )
        parts.append(f"<h3>{escape(title)} over time</h3>")
        parts.append(
            svg.line_chart(
                f"{title} over time",
                f"{title} of each side per time slice, in percent (gaps: no {whole} in that slice)",
                lines,
                labels,
                "%",
                y_floor=5.0,
                height=150,
            )
        )
    if quiet:
        listed = ", ".join(quiet[:-1]) + " or " + quiet[-1] if len(quiet) > 1 else quiet[0]
        parts.append(f"<p>No {listed} events on either side over the window.</p>")
    parts.append(_activity_table(act))
    return "".join(parts) + "</section>"


def _spans(act: Activity) -> str:
    sides = [
        f"{name} {_clock(side.first)} to {_clock(side.last)[-8:]}"
        for name, side in (("stable", act.stable), ("canary", act.canary))
        if side.first is not None and side.last is not None
    ]
    return "The lines cover " + (", ".join(sides) or "no time")


def _activity_words(act: Activity) -> str:
    unit = act.unit
    words = (
        f"Last quarter: canary {act.canary.tail_per_minute:g} {unit}/min, stable "
        f"{act.stable.tail_per_minute:g}/min."
    )
    if act.canary.last is not None:
        words += (
            f" Canary's last line at {_clock(act.canary.last)}, "
            f"{_span(max(0.0, act.end - act.canary.last))} before the window's end."
        )
    if act.quiet_p_value is not None and act.expected_while_quiet >= 1:
        words += (
            f" Since its last {unit[:-1]}, the stable logged {act.stable_while_quiet} and about "
            f"{act.expected_while_quiet:.0f} canary {unit} were expected (p = {_p(act.quiet_p_value)})."
        )
    return words


def _activity_table(act: Activity) -> str:
    rows = []
    for i in range(len(act.stable.events)):
        start = act.start + i * act.slice_seconds
        cells = [
            act.stable.events[i], act.canary.events[i], act.stable.errors[i], act.canary.errors[i],
            act.stable.http_5xx[i], act.canary.http_5xx[i], act.stable.http_4xx[i], act.canary.http_4xx[i],
        ]  # fmt: skip
        if not any(cells):
            continue
        rows.append(
            f"<tr><td>{_clock(start)}</td>" + "".join(f'<td class="n">{n}</td>' for n in cells) + "</tr>"
        )
    return (
        '<details><summary>The numbers per time slice</summary><div class="scroll"><table>'
        '<thead><tr><th>slice from (UTC)</th><th class="n">stable events</th><th class="n">canary events</th>'
        '<th class="n">stable errors</th><th class="n">canary errors</th><th class="n">stable 5xx</th>'
        '<th class="n">canary 5xx</th><th class="n">stable 4xx</th><th class="n">canary 4xx</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></details>"
    )


# ---------------------------------------------------------------- latency


def _latency(evidence: Evidence) -> str:
    s, c, hist = evidence.stable.durations, evidence.canary.durations, evidence.latency_histogram
    head = '<section id="latency" aria-labelledby="h-latency"><h2 id="h-latency">Latency</h2>'
    if hist is None or (s is None and c is None):
        return head + "<p>Neither side logs request durations.</p></section>"
    marks = []
    for css, name, d in ((STABLE, "stable", s), (CANARY, "canary", c)):
        if d is not None:
            marks += [(css, f"{name[0]}{q}", getattr(d, f"p{q}_ms")) for q in (50, 90, 99)]
    desc = (
        "Distribution of request durations of each side (share of its requests per bin, log scale); "
        + "; ".join(
            f"{name} p50 {d.p50_ms:g} ms, p90 {d.p90_ms:g} ms, p99 {d.p99_ms:g} ms ({d.count} timed)"
            for name, d in (("stable", s), ("canary", c))
            if d is not None
        )
    )
    chart = svg.histogram_chart(
        "Request durations",
        desc,
        hist.edges_ms,
        [(STABLE, "stable", hist.stable), (CANARY, "canary", hist.canary)],
        marks,
    )
    rows = "".join(
        f'<tr><th scope="row">{name}</th><td class="n">{d.count}</td><td class="n">{d.p50_ms:g}</td>'
        f'<td class="n">{d.p90_ms:g}</td><td class="n">{d.p99_ms:g}</td><td class="n">{d.p999_ms:g}</td>'
        f'<td class="n">{d.max_ms:g}</td><td class="n">{d.mean_ms:g}</td></tr>'
        for name, d in (("stable", s), ("canary", c))
        if d is not None
    )
    shift = ""
    if evidence.canary_above_stable_p90 is not None:
        shift = (
            f"<p>{evidence.canary_above_stable_p90:.0%} of canary requests are slower than the stable p90 "
            f"(10% expected; p = {_p(evidence.latency_p_value)}). Marks: s = stable, c = canary.</p>"
        )
    return (
        head + chart + shift + '<div class="scroll"><table><thead><tr><th>side</th><th class="n">timed</th>'
        '<th class="n">p50 ms</th><th class="n">p90 ms</th><th class="n">p99 ms</th>'
        '<th class="n">p99.9 ms</th><th class="n">max ms</th><th class="n">mean ms</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></div></section>"
    )


# ---------------------------------------------------------------- pods


def _pods(evidence: Evidence) -> str:
    head = '<section id="pods" aria-labelledby="h-pods"><h2 id="h-pods">Pod signals</h2>'
    signals = [("stable", s) for s in evidence.stable.signals] + [
        ("canary", s) for s in evidence.canary.signals
    ]
    if not signals:
        return (
            head + "<p>Kubernetes reported nothing about the pods (no restarts, OOM kills, not-ready or "
            "warning events).</p></section>"
        )
    act = evidence.activity
    chart = ""
    timed = [(side, s) for side, s in signals if s.at is not None]
    if act is not None and timed:
        span = max(act.end - act.start, 1.0)
        lanes = []
        for side in ("stable", "canary"):
            marks = [((s.at - act.start) / span, s.kind) for name, s in timed if name == side]  # type: ignore[operator]
            lanes.append((side, marks))
        chart = svg.timeline_chart(
            "Pod signals on the window",
            "When Kubernetes reported each signal, per side: "
            + "; ".join(f"{side} {s.kind} on {s.pod}" for side, s in timed),
            lanes,
            _time_labels(act.start, act.end),
        )
    rows = "".join(
        f'<tr><td>{side}</td><td>{escape(s.kind)}</td><td class="n">{s.count}</td><td>{escape(s.pod)}</td>'
        f"<td>{_clock(s.at) if s.at else '—'}</td><td>"
        f"{escape(_cut(s.message, 300))}</td></tr>"
        for side, s in signals
    )
    return (
        head
        + chart
        + '<div class="scroll"><table><thead><tr><th>side</th><th>signal</th><th class="n">count</th>'
        f"<th>pod</th><th>when (UTC)</th><th>message</th></tr></thead><tbody>{rows}</tbody></table>"
        "</div></section>"
    )


# ---------------------------------------------------------------- metrics


def _metrics(evidence: Evidence) -> str:
    """Prometheus signals (docs/metrics.md), when the analysis had them: one row per signal."""
    if not evidence.metrics:
        return ""
    rows = []
    for m in evidence.metrics:
        figures = sorted(set(m.stable) | set(m.canary))
        numbers = "; ".join(
            f"{k}: {m.stable.get(k, float('nan')):g} / {m.canary.get(k, float('nan')):g}" for k in figures
        )
        rows.append(
            f"<tr><td>{escape(m.name)}</td><td>{escape(m.kind)}</td><td><strong>{escape(m.classification)}</strong>"
            f'</td><td>{escape(numbers)}</td><td class="n">{_p(m.p_value)}</td>'
            f"<td>{escape(m.message)}</td></tr>"
        )
    return (
        '<section id="metrics" aria-labelledby="h-metrics"><h2 id="h-metrics">Metrics (Prometheus)</h2>'
        '<div class="scroll"><table><thead><tr><th>signal</th><th>kind</th><th>class</th>'
        '<th>stable / canary</th><th class="n">p</th><th>what it means</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


# ---------------------------------------------------------------- templates

_LOW_LEVELS = frozenset(("trace", "debug", "info", "unknown"))


def change_of(t: TemplateStat) -> str:
    """new | more | less | gone | same: how the canary's rate of a template differs from the stable's."""
    if t.stable == 0 and t.canary > 0:
        return "new"
    if t.canary == 0 and t.stable > 0:
        return "gone"
    if t.significant or (t.ratio is not None and t.ratio >= 1.5 and t.canary >= 3):
        return "more"
    if t.ratio is not None and t.ratio <= 1 / 1.5 and t.stable >= 3:
        return "less"
    return "same"


_NUMERIC = ' class="n"'
_CHANGE_ORDER = {"new": 0, "more": 1, "gone": 2, "less": 3, "same": 4}
_LEVEL_ORDER = {"fatal": 5, "error": 4, "warn": 3, "info": 2, "unknown": 2, "debug": 1, "trace": 0}


def _templates(evidence: Evidence, examples: int, limit: int | None) -> str:
    rows_in = sorted(
        evidence.templates,
        key=lambda t: (
            _CHANGE_ORDER[change_of(t)],
            -_LEVEL_ORDER.get(t.level, 2),
            t.p_value if t.p_value is not None else 1.0,
            -t.canary,
        ),
    )
    if limit is not None:
        rows_in = rows_in[:limit]
    counts: dict[str, int] = {}
    rows = []
    for t in rows_in:
        change = change_of(t)
        counts[change] = counts.get(change, 0) + 1
        low = "lvl-low" if t.level in _LOW_LEVELS else "lvl-high"
        shown = "".join(f"<pre>{escape(_cut(e))}</pre>" for e in t.examples[:examples])
        example_cell = (
            f"<details><summary>{len(t.examples[:examples])} example(s)</summary>{shown}</details>"
            if shown
            else "—"
        )
        ack = f"template: {escape(t.key)}"
        if t.acknowledged:
            ack = f"acknowledged: entry {escape(str(t.acknowledged.get('entry')))}</code><br><code>{ack}"
        rows.append(
            f'<tr id="t-{escape(t.id.replace(":", "-"))}" class="{low} chg-row-{change}">'
            f'<td data-v="{_CHANGE_ORDER[change]}" class="chg chg-{change}">{change}</td>'
            f'<td data-v="{_LEVEL_ORDER.get(t.level, 2)}">{escape(t.level)}</td>'
            f'<td data-v="{escape(t.template[:60])}"><code>{escape(t.template)}</code></td>'
            f'<td class="n" data-v="{t.stable}">{t.stable:,}</td><td class="n" data-v="{t.canary}">'
            f"{t.canary:,}</td>"
            f'<td class="n" data-v="{t.stable_rate * 1000:.4f}">{_rate(t.stable_rate)}</td>'
            f'<td class="n" data-v="{t.canary_rate * 1000:.4f}">{_rate(t.canary_rate)}</td>'
            f'<td class="n" data-v="{t.p_value if t.p_value is not None else 1}">'
            f"{_p(t.p_value)}{' *' if t.significant else ''}</td>"
            f'<td class="ex">{example_cell}</td>'
            f'<td class="ack"><code>{ack}</code><br><code>pattern: {escape(t.template)}</code></td></tr>'
        )
    summary = ", ".join(f"{counts[c]} {c}" for c in _CHANGE_ORDER if counts.get(c)) or "none"
    header = "".join(
        f'<th scope="col"{_NUMERIC if numeric else ""}><button type="button">{escape(name)}</button></th>'
        for name, numeric in (
            ("change", False), ("level", False), ("template", False), ("stable", True), ("canary", True),
            ("stable /1k", True), ("canary /1k", True), ("p", True),
        )
    ) + '<th scope="col">examples (redacted)</th><th scope="col">to acknowledge, copy</th>'  # fmt: skip
    shown_of = (
        f"{len(rows_in)} of {evidence.template_total}"
        if evidence.template_total > len(rows_in)
        else f"{len(rows_in)}"
    )
    return (
        '<section id="templates" aria-labelledby="h-templates"><h2 id="h-templates">Message shapes '
        "(templates): "
        f"canary against stable</h2><p>{shown_of} templates shown ({escape(summary)}). Rates are "
        "per 1,000 events "
        "of each side; p is the one-sided test that the canary's rate is higher; * = significant after "
        f"correcting for the {evidence.tested_templates} templates tested (alpha {evidence.alpha:g}).</p>"
        '<fieldset class="filters"><legend>Show</legend>'
        '<input type="radio" name="lv" id="lv-all" checked><label for="lv-all">all</label>'
        '<input type="radio" name="lv" id="lv-problems"><label for="lv-problems">warnings and '
        "errors only</label>"
        '<input type="radio" name="lv" id="lv-changed"><label for="lv-changed">changes only</label>'
        '<div class="scroll"><table class="sortable" id="template-diff"><caption class="muted">'
        "Sorted by change, then level and p; with scripts on, a column header sorts by it.</caption>"
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></fieldset></section>"
    )


# ---------------------------------------------------------------- crashes and side numbers


def _crashes(evidence: Evidence) -> str:
    blocks = []
    for name, side in (("canary", evidence.canary), ("stable", evidence.stable)):
        if side.crash_examples:
            blocks.append(f"<h3>{name}: {side.crashes} crash/fatal event(s)</h3>")
            blocks += [f"<pre>{escape(_cut(text, 4000))}</pre>" for text in side.crash_examples[:3]]
    if not blocks:
        return ""
    return (
        '<section id="crashes" aria-labelledby="h-crashes"><h2 id="h-crashes">Crashes</h2>'
        + "".join(blocks)
        + "</section>"
    )


def _sides(evidence: Evidence) -> str:
    s, c = evidence.stable, evidence.canary
    rows: list[tuple[str, str, str]] = [
        ("log streams", f"{s.streams}", f"{c.streams}"),
        ("bytes read", _bytes(s.bytes), _bytes(c.bytes)),
        ("lines", f"{s.lines:,}", f"{c.lines:,}"),
        ("events", f"{s.events:,}", f"{c.events:,}"),
        ("error-level share", f"{s.error_share:.2%}", f"{c.error_share:.2%}"),
        ("requests", f"{s.requests:,}", f"{c.requests:,}"),
        ("HTTP 5xx share", f"{s.http_5xx_share:.2%}", f"{c.http_5xx_share:.2%}"),
        ("HTTP 4xx share", f"{s.http_4xx_share:.2%}", f"{c.http_4xx_share:.2%}"),
        ("crashes", f"{s.crashes}", f"{c.crashes}"),
        ("templates", f"{s.templates}", f"{c.templates}"),
        ("lines cut (too long)", f"{s.cut_lines}", f"{c.cut_lines}"),
    ]
    body = "".join(
        f'<tr><th scope="row">{escape(a)}</th><td class="n">{escape(b)}</td><td class="n">'
        f"{escape(d)}</td></tr>"
        for a, b, d in rows
    )
    levels = sorted(set(s.levels) | set(c.levels), key=lambda lv: -_LEVEL_ORDER.get(lv, 2))
    body += "".join(
        f'<tr><th scope="row">level {escape(lv)}</th><td class="n">{s.levels.get(lv, 0):,}</td><td '
        f'class="n">{c.levels.get(lv, 0):,}</td></tr>'
        for lv in levels
    )
    return (
        '<section id="sides" aria-labelledby="h-sides"><h2 id="h-sides">The two sides in numbers</h2>'
        '<div class="scroll"><table><thead><tr><th scope="col">measure</th><th scope="col" '
        'class="n">stable</th>'
        f'<th scope="col" class="n">canary</th></tr></thead><tbody>{body}</tbody></table></div></section>'
    )


# ---------------------------------------------------------------- small formats


def _cut(text: str, limit: int = EXAMPLE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + " …"


def _clock(epoch: float, seconds: bool = True) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%H:%M")


def _time_labels(start: float, end: float) -> Iterable[tuple[float, str]]:
    fmt = "%H:%M:%S" if end - start < 600 else "%H:%M"
    return [
        (f, datetime.fromtimestamp(start + (end - start) * f, UTC).strftime(fmt))
        for f in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]


def _span(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def _rate(share: float) -> str:
    return f"{share * 1000:.2f}" if share < 0.01 else f"{share * 1000:.1f}"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1e-4:
        return f"{value:.0e}"
    return f"{value:.4f}".rstrip("0").rstrip(".")


_OWN_NAMESPACE = "(the service account's own)"


def context_from_request(request: object, report_id: str | None = None) -> ReportContext:
    """What the page says was asked for: the files, or the namespace and how each side was chosen."""
    from job.model import AnalysisRequest, ClusterSource, FileSource

    context = ReportContext(generated_at=time.time(), report_id=report_id)
    source = request.source if isinstance(request, AnalysisRequest) else None
    if isinstance(source, FileSource):
        context.source = "log files"
        context.stable, context.canary = list(source.stable_paths), list(source.canary_paths)
    elif isinstance(source, ClusterSource):
        context.source = f"Kubernetes namespace {source.namespace or _OWN_NAMESPACE}"
        narrow = f" and {source.selector}" if source.selector else ""
        context.stable = [
            f"rollouts-pod-template-hash={source.stable_hash}{narrow}"
            if source.stable_hash
            else f"{source.stable_selector}"
        ]
        context.canary = [
            f"rollouts-pod-template-hash={source.canary_hash}{narrow}"
            if source.canary_hash
            else f"{source.canary_selector}"
        ]
        if source.container:
            context.source += f", container {source.container}"
    return context

"""The HTML report as text: complete, escaped, self-contained, bounded."""

from __future__ import annotations

import base64
import hashlib
import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from job.evidence.templates import template_key
from job.model import Finding, TemplateStat
from job.render.html import MAX_BYTES, content_security_policy, render_html
from tests.render.cases import CASES, context, corpus_verdict, injected_verdict
from tests.sample_logs import IGNORE_NOISE, NOISE, NOISE_PATTERN, REAL, STABLE, judged, service_log


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.raw else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in].append(data)


def elements(page: str) -> Elements:
    parser = Elements()
    parser.feed(page)
    return parser


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_verdict_renders_a_complete_page(case: str) -> None:
    verdict = corpus_verdict(CASES[case])
    page = render_html(verdict, context(CASES[case]))
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert f'<span class="word">{verdict.verdict.upper()}</span>' in page
    assert len(page.encode()) <= MAX_BYTES
    for section in ("findings", "h-model", "activity", "latency", "pods", "templates", "sides"):
        assert f'id="{section}"' in page, section
    for finding in verdict.findings:
        assert finding.kind in page


def test_log_text_cannot_inject_markup_or_script(tmp_path: Path) -> None:
    page = render_html(injected_verdict(tmp_path))
    found = elements(page)
    assert [t for t, _ in found.tags if t in ("img", "h1", "iframe", "object", "embed")] == []
    assert [t for t, _ in found.tags].count("script") == 1, "only the page's own script"
    for _tag, attrs in found.tags:
        assert not [name for name in attrs if name.startswith("on") or name == "style"], attrs
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), (name, attrs)
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page  # shown as text
    assert "javascript:document.title" in page  # as text, never as a link


def test_the_page_holds_only_its_own_hashed_style_and_script() -> None:
    page = render_html(corpus_verdict(CASES["fail"]))
    found = elements(page)
    policy = content_security_policy()
    assert f'content="{policy}"' in page.replace("&#x27;", "'")
    for kind, directive in (("style", "style-src"), ("script", "script-src")):
        [text] = found.raw[kind]
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy
    # nothing is loaded from anywhere: no URL in any src/href but in-page anchors
    for _tag, attrs in found.tags:
        for name in ("src", "href", "action", "data", "xlink:href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (name, value)
    assert not re.search(r"url\(|@import|https?://", "".join(found.raw["style"]))


def test_the_template_diff_says_new_more_less_gone_with_copyable_ids() -> None:
    verdict = corpus_verdict(CASES["fail"])
    assert verdict.evidence is not None
    base = dict(level="error", p_value=0.5, stable_rate=0.01, canary_rate=0.01)
    verdict.evidence.templates = [
        TemplateStat(id="1:error", template="new <NUM>", stable=0, canary=9, **base),  # type: ignore[arg-type]
        TemplateStat(id="2:error", template="gone <NUM>", stable=9, canary=0, **base),  # type: ignore[arg-type]
        TemplateStat(
            id="3:error", template="more", stable=3, canary=30, ratio=10.0, significant=True, **base
        ),  # type: ignore[arg-type]
        TemplateStat(id="4:info", template="less", stable=30, canary=3, ratio=0.1, **base),  # type: ignore[arg-type]
    ]
    for template in verdict.evidence.templates:
        template.level = template.id.split(":")[1]
        template.key = template_key(template.level, template.template)
    page = render_html(verdict)
    rows = re.findall(r'<tr id="t-(\d)-\w+" class="lvl-\w+ chg-row-(\w+)">', page)
    assert rows == [("1", "new"), ("3", "more"), ("2", "gone"), ("4", "less")]
    for template in verdict.evidence.templates:  # the id to acknowledge by: the same in every analysis
        assert template.key.startswith(template.level + "-")
        assert f"<code>template: {template.key}</code>" in page


def test_an_enormous_evidence_is_cut_to_the_size_limit() -> None:
    verdict = corpus_verdict(CASES["fail"])
    assert verdict.evidence is not None
    verdict.evidence.templates = [
        TemplateStat(
            id=f"{i}:error",
            template=f"t{i} " + "x" * 2000,
            level="error",
            stable=1,
            canary=5,
            examples=["y" * 5000] * 3,
        )
        for i in range(200)
    ]
    verdict.findings += [Finding("crash", "critical", "canary", "z" * 3000, 1, ["w" * 5000] * 2)] * 20
    page = render_html(verdict)
    assert len(page.encode()) <= MAX_BYTES
    assert '<span class="word">FAIL</span>' in page


def test_pod_signals_with_a_time_are_drawn_on_the_windows_timeline() -> None:
    from job.model import PodSignal

    verdict = corpus_verdict(CASES["quiet"])
    assert verdict.evidence is not None and verdict.evidence.activity is not None
    act = verdict.evidence.activity
    middle = (act.start + act.end) / 2
    verdict.evidence.canary.signals = [
        PodSignal("shop-160-1", "restart", 2, "container app restarted 2 times", middle),
        PodSignal("shop-160-1", "not_ready", 1, "pod not ready", None),
    ]
    page = render_html(verdict)
    timeline = page[page.index('id="pods"') :]
    assert timeline.count('<circle class="signal"') == 1, "only the signal with a time is placed"
    assert re.search(r'<circle class="signal" cx="(3[4-9]\d|3[3-9]\d)\.\d"', timeline), "in the middle"
    assert "pod not ready" in timeline and "—" in timeline  # the untimed one is listed, without a time


def test_prometheus_signals_have_their_own_table_and_findings_link_to_it() -> None:
    from job.model import MetricComparison

    verdict = corpus_verdict(CASES["fail"])
    assert verdict.evidence is not None
    verdict.evidence.metrics = [
        MetricComparison(
            name="error-rate", kind="errors", classification="High", direction="increase", critical=True,
            required=True, gating=True, stable={"rate": 0.01}, canary={"rate": 0.3}, p_value=1e-9,
            message="<b>30x</b> the stable's",
        )
    ]  # fmt: skip
    verdict.findings.append(
        Finding("metric-error-rate", "critical", "canary", "metric error-rate (errors, High)")
    )
    page = render_html(verdict)
    assert 'id="metrics"' in page and "<strong>High</strong>" in page and "rate: 0.01 / 0.3" in page
    assert "&lt;b&gt;30x&lt;/b&gt;" in page
    assert re.search(r"metric error-rate \(errors, High\) <a href=\"#metrics\">evidence</a>", page)


def test_an_acknowledged_finding_says_so_with_its_entry_and_every_finding_what_to_copy(
    tmp_path: Path,
) -> None:
    canary = service_log(400, 3, (("error", NOISE, 0.3), ("error", REAL, 0.05)))
    page = render_html(judged(tmp_path, STABLE, canary, IGNORE_NOISE))
    acked = re.findall(
        r'<li class="sev-info acked"><span class="sev">ACKNOWLEDGED \(was MAJOR\)</span>(.*?)</li>', page
    )
    by = "Known noise by acknowledge file &#x27;acks.yaml&#x27; entry 1, until 2999-12-31"
    assert acked and all(by in a for a in acked)
    assert all(escape(NOISE_PATTERN) in a for a in acked)
    live = re.findall(r'<li class="sev-major"><span class="sev">MAJOR</span>(.*?)</li>', page)
    assert any("to acknowledge, copy" in item and "KeyError" in item for item in live)
    assert "<code>acknowledged: entry 1</code>" in page  # its row in the template table

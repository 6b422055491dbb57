"""The `compact` object of the result document: what the web metric stores per measurement."""

from __future__ import annotations

import json
from typing import Any

from job.model import Finding, Verdict
from job.report import COMPACT_FINDINGS, COMPACT_LIMIT, compact, document, render, stored_bytes
from tests.test_report import sample


def go_marshal_bytes(value: Any) -> int:
    """len(json.Marshal(value)) as Go writes it (Argo's webmetric getValue): UTF-8, with <, >, &,
    U+2028 and U+2029 escaped, no spaces."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return len(text.encode("utf-8"))


def hostile(findings: int = 40) -> Verdict:
    """Long, escaping-heavy, multi-byte text everywhere a log line can reach."""
    verdict = sample(findings=0, summary="<&> ünïcødé 🚨 " * 400)
    verdict.findings = [
        Finding("k", severity, "canary", f"<script>&{i}</script> ✗ 💥 " * 300, 1)
        for i, severity in enumerate(["info", "minor", "major", "critical"] * (findings // 4))
    ]
    return verdict


def test_the_document_carries_the_compact_verdict() -> None:
    doc = json.loads(render(sample(findings=2), "json"))
    small = doc["compact"]
    assert small["verdict"] == doc["verdict"] == "fail"
    assert (small["score"], small["confidence"]) == (0.2, 0.9)
    assert small["summary"] == doc["summary"]
    assert small["findings"][0].startswith("[critical] finding 0 ")
    assert "reportUrl" not in small
    assert list(doc)[:4] == ["verdict", "score", "confidence", "summary"]


def test_compact_is_within_its_limit_however_hostile_the_text() -> None:
    doc = document(hostile())
    small = doc["compact"]
    assert go_marshal_bytes(small) <= stored_bytes(small) <= COMPACT_LIMIT
    assert small["verdict"] == "fail" and small["score"] == 0.2
    assert small["summary"]  # cut, not dropped, while findings fit
    whole = go_marshal_bytes(doc)
    assert whole > 20 * COMPACT_LIMIT  # what jsonPath "{$}" would have stored per measurement


def test_the_most_severe_findings_come_first() -> None:
    verdict = sample(findings=0, summary="short")
    verdict.findings = [
        Finding("a", "info", "both", "an info", 1),
        Finding("b", "minor", "canary", "a minor", 1),
        Finding("c", "critical", "canary", "the critical one", 1),
        Finding("d", "major", "canary", "a major", 1),
        Finding("e", "major", "canary", "another major", 1),
    ]
    small = document(verdict)["compact"]
    assert small["findings"] == ["[critical] the critical one", "[major] a major", "[major] another major"]
    assert len(small["findings"]) == COMPACT_FINDINGS


def test_report_url_is_kept_when_the_document_has_one() -> None:
    doc = document(sample())
    doc["reportUrl"] = "http://rollouts-ai-job-web.default.svc:8080/reports/0f3a"
    assert compact(doc)["reportUrl"] == doc["reportUrl"]
    doc["reportUrl"] = "http://x/" + "a" * 5000  # never at the cost of the verdict
    huge = compact(doc)
    assert "reportUrl" not in huge and huge["verdict"] == "fail" and stored_bytes(huge) <= COMPACT_LIMIT


def test_stored_bytes_never_undercounts_go() -> None:
    for text in ("plain", "<&>", "ünï", "🚨💥", "\u2028\u2029", 'quote " back \\ slash'):
        assert go_marshal_bytes({"s": text}) <= stored_bytes({"s": text}), text

import json

from job.model import DurationStats, Evidence, Finding, LLMResult, SideStats, TemplateStat, Verdict
from job.report import TERMINATION_LIMIT, render, termination_message


def sample(
    findings: int = 1, summary: str = "Canary returns HTTP 5xx on 85% of requests; stable 0%."
) -> Verdict:
    stable = SideStats(streams=1, lines=800, events=800, requests=400, levels={"info": 800})
    stable.http_status = {"200": 400}
    canary = SideStats(streams=1, lines=800, events=800, requests=400, levels={"info": 800})
    canary.http_status, canary.http_5xx_share = {"200": 60, "500": 340}, 0.85
    canary.durations = DurationStats(
        count=400, p50_ms=12, p90_ms=20, p99_ms=40, mean_ms=13, p999_ms=450, max_ms=612
    )
    template = TemplateStat(
        "-2:info", "GET /color 500", "info", 0, 340, 1e-90, ['"GET /color HTTP/1.1" 500'], True
    )
    long_findings = [
        Finding("http-5xx", "critical", "canary", f"finding {i} " + "x" * 200, 340, ["GET /color 500"])
        for i in range(findings)
    ]
    return Verdict(
        verdict="fail",
        score=0.2,
        confidence=0.9,
        summary=summary,
        findings=long_findings,
        evidence=Evidence(stable=stable, canary=canary, templates=[template], template_total=3),
        llm=LLMResult(used=False, error="the model was not used (--no-llm): evidence-only verdict"),
    )


def test_json_is_the_result_document() -> None:
    document = json.loads(render(sample(), "json"))
    assert list(document)[:8] == [
        "verdict",
        "score",
        "confidence",
        "summary",
        "findings",
        "evidence",
        "llm",
        "version",
    ]
    assert document["verdict"] == "fail" and document["score"] == 0.2
    # the contract's keys, plus the extensions `source` (logs | pods | metrics), `templates` (what to
    # copy into an acknowledge file) and `acknowledged` (null unless a team's ignore entry matched)
    assert set(document["findings"][0]) == {
        "kind",
        "severity",
        "side",
        "message",
        "count",
        "examples",
        "source",
        "templates",
        "acknowledged",
    }
    assert document["findings"][0]["acknowledged"] is None
    assert document["findings"][0]["source"] in ("logs", "pods", "metrics")
    assert document["evidence"]["canary"]["http_status"] == {"200": 60, "500": 340}
    assert document["evidence"]["templates"][0]["template"] == "GET /color 500"
    llm_keys = {
        "used",
        "model",
        "verdict",
        "confidence",
        "reasoning",
        "error",
        "prompt_tokens",
        "duration_ms",
    }
    assert set(document["llm"]) >= llm_keys
    assert document["llm"]["used"] is False


def test_text_report_reads_like_a_report() -> None:
    text = render(sample(), "text")
    assert text.startswith("Verdict: FAIL")
    assert "Canary returns HTTP 5xx on 85%" in text
    assert "[critical]" in text and "HTTP 5xx share" in text and "85.0%" in text
    assert "GET /color 500" in text and "Model: not used" in text
    rows = {
        line[:24].strip(): line[24:].split() for line in text.splitlines() if line.startswith("  latency")
    }
    assert rows["latency p99.9 ms"] == ["-", "450.0"] and rows["latency max ms"] == ["-", "612.0"]


def test_termination_message_is_short_and_says_the_verdict() -> None:
    message = termination_message(sample())
    assert message.startswith("FAIL score=0.20 confidence=0.90\nCanary returns HTTP 5xx")
    assert "[critical] finding 0" in message


def test_termination_message_fits_4096_bytes_even_with_multibyte_text() -> None:
    message = termination_message(sample(findings=100, summary="é" * 5000))
    assert len(message.encode("utf-8")) <= TERMINATION_LIMIT
    message.encode("utf-8").decode("utf-8")  # cut on a character boundary

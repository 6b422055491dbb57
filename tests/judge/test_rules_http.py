from judge_helpers import evidence, evidence_from_logs, side

from job.judge.rules import http_4xx, http_5xx
from tests.sample_logs import web_log


def test_most_requests_failing_is_critical_with_numbers() -> None:
    ev = evidence_from_logs(web_log(400, 1), web_log(400, 2, error_share=0.85))
    [finding] = http_5xx(ev)
    assert finding.severity == "critical"
    assert finding.message.startswith("canary returns HTTP 5xx on 8") and "stable 0%" in finding.message
    assert finding.message.endswith(
        f"most on GET /color ({finding.count} of {finding.count}, 100% of requests)"
    )
    assert '"GET /color HTTP/1.1" 500' in finding.examples[0]


def test_a_few_percent_more_5xx_is_major() -> None:
    ev = evidence(stable=side(http={"200": 5000}), canary=side(http={"200": 950, "500": 50}))
    [finding] = http_5xx(ev)
    assert finding.severity == "major" and "5.0%" in finding.message


def test_same_5xx_share_as_stable_is_no_finding() -> None:
    ev = evidence(stable=side(http={"200": 980, "503": 20}), canary=side(http={"200": 490, "503": 10}))
    assert http_5xx(ev) == []


def test_one_5xx_in_a_thousand_is_noise() -> None:
    ev = evidence(stable=side(http={"200": 1000}), canary=side(http={"200": 999, "500": 1}))
    assert http_5xx(ev) == []


def test_few_requests_mostly_failing_is_major_not_critical() -> None:
    ev = evidence(stable=side(http={"200": 1000}), canary=side(events=10, http={"200": 2, "500": 8}))
    [finding] = http_5xx(ev)
    assert finding.severity == "major" and "few requests" in finding.message


def test_a_worse_stable_is_info() -> None:
    ev = evidence(stable=side(http={"200": 800, "502": 200}), canary=side(http={"200": 1000}))
    [finding] = http_5xx(ev)
    assert (finding.severity, finding.side) == ("info", "stable")


def test_4xx_rise_is_at_most_major() -> None:
    ev = evidence(stable=side(http={"200": 1000}), canary=side(http={"200": 100, "404": 900}))
    [finding] = http_4xx(ev)
    assert finding.severity == "major" and "4xx" in finding.message


def test_without_a_stable_baseline_a_mostly_failing_canary_is_still_critical() -> None:
    ev = evidence(stable=side(http={"200": 3}), canary=side(http={"200": 100, "500": 400}))
    [finding] = http_5xx(ev)
    assert finding.severity == "critical" and "stable has only 3 requests" in finding.message

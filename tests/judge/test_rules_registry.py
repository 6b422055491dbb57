from judge_helpers import evidence, evidence_from_logs

from job.judge.rules import RULES, run_rules
from tests.sample_logs import web_log


def test_every_rule_is_registered_once_and_returns_findings() -> None:
    assert set(RULES) >= {
        "crash", "http_5xx", "http_4xx", "error_share", "new_error_templates", "template_increase",
        "new_templates", "stable_only_errors", "latency", "too_few_data", "pod_signals", "failing_warnings",
    }  # fmt: skip
    for check in RULES.values():
        assert isinstance(check(evidence()), list)


def test_findings_come_most_severe_first() -> None:
    findings = run_rules(evidence_from_logs(web_log(300, 1), web_log(300, 2, error_share=0.9, slow=3)))
    ranks = ["critical", "major", "minor", "info"]
    assert [ranks.index(f.severity) for f in findings] == sorted(ranks.index(f.severity) for f in findings)
    assert findings[0].severity == "critical"


def test_noise_fails_nothing() -> None:
    # new request ids, a new colour, different client IPs: nothing above info
    findings = run_rules(evidence_from_logs(web_log(400, 1, colour="blue"), web_log(400, 2, colour="green")))
    assert all(f.severity == "info" for f in findings)


def test_the_docs_rules_table_names_every_rule() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "analysis.md").read_text()
    missing = [name for name in RULES if f"| `{name}` |" not in page]
    assert not missing, f"docs/analysis.md's rules table lacks rows for {missing}"

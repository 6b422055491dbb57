import re

from judge_helpers import evidence, evidence_from_logs, json_service, side

from job.judge.rules import (
    error_share,
    new_error_templates,
    new_templates,
    stable_only_errors,
    template_increase,
)

DB = "failed to reserve stock: connection refused"


def test_error_share_jump_is_major_or_worse_with_numbers() -> None:
    ev = evidence_from_logs(json_service(2000, 1), json_service(1000, 2, errors={DB: 0.10}))
    [finding] = error_share(ev)
    assert finding.severity == "major"
    assert re.search(r"canary \d+(\.\d)?% \(\d+/1000 events\), stable 0% \(0/2000\)", finding.message)
    assert finding.examples and DB in finding.examples[0]


def test_error_share_of_a_third_is_critical() -> None:
    ev = evidence(stable=side(errors=10), canary=side(errors=400))
    assert error_share(ev)[0].severity == "critical"


def test_error_share_equal_to_stable_is_nothing() -> None:
    ev = evidence_from_logs(
        json_service(2000, 1, errors={DB: 0.02}), json_service(2000, 2, errors={DB: 0.02})
    )
    assert error_share(ev) == []


def test_a_significant_new_error_template_is_major() -> None:
    ev = evidence_from_logs(json_service(2000, 1), json_service(2000, 2, errors={DB: 0.02}))
    findings = new_error_templates(ev)
    assert [f.severity for f in findings] == ["major"]
    assert DB in findings[0].message and "never in stable" in findings[0].message


def test_one_new_error_line_is_minor() -> None:
    canary = json_service(1000, 2) + '{"level":"error","msg":"cache warmup skipped: redis timeout"}\n'
    findings = new_error_templates(evidence_from_logs(json_service(1000, 1), canary))
    assert [f.severity for f in findings] == ["minor"] and "too few" in findings[0].message


def test_a_burst_of_different_new_errors_is_major() -> None:
    burst = "".join(
        f'{{"level":"error","msg":"{w} handler failed: nil map"}}\n'
        for w in ["cart", "user", "pay", "ship"] * 4
    )
    findings = new_error_templates(evidence_from_logs(json_service(1000, 1), json_service(1000, 2) + burst))
    assert any(f.severity == "major" for f in findings)


def test_rising_existing_error_is_major_when_threefold() -> None:
    ev = evidence_from_logs(
        json_service(3000, 1, errors={DB: 0.01}), json_service(3000, 2, errors={DB: 0.05})
    )
    [finding] = template_increase(ev)
    assert finding.severity == "major" and "x as frequent" in finding.message


def test_new_info_messages_are_info_only() -> None:
    ev = evidence_from_logs(json_service(1000, 1), json_service(1000, 2, new_info=True))
    findings = new_templates(ev) + new_error_templates(ev) + error_share(ev) + template_increase(ev)
    assert [f.severity for f in findings] == ["info"]
    assert "feature flag" in findings[0].examples[0]


def test_errors_only_in_stable_are_info() -> None:
    ev = evidence_from_logs(json_service(1000, 1, errors={DB: 0.05}), json_service(1000, 2))
    [finding] = stable_only_errors(ev)
    assert (finding.severity, finding.side) == ("info", "stable")


def test_a_rising_warning_that_names_no_failure_is_only_minor() -> None:
    """(One that names a failure, e.g. "retrying payment call", is major: test_rules_warnings_and_quiet.)"""
    warn = "".join('{"level":"warn","msg":"payment profile cache cold, refilling"}\n' for _ in range(150))
    some = "".join('{"level":"warn","msg":"payment profile cache cold, refilling"}\n' for _ in range(10))
    ev = evidence_from_logs(json_service(1500, 1) + some, json_service(1500, 2) + warn)
    [finding] = template_increase(ev)
    assert finding.severity == "minor" and finding.message.startswith("warn message")

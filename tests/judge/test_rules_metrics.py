"""The `metrics` rule and how the policy weighs metric findings (logs and metrics in one verdict)."""

from __future__ import annotations

from judge_helpers import evidence, side

from job.judge.policy import decide
from job.judge.rules import metrics, run_rules
from job.model import Evidence, MetricComparison


def comparison(name: str, classification: str, **kw: object) -> MetricComparison:
    fields = {"kind": "ratio", "direction": "increase", "critical": False, "required": False, "gating": True}
    fields.update(kw)
    return MetricComparison(name=name, classification=classification, message="figures", **fields)  # type: ignore[arg-type]


def with_metrics(base: Evidence, *comparisons: MetricComparison) -> Evidence:
    base.metrics = list(comparisons)
    return base


def test_a_bad_change_is_critical_or_major_and_its_source_is_metrics() -> None:
    found = metrics(
        with_metrics(evidence(), comparison("errors", "High", critical=True), comparison("p99", "High"))
    )
    assert [(f.kind, f.severity) for f in found] == [("metric-errors", "critical"), ("metric-p99", "major")]
    ranked = run_rules(with_metrics(evidence(), comparison("errors", "High", critical=True)))
    assert next(f for f in ranked if f.kind == "metric-errors").source == "metrics"


def test_the_better_direction_and_non_gating_signals_never_fail() -> None:
    found = metrics(
        with_metrics(
            evidence(),
            comparison("errors", "Low"),  # fewer errors: good
            comparison("rate", "Low", direction="decrease", gating=False),  # informational
            comparison("ok", "Pass"),
        )
    )
    assert [f.severity for f in found] == ["info", "info"]


def test_a_metric_finding_fails_a_canary_whose_logs_are_thin() -> None:
    thin = with_metrics(evidence(canary=side(events=5)), comparison("errors", "High"))
    assert decide(thin, run_rules(thin)).verdict == "fail"


def test_a_required_signal_without_data_blocks_a_pass() -> None:
    healthy = with_metrics(evidence(), comparison("errors", "NoData", required=True))
    verdict = decide(healthy, run_rules(healthy))
    assert verdict.verdict == "inconclusive" and "Not a pass" in verdict.summary
    optional = with_metrics(evidence(), comparison("errors", "NoData"))
    assert decide(optional, run_rules(optional)).verdict == "pass"


def test_metrics_alone_judge_a_canary_that_logs_nothing() -> None:
    silent = evidence(canary=side(events=0), stable=side(events=0))
    assert decide(silent, run_rules(silent)).verdict == "inconclusive"
    healthy = with_metrics(silent, comparison("errors", "Pass"), comparison("p99", "Pass"))
    verdict = decide(healthy, run_rules(healthy))
    assert verdict.verdict == "pass" and 0.5 < verdict.confidence <= 0.8
    bad = with_metrics(evidence(canary=side(events=0), stable=side(events=0)), comparison("errors", "High"))
    assert decide(bad, run_rules(bad)).verdict == "fail"

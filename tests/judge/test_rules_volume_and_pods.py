from judge_helpers import evidence, side

from job.judge.rules import MIN_EVENTS, pod_signals, too_few_data
from job.model import PodSignal


def test_too_few_canary_events_is_reported() -> None:
    [finding] = too_few_data(evidence(stable=side(events=1000), canary=side(events=5)))
    assert (
        finding.side == "canary" and "only 5 canary" in finding.message and str(MIN_EVENTS) in finding.message
    )


def test_both_sides_thin_gives_two_findings() -> None:
    assert {f.side for f in too_few_data(evidence(side(events=0), side(events=0)))} == {"canary", "stable"}


def test_enough_data_no_finding() -> None:
    assert too_few_data(evidence()) == []


def test_oomkilled_and_crashloop_are_critical() -> None:
    canary = side(
        signals=[PodSignal("web-6d9f-abc", "OOMKilled", 2), PodSignal("web-6d9f-abc", "CrashLoopBackOff")]
    )
    findings = pod_signals(evidence(canary=canary))
    assert {f.kind: f.severity for f in findings} == {
        "pod-oomkilled": "critical",
        "pod-crashloopbackoff": "critical",
    }


def test_image_pull_failure_is_critical() -> None:
    [finding] = pod_signals(
        evidence(canary=side(signals=[PodSignal("p", "ImagePullBackOff", 1, "not found")]))
    )
    assert finding.severity == "critical" and finding.examples == ["not found"]


def test_restarts_are_major_unless_stable_restarts_too() -> None:
    restart = [PodSignal("canary-1", "restart", 3)]
    assert pod_signals(evidence(canary=side(signals=restart)))[0].severity == "major"
    both = evidence(stable=side(signals=[PodSignal("stable-1", "restart", 1)]), canary=side(signals=restart))
    assert pod_signals(both)[0].severity == "minor"


def test_warning_events_are_minor_and_stable_signals_info() -> None:
    ev = evidence(
        stable=side(signals=[PodSignal("stable-1", "not_ready", 1)]),
        canary=side(signals=[PodSignal("canary-1", "warning_event", 4, "Readiness probe failed")]),
    )
    severities = {(f.side, f.severity) for f in pod_signals(ev)}
    assert severities == {("canary", "minor"), ("stable", "info")}

"""log_restarts: the canary's log shows its program starting again (file mode's restart count)."""

from __future__ import annotations

from judge_helpers import evidence, side

from job.judge.policy import decide
from job.judge.rules import LOG_RESTARTS_UNTIMED_MAJOR, log_restarts, run_rules
from job.model import Evidence, PodSignal


def restarting(restarts: int, stable_restarts: int = 0, untimed: int = 0, streams: int = 1) -> Evidence:
    canary, stable = side(), side()
    canary.streams = stable.streams = streams
    canary.log_restarts, canary.log_restarts_untimed = restarts, untimed
    canary.log_restart_examples = ["Started BillingApplication in 3.71 seconds"]
    stable.log_restarts = stable_restarts
    return evidence(stable=stable, canary=canary)


def test_a_canary_starting_again_and_again_fails() -> None:
    ev = restarting(5)
    [finding] = log_restarts(ev)
    assert (finding.kind, finding.severity, finding.count) == ("log-restarts", "major", 5)
    assert "starting again 5 times" in finding.message and "stable none" in finding.message
    assert finding.examples == ["Started BillingApplication in 3.71 seconds"]
    assert decide(ev, run_rules(ev)).verdict == "fail"


def test_one_restart_is_only_noted() -> None:
    [finding] = log_restarts(restarting(1))
    assert finding.severity == "minor"


def test_both_sides_restarting_alike_is_no_regression() -> None:
    [finding] = log_restarts(restarting(5, stable_restarts=4))
    assert finding.severity == "minor" and "stable 4" in finding.message
    [worse] = log_restarts(restarting(9, stable_restarts=2))
    assert worse.severity == "major"


def test_untimed_restarts_need_many_per_log() -> None:
    # without times, pods written one after another (`kubectl logs -l`) look like restarts
    [few] = log_restarts(restarting(3, untimed=3))
    assert few.severity == "minor"
    many = LOG_RESTARTS_UNTIMED_MAJOR * 2
    [loop] = log_restarts(restarting(many, untimed=many, streams=2))
    assert loop.severity == "major"


def test_kubernetes_restart_counts_come_first() -> None:
    ev = restarting(5)
    ev.canary.signals = [PodSignal("billing-c1-a", "restart", 5, "container app restarted 5 times")]
    assert log_restarts(ev) == []
    assert log_restarts(restarting(0)) == []

"""What each scenario expects, and how a Rollout's status is read as an outcome.

Plain functions over the JSON `kubectl get -o json` returns, so they are unit-tested with
recorded status objects and the cluster test only polls and asserts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from e2e import pins, render

Provider = Literal["job", "web"]
Outcome = Literal["pending", "progressing", "promoted", "aborted", "inconclusive", "degraded"]
TERMINAL_OUTCOMES: frozenset[str] = frozenset({"promoted", "aborted", "inconclusive", "degraded"})

PROVIDERS: tuple[Provider, ...] = ("job", "web")
ROLLOUT_NAME = "rollouts-demo"


@dataclass(frozen=True)
class Scenario:
    provider: Provider
    name: str
    tag: str  # rollouts-demo image tag of the canary
    expect: Literal["promoted", "aborted"]
    why: str

    @property
    def image(self) -> str:
        return pins.rollouts_demo_image(self.tag)

    @property
    def id(self) -> str:
        return f"{self.provider}-{self.name}"

    @property
    def namespace(self) -> str:
        return render.provider_namespace(self.provider)


def _scenarios() -> tuple[Scenario, ...]:
    # Order matters: `yellow` is promoted first, so the faulty canaries are judged against a
    # yellow stable and differ only in behaviour, not in colour.
    per_provider = (
        ("new-colour", "yellow", "promoted", "a healthy new version must be promoted"),
        ("bad", "bad-yellow", "aborted", "about 85% of its requests answer HTTP 500"),
        ("slow", "slow-yellow", "aborted", "every request takes 2 s longer"),
    )
    return tuple(
        Scenario(provider, name, tag, expect, why)  # type: ignore[arg-type]
        for provider in PROVIDERS
        for name, tag, expect, why in per_provider
    )


SCENARIOS: tuple[Scenario, ...] = _scenarios()


# ---------------------------------------------------------------- Rollout status -> outcome


def _containers(rollout: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(rollout.get("spec", {}).get("template", {}).get("spec", {}).get("containers") or [])


def rollout_image(rollout: Mapping[str, Any]) -> str | None:
    containers = _containers(rollout)
    return containers[0].get("image") if containers else None


def rollout_outcome(rollout: Mapping[str, Any], target_image: str, previous_stable: str | None) -> Outcome:
    """Where an update to `target_image` stands.

    `previous_stable` is status.stableRS before the update: a Rollout still showing it as
    stable and Healthy has not started the update yet, which must not read as "promoted".
    """
    status = rollout.get("status") or {}
    if rollout_image(rollout) != target_image:
        return "pending"
    generation = str(rollout.get("metadata", {}).get("generation", ""))
    if str(status.get("observedGeneration", "")) != generation:
        return "pending"
    phase = status.get("phase", "")
    message = status.get("message", "")
    if status.get("abort") or message.startswith("RolloutAborted"):
        return "aborted"
    if phase == "Degraded":
        return "degraded"
    reasons = {c.get("reason") for c in status.get("pauseConditions") or []}
    if "InconclusiveAnalysisRun" in reasons:
        return "inconclusive"
    stable, current = status.get("stableRS"), status.get("currentPodHash")
    if phase == "Healthy" and stable and stable == current:
        if previous_stable and stable == previous_stable:
            return "pending"
        return "promoted"
    return "progressing"


def background_run_name(rollout: Mapping[str, Any]) -> str | None:
    run = (rollout.get("status") or {}).get("canary", {}).get("currentBackgroundAnalysisRunStatus") or {}
    return run.get("name") or None


# ---------------------------------------------------------------- timing


_DURATION = re.compile(r"^(\d+)(s|m|h)?$")
_UNIT = {"s": 1, "m": 60, "h": 3600, None: 1}


def pause_seconds(value: int | str) -> int:
    """A Rollout pause duration ('30', 30, '30s', '5m', '1h') in seconds."""
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"unsupported pause duration {value!r}: use e.g. 30, 30s, 5m or 1h")
    return int(match.group(1)) * _UNIT[match.group(2)]


def steps_seconds(steps: Iterable[Mapping[str, Any]]) -> int:
    """Time the canary steps take by the clock; an indefinite pause has no bound."""
    total = 0
    for step in steps:
        if "pause" in step:
            duration = (step["pause"] or {}).get("duration")
            if duration is None:
                raise ValueError("an indefinite pause ({}) would stall the demo: give it a duration")
            total += pause_seconds(duration)
    return total


@dataclass(frozen=True)
class Timing:
    per_step_slack_seconds: int = 45  # scaling a ReplicaSet and its pods becoming ready
    analysis_seconds: int = 240  # a Job pod starting, reading logs and asking the model
    poll_seconds: float = 5.0


def scenario_timeout(steps: list[Mapping[str, Any]], timing: Timing = Timing()) -> int:
    """Upper bound for a scenario to reach an outcome: all steps plus slack plus one analysis."""
    return steps_seconds(steps) + timing.per_step_slack_seconds * len(steps) + timing.analysis_seconds


# ---------------------------------------------------------------- AnalysisRun -> judgement


@dataclass
class RunJudgement:
    """What the AnalysisRun measured, counted over all metrics."""

    name: str
    phase: str
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # measurement phase -> count

    def count(self, phase: str) -> int:
        return self.counts.get(phase, 0)


def judge_run(run: Mapping[str, Any]) -> RunJudgement:
    status = run.get("status") or {}
    counts: dict[str, int] = {}
    for metric in status.get("metricResults") or []:
        for measurement in metric.get("measurements") or []:
            phase = measurement.get("phase", "Unknown")
            counts[phase] = counts.get(phase, 0) + 1
    return RunJudgement(
        name=run.get("metadata", {}).get("name", "?"),
        phase=status.get("phase", "Pending"),
        message=status.get("message", ""),
        counts=counts,
    )


def check_scenario(
    scenario: Scenario,
    outcome: str,
    run: RunJudgement | None,
    job_exit_codes: list[int] | None = None,
) -> list[str]:
    """Problems with a finished scenario; empty means it behaved as the demo promises.

    An abort only counts when our analysis caused it by a *fail* verdict: an AnalysisRun in
    Error (the Job could not run) or a Job exiting 3/4 (inconclusive / could not analyse) also
    aborts a Rollout, and must not pass for a caught bad canary.
    """
    problems: list[str] = []
    if outcome != scenario.expect:
        problems.append(f"expected the Rollout to be {scenario.expect}, it ended {outcome}")
    if run is None:
        problems.append("no background AnalysisRun was found for the update")
        return problems
    # A single Error measurement (the web service timing out once, say) is printed in the
    # summary but tolerated; a run that *ended* in Error fails the phase checks below.
    if scenario.expect == "aborted":
        if run.phase != "Failed":
            problems.append(f"AnalysisRun {run.name} ended {run.phase}, expected Failed: {run.message}")
        if scenario.provider == "job":
            if not job_exit_codes:
                problems.append("no finished analysis Job pod was found")
            elif 1 not in job_exit_codes:
                problems.append(f"analysis Job exit codes {job_exit_codes}: none is 1 (verdict fail)")
    else:
        if run.phase not in {"Successful", "Running"}:
            problems.append(f"AnalysisRun {run.name} ended {run.phase}: {run.message}")
        if run.count("Failed"):
            problems.append(f"AnalysisRun {run.name} has {run.count('Failed')} Failed measurement(s)")
        if not run.count("Successful"):
            problems.append(
                f"AnalysisRun {run.name} never measured the canary as healthy (promoted unjudged)"
            )
        if scenario.provider == "job" and job_exit_codes and any(code != 0 for code in job_exit_codes):
            problems.append(f"analysis Job exit codes {job_exit_codes}: expected only 0 (verdict pass)")
    return problems

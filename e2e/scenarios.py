"""What each scenario expects, and how a Rollout's status is read as an outcome.

Plain functions over the JSON `kubectl get -o json` returns, so they are unit-tested with
recorded status objects and the cluster test only polls and asserts.
"""

from __future__ import annotations

import json
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


def step_run_name(rollout: Mapping[str, Any]) -> str | None:
    """The AnalysisRun of the current analysis step, as the Rollout's status names it."""
    run = (rollout.get("status") or {}).get("canary", {}).get("currentStepAnalysisRunStatus") or {}
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
    analysis_seconds: int = 420  # when the template's own bound is unknown
    poll_seconds: float = 5.0


_ARG = re.compile(r"\{\{\s*args\.([\w-]+)\s*\}\}")


def resolve(value: Any, args: Mapping[str, str]) -> str:
    """`{{args.NAME}}` substituted as Argo does (utils/analysis ResolveMetricArgs); a missing
    one is an error."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1) not in args:
            raise ValueError(f"argument {match.group(1)!r} has no value")
        return args[match.group(1)]

    return _ARG.sub(replace, str(value))


def metric_seconds(metric: Mapping[str, Any], args: Mapping[str, str]) -> int:
    """Longest one metric of a blocking analysis takes when nothing errors: its initial delay,
    the intervals between its looks, and each look's own limit (the web timeout, the Job's
    activeDeadlineSeconds). A metric with an interval and no count never ends: an error."""
    delay = _initial_delay(metric, args)
    interval = pause_seconds(resolve(metric["interval"], args)) if metric.get("interval") else 0
    if interval and not metric.get("count"):
        raise ValueError(f"metric {metric.get('name')} has an interval and no count: it never ends")
    count = int(metric.get("count") or 1)
    provider = metric.get("provider") or {}
    if "job" in provider:
        look = int(provider["job"]["spec"].get("activeDeadlineSeconds") or 0)
        if not look:
            raise ValueError(f"metric {metric.get('name')}: a Job without activeDeadlineSeconds has no bound")
    else:
        look = int((provider.get("web") or {}).get("timeoutSeconds") or 10)  # Argo's default
    return delay + (count - 1) * interval + count * look


def analysis_seconds(template: Mapping[str, Any], given: Iterable[Mapping[str, Any]] = ()) -> int:
    """Longest the template's AnalysisRun takes (its metrics run side by side); `given` are the
    Rollout's args, which override the template's defaults."""
    args = template_args(template, given)
    return max(metric_seconds(metric, args) for metric in (template.get("spec") or {}).get("metrics") or [])


def template_args(template: Mapping[str, Any], given: Iterable[Mapping[str, Any]] = ()) -> dict[str, str]:
    """The literal argument values an AnalysisRun of `template` gets: its defaults, overridden by
    the `value`s the Rollout gives (args from valueFrom are known only at rollout time)."""
    declared = (template.get("spec") or {}).get("args") or []
    args = {a["name"]: str(a["value"]) for a in declared if "value" in a}
    return args | {a["name"]: str(a["value"]) for a in given if "value" in a}


def initial_delay_seconds(template: Mapping[str, Any], given: Iterable[Mapping[str, Any]] = ()) -> int:
    """How long after its AnalysisRun starts the template's first measurement is taken (its
    shortest initialDelay; Argo's generateMetricTasks takes it at once without one)."""
    args = template_args(template, given)
    metrics = (template.get("spec") or {}).get("metrics") or []
    return min((_initial_delay(m, args) for m in metrics), default=0)


def _initial_delay(metric: Mapping[str, Any], args: Mapping[str, str]) -> int:
    return pause_seconds(resolve(metric["initialDelay"], args)) if metric.get("initialDelay") else 0


def scenario_timeout(steps: list[Mapping[str, Any]], analysis: int, timing: Timing = Timing()) -> int:
    """Upper bound for a scenario to reach an outcome: all steps plus slack plus the analysis."""
    return steps_seconds(steps) + timing.per_step_slack_seconds * len(steps) + analysis


# ---------------------------------------------------------------- AnalysisRun -> judgement


# What Argo writes on a measurement it cut short when the run was terminated (the steps
# finished before it): the phase says Successful but nothing was judged (analysis.go runMeasurements).
TERMINATED = "Metric Terminated"


@dataclass
class RunJudgement:
    """What the AnalysisRun measured, over all metrics, and what our tool said in it."""

    name: str
    phase: str
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # measurement phase -> count
    terminated: int = 0  # measurements Argo cut short ("Metric Terminated"): no judgement
    verdicts: dict[str, list[str]] = field(default_factory=dict)  # measurement phase -> our verdicts
    unread: int = 0  # completed web measurements whose value is not our result
    cancelled: bool = False  # spec.terminate: the Rollout stopped the run before it finished

    def count(self, phase: str) -> int:
        return self.counts.get(phase, 0)


def measured_verdict(value: str | None) -> str | None:
    """Our verdict in a web measurement's value (the compact object or a whole document)."""
    try:
        doc = json.loads(value or "")
    except ValueError:
        return None
    verdict = doc.get("verdict") if isinstance(doc, dict) else None
    return verdict if verdict in {"pass", "fail", "inconclusive"} else None


def judge_run(run: Mapping[str, Any]) -> RunJudgement:
    status = run.get("status") or {}
    judged = RunJudgement(
        name=run.get("metadata", {}).get("name", "?"),
        phase=status.get("phase", "Pending"),
        message=status.get("message", ""),
        cancelled=bool((run.get("spec") or {}).get("terminate")),
    )
    for metric in status.get("metricResults") or []:
        for measurement in metric.get("measurements") or []:
            phase = measurement.get("phase", "Unknown")
            if measurement.get("message") == TERMINATED:
                judged.terminated += 1
                continue
            judged.counts[phase] = judged.counts.get(phase, 0) + 1
            if (measurement.get("metadata") or {}).get("job-name") or phase in {"Error", "Running"}:
                continue  # a Job's verdict is its pod's exit code; an Error carries none
            verdict = measured_verdict(measurement.get("value"))
            if verdict is None:
                judged.unread += 1
            else:
                judged.verdicts.setdefault(phase, []).append(verdict)
    return judged


def check_scenario(
    scenario: Scenario,
    outcome: str,
    run: RunJudgement | None,
    job_exit_codes: list[int] | None = None,
) -> list[str]:
    """Problems with a finished scenario; empty means it behaved as the demo promises.

    Each outcome must be the tool's own verdict, not only the Rollout's phase: an abort counts
    only when a Job exited 1 or a web measurement read "fail" (an AnalysisRun in Error, a Job
    exiting 3/4 also abort a Rollout); a promotion only when every Job pod finished with exit 0
    or every Successful web measurement read "pass". A measurement Argo terminated ("Metric
    Terminated", Successful) is no judgement at all.
    """
    problems: list[str] = []
    if outcome != scenario.expect:
        problems.append(f"expected the Rollout to be {scenario.expect}, it ended {outcome}")
    if run is None:
        problems.append("no AnalysisRun was found for the update")
        return problems
    codes = list(job_exit_codes or [])
    if run.terminated:
        problems.append(
            f"AnalysisRun {run.name}: {run.terminated} measurement(s) were terminated unjudged "
            f"({TERMINATED!r}): the Rollout went on before the analysis finished"
        )
    if run.cancelled and scenario.expect == "promoted":
        problems.append(
            f"AnalysisRun {run.name} was cancelled (spec.terminate) before it finished: "
            f"a run cut short is assessed {run.phase} on what it had measured, or on nothing"
        )
    if run.unread:
        problems.append(f"AnalysisRun {run.name}: {run.unread} measurement value(s) carry no verdict of ours")
    if scenario.expect == "aborted":
        if run.phase != "Failed":
            problems.append(f"AnalysisRun {run.name} ended {run.phase}, expected Failed: {run.message}")
        if scenario.provider == "job":
            if not codes:
                problems.append("no finished analysis Job pod was found")
            elif 1 not in codes:
                problems.append(f"analysis Job exit codes {codes}: none is 1 (verdict fail)")
        elif "fail" not in run.verdicts.get("Failed", []):
            problems.append(f"AnalysisRun {run.name}: no Failed measurement reads verdict fail")
        return problems
    if run.phase != "Successful":
        problems.append(f"AnalysisRun {run.name} ended {run.phase}: {run.message}")
    if run.count("Failed"):
        problems.append(f"AnalysisRun {run.name} has {run.count('Failed')} Failed measurement(s)")
    if not run.count("Successful"):
        problems.append(f"AnalysisRun {run.name} never measured the canary as healthy (promoted unjudged)")
    if scenario.provider == "job":
        if not codes:
            problems.append("no finished analysis Job pod was found: the pass is not the tool's")
        elif any(code != 0 for code in codes):
            problems.append(f"analysis Job exit codes {codes}: expected only 0 (verdict pass)")
        elif len(codes) < run.count("Successful"):
            problems.append(
                f"AnalysisRun {run.name} has {run.count('Successful')} Successful measurements but only "
                f"{len(codes)} Job pod(s) that exited 0"
            )
    else:
        passes = run.verdicts.get("Successful", [])
        if len(passes) != run.count("Successful") or any(v != "pass" for v in passes):
            problems.append(
                f"AnalysisRun {run.name}: Successful measurements read {passes}, expected only pass"
            )
    return problems

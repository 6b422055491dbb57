"""Ways a Rollout can promote a canary our analysis has not judged, by Argo Rollouts' own rules.

Read from the Argo Rollouts v1.9.1 source, and checked here on every Rollout the project ships
(the e2e demo, the snippets in the templates' headers, the fresh-baseline examples):

* Background analysis (`strategy.canary.analysis`) is cancelled once the steps are done
  (rollout/analysis.go reconcileAnalysisRuns -> cancelAnalysisRuns). A cancelled run's in-flight
  Job measurement is deleted and marked Successful "Metric Terminated" (metricproviders/job/job.go
  Terminate, analysis/analysis.go runMeasurements), and a metric short of its `count` is
  assessed Successful (analysis.go assessMetricStatus). So background analysis must be followed
  by an indefinite pause, which only a person (or the analysis, by aborting) ends.
* An Experiment that completes terminates its unfinished AnalysisRuns unless they are
  `requiredForCompletion` (docs/features/experiment.md, "Experiment Lifecycle" 6 and 8).
* A run's first measurement is taken when it starts, after the metric's `initialDelay`
  (analysis.go generateMetricTasks): whatever the canary has logged by then is all it is judged on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from e2e.scenarios import initial_delay_seconds, pause_seconds

# The tool needs 30 events per side; a canary at 0.5 events/s has them after a minute. A Rollout
# shipped here must give the canary at least this long before the first look.
WARMUP_FLOOR_SECONDS = 60

Templates = Mapping[str, Mapping[str, Any]]  # AnalysisTemplate name -> the template


@dataclass(frozen=True)
class Look:
    """One place a Rollout runs one of our templates, and how long the canary has had by then."""

    where: str
    template: str
    warmup_seconds: int


def _steps(rollout: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(rollout["spec"]["strategy"]["canary"].get("steps") or [])


def _bounded_pauses(steps: list[dict[str, Any]]) -> int:
    """Seconds the canary serves between its first setWeight and the end of `steps`."""
    started = next((i for i, s in enumerate(steps) if "setWeight" in s), len(steps))
    return sum(
        pause_seconds((s["pause"] or {})["duration"])
        for s in steps[started:]
        if "pause" in s and (s["pause"] or {}).get("duration") is not None
    )


def looks(rollout: Mapping[str, Any], templates: Templates) -> list[Look]:
    """Every analysis of one of `templates` the Rollout runs, with the canary's warm-up before it."""
    canary = rollout["spec"]["strategy"]["canary"]
    steps = _steps(rollout)
    found: list[Look] = []

    def add(where: str, analysis: Mapping[str, Any], before: int) -> None:
        for ref in analysis.get("templates") or [analysis]:
            name = ref.get("templateName")
            if name in templates:
                delay = initial_delay_seconds(templates[name], analysis.get("args") or [])
                found.append(Look(where, name, before + delay))

    if canary.get("analysis"):
        start = int(canary["analysis"].get("startingStep") or 0)
        add("background analysis", canary["analysis"], _bounded_pauses(steps[:start]))
    for index, step in enumerate(steps):
        if "analysis" in step:
            add(f"step {index} (analysis)", step["analysis"], _bounded_pauses(steps[:index]))
        if "experiment" in step:  # fresh pods: only the initial delay counts
            for analysis in step["experiment"].get("analyses") or []:
                add(f"step {index} (experiment {analysis['name']})", analysis, 0)
    return found


def promotion_risks(rollout: Mapping[str, Any], templates: Templates) -> list[str]:
    """Why this Rollout could promote a canary that one of `templates` never judged; [] if none."""
    risks: list[str] = []
    canary = rollout["spec"]["strategy"]["canary"]
    steps = _steps(rollout)
    ours = {look.where for look in looks(rollout, templates)}
    if "background analysis" in ours:
        last = steps[-1] if steps else {}
        if "pause" not in last or (last["pause"] or {}).get("duration") is not None:
            risks.append(
                "background analysis with steps that end on their own: Argo terminates the run when "
                "they do ('Metric Terminated' counts as Successful); end the steps with `- pause: {}`"
            )
    for index, step in enumerate(steps):
        for analysis in (step.get("experiment") or {}).get("analyses") or []:
            if analysis.get("templateName") in templates and not analysis.get("requiredForCompletion"):
                risks.append(
                    f"step {index}: experiment analysis {analysis['name']!r} is not requiredForCompletion, "
                    "so the Experiment's end terminates it unjudged"
                )
    if not ours and canary:
        risks.append("the Rollout runs none of the templates")
    for look in looks(rollout, templates):
        if look.warmup_seconds < WARMUP_FLOOR_SECONDS:
            risks.append(
                f"{look.where}: {look.template} looks {look.warmup_seconds}s after the canary starts, "
                f"under {WARMUP_FLOOR_SECONDS}s: add a pause before it or raise initial-delay"
            )
    return risks


def fresh_baseline_problems(rollout: Mapping[str, Any], template: Mapping[str, Any]) -> list[str]:
    """Why a Rollout's experiment step does not judge a fresh canary against a fresh baseline of
    the stable spec with `template`; [] when it does (and nothing lets it promote unjudged)."""
    name = template["metadata"]["name"]
    problems = list(promotion_risks(rollout, {name: template}))
    experiments = [s["experiment"] for s in _steps(rollout) if "experiment" in s]
    if len(experiments) != 1:
        return [*problems, f"expected one experiment step, found {len(experiments)}"]
    [experiment] = experiments
    spec_of = {t["name"]: t["specRef"] for t in experiment.get("templates") or []}
    analyses = [a for a in experiment.get("analyses") or [] if a.get("templateName") == name]
    if len(analyses) != 1:
        return [*problems, f"expected one experiment analysis of {name}, found {len(analyses)}"]
    given = {a["name"]: a for a in analyses[0].get("args") or []}
    for arg, spec_ref in (("stable-hash", "stable"), ("canary-hash", "canary")):
        value = str(given.get(arg, {}).get("value", ""))
        hashed = [t for t in spec_of if value == f"{{{{templates.{t}.podTemplateHash}}}}"]
        if [spec_of[t] for t in hashed] != [spec_ref]:
            problems.append(f"{arg} is {value!r}, not the podTemplateHash of a specRef: {spec_ref} template")
    declared = template["spec"].get("args") or []
    required = {a["name"] for a in declared if "value" not in a and "valueFrom" not in a}
    if required - set(given):
        problems.append(f"the analysis does not give the required args {sorted(required - set(given))}")
    return problems

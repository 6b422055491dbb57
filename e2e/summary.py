"""Human summaries of what the analysis said, from the objects the cluster keeps.

Three places carry our verdict: the AnalysisRun's measurements (both providers), the Job
pod's termination message and the Kubernetes Event rollouts-ai-job records (Job provider).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

MAX_VALUE = 300
OUR_COMPONENT = "rollouts-ai-job"


def _clip(text: str, limit: int = MAX_VALUE) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_value(value: str) -> str:
    """A measurement value: our result document shortened to what a person reads first."""
    try:
        doc = json.loads(value)
    except (TypeError, ValueError):
        return _clip(value)
    if isinstance(doc, dict) and "verdict" in doc:
        parts = [f"verdict={doc['verdict']}"]
        for key in ("score", "confidence"):
            if isinstance(doc.get(key), int | float):
                parts.append(f"{key}={doc[key]:.2f}")
        if doc.get("summary"):
            parts.append(f"summary={_clip(doc['summary'], 200)!r}")
        return " ".join(parts)
    return _clip(value)


def analysis_run_lines(run: Mapping[str, Any]) -> list[str]:
    status = run.get("status") or {}
    name = run.get("metadata", {}).get("name", "?")
    lines = [
        f"AnalysisRun {name}: {status.get('phase', 'Pending')}"
        + (f" - {status['message']}" if status.get("message") else "")
    ]
    for metric in status.get("metricResults") or []:
        counts = ", ".join(
            f"{key} {metric.get(key, 0)}"
            for key in ("successful", "failed", "inconclusive", "error")
            if metric.get(key)
        )
        lines.append(
            f"  metric {metric.get('name')}: {metric.get('phase')}" + (f" ({counts})" if counts else "")
        )
        for index, measurement in enumerate(metric.get("measurements") or [], start=1):
            detail = [measurement.get("phase", "?")]
            if measurement.get("value"):
                detail.append(describe_value(measurement["value"]))
            if measurement.get("message"):
                detail.append(f"message={_clip(measurement['message'], 200)!r}")
            job = (measurement.get("metadata") or {}).get("job-name")
            if job:
                detail.append(f"job={job}")
            lines.append(f"    #{index} " + " ".join(detail))
    return lines


def job_names(run: Mapping[str, Any]) -> list[str]:
    """Jobs the Job provider created for this run, oldest first."""
    names: list[str] = []
    for metric in (run.get("status") or {}).get("metricResults") or []:
        for measurement in metric.get("measurements") or []:
            name = (measurement.get("metadata") or {}).get("job-name")
            if name and name not in names:
                names.append(name)
    return names


def terminated_containers(pod: Mapping[str, Any]) -> Iterable[tuple[str, int, str]]:
    """(container, exit code, termination message) of every finished container of a pod."""
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated:
            yield (
                status.get("name", "?"),
                int(terminated.get("exitCode", -1)),
                terminated.get("message") or "",
            )


def termination_lines(pod: Mapping[str, Any]) -> list[str]:
    name = pod.get("metadata", {}).get("name", "?")
    lines = []
    for container, code, message in terminated_containers(pod):
        text = describe_value(message) if message else "(no termination message)"
        lines.append(f"  pod {name}/{container}: exit {code}: {text}")
    return lines


def our_events(
    events: Iterable[Mapping[str, Any]], about: Collection[str] | None = None
) -> list[Mapping[str, Any]]:
    """Events rollouts-ai-job recorded (by reporting component or event source), optionally
    only those about the named objects (this scenario's AnalysisRun and Jobs)."""
    found = []
    for event in events:
        component = event.get("reportingComponent") or (event.get("source") or {}).get("component") or ""
        involved = event.get("involvedObject") or event.get("regarding") or {}
        if OUR_COMPONENT in component and (about is None or involved.get("name") in about):
            found.append(event)
    return found


def event_lines(events: Iterable[Mapping[str, Any]], about: Collection[str] | None = None) -> list[str]:
    lines = []
    for event in our_events(events, about):
        involved = event.get("involvedObject") or event.get("regarding") or {}
        lines.append(
            f"  event {event.get('type', '?')} {event.get('reason', '?')} on "
            f"{involved.get('kind', '?')}/{involved.get('name', '?')}: {_clip(event.get('message', ''), 240)}"
        )
    return lines

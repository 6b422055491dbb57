"""Turn named options (CLI flags or web parameters) into one validated AnalysisRequest.

The CLI and the web service both call `build_request`, so both accept and reject the same things.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from job.errors import InputError
from job.model import AnalysisRequest, ClusterSource, FileSource, LLMConfig, MetricsConfig

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """'90', '90s', '5m', '1h30m' -> whole seconds (at least 1)."""
    value = text.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        parts = _DURATION_PART.findall(value)
        if not parts or "".join(n + u for n, u in parts) != value:
            raise InputError(f"cannot read duration {text!r}: use e.g. 300, 300s, 5m or 1h30m")
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds < 1:
        raise InputError(f"duration {text!r} is shorter than one second")
    return int(seconds)


def build_source(params: Mapping[str, Any]) -> FileSource | ClusterSource:
    stable_paths = tuple(params.get("stable_logs") or ())
    canary_paths = tuple(params.get("canary_logs") or ())
    cluster_keys = ("stable_selector", "canary_selector", "stable_hash", "canary_hash", "selector")
    cluster_given = [k for k in cluster_keys if params.get(k)]
    if stable_paths or canary_paths:
        if cluster_given:
            raise InputError(
                "choose one source: log files (--stable-logs/--canary-logs) or the cluster "
                f"(--{cluster_given[0].replace('_', '-')}), not both"
            )
        if not stable_paths or not canary_paths:
            missing = "--stable-logs" if not stable_paths else "--canary-logs"
            raise InputError(f"file mode needs both sides: {missing} is missing")
        return FileSource(stable_paths=stable_paths, canary_paths=canary_paths)

    by_selector = params.get("stable_selector") or params.get("canary_selector")
    by_hash = params.get("stable_hash") or params.get("canary_hash")
    if by_selector and by_hash:
        raise InputError("choose pods by selectors or by pod-template hashes, not both")
    if by_selector and not (params.get("stable_selector") and params.get("canary_selector")):
        raise InputError("cluster mode needs both --stable-selector and --canary-selector")
    if by_hash and not (params.get("stable_hash") and params.get("canary_hash")):
        raise InputError("cluster mode needs both --stable-hash and --canary-hash")
    if not (by_selector or by_hash):
        raise InputError(
            "no source given: pass --stable-logs and --canary-logs, or "
            "--stable-selector/--canary-selector, or --stable-hash/--canary-hash"
        )
    if by_hash and params.get("stable_hash") == params.get("canary_hash"):
        raise InputError("stable and canary hashes are the same: there is no canary to compare")
    if by_selector and params.get("stable_selector") == params.get("canary_selector"):
        raise InputError("stable and canary selectors are the same: they would select the same pods")
    since = params.get("since")
    raw_max_pods = params.get("max_pods")
    max_pods = 10 if raw_max_pods in (None, "") else int(raw_max_pods)
    if max_pods < 1:
        raise InputError("max pods must be at least 1")
    return ClusterSource(
        namespace=params.get("namespace") or None,
        stable_selector=params.get("stable_selector") or None,
        canary_selector=params.get("canary_selector") or None,
        stable_hash=params.get("stable_hash") or None,
        canary_hash=params.get("canary_hash") or None,
        selector=params.get("selector") or None,
        container=params.get("container") or None,
        since_seconds=parse_duration(str(since)) if since else None,
        max_pods=max_pods,
    )


def http_url(text: str, option: str) -> str:
    """A well-formed http(s) URL with a host, or an InputError naming the option and an example."""
    value = text.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as error:
        raise InputError(
            f"{option} {text!r} is not a URL ({error}): use e.g. http://prometheus:9090"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"{option} {text!r} is not an http(s) URL with a host: use e.g. http://prometheus:9090"
        )
    return value


def build_metrics(params: Mapping[str, Any]) -> MetricsConfig | None:
    """The metrics source (Prometheus + canary config), or None when no metrics option is given."""
    url = params.get("prometheus_url")
    config_path = params.get("canary_config")
    selectors = (params.get("stable_metrics_selector"), params.get("canary_metrics_selector"))
    if not url:
        for name, given in (
            ("--canary-config", config_path),
            ("--metrics-required", params.get("metrics_required")),
            ("--stable-metrics-selector", selectors[0]),
            ("--canary-metrics-selector", selectors[1]),
        ):
            if given:
                raise InputError(
                    f"{name} needs --prometheus-url, e.g. --prometheus-url http://prometheus:9090"
                )
        return None
    if bool(selectors[0]) != bool(selectors[1]):
        missing = "--canary-metrics-selector" if selectors[0] else "--stable-metrics-selector"
        raise InputError(f"metrics selectors come in pairs: {missing} is missing")
    from job.collect.canary_config import load

    config = load(
        config_path or None, http_url(str(url), "--prometheus-url"), bool(params.get("metrics_required"))
    )
    if selectors[0]:
        config = replace(config, stable_selector=selectors[0], canary_selector=selectors[1])
    return config


def build_request(params: Mapping[str, Any], llm: LLMConfig) -> AnalysisRequest:
    return AnalysisRequest(source=build_source(params), llm=llm, metrics=build_metrics(params))

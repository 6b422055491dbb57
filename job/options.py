"""Turn named options (CLI flags or web parameters) into one validated AnalysisRequest.

The CLI and the web service both call `build_request`, so both accept and reject the same things.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from job.errors import InputError
from job.model import Acknowledgements, AnalysisRequest, ClusterSource, FileSource, LLMConfig, MetricsConfig

MAX_SINCE_SECONDS = 30 * 86400  # a month: more than any node keeps container logs
MAX_TIMEOUT_SECONDS = 86400.0
# ASCII only: str.isdigit() and \\d also accept '³' or '٣', which int() and float() then refuse or misread
_DURATION = re.compile(r"(?:[0-9]{1,9}(?:\.[0-9]{1,9})?(?:ms|s|m|h|d)){1,5}|[0-9]{1,9}", re.ASCII)
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)", re.ASCII)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_HOST_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9._-]{0,251}[A-Za-z0-9_])?", re.ASCII)
OLLAMA_DEFAULT_PORT = 11434


def parse_duration(text: str, option: str = "--since") -> int:
    """'90', '90s', '5m', '1h30m' -> whole seconds, at least 1 and at most MAX_SINCE_SECONDS."""
    value = str(text).strip()
    if not _DURATION.fullmatch(value):
        raise InputError(
            f"{option}: cannot read duration {_shown(text)}: use ASCII digits and a unit, e.g. {option} 10m "
            "(also 300, 300s, 1h30m)"
        )
    if value.isdigit():
        seconds = float(value)
    else:
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(value))
    if seconds < 1:
        raise InputError(f"{option}: duration {_shown(text)} is shorter than one second: e.g. {option} 10m")
    if seconds > MAX_SINCE_SECONDS:
        raise InputError(
            f"{option}: duration {_shown(text)} is longer than {MAX_SINCE_SECONDS // 86400} days: "
            f"e.g. {option} 1h"
        )
    return int(seconds)


def parse_seconds(
    text: object,
    option: str,
    *,
    minimum: float = 0.0,
    zero: bool = False,
    maximum: float = MAX_TIMEOUT_SECONDS,
) -> float:
    """Finite seconds in [minimum, maximum], and > 0 unless `zero`; else an InputError naming the option."""
    raw = str(text).strip()
    try:
        value = float(text) if isinstance(text, int | float) else float(raw)
    except (ValueError, OverflowError):
        value = math.nan
    above_zero = value >= 0 if zero else value > 0
    if not (raw.isascii() and math.isfinite(value) and above_zero and minimum <= value <= maximum):
        low = f"at least {minimum:g}" if minimum else ("0 or more" if zero else "more than 0")
        raise InputError(
            f"{option}: {_shown(text)} is not a number of seconds {low} and at most {maximum:g}: "
            f"e.g. {option} 30"
        )
    return value


def parse_url(
    text: object,
    option: str,
    *,
    flag: str | None = None,
    example: str = "http://ollama.ai-system:11434",
    default_port: int | None = None,
) -> str:
    """A well-formed http(s) URL with a host, returned normalised; else InputError naming the option.

    `default_port` set (Ollama's convention): a bare `host[:port]` means http://host:port, and
    the port defaults to it, as the Ollama client does with OLLAMA_HOST.
    """
    value = str(text).strip()
    example = f"e.g. {flag or option} {example}"
    if default_port is not None and value and "://" not in value:
        value = f"http://{value}"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise InputError(f"{option}: {_shown(text)} is not a valid URL ({error}): {example}") from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        raise InputError(f"{option}: {_shown(text)} must be an http:// or https:// URL: {example}")
    if not _valid_host(host, bracketed=parts.netloc.rpartition("@")[2].startswith("[")):
        raise InputError(f"{option}: {_shown(text)} has no valid host name or address: {example}")
    if parts.query or parts.fragment or any(c.isspace() for c in value) or not value.isascii():
        raise InputError(
            f"{option}: {_shown(text)} must be a plain base URL (no query, no spaces): {example}"
        )
    if default_port is not None and port is None and "://" not in str(text).strip():
        value = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default_port}"))
    return value


def _valid_host(host: str, *, bracketed: bool) -> bool:
    if bracketed:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    return bool(_HOST_NAME.fullmatch(host))


def check_llm(llm: LLMConfig) -> LLMConfig:
    """The model options checked together: a usage error names the option and a valid example."""
    if llm.api == "openai" and not llm.url:
        raise InputError(
            "--llm-api openai needs --llm-url, the server's base URL: e.g. --llm-url http://vllm:8000/v1"
        )
    if llm.url and llm.api != "openai":
        raise InputError(
            "--llm-url is only used with --llm-api openai: add --llm-api openai, or drop --llm-url"
        )
    parse_seconds(llm.timeout_seconds, "--llm-timeout")
    host = parse_url(
        llm.host, "--ollama-host/OLLAMA_HOST", flag="--ollama-host", default_port=OLLAMA_DEFAULT_PORT
    )
    url = parse_url(llm.url, "--llm-url", example="http://vllm:8000/v1") if llm.url else None
    return replace(llm, host=host, url=url)


def _shown(text: object) -> str:
    """The user's value, quoted and bounded, so a 10,000-digit value stays a one-line message."""
    shown = repr(str(text))
    return shown if len(shown) <= 40 else shown[:36] + "...'"


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
        if params.get("since"):
            # Refused, not ignored: files carry no window the tool could trust to cut by.
            raise InputError(
                "--since applies to cluster mode only: in file mode pass files that hold the window "
                "to judge, e.g. cut them with `awk '$0 >= \"2024-05-01T12:00\"' app.log`"
            )
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
    try:
        max_pods = 10 if raw_max_pods in (None, "") else int(raw_max_pods)
    except (TypeError, ValueError):
        max_pods = 0
    if max_pods < 1:
        raise InputError("--max-pods must be a whole number, at least 1: e.g. --max-pods 10")
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
        mesh_requests=params.get("mesh_requests", True) is not False,
    )


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
        config_path or None,
        parse_url(url, "--prometheus-url", example="http://prometheus:9090"),
        bool(params.get("metrics_required")),
    )
    if selectors[0]:
        config = replace(config, stable_selector=selectors[0], canary_selector=selectors[1])
    return config


_CONFIGMAP_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", re.ASCII)


def build_acknowledgements(params: Mapping[str, Any]) -> Acknowledgements | None:
    """The acknowledge file (`acknowledge`, a path), loaded and checked now; None when not given."""
    path = params.get("acknowledge")
    if params.get("acknowledge_configmap") and path:
        raise InputError("choose one of --acknowledge FILE and --acknowledge-configmap NAME, not both")
    if not path:
        return None
    from job.judge.known import load_file

    return load_file(str(path))


def acknowledge_configmap(params: Mapping[str, Any]) -> str | None:
    name = params.get("acknowledge_configmap")
    if not name:
        return None
    if not _CONFIGMAP_NAME.fullmatch(str(name)):
        raise InputError(
            f"--acknowledge-configmap: {_shown(name)} is not a ConfigMap name: e.g. "
            "--acknowledge-configmap known-noise"
        )
    return str(name)


def build_request(params: Mapping[str, Any], llm: LLMConfig) -> AnalysisRequest:
    source = build_source(params)
    acknowledgements = build_acknowledgements(params)  # first: it refuses a file and a ConfigMap together
    configmap = acknowledge_configmap(params)
    if configmap and not isinstance(source, ClusterSource):
        raise InputError(
            "--acknowledge-configmap is for cluster mode: with log files pass --acknowledge FILE"
        )
    return AnalysisRequest(
        source=source,
        llm=check_llm(llm),
        metrics=build_metrics(params),
        acknowledgements=acknowledgements,
        acknowledge_configmap=configmap,
    )

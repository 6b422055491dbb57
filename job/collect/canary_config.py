"""The canary config (YAML): which Prometheus signals to compare and how -> MetricsConfig.

It is operator configuration: a file given to `analyze --canary-config`, or to `serve` at start
(never a request parameter, so no request can aim the service at another host or query). Every
mistake is an InputError naming the signal, the key and a valid example, so a typo can never
silently drop a signal from the gate.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from importlib import resources
from typing import Any

from job.config_file import load_yaml, read_config_text
from job.errors import InputError
from job.model import MetricsConfig, MetricSignal

DEFAULT_CONFIG = "canary-config.yaml"
KINDS = ("ratio", "histogram", "series", "count")
DIRECTIONS = ("increase", "decrease", "either")
SIDES_BY = ("pod", "label", "selector")
PLACEHOLDERS = ("{{side}}", "{{window}}", "{{rate}}")
_TOP_KEYS = {"window", "rateWindow", "sides", "signals", "required", "timeoutSeconds"}
_SIDE_KEYS = {"by", "label"}
_SIGNAL_KEYS = {
    "name", "kind", "query", "total", "direction", "critical", "required", "gating",
    "minRatio", "minDelta", "unit", "quantiles",
}  # fmt: skip
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_PROM_DURATION = re.compile(r"(\d+(ms|s|m|h|d|w|y))+")


def default_text() -> str:
    return resources.files("job.collect").joinpath(DEFAULT_CONFIG).read_text(encoding="utf-8")


def load(path: str | None, url: str, required: bool = False) -> MetricsConfig:
    """The config at `path` (the shipped golden signals when None), for Prometheus at `url`."""
    if path is None:
        text, where = default_text(), "the default canary config"
    else:
        text = read_config_text(path, "--canary-config")
        where = f"canary config {path!r}"
    document = load_yaml(text, where)
    config = parse(document, url, where)
    return replace(config, required=config.required or required)


def parse(document: Any, url: str, where: str = "canary config") -> MetricsConfig:
    if not isinstance(document, dict):
        raise InputError(f"{where} must be a YAML mapping with a `signals:` list")
    _no_unknown(document, _TOP_KEYS, where)
    sides = document.get("sides") or {}
    if not isinstance(sides, dict):
        raise InputError(f"{where}: `sides` must be a mapping such as {{by: pod}}")
    _no_unknown(sides, _SIDE_KEYS, f"{where} sides")
    by = sides.get("by", "pod")
    if by not in SIDES_BY:
        raise InputError(f"{where}: sides.by is {by!r}; use one of {', '.join(SIDES_BY)}")
    label = sides.get("label", "rollouts_pod_template_hash")
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise InputError(f"{where}: sides.label {label!r} is not a Prometheus label name")
    raw_signals = document.get("signals")
    if not isinstance(raw_signals, list) or not raw_signals:
        raise InputError(
            f"{where} needs a non-empty `signals:` list (see the default: --canary-config omitted)"
        )
    signals = tuple(_signal(item, i, where) for i, item in enumerate(raw_signals, 1))
    names = [s.name for s in signals]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{where}: signal name {twice[0]!r} is used twice; names must be unique")
    return MetricsConfig(
        url=url,
        signals=signals,
        window_seconds=_seconds(document.get("window", "10m"), f"{where}: window"),
        rate_window=_prom_duration(document.get("rateWindow", "1m"), f"{where}: rateWindow"),
        sides_by=by,
        side_label=label,
        required=_bool(document.get("required", False), f"{where}: required"),
        timeout_seconds=_positive(document.get("timeoutSeconds", 10), f"{where}: timeoutSeconds"),
    )


def _signal(item: Any, index: int, where: str) -> MetricSignal:
    if not isinstance(item, dict):
        raise InputError(f"{where}: signal {index} must be a mapping with name, kind and query")
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(f"{where}: signal {index} needs a name like 'http-error-ratio' (got {name!r})")
    at = f"{where}: signal {name!r}"
    _no_unknown(item, _SIGNAL_KEYS, at)
    kind = item.get("kind")
    if kind not in KINDS:
        raise InputError(f"{at}: kind is {kind!r}; use one of {', '.join(KINDS)}")
    query = _query(item.get("query"), f"{at}: query")
    total = item.get("total")
    if kind == "ratio":
        total = _query(total, f"{at}: total (a ratio needs its denominator)")
    elif total is not None:
        raise InputError(f"{at}: `total` is only for kind: ratio")
    direction = item.get("direction", "increase")
    if direction not in DIRECTIONS:
        raise InputError(f"{at}: direction is {direction!r}; use one of {', '.join(DIRECTIONS)}")
    quantiles = item.get("quantiles", [0.5, 0.9, 0.99])
    if (
        not isinstance(quantiles, list)
        or not quantiles
        or not all(isinstance(q, int | float) and not isinstance(q, bool) and 0 < q < 1 for q in quantiles)
    ):
        raise InputError(f"{at}: quantiles must be a list of numbers between 0 and 1, e.g. [0.5, 0.9, 0.99]")
    min_ratio = _number(item.get("minRatio", 1.5), f"{at}: minRatio")
    if min_ratio < 1:
        raise InputError(f"{at}: minRatio must be at least 1 (1.5 = 50% worse), not {min_ratio}")
    min_delta = _number(item.get("minDelta", 0), f"{at}: minDelta")
    if min_delta < 0:
        raise InputError(f"{at}: minDelta must not be negative")
    unit = item.get("unit", "")
    if not isinstance(unit, str):
        raise InputError(f"{at}: unit must be text such as 's' or 'bytes'")
    return MetricSignal(
        name=name,
        kind=kind,
        query=query,
        total=total,
        direction=direction,
        critical=_bool(item.get("critical", False), f"{at}: critical"),
        required=_bool(item.get("required", False), f"{at}: required"),
        gating=_bool(item.get("gating", True), f"{at}: gating"),
        min_ratio=min_ratio,
        min_delta=min_delta,
        unit=unit,
        quantiles=tuple(float(q) for q in sorted(set(quantiles))),
    )


def _no_unknown(mapping: dict[str, Any], known: set[str], at: str) -> None:
    unknown = sorted(str(k) for k in mapping if k not in known)
    if unknown:
        raise InputError(f"{at}: unknown key {unknown[0]!r}; known keys are {', '.join(sorted(known))}")


def _query(value: Any, at: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"{at} must be a PromQL expression with {{{{side}}}}, e.g. sum(up{{ {{{{side}}}} }})"
        )
    if "{{side}}" not in value:
        raise InputError(
            f"{at} has no {{{{side}}}} placeholder: without it both sides would read the same series"
        )
    leftover = re.sub(r"\{\{(side|window|rate)\}\}", "", value)
    if "{{" in leftover:
        unknown = leftover[leftover.index("{{") :][:20]
        raise InputError(f"{at}: unknown placeholder {unknown!r}; known are {', '.join(PLACEHOLDERS)}")
    return value.strip()


def _bool(value: Any, at: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{at} must be true or false, not {value!r}")
    return value


def _number(value: Any, at: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{at} must be a finite number, not {value!r}")
    return float(value)


def _positive(value: Any, at: str) -> float:
    number = _number(value, at)
    if number <= 0:
        raise InputError(f"{at} must be greater than 0")
    return number


def _prom_duration(value: Any, at: str) -> str:
    if not isinstance(value, str) or not _PROM_DURATION.fullmatch(value):
        raise InputError(f"{at} must be a Prometheus duration such as 30s, 1m or 5m, not {value!r}")
    return value


def _seconds(value: Any, at: str) -> int:
    text = _prom_duration(value, at)
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    seconds = sum(float(n) * units[u] for n, u in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text))
    if not 1 <= seconds <= 7 * 86400:
        raise InputError(f"{at} must be between 1s and 7d, not {value!r}")
    return int(seconds)

"""Prometheus -> Snapshot (metrics only): each signal of the canary config, once per side.

The sides are chosen the way the logs are: by the pods the log collector found (`pod=~"…"`), by
the pod-template hash on a label of the series, or by matchers the operator gave. Every query
runs over the same window as the logs, ending now. Prometheus being down or slow is never a
pass: the readings carry the error, the evidence stage turns them into NoData, and the policy
decides (a note, or inconclusive when the config or a signal requires data). A query Prometheus
refuses as malformed is a configuration mistake and stops the analysis (exit 2).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from dataclasses import dataclass, replace
from typing import Any

import requests
import urllib3

from job.errors import InputError
from job.model import (
    ClusterSource,
    MetricReading,
    MetricsConfig,
    MetricSignal,
    MetricValues,
    SideSnapshot,
    Snapshot,
    Source,
)

log = logging.getLogger("job.collect.prometheus")

MAX_RESPONSE_BYTES = 8 << 20  # an unaggregated query over many pods is a config mistake, not data
MAX_SERIES = 100
MAX_POINTS = 240  # points of a range query per side: the step grows with the window
MIN_STEP_SECONDS = 1
_POD_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
_HASH = re.compile(r"[A-Za-z0-9_.-]{1,63}")
_MATCHER = r'\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*'
_MATCHERS = re.compile(rf"{_MATCHER}(?:,{_MATCHER})*,?\s*")


class PrometheusDown(Exception):
    """Prometheus could not be reached or answered badly: every later query would fail alike."""


@dataclass(frozen=True)
class Sides:
    """PromQL label matchers selecting each side's series, and the window in seconds."""

    stable: str
    canary: str
    window_seconds: int


def side_matchers(config: MetricsConfig, source: Source, logs: Snapshot) -> Sides | str:
    """The two sides' matchers, or why they cannot be told apart (a note; the signals get NoData)."""
    window = int(logs.canary.window_seconds or logs.stable.window_seconds or config.window_seconds)
    if config.stable_selector or config.canary_selector:
        stable, canary = config.stable_selector or "", config.canary_selector or ""
        for flag, text in (("--stable-metrics-selector", stable), ("--canary-metrics-selector", canary)):
            if not _MATCHERS.fullmatch(text):
                raise InputError(
                    f"{flag} {text!r} is not a list of PromQL label matchers: "
                    'use e.g. version="v2",app="shop"'
                )
        if stable.strip() == canary.strip():
            raise InputError(
                "the stable and canary metrics selectors are the same: they would read the same series"
            )
        return Sides(stable.strip().rstrip(","), canary.strip().rstrip(","), window)
    if config.sides_by == "selector":
        return (
            "the canary config selects sides by selector, "
            "but --stable/--canary-metrics-selector were not given"
        )
    if config.sides_by == "label":
        if not isinstance(source, ClusterSource) or not (source.stable_hash and source.canary_hash):
            return (
                "the canary config selects sides by pod-template hash, "
                "but no --stable-hash/--canary-hash were given"
            )
        hashes = (source.stable_hash, source.canary_hash)
        if not all(_HASH.fullmatch(h) for h in hashes):
            raise InputError(
                "a pod-template hash holds characters a Prometheus label value cannot: check the hashes"
            )
        label = config.side_label
        return Sides(f'{label}="{hashes[0]}"', f'{label}="{hashes[1]}"', window)
    pods = (_pod_regex(logs.stable), _pod_regex(logs.canary))
    if not pods[0] or not pods[1]:
        which = "stable" if not pods[0] else "canary"
        return (
            f"no {which} pods to select metrics by (sides.by: pod needs cluster mode; in file mode give "
            "--stable-metrics-selector and --canary-metrics-selector)"
        )
    return Sides(f'pod=~"{pods[0]}"', f'pod=~"{pods[1]}"', window)


def _pod_regex(side: SideSnapshot) -> str:
    names = sorted({p for p in side.pods if _POD_NAME.fullmatch(p)})
    return "|".join(name.replace(".", "\\\\.") for name in names)


def collect(config: MetricsConfig, sides: Sides | str, now: float | None = None) -> Snapshot:
    """Every signal for both sides; failures become readings with `error` and a note, never an exception
    (except a query Prometheus calls malformed, which is the operator's to fix: InputError)."""
    notes: list[str] = []
    if isinstance(sides, str):
        notes.append(f"metrics not read: {sides}")
        readings = [MetricReading(signal, error=sides) for signal in config.signals]
        return Snapshot(SideSnapshot(), SideSnapshot(), source="prometheus", notes=notes, metrics=readings)
    end = time.time() if now is None else now
    deadline = time.monotonic() + 2 * config.timeout_seconds
    client = _Client(config, deadline)
    readings: list[MetricReading] = []
    down: str | None = None
    for signal in config.signals:
        if down is not None:
            readings.append(_unavailable(signal, down, config))
            continue
        try:
            readings.append(
                MetricReading(
                    signal,
                    stable=_read(client, signal, config, sides.stable, sides.window_seconds, end),
                    canary=_read(client, signal, config, sides.canary, sides.window_seconds, end),
                )
            )
        except PrometheusDown as error:
            down = str(error)
            readings.append(_unavailable(signal, down, config))
        except _SignalError as error:
            readings.append(MetricReading(signal, error=str(error)))
            notes.append(f"metric {signal.name}: {error}")
    if down is not None:
        notes.append(f"Prometheus at {config.url} could not be used: {down}")
        log.warning("prometheus unavailable", extra={"fields": {"url": config.url, "error": down}})
    return Snapshot(SideSnapshot(), SideSnapshot(), source="prometheus", notes=notes, metrics=readings)


def _unavailable(signal: MetricSignal, why: str, config: MetricsConfig) -> MetricReading:
    """No data because Prometheus failed; with `required` in the config that blocks a pass."""
    if config.required:
        signal = replace(signal, required=True)
    return MetricReading(signal, error=why, unavailable=True)


class _SignalError(Exception):
    """One signal's answer is unusable (too many series); the others go on."""


def render(query: str, matchers: str, window_seconds: int, rate_window: str) -> str:
    return (
        query.replace("{{side}}", matchers)
        .replace("{{window}}", f"{window_seconds}s")
        .replace("{{rate}}", rate_window)
    )


def _read(
    client: _Client, signal: MetricSignal, config: MetricsConfig, matchers: str, window: int, end: float
) -> MetricValues:
    query = render(signal.query, matchers, window, config.rate_window)
    if signal.kind == "series":
        step = max(MIN_STEP_SECONDS, math.ceil(window / MAX_POINTS))
        result = client.get("query_range", query, signal.name, start=end - window, end=end, step=step)
        return MetricValues(samples=_merge_series(result))
    result = client.get("query", query, signal.name, time=end)
    if signal.kind == "histogram":
        return MetricValues(buckets=_buckets(result))
    values = MetricValues(count=_scalar(result))
    if signal.kind == "ratio" and signal.total is not None:
        total_query = render(signal.total, matchers, window, config.rate_window)
        values.total = _scalar(client.get("query", total_query, signal.name, time=end))
    return values


class _Client:
    def __init__(self, config: MetricsConfig, deadline: float) -> None:
        self.base = config.url.rstrip("/") + "/api/v1/"
        self.timeout = config.timeout_seconds
        self.deadline = deadline
        self.session = requests.Session()

    def get(self, endpoint: str, query: str, signal: str, **params: Any) -> list[dict[str, Any]]:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise PrometheusDown(
                f"the metrics deadline ({2 * self.timeout:g} s) passed: Prometheus is too slow"
            )
        try:
            response = self.session.get(
                self.base + endpoint,
                params={"query": query, **params},
                timeout=min(self.timeout, remaining),
                stream=True,
            )
            body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
        except (requests.Timeout, urllib3.exceptions.TimeoutError):
            # also a body that stalls after the headers (read with stream=True, through urllib3)
            raise PrometheusDown(f"no answer within {self.timeout:g} s") from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            raise PrometheusDown(
                f"cannot connect ({type(error).__name__}): is --prometheus-url right?"
            ) from None
        if len(body) > MAX_RESPONSE_BYTES:
            raise _SignalError(
                f"the answer is over {MAX_RESPONSE_BYTES >> 20} MiB: aggregate the query (sum by …)"
            )
        try:
            document = json.loads(body)
        except ValueError:
            raise PrometheusDown(
                f"HTTP {response.status_code} with a body that is not JSON: is this Prometheus?"
            ) from None
        if not isinstance(document, dict):
            raise PrometheusDown("the answer is not a Prometheus API document")
        if document.get("status") != "success":
            kind, message = document.get("errorType", ""), str(document.get("error", ""))[:300]
            if kind == "bad_data" or response.status_code == 400:
                raise InputError(
                    f"Prometheus refused the query of signal {signal!r}: {message}; "
                    "fix it in the canary config"
                )
            raise PrometheusDown(f"HTTP {response.status_code} {kind}: {message}")
        data = document.get("data") or {}
        result = data.get("result")
        if not isinstance(result, list):
            raise PrometheusDown("the answer has no result list")
        if len(result) > MAX_SERIES:
            raise _SignalError(f"{len(result)} series: aggregate the query so each side gives one (sum by …)")
        return result


def _number(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _scalar(result: list[dict[str, Any]]) -> float | None:
    """The sum of an instant vector's values; None when Prometheus has no series (no data)."""
    values = [_number((item.get("value") or [None, None])[1]) for item in result]
    finite = [v for v in values if v is not None]
    return sum(finite) if finite else None


def _buckets(result: list[dict[str, Any]]) -> list[tuple[float, float]]:
    buckets: dict[float, float] = {}
    for item in result:
        raw_le = (item.get("metric") or {}).get("le")
        le = math.inf if raw_le == "+Inf" else _number(raw_le)
        count = _number((item.get("value") or [None, None])[1])
        if le is not None and count is not None:
            buckets[le] = buckets.get(le, 0.0) + count
    return sorted(buckets.items())


def _merge_series(result: list[dict[str, Any]]) -> list[float]:
    """One value per timestamp: the sum over the series (a query should aggregate to one)."""
    by_time: dict[float, float] = {}
    for item in result:
        for point in item.get("values") or []:
            if isinstance(point, list) and len(point) == 2:
                when, value = _number(point[0]), _number(point[1])
                if when is not None and value is not None:
                    by_time[when] = by_time.get(when, 0.0) + value
    return [by_time[t] for t in sorted(by_time)]

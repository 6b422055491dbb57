"""Cluster collector: the stable and canary pods of a Rollout, their logs and what Kubernetes says about them.

Both sides are read over the same time window, starting when the canary started (bounded by
--since), so a stable pod's older history does not count against or for it. Each container's whole
window is read and its newest bytes judged (anything older beyond a budget is dropped, counted in
the side's DataLoss and noted, never silently); pod signals (restarts, OOM kills, back-offs,
readiness, Warning events) come from every pod of a side, logs from a fair sample of at most `max_pods` pods.
"""

from __future__ import annotations

import logging
import math
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import urllib3

from job.collect._kube_api import BadRequest, Kube, NotFound, Permission, connect
from job.collect.newest import keep_newest
from job.errors import InputError
from job.model import ClusterSource, DataLoss, LogStream, PodSignal, SideSnapshot, Snapshot

log = logging.getLogger("job.collect.kubernetes")

HASH_LABEL = "rollouts-pod-template-hash"
CHUNK_BYTES = 64 * 1024

# Containers injected next to the application; their logs say nothing about the canary.
SIDECARS = frozenset(
    {
        "istio-proxy",
        "istio-init",
        "linkerd-proxy",
        "linkerd-init",
        "envoy",
        "envoy-sidecar",
        "vault-agent",
        "vault-agent-init",
        "cloud-sql-proxy",
        "cloudsql-proxy",
        "consul-dataplane",
        "consul-connect-envoy-sidecar",
        "daprd",
        "kuma-sidecar",
        "aws-xray-daemon",
        "datadog-agent",
        "fluent-bit",
        "fluentd",
        "otel-collector",
        "jaeger-agent",
        "oauth2-proxy",
        "config-reloader",
    }
)

# Mesh proxies in front of the application. Their access log (Envoy's, Linkerd's when turned on) is
# the record of every request in and out of the pod, often the only one: many services log no
# request, and a request the application never answered (it crashed, hung, refused the connection)
# exists only there, as Envoy's 503 UF/URX. So their request records are read as evidence of the
# pod; everything else they print (xDS updates, their own warnings) says nothing about the canary
# and is left out.
MESH_PROXIES = frozenset(
    {"istio-proxy", "envoy", "envoy-sidecar", "linkerd-proxy", "consul-connect-envoy-sidecar", "kuma-sidecar"}
)

# Reasons a container waits that say the canary is broken, and the signal each becomes.
_WAITING_KINDS = {
    "CrashLoopBackOff": "crashloopbackoff",
    **dict.fromkeys(
        ["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"], "imagepullbackoff"
    ),
    **dict.fromkeys(
        ["CreateContainerConfigError", "CreateContainerError", "RunContainerError"], "container_error"
    ),
}


# The newest bytes judged per container log: a busy pod (100 requests/s, two 330-byte lines each with
# the runtime's timestamp) writes ~40 MB in a 10-minute window. The whole window is read; only older
# bytes beyond this are dropped, counted and noted. Memory holds this much per analysis at a time
# (the Job's limit is 512 MiB; the web service runs at most --max-concurrent analyses).
DEFAULT_KEEP_BYTES = 48 * 1024 * 1024


def _log_keep_bytes() -> int:
    text = os.environ.get("ROLLOUTS_AI_LOG_LIMIT_BYTES", "")
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else DEFAULT_KEEP_BYTES


def side_selectors(source: ClusterSource) -> tuple[str, str]:
    """(stable, canary) label selectors; hashes become rollouts-pod-template-hash terms."""
    if source.stable_hash and source.canary_hash:
        stable, canary = f"{HASH_LABEL}={source.stable_hash}", f"{HASH_LABEL}={source.canary_hash}"
    else:
        stable, canary = source.stable_selector or "", source.canary_selector or ""
    if source.selector:
        stable, canary = f"{stable},{source.selector}", f"{canary},{source.selector}"
    return stable, canary


# ---------------------------------------------------------------- choosing pods and containers


def _start(pod: Any) -> datetime:
    return pod.status.start_time or pod.metadata.creation_timestamp or datetime.now(UTC)


def _spread(items: list[Any], count: int) -> list[Any]:
    """`count` items evenly spaced over `items` (ordered by age), so young and old pods both show."""
    if count >= len(items):
        return list(items)
    if count == 1:
        return [items[(len(items) - 1) // 2]]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]


def fair_sample(pods: list[Any], max_pods: int) -> list[Any]:
    """At most `max_pods` pods, spread over nodes first and then over ages; deterministic."""
    if len(pods) <= max_pods:
        return sorted(pods, key=lambda p: p.metadata.name)
    by_node: dict[str, list[Any]] = defaultdict(list)
    for pod in sorted(pods, key=lambda p: (_start(p), p.metadata.name)):
        by_node[pod.spec.node_name or ""].append(pod)
    quota = dict.fromkeys(by_node, 0)
    left = max_pods
    while left:
        for node in sorted(by_node):
            if left and quota[node] < len(by_node[node]):
                quota[node] += 1
                left -= 1
    chosen = [pod for node in sorted(by_node) for pod in _spread(by_node[node], quota[node])]
    return sorted(chosen, key=lambda p: p.metadata.name)


def is_sidecar(name: str) -> bool:
    return name in SIDECARS


def app_containers(pod: Any, wanted: str | None) -> list[str]:
    names = [c.name for c in pod.spec.containers]
    if wanted:
        return [wanted] if wanted in names else []
    return [n for n in names if not is_sidecar(n)] or names


def mesh_proxies(pod: Any, apps: list[str]) -> list[str]:
    """The pod's mesh proxies that are not read as applications (whose request records are read)."""
    return [c.name for c in pod.spec.containers if c.name in MESH_PROXIES and c.name not in apps]


# ---------------------------------------------------------------- signals


def _in_window(moment: datetime | None, window_start: datetime | None) -> bool:
    return window_start is None or moment is None or moment >= window_start


def _epoch(when: datetime | None) -> float | None:
    return when.timestamp() if isinstance(when, datetime) else None


def pod_signals(pod: Any, window_start: datetime | None, warnings: list[Any]) -> list[PodSignal]:
    """What the platform says about one pod within the window, independent of its logs."""
    name = pod.metadata.name
    signals: list[PodSignal] = []
    for status in pod.status.container_statuses or []:
        last = status.last_state.terminated if status.last_state else None
        if status.restart_count and _in_window(last.finished_at if last else None, window_start):
            how = f"; last exit: {last.reason or 'Error'} (code {last.exit_code})" if last else ""
            signals.append(
                PodSignal(
                    name,
                    "restart",
                    status.restart_count,
                    f"container {status.name} restarted {status.restart_count} times{how}",
                    _epoch(last.finished_at if last else None),
                )
            )
        current = status.state.terminated if status.state else None
        for terminated in (current, last):
            if (
                terminated
                and terminated.reason == "OOMKilled"
                and _in_window(terminated.finished_at, window_start)
            ):
                signals.append(
                    PodSignal(
                        name,
                        "oomkilled",
                        1,
                        f"container {status.name} was OOMKilled",
                        _epoch(terminated.finished_at),
                    )
                )
                break
        waiting = status.state.waiting if status.state else None
        reason = waiting.reason if waiting else None
        kind = _WAITING_KINDS.get(reason or "")
        if kind:
            signals.append(
                PodSignal(
                    name, kind, 1, f"container {status.name}: {reason}: {waiting.message or ''}".strip()
                )
            )
    if pod.status.phase == "Failed":
        signals.append(
            PodSignal(
                name,
                "pod_failed",
                1,
                f"pod failed: {pod.status.reason or ''} {pod.status.message or ''}".strip(),
            )
        )
    elif pod.status.phase != "Succeeded":
        ready = next((c for c in pod.status.conditions or [] if c.type == "Ready"), None)
        if ready is None or ready.status != "True":
            why = (ready.reason or ready.message or "") if ready else f"phase {pod.status.phase}"
            signals.append(PodSignal(name, "not_ready", 1, f"pod not ready {why}".strip()))
    by_reason: dict[str, PodSignal] = {}
    for event in warnings:
        when = event.last_timestamp or event.event_time or event.metadata.creation_timestamp
        if not _in_window(when, window_start):
            continue
        count = event.count or 1
        seen = by_reason.get(event.reason)
        latest = max(filter(None, (_epoch(when), seen.at if seen else None)), default=None)
        by_reason[event.reason] = PodSignal(
            name,
            "warning_event",
            count + (seen.count if seen else 0),
            f"{event.reason}: {event.message or ''}".strip(),
            latest,
        )
    signals.extend(by_reason.values())
    return signals


# ---------------------------------------------------------------- logs


@dataclass
class _Reading:
    """What every log read of one side shares: the client, the notes and the side's loss account."""

    kube: Kube
    label: str
    notes: list[str]
    loss: DataLoss
    keep_bytes: int
    proxies: set[str] = field(default_factory=set)  # mesh proxies whose request records were read


def _read_log(
    reading: _Reading, pod: str, container: str, previous: bool, since_seconds: int | None
) -> Iterator[bytes]:
    kube, notes, loss = reading.kube, reading.notes, reading.loss
    which = f"{'previous ' if previous else ''}logs of {pod}/{container}"
    need = Permission("get", "pods/log", kube.namespace)
    kwargs: dict[str, Any] = {
        "container": container,
        "previous": previous,
        # no limitBytes: it keeps the *start* of the window, the part least likely to show a canary going bad
        # the runtime's UTC time of each line (stripped again by the line reader): activity over the
        # window works for apps that print no time, or print local time
        "timestamps": True,
        "_preload_content": False,
    }
    if since_seconds:
        kwargs["since_seconds"] = since_seconds
    try:
        response = kube.call(
            need, f"reading {which}", kube.core.read_namespaced_pod_log, pod, kube.namespace, **kwargs
        )
    except NotFound:
        loss.streams += 1
        notes.append(f"{reading.label}: pod {pod} was deleted while it was read: its logs are lost")
        return
    except BadRequest as error:
        # A container whose log is gone (e.g. the previous instance after a second restart): counted as lost.
        loss.streams += 1
        notes.append(f"{reading.label}: no {which}: {error}")
        return
    try:
        kept = keep_newest(_arriving(kube, response, which), reading.keep_bytes)
    finally:
        response.release_conn()
    if kept.dropped:
        loss.bytes += kept.dropped
        loss.lines += kept.dropped_lines
        notes.append(
            f"{reading.label}: {which}: judged the newest {kept.total - kept.dropped:,} of "
            f"{kept.total:,} bytes; the oldest {kept.dropped:,} bytes ({kept.dropped_lines:,} lines) "
            "were not judged (raise ROLLOUTS_AI_LOG_LIMIT_BYTES or shorten --since)"
        )
    for chunk in kept:
        yield chunk
        kube.check_deadline(f"judging {which}")


def _arriving(kube: Kube, response: Any, which: str) -> Iterator[bytes]:
    try:
        # read1 returns whatever has arrived, so a server that drips bytes cannot hold us past the deadline
        while chunk := response.read1(CHUNK_BYTES, decode_content=True):
            yield chunk
            kube.check_deadline(f"reading {which}")
    except urllib3.exceptions.HTTPError as error:
        raise kube.unreachable(error, f"reading {which}") from None


def _streams(
    reading: _Reading, pod: Any, source: ClusterSource, since_seconds: int | None
) -> list[LogStream]:
    notes = reading.notes
    name = pod.metadata.name
    statuses = {s.name: s for s in pod.status.container_statuses or []}
    container = source.container
    chosen = app_containers(pod, container)
    proxies = mesh_proxies(pod, chosen) if source.mesh_requests and not container else []
    if not chosen:
        reading.loss.streams += 1
        notes.append(
            f"{reading.label}: pod {name} has no container named {container!r}: its logs are not read"
        )
    streams = []
    for each in chosen:
        status = statuses.get(each)
        started = status is not None and (status.restart_count or not (status.state and status.state.waiting))
        if not started:
            notes.append(f"container {name}/{each} has not started yet: no logs to read")
            continue
        read = partial(_read_log, reading, name, each)
        if not (status.state and status.state.waiting):
            streams.append(LogStream(f"{name}/{each}", partial(read, False, since_seconds)))
        if status.restart_count and status.last_state and status.last_state.terminated:
            # The crash that caused the restart is in the previous instance's log.
            streams.append(LogStream(f"{name}/{each} (previous)", partial(read, True, since_seconds)))
    for each in proxies:
        status = statuses.get(each)
        if status is not None and status.state and status.state.running:
            read = partial(_read_log, reading, name, each, False, since_seconds)
            streams.append(LogStream(f"{name}/{each} (requests)", read, requests_only=True))
            reading.proxies.add(each)
    return streams


# ---------------------------------------------------------------- the collector


def _list_pods(kube: Kube, selector: str) -> list[Any]:
    need = Permission("list", "pods", kube.namespace)
    try:
        result = kube.call(
            need,
            f"listing pods {selector!r}",
            kube.core.list_namespaced_pod,
            kube.namespace,
            label_selector=selector,
        )
    except BadRequest as error:
        raise InputError(f"the Kubernetes API refused the label selector {selector!r}: {error}") from None
    return [pod for pod in result.items if not pod.metadata.deletion_timestamp]


def _warning_events(kube: Kube) -> dict[str, list[Any]]:
    need = Permission("list", "events", kube.namespace)
    result = kube.call(
        need,
        "listing Warning events of pods",
        kube.core.list_namespaced_event,
        kube.namespace,
        field_selector="involvedObject.kind=Pod,type=Warning",
    )
    by_pod: dict[str, list[Any]] = defaultdict(list)
    for event in result.items:
        by_pod[event.involved_object.name].append(event)
    return by_pod


def _window(canary: list[Any], since_seconds: int | None, now: datetime) -> int | None:
    """Seconds back from now that both sides are read: since the canary started, at most --since."""
    if not canary:
        return since_seconds
    started = min(_start(pod) for pod in canary)
    seconds = max(1, math.ceil((now - started).total_seconds()))
    return min(seconds, since_seconds) if since_seconds else seconds


def _side(
    kube: Kube,
    label: str,
    pods: list[Any],
    source: ClusterSource,
    window: int | None,
    now: datetime,
    warnings: dict[str, list[Any]],
    notes: list[str],
) -> SideSnapshot:
    sample = fair_sample(pods, source.max_pods)
    loss = DataLoss(pods_skipped=len(pods) - len(sample))
    if loss.pods_skipped:
        notes.append(
            f"{label}: logs read from {len(sample)} of {len(pods)} pods (spread over nodes and ages); "
            "signals from all (raise --max-pods to read more)"
        )
    reading = _Reading(kube, label, notes, loss, _log_keep_bytes())
    streams = [s for pod in sample for s in _streams(reading, pod, source, window)]
    if reading.proxies:
        notes.append(
            f"{label}: request records of the mesh proxy ({', '.join(sorted(reading.proxies))}) read as "
            "evidence, its other lines left out (--no-mesh-requests to read the applications only)"
        )
    window_start = now - timedelta(seconds=window) if window else None
    signals = [s for pod in pods for s in pod_signals(pod, window_start, warnings.get(pod.metadata.name, []))]
    return SideSnapshot(
        streams=streams,
        pods=[p.metadata.name for p in sample],
        signals=signals,
        window_seconds=float(window) if window else None,
        window_end=now.timestamp(),
        loss=loss,
    )


def collect(source: ClusterSource) -> Snapshot:
    kube = connect(source.namespace, deadline_seconds=source.deadline_seconds)
    stable_selector, canary_selector = side_selectors(source)
    stable = _list_pods(kube, stable_selector)
    canary = _list_pods(kube, canary_selector)
    shared = sorted({p.metadata.name for p in stable} & {p.metadata.name for p in canary})
    if shared:
        raise InputError(
            f"the stable selector {stable_selector!r} and the canary selector {canary_selector!r} both match "
            f"{', '.join(shared[:5])}: pass selectors (or pod-template hashes) that tell the two sides apart"
        )
    notes: list[str] = []
    where = f"in namespace {kube.namespace!r}"
    if not canary:
        notes.append(
            f"no canary pods match {canary_selector!r} {where}: nothing to judge yet (is the canary "
            "scaled up, and are --canary-hash/--canary-selector and --namespace right?)"
        )
    if not stable:
        notes.append(
            f"no stable pods match {stable_selector!r} {where}: no baseline to compare with (check "
            "--stable-hash/--stable-selector and --namespace)"
        )
    for note in notes:
        log.warning(note)
    now = datetime.now(UTC)
    window = _window(canary, source.since_seconds, now)
    warnings = _warning_events(kube) if stable or canary else {}
    snapshot = Snapshot(
        stable=_side(kube, "stable", stable, source, window, now, warnings, notes),
        canary=_side(kube, "canary", canary, source, window, now, warnings, notes),
        source="kubernetes",
        notes=notes,
    )
    log.info(
        "collected",
        extra={
            "fields": {
                "namespace": kube.namespace,
                "window_seconds": window,
                "stable_pods": len(stable),
                "canary_pods": len(canary),
            }
        },
    )
    return snapshot

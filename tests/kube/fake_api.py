"""A small stand-in for the Kubernetes API, enough for the real `kubernetes` client.

It serves the few endpoints the tool uses, the way kube-apiserver answers them: pods (list by
labelSelector, get), pods/log (text/plain; container, previous, sinceSeconds, tailLines,
limitBytes; the same 400 messages for a waiting container), events (list by fieldSelector,
create), jobs (get), and real `Status` error bodies (400, 403, 404). Objects are plain dicts in
the API's JSON shape, so tests build them the way the cluster would show them.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: float) -> str:
    return rfc3339(datetime.now(UTC) - timedelta(seconds=seconds))


# ---------------------------------------------------------------- label and field selectors

_SET_TERM = re.compile(r"^\s*([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_CMP_TERM = re.compile(r"^\s*([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)\s*$")
_EXISTS_TERM = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*$")


class SelectorError(ValueError):
    pass


def _split_terms(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t for t in terms if t.strip()]


def label_matcher(selector: str) -> Callable[[dict[str, str]], bool]:
    """Parse a label selector (=, ==, !=, in, notin, exists, !exists) into a predicate."""
    checks: list[Callable[[dict[str, str]], bool]] = []
    for term in _split_terms(selector or ""):
        if m := _SET_TERM.match(term):
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",")}
            if op == "in":
                checks.append(lambda labels, k=key, vs=values: labels.get(k) in vs)
            else:
                checks.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        elif m := _CMP_TERM.match(term):
            key, op, value = m.groups()
            if op == "!=":
                checks.append(lambda labels, k=key, v=value: labels.get(k) != v)
            else:
                checks.append(lambda labels, k=key, v=value: labels.get(k) == v)
        elif m := _EXISTS_TERM.match(term):
            negate, key = m.groups()
            checks.append(lambda labels, k=key, n=bool(negate): (k in labels) != n)
        else:
            raise SelectorError(f"unable to parse requirement: {term!r}")
    return lambda labels: all(check(labels) for check in checks)


def _dig(obj: dict[str, Any], dotted: str) -> str:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return "" if value is None else str(value)


def field_matcher(selector: str) -> Callable[[dict[str, Any]], bool]:
    checks = []
    for term in _split_terms(selector or ""):
        m = _CMP_TERM.match(term)
        if not m:
            raise SelectorError(f"invalid field selector: {term!r}")
        key, op, value = m.groups()
        checks.append((key, op == "!=", value))
    return lambda obj: all((_dig(obj, k) != v) if neg else (_dig(obj, k) == v) for k, neg, v in checks)


# ---------------------------------------------------------------- state


@dataclass
class LogLine:
    age_seconds: float  # how long ago the line was written
    text: str


@dataclass
class FakeCluster:
    pods: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    jobs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    deployments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    canaries: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # Flagger's
    events: list[dict[str, Any]] = field(default_factory=list)
    configmaps: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # (namespace, pod, container, previous) -> lines
    logs: dict[tuple[str, str, str, bool], list[LogLine]] = field(default_factory=dict)
    # (verb, resource, namespace) the service account may not do
    forbidden: set[tuple[str, str, str]] = field(default_factory=set)
    # pods that vanish right after they were listed (deleted while the tool reads them)
    delete_after_list: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    user: str = "system:serviceaccount:shop:rollouts-ai-job"
    url: str = ""  # set when served
    drip_seconds: float = 0.0  # send log bodies a few bytes at a time, this long apart (a slow server)

    def add_pod(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        self.pods[(meta["namespace"], meta["name"])] = pod

    def add_logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        lines: list[str],
        *,
        previous: bool = False,
        every_seconds: float = 1.0,
    ) -> None:
        """Lines written one every `every_seconds`, the last one just now."""
        count = len(lines)
        self.logs[(namespace, pod, container, previous)] = [
            LogLine((count - 1 - i) * every_seconds, text) for i, text in enumerate(lines)
        ]

    def requested(self, path_part: str) -> list[dict[str, list[str]]]:
        return [query for _, path, query in self.requests if path_part in path]


def _rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def make_pod(
    name: str,
    namespace: str = "shop",
    *,
    labels: dict[str, str] | None = None,
    containers: list[str] = ("app",),  # type: ignore[assignment]
    node: str = "node-a",
    started_seconds_ago: float = 600,
    restarts: dict[str, int] | None = None,
    last_terminated: dict[str, dict[str, Any]] | None = None,
    waiting: dict[str, str] | None = None,
    ready: bool = True,
    owner_job: str | None = None,
) -> dict[str, Any]:
    """A pod as the API returns it, with container statuses the tests can shape."""
    restarts = restarts or {}
    last_terminated = last_terminated or {}
    waiting = waiting or {}
    statuses = []
    for container in containers:
        if container in waiting:
            state: dict[str, Any] = {"waiting": {"reason": waiting[container], "message": "back-off"}}
        else:
            state = {"running": {"startedAt": ago(started_seconds_ago)}}
        status: dict[str, Any] = {
            "name": container,
            "image": f"example/{container}:1",
            "imageID": "",
            "ready": ready and container not in waiting,
            "restartCount": restarts.get(container, 0),
            "state": state,
            "lastState": {},
        }
        if container in last_terminated:
            status["lastState"] = {"terminated": last_terminated[container]}
        statuses.append(status)
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{name}",
        "labels": labels or {},
        "creationTimestamp": ago(started_seconds_ago + 5),
    }
    if owner_job:
        metadata["ownerReferences"] = [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": owner_job,
                "uid": f"uid-{owner_job}",
                "controller": True,
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "nodeName": node,
            "containers": [{"name": c, "image": f"example/{c}:1"} for c in containers],
        },
        "status": {
            "phase": "Running",
            "startTime": ago(started_seconds_ago),
            "conditions": [{"type": "Ready", "status": "True" if ready and not waiting else "False"}],
            "containerStatuses": statuses,
        },
    }


# ---------------------------------------------------------------- HTTP


def status_body(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


_ROUTES = [
    ("pods", re.compile(r"^/api/v1/namespaces/([^/]+)/pods$")),
    ("pod", re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)$")),
    ("log", re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log$")),
    ("events", re.compile(r"^/api/v1/namespaces/([^/]+)/events$")),
    ("job", re.compile(r"^/apis/batch/v1/namespaces/([^/]+)/jobs/([^/]+)$")),
    ("configmaps", re.compile(r"^/api/v1/namespaces/([^/]+)/configmaps$")),
    ("configmap", re.compile(r"^/api/v1/namespaces/([^/]+)/configmaps/([^/]+)$")),
    ("deployment", re.compile(r"^/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+)$")),
    ("canary", re.compile(r"^/apis/flagger\.app/v1beta1/namespaces/([^/]+)/canaries/([^/]+)$")),
]

# route -> (verb for GET, resource, group) as RBAC sees the request
_RBAC = {
    "pods": ("list", "pods", ""),
    "pod": ("get", "pods", ""),
    "log": ("get", "pods/log", ""),
    "events": ("list", "events", ""),
    "job": ("get", "jobs", "batch"),
    "configmaps": ("list", "configmaps", ""),
    "configmap": ("get", "configmaps", ""),
    "deployment": ("get", "deployments", "apps"),
    "canary": ("get", "canaries", "flagger.app"),
}


class _Handler(BaseHTTPRequestHandler):
    cluster: FakeCluster
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if content_type == "text/plain" and self.cluster.drip_seconds:
            for start in range(0, len(data), 4):
                self.wfile.write(data[start : start + 4])
                self.wfile.flush()
                time.sleep(self.cluster.drip_seconds)
            return
        self.wfile.write(data)

    def _status(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        self._send(code, status_body(code, reason, message, details))

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        self.cluster.requests.append((method, url.path, query))
        for route, pattern in _ROUTES:
            if m := pattern.match(url.path):
                verb, resource, group = _RBAC[route]
                if method == "POST":
                    verb = "create"
                elif method == "DELETE":
                    verb = "delete"
                if (verb, resource, m.group(1)) in self.cluster.forbidden:
                    return self._forbidden(verb, resource, group, m.group(1))
                handler = getattr(self, f"_{method.lower()}_{route}", None)
                if handler is None:
                    return self._status(405, "MethodNotAllowed", f"{method} is not supported")
                try:
                    return handler(query, *m.groups())
                except SelectorError as error:
                    return self._status(400, "BadRequest", str(error))
        self._status(404, "NotFound", "the server could not find the requested resource")

    def _forbidden(self, verb: str, resource: str, group: str, namespace: str) -> None:
        name, _, sub = resource.partition("/")
        shown = f'"{name}/{sub}"' if sub else f'"{name}"'
        message = (
            f'{name} is forbidden: User "{self.cluster.user}" cannot {verb} resource {shown} '
            f'in API group "{group}" in the namespace "{namespace}"'
        )
        self._status(403, "Forbidden", message, {"kind": name})

    def _get_pods(self, query: dict[str, list[str]], namespace: str) -> None:
        matches = label_matcher(query.get("labelSelector", [""])[0])
        items = [
            pod
            for (ns, _), pod in sorted(self.cluster.pods.items())
            if ns == namespace and matches(pod["metadata"].get("labels", {}))
        ]
        self._send(
            200, {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}
        )
        for pod in items:
            if pod["metadata"]["name"] in self.cluster.delete_after_list:
                self.cluster.pods.pop((namespace, pod["metadata"]["name"]), None)

    def _not_found(self, kind: str, name: str, group: str = "") -> None:
        self._status(
            404, "NotFound", f'{kind} "{name}" not found', {"name": name, "group": group, "kind": kind}
        )

    def _get_pod(self, query: dict[str, list[str]], namespace: str, name: str) -> None:
        pod = self.cluster.pods.get((namespace, name))
        if pod is None:
            return self._not_found("pods", name)
        self._send(200, pod)

    def _get_job(self, query: dict[str, list[str]], namespace: str, name: str) -> None:
        job = self.cluster.jobs.get((namespace, name))
        if job is None:
            return self._not_found("jobs", name, "batch")
        self._send(200, job)

    def _get_deployment(self, query: dict[str, list[str]], namespace: str, name: str) -> None:
        found = self.cluster.deployments.get((namespace, name))
        if found is None:
            return self._not_found("deployments", name, "apps")
        self._send(200, found)

    def _get_canary(self, query: dict[str, list[str]], namespace: str, name: str) -> None:
        found = self.cluster.canaries.get((namespace, name))
        if found is None:
            return self._not_found("canaries", name, "flagger.app")
        self._send(200, found)

    def _get_log(self, query: dict[str, list[str]], namespace: str, name: str) -> None:
        pod = self.cluster.pods.get((namespace, name))
        if pod is None:
            return self._not_found("pods", name)
        names = [c["name"] for c in pod["spec"]["containers"]]
        container = query.get("container", [None])[0]
        if container is None:
            if len(names) != 1:
                return self._status(
                    400,
                    "BadRequest",
                    f"a container name must be specified for pod {name}, choose one of: {names}",
                )
            container = names[0]
        if container not in names:
            return self._status(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = query.get("previous", ["false"])[0] == "true"
        status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == container)
        if previous and "terminated" not in status.get("lastState", {}):
            return self._status(
                400, "BadRequest", f'previous terminated container "{container}" in pod "{name}" not found'
            )
        if not previous and "waiting" in status["state"]:
            reason = status["state"]["waiting"]["reason"]
            return self._status(
                400, "BadRequest", f'container "{container}" in pod "{name}" is waiting to start: {reason}'
            )
        lines = self.cluster.logs.get((namespace, name, container, previous), [])
        if "sinceSeconds" in query:
            since = float(query["sinceSeconds"][0])
            lines = [line for line in lines if line.age_seconds <= since]
        if "tailLines" in query:
            tail = int(query["tailLines"][0])
            lines = lines[-tail:] if tail else []
        if query.get("timestamps", ["false"])[0] == "true":
            # the kubelet's RFC3339Nano prefix, as `kubectl logs --timestamps` prints it
            now = time.time()
            data = "".join(f"{_rfc3339(now - line.age_seconds)} {line.text}\n" for line in lines).encode()
        else:
            data = "".join(line.text + "\n" for line in lines).encode()
        if "limitBytes" in query:
            data = data[: int(query["limitBytes"][0])]
        self._send(200, data, "text/plain")

    # ConfigMaps: create (with generateName-free names), get, list by label, delete; creation
    # time and a resourceVersion are set as the API server does.
    def _post_configmaps(self, query: dict[str, list[str]], namespace: str) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        meta = body.setdefault("metadata", {})
        meta.setdefault("namespace", namespace)
        name = meta.get("name", "")
        if (namespace, name) in self.cluster.configmaps:
            return self._status(409, "AlreadyExists", f'configmaps "{name}" already exists', {"name": name})
        size = len(json.dumps(body.get("data", {}))) + len(json.dumps(body.get("binaryData", {})))
        if size > 1024 * 1024:
            message = f'ConfigMap "{name}" is invalid: data: Too long: must have at most 1048576 bytes'
            return self._status(422, "Invalid", message)
        meta["creationTimestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta["resourceVersion"] = str(len(self.cluster.requests) + 1)
        meta["uid"] = f"cm-{len(self.cluster.configmaps) + 1}"
        body.setdefault("kind", "ConfigMap")
        body.setdefault("apiVersion", "v1")
        self.cluster.configmaps[(namespace, name)] = body
        self._send(201, body)

    def _get_configmaps(self, query: dict[str, list[str]], namespace: str) -> None:
        matches = label_matcher(query.get("labelSelector", [""])[0])
        items = [
            cm
            for (ns, _), cm in sorted(self.cluster.configmaps.items())
            if ns == namespace and matches(cm["metadata"].get("labels", {}))
        ]
        self._send(200, {"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {}, "items": items})

    def _get_configmap(self, query: dict[str, list[str]], namespace: str, name: str) -> None:
        cm = self.cluster.configmaps.get((namespace, name))
        if cm is None:
            return self._not_found("configmaps", name)
        self._send(200, cm)

    def _delete_configmap(self, query: dict[str, list[str]], namespace: str, name: str) -> None:
        if self.cluster.configmaps.pop((namespace, name), None) is None:
            return self._not_found("configmaps", name)
        self._send(200, status_body(200, "", "deleted") | {"status": "Success"})

    def _get_events(self, query: dict[str, list[str]], namespace: str) -> None:
        matches = field_matcher(query.get("fieldSelector", [""])[0])
        items = [e for e in self.cluster.events if e["metadata"]["namespace"] == namespace and matches(e)]
        self._send(200, {"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": items})

    def _post_events(self, query: dict[str, list[str]], namespace: str) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        event = json.loads(self.rfile.read(length) or b"{}")
        event.setdefault("metadata", {})
        event["metadata"].setdefault("namespace", namespace)
        if event["metadata"]["namespace"] != namespace:
            return self._status(422, "Invalid", "the namespace of the object does not match the request")
        if event.get("involvedObject", {}).get("namespace", namespace) != namespace:
            return self._status(422, "Invalid", "involvedObject.namespace: does not match event.namespace")
        if "generateName" in event["metadata"] and "name" not in event["metadata"]:
            event["metadata"]["name"] = f"{event['metadata']['generateName']}{len(self.cluster.events):05d}"
        self.cluster.events.append(event)
        self._send(201, event)


class FakeAPI:
    """Serve a FakeCluster on 127.0.0.1 (a random free port) in a background thread."""

    def __init__(self, cluster: FakeCluster | None = None) -> None:
        self.cluster = cluster or FakeCluster()
        handler = type("Handler", (_Handler,), {"cluster": self.cluster})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.cluster.url = self.url

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_kubeconfig(path: Path, server: str, namespace: str = "shop") -> Path:
    """A kubeconfig that points the real client at `server` (plain HTTP on 127.0.0.1)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": "fake-token"}}],
        "contexts": [
            {"name": "fake", "context": {"cluster": "fake", "user": "tester", "namespace": namespace}}
        ],
        "current-context": "fake",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def make_deployment(name: str, labels: dict[str, str], namespace: str = "shop") -> dict[str, Any]:
    """A Deployment as the API returns it: what matters here is its selector."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "x"}]},
            },
        },
    }


def make_flagger_canary(name: str, target: str, namespace: str = "shop") -> dict[str, Any]:
    """A Flagger Canary (flagger.app/v1beta1) targeting Deployment `target`."""
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "service": {"port": 80},
            "analysis": {"interval": "1m", "threshold": 5, "iterations": 10},
        },
        "status": {"phase": "Progressing"},
    }

"""The web Role grants exactly the Kubernetes calls the web service makes, no more, no fewer.

The calls are recorded: a real analysis over /analyze (real pipeline, real `kubernetes` client)
against tests/kube/fake_api.py, on pods that exercise every read (both sides, a restarted
container's previous log, Warning events). They are also read from the `Permission(...)` each
collector call declares, so a path the scenario misses still counts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from job.model import LLMConfig
from job.serve import ServiceConfig, create_app
from tests.kube.fake_api import _RBAC, _ROUTES, FakeCluster, ago, make_deployment, make_flagger_canary
from tests.kube.test_collect import NS, rollout_pod
from tests.schemas import PROJECT_ROOT, load_documents

SERVICE = PROJECT_ROOT / "templates" / "web-service.yaml"


def granted() -> set[tuple[str, str, str]]:
    (role,) = [d for d in load_documents(SERVICE) if d["kind"] == "Role"]
    return {
        (verb, resource, group)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def recorded(cluster: FakeCluster) -> set[tuple[str, str, str]]:
    calls = set()
    for method, path, _ in cluster.requests:
        route = next(name for name, pattern in _ROUTES if pattern.match(path))
        verb, resource, group = _RBAC[route]
        calls.add(({"POST": "create", "DELETE": "delete"}.get(method, verb), resource, group))
    return calls


def declared_by_the_collectors() -> set[tuple[str, str, str]]:
    """Every Permission(...) in job/collect/ and the report store: the only Kubernetes calls the
    service makes (an analysis, and keeping and serving its report)."""
    pattern = re.compile(r'Permission\(\s*"(\w+)",\s*"([\w/]+)",\s*[\w.]+(?:,\s*"([\w.]*)")?\s*\)')
    found = set()
    paths = [
        *Path(PROJECT_ROOT / "job" / "collect").rglob("*.py"),
        PROJECT_ROOT / "job" / "render" / "store.py",
        PROJECT_ROOT / "job" / "serve" / "flagger.py",
    ]
    for path in paths:
        found |= {(verb, res, group or "") for verb, res, group in pattern.findall(path.read_text())}
    return found


def test_the_web_role_is_exactly_what_an_analysis_calls(cluster: FakeCluster) -> None:
    restarted = {"app": {"exitCode": 2, "reason": "Error", "finishedAt": ago(30)}}
    cluster.add_pod(rollout_pod("s-a", "s1"))
    cluster.add_pod(rollout_pod("c-a", "c1", restarts={"app": 1}, last_terminated=restarted))
    cluster.add_logs(NS, "s-a", "app", [f"GET /api 200 in {i} ms" for i in range(50)])
    cluster.add_logs(NS, "c-a", "app", [f"GET /api 200 in {i} ms" for i in range(50)])
    cluster.add_logs(NS, "c-a", "app", ["panic: nil map"], previous=True)
    cluster.events.append(
        {
            "metadata": {"name": "c-a.1", "namespace": NS},
            "involvedObject": {"kind": "Pod", "name": "c-a", "namespace": NS},
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container",
            "count": 1,
            "lastTimestamp": ago(20),
        }
    )
    # an expired report of an earlier analysis, which keeping the new one prunes
    cluster.configmaps[(NS, "rollouts-ai-report-00000000aaaa")] = {
        "metadata": {
            "name": "rollouts-ai-report-00000000aaaa",
            "namespace": NS,
            "labels": {"rollouts-ai-job.argoproj.io/report": "true"},
            "annotations": {"rollouts-ai-job.argoproj.io/expires": "2020-01-01T00:00:00Z"},
        },
        "binaryData": {},
    }
    app = create_app(ServiceConfig(llm=LLMConfig(enabled=False), analysis_deadline=20))
    response = app.handle(
        "GET", f"/analyze?namespace={NS}&stableHash=s1&canaryHash=c1", {"Host": "judge:8080"}, 0, bytes
    )
    assert response.status == 200, response.body
    document = json.loads(response.body)
    assert document["verdict"] == "fail"  # the previous log's panic was read
    page = app.handle("GET", document["reportUrl"].removeprefix("http://judge:8080"), {}, 0, bytes)
    assert page.status == 200 and b"FAIL" in page.body

    # a Flagger webhook finds the same sides through the Canary and its two Deployments
    cluster.canaries[(NS, "shop")] = make_flagger_canary("shop", "shop", NS)
    for name, hash_ in (("shop-primary", "s1"), ("shop", "c1")):
        cluster.deployments[(NS, name)] = make_deployment(name, {"rollouts-pod-template-hash": hash_}, NS)
    body = json.dumps({"name": "shop", "namespace": NS, "phase": "Progressing", "checksum": "1"}).encode()
    hook = app.handle(
        "POST", "/flagger/rollout", {"Content-Type": "application/json"}, len(body), lambda: body
    )
    assert hook.status == 422, hook.body  # the same failing canary

    calls = recorded(cluster)
    assert ("get", "pods/log", "") in calls and ("list", "events", "") in calls  # every read happened
    assert granted() == calls == declared_by_the_collectors()

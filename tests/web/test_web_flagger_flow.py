"""The whole Flagger flow with the real analysis: a Canary resource, its Deployment and `-primary`
Deployment, their pods and logs in the Kubernetes API stand-in; the service finds the two sides
itself and answers each hook."""

from __future__ import annotations

from typing import Any

import requests

from tests.kube.fake_api import FakeCluster, make_deployment, make_flagger_canary, make_pod


def podinfo(api: FakeCluster, canary_error_every: int = 0) -> None:
    """Flagger's layout: Deployment podinfo (the canary) and podinfo-primary (the stable)."""
    api.canaries[("shop", "podinfo")] = make_flagger_canary("podinfo", "podinfo")
    for name, age in (("podinfo-primary", 86400), ("podinfo", 600)):
        api.deployments[("shop", name)] = make_deployment(name, {"app": name})
        for n in range(2):
            pod = f"{name}-7d9f-{n}"
            api.add_pod(make_pod(pod, labels={"app": name}, started_seconds_ago=age))
            lines = []
            for i in range(300):
                if name == "podinfo" and canary_error_every and i % canary_error_every == 0:
                    lines.append(
                        f'level=error msg="GET /api/info 500: upstream connect error" status=500 i={i}'
                    )
                else:
                    lines.append(f'level=info msg="GET /api/info 200" status=200 duration_ms={12 + i % 5}')
            api.add_logs("shop", pod, "app", lines, every_seconds=1)


def hook(service: Any, name: str, **metadata: str) -> requests.Response:
    body = {
        "name": "podinfo",
        "namespace": "shop",
        "phase": "Progressing",
        "checksum": "abc",
        "metadata": metadata,
    }
    return requests.post(f"{service.url}/flagger/{name}", json=body, timeout=30)


def test_a_failing_canary_fails_the_rollout_hook_and_holds_promotion(
    cluster: FakeCluster, service_factory
) -> None:
    podinfo(cluster, canary_error_every=2)
    service = service_factory("--no-llm", "--analysis-deadline", "20", real=True)
    answer = hook(service, "rollout")
    assert answer.status_code == 422, answer.text
    assert answer.json()["verdict"] == "fail" and "5xx" in answer.json()["summary"]
    assert hook(service, "confirm-promotion").status_code == 409
    # the sides were found from the Canary's target and its -primary Deployment
    assert cluster.requested("/canaries/podinfo") and cluster.requested("/deployments/podinfo-primary")
    listed = [q.get("labelSelector", [""])[0] for q in cluster.requested("/namespaces/shop/pods")]
    assert "app=podinfo" in listed and "app=podinfo-primary" in listed


def test_a_healthy_canary_passes_and_pre_rollout_is_ready(cluster: FakeCluster, service_factory) -> None:
    podinfo(cluster)
    service = service_factory("--no-llm", "--analysis-deadline", "20", real=True)
    assert hook(service, "pre-rollout").status_code == 200
    answer = hook(service, "rollout")
    assert answer.status_code == 200 and answer.json()["verdict"] == "pass", answer.text
    assert hook(service, "rollback").status_code == 409


def test_pre_rollout_says_what_is_missing(cluster: FakeCluster, service_factory) -> None:
    podinfo(cluster)
    del cluster.deployments[("shop", "podinfo-primary")]
    service = service_factory("--no-llm", "--analysis-deadline", "20", real=True)
    answer = hook(service, "pre-rollout")
    assert answer.status_code == 503 and "podinfo-primary" in answer.json()["result"]
    cluster.forbidden.add(("get", "canaries", "shop"))
    answer = hook(service, "confirm-rollout")
    assert answer.status_code == 503 and "flagger.app" in answer.json()["result"]
    # a rollout hook whose sides cannot be found is a failed check, never a pass
    assert hook(service, "rollout").status_code >= 400

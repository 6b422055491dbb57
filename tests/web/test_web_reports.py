"""GET /reports/<id> across replicas: two service processes share one Kubernetes API (the
stand-in); a report one of them made is read through the other, as behind a Service."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from web_service import Service

from job.render.store import PREFIX
from tests.kube.fake_api import FakeAPI, FakeCluster, make_pod, write_kubeconfig

NS = "shop"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[FakeCluster, Path]]:
    with FakeAPI() as fake:
        yield fake.cluster, write_kubeconfig(tmp_path / "kubeconfig", fake.url)


def rollout(cluster: FakeCluster) -> None:
    """A stable and a canary pod of rollouts-demo; the canary answers 500 to a third of its calls."""
    rng = random.Random(7)
    for name, hash_, error_share in (("shop-s1-a", "s1", 0.0), ("shop-c1-a", "c1", 0.33)):
        labels = {"app": "shop", "rollouts-pod-template-hash": hash_}
        cluster.add_pod(make_pod(name, NS, labels=labels, started_seconds_ago=300))
        lines = [f"{500 if rng.random() < error_share else 200} - blue" for _ in range(280)]
        cluster.add_logs(NS, name, "app", lines, every_seconds=1)


def replicas(service_factory: Callable[..., Service], kubeconfig: Path) -> tuple[Service, Service]:
    env = {"KUBECONFIG": str(kubeconfig)}
    flags = ("--no-llm", "--analysis-deadline", "20")
    return service_factory(*flags, env=env, real=True), service_factory(*flags, env=env, real=True)


def test_a_report_made_by_one_replica_is_read_through_the_other(
    api: tuple[FakeCluster, Path], service_factory: Callable[..., Service]
) -> None:
    cluster, kubeconfig = api
    rollout(cluster)
    first, second = replicas(service_factory, kubeconfig)
    answer = requests.get(
        f"{first.url}/analyze", params={"namespace": NS, "stableHash": "s1", "canaryHash": "c1"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["verdict"] == "fail"
    url = document["reportUrl"]
    assert url.startswith(f"{first.url}/reports/")
    assert document["compact"]["reportUrl"] == url, "what Argo keeps per measurement links it too"
    report_id = url.rsplit("/", 1)[1]
    assert (NS, PREFIX + report_id) in cluster.configmaps, "kept in the cluster, not in the process"

    page = requests.get(f"{second.url}/reports/{report_id}", timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<span class="word">FAIL</span>' in page.text and "namespace shop" in page.text
    policy = page.headers["Content-Security-Policy"]
    assert (
        "default-src 'none'" in policy
        and "frame-ancestors 'none'" in policy
        and "'unsafe-inline'" not in policy
    )
    assert page.headers["X-Content-Type-Options"] == "nosniff"

    again = requests.get(
        f"{second.url}/analyze", params={"namespace": NS, "stableHash": "s1", "canaryHash": "c1"}, timeout=30
    ).json()
    assert again["reportUrl"].startswith(f"{second.url}/reports/"), "the URL names the replica that was asked"


def test_a_missing_or_expired_report_is_a_clear_404(
    api: tuple[FakeCluster, Path], service_factory: Callable[..., Service]
) -> None:
    _cluster, kubeconfig = api
    service = service_factory("--no-llm", env={"KUBECONFIG": str(kubeconfig)}, real=True)
    missing = requests.get(f"{service.url}/reports/0123456789abcdef", timeout=10)
    assert missing.status_code == 404 and "no report '0123456789abcdef'" in missing.json()["error"]
    browser = requests.get(
        f"{service.url}/reports/0123456789abcdef", headers={"Accept": "text/html"}, timeout=10
    )
    assert browser.status_code == 404 and "<h1>Report not found</h1>" in browser.text
    hostile = requests.get(f"{service.url}/reports/%3Cscript%3E", headers={"Accept": "text/html"}, timeout=10)
    assert hostile.status_code == 404 and "<script>" not in hostile.text
    assert requests.post(f"{service.url}/reports/0123456789abcdef", timeout=10).status_code == 405


def test_without_a_cluster_reports_are_not_kept_and_say_so(service_factory: Callable[..., Service]) -> None:
    service = service_factory("--no-llm", "--report-store", "off")
    answer = requests.get(
        f"{service.url}/analyze", params={"namespace": NS, "canaryHash": "c1", "stableHash": "s1"}
    )
    assert answer.status_code == 200 and "reportUrl" not in answer.json()
    missing = requests.get(f"{service.url}/reports/0123456789abcdef", timeout=10)
    assert missing.status_code == 404 and "not kept" in json.loads(missing.text)["error"]

"""The API stand-in answers like kube-apiserver where the tool depends on it."""

from __future__ import annotations

import os

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from tests.kube.fake_api import FakeCluster, SelectorError, label_matcher, make_pod

LABELS = {"app": "shop", "track": "canary"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("app=shop", True),
        ("app==shop,track=canary", True),
        ("app!=shop", False),
        ("tier!=web", True),  # a missing key is != anything
        ("track in (stable, canary)", True),
        ("track notin (canary)", False),
        ("tier notin (web)", True),  # a missing key is notin anything
        ("app", True),
        ("!app", False),
        ("!tier", True),
        ("app=shop,tier", False),
        ("", True),
    ],
)
def test_label_selectors(selector: str, matches: bool) -> None:
    assert label_matcher(selector)(LABELS) is matches


def test_malformed_selector_is_refused() -> None:
    with pytest.raises(SelectorError):
        label_matcher("app=(")


def api(cluster: FakeCluster) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=os.environ["KUBECONFIG"]))


def test_log_parameters(cluster: FakeCluster) -> None:
    cluster.add_pod(make_pod("p", containers=["app", "sidecar"]))
    cluster.add_logs("shop", "p", "app", ["a", "b", "c", "d"], every_seconds=10)
    core = api(cluster)
    assert core.read_namespaced_pod_log("p", "shop", container="app", tail_lines=2) == "c\nd\n"
    assert core.read_namespaced_pod_log("p", "shop", container="app", since_seconds=15) == "c\nd\n"
    assert core.read_namespaced_pod_log("p", "shop", container="app", limit_bytes=3) == "a\nb"
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod_log("p", "shop")
    assert caught.value.status == 400 and "a container name must be specified" in caught.value.body
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod_log("p", "shop", container="app", previous=True)
    assert caught.value.status == 400 and "previous terminated container" in caught.value.body


def test_status_bodies(cluster: FakeCluster) -> None:
    cluster.forbidden.add(("list", "pods", "shop"))
    core = api(cluster)
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_pod("shop")
    assert caught.value.status == 403 and '"kind": "Status"' in caught.value.body
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod("gone", "shop")
    assert caught.value.status == 404 and 'pods \\"gone\\" not found' in caught.value.body

"""Cluster mode: `analyze --acknowledge-configmap NAME` reads the team's file from a ConfigMap of the
judged namespace through the API stand-in, with exactly the verbs the Job's Role grants."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kube.fake_api import FakeCluster, make_pod, write_kubeconfig
from tests.kube.test_cli_cluster import HASHES, NS, request_lines, run_cli
from tests.kube.test_templates import granted
from tests.kube.test_web_rbac import recorded

NOISE = 'level=error msg="metrics export to otel-collector:4318 failed: connection refused (attempt {n})"'
ACKS = """acknowledge:
  - pattern: 'metrics export to otel-collector:<NUM> failed: connection refused (attempt <NUM>)'
    action: ignore
    reason: the collector is not deployed in this cluster yet
"""


@pytest.fixture
def kubeconfig(cluster: FakeCluster, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", cluster.url)


def noisy_rollout(cluster: FakeCluster) -> None:
    for hash_, age in (("s1", 86400), ("c1", 600)):
        for n in range(2):
            name = f"shop-{hash_}-{n}"
            labels = {"app": "shop", "rollouts-pod-template-hash": hash_}
            cluster.add_pod(make_pod(name, labels=labels, started_seconds_ago=age, node=f"node-{n}"))
            lines = request_lines(300)
            if hash_ == "c1":  # the canary's new exporter fails on every request: known noise
                lines = [out for i, line in enumerate(lines) for out in (line, NOISE.format(n=i))]
            cluster.add_logs(NS, name, "app", lines, every_seconds=1)


def configmap(cluster: FakeCluster, data: dict[str, str], name: str = "known-noise") -> None:
    cluster.configmaps[(NS, name)] = {"metadata": {"name": name, "namespace": NS}, "data": data}


def test_the_configmap_turns_known_noise_into_a_pass_with_the_roles_own_verbs(
    cluster: FakeCluster, kubeconfig: Path
) -> None:
    noisy_rollout(cluster)
    without = run_cli(kubeconfig, *HASHES)
    assert without.returncode == 1, without.stderr
    configmap(cluster, {"acknowledge.yaml": ACKS})
    result = run_cli(kubeconfig, *HASHES, "--acknowledge-configmap", "known-noise")
    document = json.loads(result.stdout)
    assert (result.returncode, document["verdict"]) == (0, "pass"), result.stderr
    acknowledged = [f for f in document["findings"] if f["acknowledged"]]
    assert acknowledged and {f["acknowledged"]["source"] for f in acknowledged} == {
        "ConfigMap shop/known-noise key acknowledge.yaml"
    }
    assert ("get", "configmaps", "") in recorded(cluster)
    assert recorded(cluster) <= granted(), "every call the analysis made is in templates/rbac-job.yaml"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            None,
            "ConfigMap shop/known-noise not found: create it (kubectl -n shop create configmap known-noise",
        ),
        ({"acks.yaml": ACKS}, "has no key 'acknowledge.yaml' (its keys: acks.yaml)"),
        (
            {"acknowledge.yaml": ACKS.replace("action: ignore", "action: mute")},
            "ConfigMap shop/known-noise key acknowledge.yaml: entry 1: action is 'mute'",
        ),
    ],
)
def test_a_missing_or_invalid_configmap_is_exit_2_never_judged_without_it(
    cluster: FakeCluster, kubeconfig: Path, data: dict[str, str] | None, expected: str
) -> None:
    noisy_rollout(cluster)
    if data is not None:
        configmap(cluster, data)
    result = run_cli(kubeconfig, *HASHES, "--acknowledge-configmap", "known-noise")
    assert result.returncode == 2 and result.stdout == ""
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_a_configmap_the_role_may_not_read_is_exit_4_naming_the_rule(
    cluster: FakeCluster, kubeconfig: Path
) -> None:
    noisy_rollout(cluster)
    configmap(cluster, {"acknowledge.yaml": ACKS})
    cluster.forbidden.add(("get", "configmaps", NS))
    result = run_cli(kubeconfig, *HASHES, "--acknowledge-configmap", "known-noise")
    assert result.returncode == 4 and result.stdout == ""
    assert 'resources: ["configmaps"], verbs: ["get"]' in result.stderr


def test_the_web_service_and_flagger_apply_the_services_own_file(cluster: FakeCluster) -> None:
    """The real pipeline behind /analyze and a Flagger webhook, with `serve --acknowledge`'s file."""
    from job.judge.known import parse_text
    from job.model import LLMConfig
    from job.serve import ServiceConfig, create_app
    from tests.kube.fake_api import make_deployment, make_flagger_canary

    noisy_rollout(cluster)
    cluster.canaries[(NS, "shop")] = make_flagger_canary("shop", "shop", NS)
    for name, hash_ in (("shop-primary", "s1"), ("shop", "c1")):
        cluster.deployments[(NS, name)] = make_deployment(name, {"rollouts-pod-template-hash": hash_}, NS)
    query = f"/analyze?namespace={NS}&stableHash=s1&canaryHash=c1"
    body = json.dumps({"name": "shop", "namespace": NS, "phase": "Progressing", "checksum": "1"}).encode()
    answers = {}
    for acks in (None, parse_text(ACKS, "acknowledge file 'acks.yaml'")):
        config = ServiceConfig(llm=LLMConfig(enabled=False), analysis_deadline=20, report_store="off",
                               cache_seconds=0, acknowledgements=acks)  # fmt: skip
        app = create_app(config)
        web = app.handle("GET", query, {}, 0, bytes)
        hook = app.handle(
            "POST", "/flagger/rollout", {"Content-Type": "application/json"}, len(body), lambda: body
        )
        answers[acks is not None] = (web.status, json.loads(web.body)["verdict"], hook.status)
    assert answers[False][1:] == ("fail", 422), answers  # the noise alone fails it
    assert answers[True] == (200, "pass", 200), answers

"""Cluster mode: the metrics' sides are the pods the log collector found (`sides.by: pod`, the default)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from job.collect import canary_config
from tests.kube.fake_api import FakeCluster, make_pod, write_kubeconfig
from tests.metrics.conftest import SIDES, WINDOW_SECONDS
from tests.schemas import PROJECT_ROOT


def rollout(api: FakeCluster, canary_hash: str) -> None:
    """The stand-in pods of both sides as Kubernetes pods; the canary started one window ago."""
    for hash_ in ("s1", canary_hash):
        for name in SIDES[hash_][0]:
            age = 86400 if hash_ == "s1" else WINDOW_SECONDS
            api.add_pod(make_pod(name, labels={"rollouts-pod-template-hash": hash_}, started_seconds_ago=age))
            api.add_logs(
                "shop",
                name,
                "app",
                [f'level=info msg="GET /api/cart/{i % 7} 200" status=200' for i in range(200)],
                every_seconds=WINDOW_SECONDS / 400,  # all inside the canary's short window
            )


def run(api: FakeCluster, tmp_path: Path, url: str, canary_hash: str) -> tuple[int, dict]:
    document = yaml.safe_load(canary_config.default_text())
    document["rateWindow"] = "3s"  # sides.by stays `pod`, the window comes from the canary's age
    config = tmp_path / "canary-config.yaml"
    config.write_text(yaml.safe_dump(document))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KUBERNETES_SERVICE_HOST", "POD_NAME", "POD_NAMESPACE"}
    }
    env.update(
        KUBECONFIG=str(write_kubeconfig(tmp_path / "kubeconfig", api.url)), PYTHONPATH=str(PROJECT_ROOT)
    )
    done = subprocess.run(
        [sys.executable, "-m", "job", "analyze", "--no-llm", "--no-event", "-n", "shop",
         "--stable-hash", "s1", "--canary-hash", canary_hash,
         "--prometheus-url", url, "--canary-config", str(config)],
        env=env, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout)


def test_metrics_of_the_canary_pods_fail_a_canary_whose_logs_look_fine(
    cluster: FakeCluster,
    tmp_path: Path,
    prometheus,
) -> None:
    rollout(cluster, "c-5xx")
    code, document = run(cluster, tmp_path, prometheus.url, "c-5xx")
    ratio = next(m for m in document["evidence"]["metrics"] if m["name"] == "http-error-ratio")
    assert ratio["classification"] == "High" and ratio["stable"]["total"] > ratio["canary"]["total"] > 20
    assert code == 1
    assert document["evidence"]["canary"]["pods"] == ["shop-5xx-0"]


def test_healthy_canary_pods_pass(cluster: FakeCluster, tmp_path: Path, prometheus) -> None:
    rollout(cluster, "c-good")
    code, document = run(cluster, tmp_path, prometheus.url, "c-good")
    assert code == 0, document["summary"]
    assert {m["name"]: m["classification"] for m in document["evidence"]["metrics"]}[
        "http-error-ratio"
    ] == "Pass"

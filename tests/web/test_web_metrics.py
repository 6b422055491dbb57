"""Prometheus in the web service: configured at start, never by a request."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]


def test_the_service_passes_its_own_prometheus_config_to_every_analysis(service_factory: Any) -> None:
    service = service_factory(
        "--no-llm", "--analysis-deadline", "10", "--prometheus-url", "http://prometheus.monitoring:9090"
    )
    answer = requests.get(
        f"{service.url}/analyze", params={"stableHash": "a", "canaryHash": "pass"}, timeout=10
    )
    assert answer.status_code == 200
    metrics = json.loads(answer.json()["summary"])["metrics"]
    assert metrics["url"] == "http://prometheus.monitoring:9090"
    assert {s["name"] for s in metrics["signals"]} >= {"http-error-ratio", "http-latency"}
    # two query timeouts fit in 30% of the 10 s deadline
    assert metrics["timeout_seconds"] <= 1.5


def test_a_request_cannot_aim_the_service_at_another_prometheus(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--analysis-deadline", "5")
    for name in ("prometheusUrl", "prometheus_url", "canaryConfig"):
        answer = requests.get(
            f"{service.url}/analyze",
            params={"stableHash": "a", "canaryHash": "pass", name: "http://evil:9090"},
            timeout=10,
        )
        assert answer.status_code == 400 and "unknown parameter" in answer.json()["error"]


def test_serve_refuses_to_start_with_a_broken_metrics_config(tmp_path: Path) -> None:
    broken = tmp_path / "c.yaml"
    broken.write_text("signals: [{name: x, kind: gauge, query: 'up{ {{side}} }'}]\n")
    for flags in (
        ["--prometheus-url", "prometheus:9090"],
        ["--prometheus-url", "http://p:9090", "--canary-config", str(broken)],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "job", "serve", "--port", "0", "--no-llm", *flags],
            cwd=ROOT, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1

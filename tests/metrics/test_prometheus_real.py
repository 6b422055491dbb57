"""Logs and metrics in one verdict, against a real Prometheus scraping stand-in pods.

Each canary behaviour is known (tests/metrics/fake_pods.py): healthy, 5xx up, p99 up with p50
flat, memory climbing, no data. The queries are the shipped default canary config's, on a short
window; the logs are the bundled rollouts-demo samples, healthy or bad.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from job.cli import main
from job.collect import canary_config
from tests.metrics.conftest import WINDOW_SECONDS

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "rollouts-demo"


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default config's signals, windowed for the test, sides by selector, error ratio required."""
    document = yaml.safe_load(canary_config.default_text())
    document.update({"window": f"{WINDOW_SECONDS}s", "rateWindow": "3s", "sides": {"by": "selector"}})
    for signal in document["signals"]:
        if signal["name"] == "http-error-ratio":
            signal["required"] = True
    path = tmp_path_factory.mktemp("metrics") / "canary-config.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def analyze(url: str, config: str, canary_hash: str, canary_log: str = "canary-good.log", *extra: str):
    result = CliRunner().invoke(
        main,
        [
            "analyze", "--no-llm", "--no-event",
            "--stable-logs", str(DEMO / "stable.log"), "--canary-logs", str(DEMO / canary_log),
            "--prometheus-url", url, "--canary-config", config,
            "--stable-metrics-selector", 'rollouts_pod_template_hash="s1"',
            "--canary-metrics-selector", f'rollouts_pod_template_hash="{canary_hash}"',
            *extra,
        ],
    )  # fmt: skip
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    document = json.loads(result.stdout) if result.stdout.strip() else None
    return result.exit_code, document, result.stderr


def metric(document: dict, name: str) -> dict:
    return next(m for m in document["evidence"]["metrics"] if m["name"] == name)


def test_a_healthy_canary_passes_on_logs_and_metrics(prometheus, config_file) -> None:
    code, document, _ = analyze(prometheus.url, config_file, "c-good")
    assert code == 0, document["summary"]
    for name in ("http-error-ratio", "http-latency", "memory-working-set", "cpu-throttling"):
        assert metric(document, name)["classification"] == "Pass", metric(document, name)
    assert metric(document, "http-error-ratio")["canary"]["total"] > 100
    assert "metrics alike" in document["summary"]


def test_5xx_only_the_metrics_show_fails_with_a_metrics_finding(prometheus, config_file) -> None:
    code, document, _ = analyze(prometheus.url, config_file, "c-5xx")
    assert code == 1
    ratio = metric(document, "http-error-ratio")
    assert ratio["classification"] == "High" and 0.2 < ratio["canary"]["share"] < 0.4
    finding = next(f for f in document["findings"] if f["kind"] == "metric-http-error-ratio")
    assert finding["severity"] == "critical" and finding["source"] == "metrics"
    assert all(f["source"] == "logs" for f in document["findings"] if not f["kind"].startswith("metric"))


def test_a_p99_regression_with_p50_flat_fails(prometheus, config_file) -> None:
    code, document, _ = analyze(prometheus.url, config_file, "c-tail")
    latency = metric(document, "http-latency")
    assert latency["classification"] == "High", latency
    assert latency["canary"]["p50"] < 1.5 * latency["stable"]["p50"]  # the median did not move
    assert latency["canary"]["p99"] > 10 * latency["stable"]["p99"]
    assert code == 1
    assert any(f["kind"] == "metric-http-latency" and f["severity"] == "major" for f in document["findings"])


def test_memory_climbing_in_the_canary_fails(prometheus, config_file) -> None:
    code, document, _ = analyze(prometheus.url, config_file, "c-leak")
    memory = metric(document, "memory-working-set")
    assert memory["classification"] == "High", memory
    assert memory["canary"]["end"] > memory["stable"]["end"]
    assert code == 1


def test_a_required_signal_without_data_is_inconclusive_never_a_pass(prometheus, config_file) -> None:
    code, document, _ = analyze(prometheus.url, config_file, "c-none")
    assert metric(document, "http-error-ratio")["classification"] == "NoData"
    assert code == 3 and document["verdict"] == "inconclusive"
    assert any(f["kind"] == "metric-no-data" for f in document["findings"])


def test_logs_still_fail_a_canary_whose_metrics_look_healthy(prometheus, config_file) -> None:
    code, document, _ = analyze(prometheus.url, config_file, "c-good", "canary-bad.log")
    assert code == 1
    assert any(f["source"] == "logs" and f["severity"] == "critical" for f in document["findings"])


def test_a_malformed_query_is_a_usage_error_naming_the_signal(prometheus, tmp_path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(
        "window: 12s\nsignals:\n  - name: broken\n    kind: count\n"
        "    query: sum(rate(x{ {{side}} }[{{window}}]) by\n"
    )
    code, document, stderr = analyze(prometheus.url, str(config), "c-good")
    assert code == 2 and document is None
    assert "broken" in stderr and "canary config" in stderr and "Traceback" not in stderr

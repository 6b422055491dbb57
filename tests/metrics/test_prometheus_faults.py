"""Prometheus down, slow or not Prometheus: never a pass on its own; a note, or inconclusive on demand."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from job.cli import main
from job.collect import canary_config
from job.collect.prometheus import Sides, collect, side_matchers
from job.errors import InputError
from job.model import ClusterSource, FileSource, SideSnapshot, Snapshot

DEMO = Path(__file__).resolve().parents[2] / "examples" / "rollouts-demo"
SELECTORS = ("--stable-metrics-selector", 'v="1"', "--canary-metrics-selector", 'v="2"')


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def run(url: str, canary: str, *extra: str) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(
        main,
        ["analyze", "--no-llm", "--no-event", "--stable-logs", str(DEMO / "stable.log"),
         "--canary-logs", str(DEMO / canary), "--prometheus-url", url, *SELECTORS, *extra],
    )  # fmt: skip
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None, result.stderr


def test_prometheus_down_is_a_note_and_the_logs_decide() -> None:
    code, document, _ = run(closed_port_url(), "canary-good.log")
    assert code == 0
    assert any("could not be used" in note for note in document["evidence"]["notes"])
    assert all(m["classification"] == "NoData" for m in document["evidence"]["metrics"])
    code, document, _ = run(closed_port_url(), "canary-bad.log")
    assert code == 1


def test_prometheus_down_with_metrics_required_is_inconclusive() -> None:
    code, document, _ = run(closed_port_url(), "canary-good.log", "--metrics-required")
    assert code == 3 and document["verdict"] == "inconclusive"
    assert any(f["kind"] == "metrics-unavailable" for f in document["findings"])
    assert document["summary"].startswith("Not a pass")


class _Answer(BaseHTTPRequestHandler):
    body = b"<html>not prometheus</html>"
    delay = 0.0
    stall_after_headers = False

    def do_GET(self) -> None:
        if self.delay and not self.stall_after_headers:
            threading.Event().wait(self.delay)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if self.stall_after_headers:
            self.wfile.flush()
            threading.Event().wait(self.delay)
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_server():
    servers = []

    def start(body: bytes = _Answer.body, delay: float = 0.0, stall_after_headers: bool = False) -> str:
        handler = type(
            "Handler", (_Answer,), {"body": body, "delay": delay, "stall_after_headers": stall_after_headers}
        )
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_something_that_is_not_prometheus_is_unavailable_not_data(fake_server) -> None:
    config = canary_config.load(None, fake_server(), required=True)
    snapshot = collect(config, Sides('v="1"', 'v="2"', 60))
    assert all(r.unavailable and "not JSON" in (r.error or "") for r in snapshot.metrics)
    assert all(r.signal.required for r in snapshot.metrics)


def test_a_slow_prometheus_is_cut_at_its_deadline(fake_server) -> None:
    url = fake_server(json.dumps({"status": "success", "data": {"result": []}}).encode(), delay=3.0)
    config = canary_config.parse({"timeoutSeconds": 0.5, "signals": [
        {"name": "a", "kind": "count", "query": "sum(a{ {{side}} })"}]}, url)  # fmt: skip
    snapshot = collect(config, Sides('v="1"', 'v="2"', 60))
    assert snapshot.metrics[0].unavailable and "0.5 s" in (snapshot.metrics[0].error or "")


def test_a_body_that_stalls_after_the_headers_is_a_timeout_not_a_defect(fake_server) -> None:
    body = json.dumps({"status": "success", "data": {"result": []}}).encode()
    url = fake_server(body, delay=3.0, stall_after_headers=True)
    config = canary_config.parse({"timeoutSeconds": 0.5, "signals": [
        {"name": "a", "kind": "count", "query": "sum(a{ {{side}} })"}]}, url)  # fmt: skip
    snapshot = collect(config, Sides('v="1"', 'v="2"', 60))
    assert snapshot.metrics[0].unavailable and "no answer within 0.5 s" in (snapshot.metrics[0].error or "")


def test_sides_come_from_pods_hashes_or_matchers() -> None:
    config = canary_config.load(None, "http://p:9090")
    logs = Snapshot(
        SideSnapshot(pods=["shop-a-1", "shop-a-2"]), SideSnapshot(pods=["shop-b-1"], window_seconds=300)
    )
    sides = side_matchers(config, ClusterSource(stable_hash="a", canary_hash="b"), logs)
    assert sides == Sides('pod=~"shop-a-1|shop-a-2"', 'pod=~"shop-b-1"', 300)
    by_label = side_matchers(
        canary_config.parse(
            {"sides": {"by": "label"}, "signals": [{"name": "a", "kind": "count", "query": "{{side}}"}]},
            "http://p",
        ),
        ClusterSource(stable_hash="aaa", canary_hash="bbb"),
        logs,
    )
    assert by_label == Sides('rollouts_pod_template_hash="aaa"', 'rollouts_pod_template_hash="bbb"', 300)
    files = Snapshot(SideSnapshot(), SideSnapshot())
    reason = side_matchers(config, FileSource(("a",), ("b",)), files)
    assert isinstance(reason, str) and "--stable-metrics-selector" in reason
    snapshot = collect(config, reason)
    assert all(r.error == reason for r in snapshot.metrics) and snapshot.notes


def test_matchers_that_are_not_matchers_are_refused() -> None:
    config = canary_config.load(None, "http://p:9090")
    for bad in ('v="1"} or vector(1) or x{a="', "v=1", 'v="1"; drop'):
        with pytest.raises(InputError, match="not a list of PromQL label matchers"):
            side_matchers(
                dataclasses.replace(config, stable_selector=bad, canary_selector='v="2"'),
                FileSource(("a",), ("b",)),
                Snapshot(SideSnapshot(), SideSnapshot()),
            )

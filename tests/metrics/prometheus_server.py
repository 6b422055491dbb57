"""A real Prometheus server (Debian's `prometheus` package) on a free loopback port, for tests.

It scrapes the given targets every second, each with its own labels (the `pod` and
`rollouts_pod_template_hash` labels Kubernetes service discovery would attach), keeps its data
in a temporary directory, and is stopped (and waited for) when the `with` block ends.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

BINARY = shutil.which("prometheus") or "/usr/bin/prometheus"
SCRAPE_SECONDS = 1


def available() -> str | None:
    """None when a Prometheus binary can run here, else why not (the tests skip with it)."""
    if not Path(BINARY).is_file():
        return "no prometheus binary: apt-get install prometheus (.ci/run installs it)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrometheusServer:
    def __init__(self, targets: list[tuple[int, dict[str, str]]]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = Path(tempfile.mkdtemp(prefix="prom-test-"))
        config = {
            "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "scrape_timeout": f"{SCRAPE_SECONDS}s"},
            "scrape_configs": [
                {
                    "job_name": "pods",
                    "static_configs": [
                        {"targets": [f"127.0.0.1:{port}"], "labels": labels} for port, labels in targets
                    ],
                }
            ],
        }
        (self._dir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PrometheusServer:
        self._process = subprocess.Popen(
            [
                BINARY,
                f"--config.file={self._dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={self._dir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=subprocess.DEVNULL,
            stderr=(self._dir / "prometheus.log").open("wb"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(self._dir / 'prometheus.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("prometheus did not become ready within 30 s")

    def query(self, expression: str) -> list[dict[str, object]]:
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
        with urllib.request.urlopen(url, timeout=5) as answer:
            return json.load(answer)["data"]["result"]

    def __exit__(self, *exc: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

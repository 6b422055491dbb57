"""Start `python -m job serve` as a real process on 127.0.0.1 with a free port and a fake analysis."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@dataclass
class Service:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    stderr_path: Path
    analyses_path: Path

    def analyses(self) -> list[str]:
        """One line per analysis the fake ran."""
        if not self.analyses_path.exists():
            return []
        return self.analyses_path.read_text().splitlines()

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise


def start_service(
    tmp: Path,
    *flags: str,
    log_level: str = "info",
    env: dict[str, str] | None = None,
    real: bool = False,
) -> Service:
    stderr_path = tmp / f"serve-{time.monotonic_ns()}.err"
    analyses_path = tmp / f"analyses-{time.monotonic_ns()}.log"
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
        "FAKE_ANALYSIS_LOG": str(analyses_path),
        **(env or {}),
    }
    full_env.pop("OLLAMA_HOST", None)
    # With info logs the service says which free port it got; when quiet, take one and ask /healthz.
    verbose = log_level in ("info", "debug")
    port = 0 if verbose else _free_port()
    command = [sys.executable, "-m", "job", "--log-level", log_level, "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), *flags]
    if not real:
        command += ["--analysis-function", "fake_analysis:analyze"]
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 60  # a loaded machine imports the Kubernetes client slowly
    while time.monotonic() < deadline:
        if verbose:
            for line in stderr_path.read_text().splitlines():
                if line.startswith("{") and json.loads(line).get("msg") == "listening":
                    port = json.loads(line)["port"]
                    return Service(proc, f"http://127.0.0.1:{port}", port, stderr_path, analyses_path)
        elif _answers(port):
            return Service(proc, f"http://127.0.0.1:{port}", port, stderr_path, analyses_path)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"service did not start:\n{stderr_path.read_text()}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False

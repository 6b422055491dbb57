"""Issue 17 case 6: SIGTERM/SIGINT stop `analyze` promptly with exit 4 and a termination message
saying it was interrupted, never a verdict; also as PID 1 (a container's init ignores signals it
has no handler for). Real subprocesses, blocked in a read from an API server that never answers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.kube.fake_api import write_kubeconfig
from tests.schemas import PROJECT_ROOT

GRACE = 5.0  # far below the 60 s the blocked read would otherwise wait


def start(kubeconfig: Path, termination: Path, prefix: list[str]) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"KUBERNETES_SERVICE_HOST", "OLLAMA_HOST"}}
    environment.update(
        KUBECONFIG=str(kubeconfig),
        PYTHONPATH=str(PROJECT_ROOT),
        ROLLOUTS_AI_KUBE_TIMEOUT="60",
        ROLLOUTS_AI_KUBE_DEADLINE="120",
    )
    command = [
        *prefix, sys.executable, "-m", "job", "analyze", "--no-llm", "--no-event",
        "--stable-hash", "s1", "--canary-hash", "c1", "--termination-log", str(termination),
    ]  # fmt: skip
    return subprocess.Popen(
        command, env=environment, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until_blocked() -> None:
    time.sleep(2.5)  # imports and the first (never answered) request


def stopped(process: subprocess.Popen[str], target: int, signum: int) -> tuple[int, str, str, float]:
    os.kill(target, signum)
    sent = time.monotonic()
    try:
        out, err = process.communicate(timeout=GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"{signal.Signals(signum).name} did not stop analyze within {GRACE} s")
    return process.returncode, out, err, time.monotonic() - sent


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_interrupts_a_blocked_read_with_exit_4(
    silent_server: str, tmp_path: Path, signum: int
) -> None:
    termination = tmp_path / "termination-log"
    process = start(write_kubeconfig(tmp_path / "kubeconfig", silent_server), termination, [])
    wait_until_blocked()
    assert process.poll() is None, process.communicate()
    code, out, err, _ = stopped(process, process.pid, signum)
    name = signal.Signals(signum).name
    assert code == 4 and out == ""
    assert f"interrupted by {name}" in err and "Traceback" not in err
    assert f"interrupted by {name}" in termination.read_text()


def _can_be_pid_1() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_be_pid_1(), reason="needs unshare --pid (root or user namespaces)")
def test_as_pid_1_sigterm_still_stops_it(silent_server: str, tmp_path: Path) -> None:
    termination = tmp_path / "termination-log"
    process = start(
        write_kubeconfig(tmp_path / "kubeconfig", silent_server),
        termination,
        ["unshare", "--pid", "--fork", "--kill-child", "--"],
    )
    wait_until_blocked()
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(children) == 1, "unshare should have one child: analyze as PID 1 of its namespace"
    # the kubelet signals the container's init from outside its PID namespace, as this does
    code, out, err, _ = stopped(process, int(children[0]), signal.SIGTERM)
    assert code == 4 and out == "" and "interrupted by SIGTERM" in err
    assert "interrupted" in termination.read_text()

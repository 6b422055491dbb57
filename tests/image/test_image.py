"""Smoke test of the container image: build it offline with podman, run it locked down.

The image is run the way the Job template runs it: non-root, read-only root filesystem with a
tmpfs on /tmp, no network, no capabilities. The base image is built locally (debootstrap) and
reused between runs, so no registry is needed. Skips only where podman cannot run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from job import __version__

pytestmark = pytest.mark.podman

ROOT = Path(__file__).resolve().parents[2]
PODMAN = str(ROOT / "scripts" / "podman.sh")
# Its own name per checkout: test runs in other clones never replace or delete this one.
IMAGE = f"localhost/rollouts-ai-job-smoke:{__version__}-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}"
LOCAL_BASE = "localhost/rollouts-ai-job-base:bookworm"
LOCKED_DOWN = [
    "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp:rw,size=64m,mode=1777",
    "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
]  # fmt: skip
TMP_MARKER = "--- files left in /tmp:"


def _podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PODMAN, *args], capture_output=True, text=True, timeout=timeout, check=False)


def _why_podman_cannot_run() -> str | None:
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install -y podman runc uidmap fuse-overlayfs)"
    info = _podman("info", "--format", "{{.Host.OCIRuntime.Name}}")
    if info.returncode != 0:
        return f"podman cannot run here: {info.stderr.strip()[-300:]}"
    return None


def _run_script(name: str, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / name)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"scripts/{name} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def image() -> str:
    reason = _why_podman_cannot_run()
    if reason:
        pytest.skip(reason)
    env = {**os.environ, "PYTHON": sys.executable, "IMAGE": IMAGE, "ENGINE": "podman"}
    if not env.get("BASE_IMAGE"):
        # Minutes the first time (debootstrap), then reused from podman's storage.
        _run_script("make-base-image.sh", env, timeout=1800)
        env["BASE_IMAGE"] = LOCAL_BASE
    print(_run_script("build-image.sh", env, timeout=1800))
    return IMAGE


def _inspect(image: str) -> dict:
    done = _podman("image", "inspect", image)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)[0]


def test_image_runs_as_numeric_non_root_user_with_oci_labels(image: str) -> None:
    config = _inspect(image)["Config"]
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["rollouts-ai-job"]
    assert "HOME=/tmp" in config["Env"]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.title"] == "rollouts-ai-job"
    assert labels["org.opencontainers.image.revision"] != "unknown"


@pytest.mark.parametrize("user", [[], ["--user", "1000650000:0"]], ids=["image-user", "arbitrary-uid"])
def test_version_is_the_package_version_on_a_read_only_root(image: str, user: list[str]) -> None:
    # OpenShift runs images as an arbitrary UID in group 0: that must work too.
    done = _podman(*LOCKED_DOWN, *user, image, "--version")
    assert (done.returncode, done.stdout) == (0, f"rollouts-ai-job, version {__version__}\n"), done.stderr


def test_help_lists_the_analyze_command(image: str) -> None:
    done = _podman(*LOCKED_DOWN, image, "--help")
    assert done.returncode == 0, done.stderr
    assert "analyze" in done.stdout


def test_final_stage_has_no_compilers_installer_or_build_leftovers(image: str) -> None:
    probe = (
        "for tool in gcc cc c++ make; do command -v $tool; done;"
        " ls /opt/venv/bin/pip* /wheelhouse /tmp/tools /root/.cache/pip 2>/dev/null;"
        " find /opt/venv -name '*.whl'; true"
    )
    done = _podman(*LOCKED_DOWN, "--entrypoint", "sh", image, "-c", probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


DEMO_LOGS = ROOT / "examples" / "rollouts-demo"


@functools.cache
def _engine_missing_on_host() -> str | None:
    """Until the engine lands, the source tree itself cannot analyse: that is not an image defect."""
    done = subprocess.run(
        [sys.executable, "-m", "job", "analyze", "--no-llm", "--stable-logs", str(DEMO_LOGS / "stable.log"),
         "--canary-logs", str(DEMO_LOGS / "canary-bad.log")],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    for missing in ("NotImplementedError", "ModuleNotFoundError: No module named 'job."):
        if missing in done.stderr and not done.stdout.strip():
            return f"the analysis engine has not landed on this branch ({missing}); git merge main"
    return None


@pytest.mark.parametrize(
    ("canary", "exit_code", "verdict"), [("canary-bad.log", 1, "fail"), ("canary-good.log", 0, "pass")]
)
def test_analyze_sample_logs_offline_read_only_and_writes_nothing(
    image: str, canary: str, exit_code: int, verdict: str
) -> None:
    reason = _engine_missing_on_host()
    if reason:
        pytest.xfail(reason)
    script = (
        "rollouts-ai-job analyze --no-llm --output json"
        f" --stable-logs /logs/stable.log --canary-logs /logs/{canary};"
        f' rc=$?; echo "{TMP_MARKER}" >&2; find /tmp -mindepth 1 >&2; exit $rc'
    )
    done = _podman(*LOCKED_DOWN, "-v", f"{DEMO_LOGS}:/logs:ro", "--entrypoint", "sh", image, "-c", script)
    diagnostics, _, left_in_tmp = done.stderr.partition(TMP_MARKER)
    assert done.returncode == exit_code, diagnostics
    result = json.loads(done.stdout)
    assert result["verdict"] == verdict
    assert result["version"] == __version__
    # drain3 and everything else keep state in memory: not even the tmpfs is written.
    assert left_in_tmp.strip() == ""


_GET_HEALTHZ = """
import json, sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:8080/healthz", timeout=2) as answer:
    json.load(answer)
    sys.exit(0 if answer.status == 200 else 1)
"""


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(image: str) -> None:
    if "serve" not in _podman(*LOCKED_DOWN, image, "--help").stdout:
        pytest.xfail("the web provider (serve) has not landed on this branch yet (git merge main)")
    reason = _engine_missing_on_host()
    if reason:
        pytest.xfail(reason)
    name = f"rollouts-ai-job-smoke-{os.getpid()}"
    serve = ["serve", "--port", "8080", "--no-llm"]
    started = _podman("run", *LOCKED_DOWN[2:], "-d", "--name", name, image, *serve)
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 30
        while True:
            probe = _podman("exec", name, "python3", "-c", _GET_HEALTHZ, timeout=30)
            exited = "state improper" in probe.stderr  # the server died: no use waiting
            if probe.returncode == 0 or exited or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert probe.returncode == 0, probe.stderr + _podman("logs", name).stderr
        stopped = _podman("stop", "--time", "20", name, timeout=60)
        assert stopped.returncode == 0, stopped.stderr
        state = _podman("inspect", "--format", "{{.State.ExitCode}}", name)
        # SIGTERM (pod deletion) is a graceful stop, not a crash.
        assert state.stdout.strip() == "0", _podman("logs", name).stderr
    finally:
        _podman("rm", "--force", name)

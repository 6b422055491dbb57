"""Smoke test of the container image: build it offline with podman, run it locked down.

The image is run the way the Job template runs it: non-root, read-only root filesystem with a
tmpfs on /tmp, no network, no capabilities. The base image is built locally (debootstrap) and
reused between runs, so no registry is needed. Then: what the image holds (its exported
filesystem), its SBOM, that a second build gives the same digest, and that the docs' `podman run`
example works as written. Skips only where podman cannot run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from job import __version__

pytestmark = pytest.mark.podman

ROOT = Path(__file__).resolve().parents[2]
PODMAN = str(ROOT / "scripts" / "podman.sh")
# Its own name per checkout: test runs in other clones never replace or delete this one.
IMAGE = f"localhost/rollouts-ai-job-smoke:{__version__}-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}"
SBOM = ROOT / "dist" / f"{IMAGE.rsplit(':', 1)[0].rsplit('/', 1)[-1]}-{__version__}.cdx.json"
# Read-only root, no network, no capabilities; /tmp is a tmpfs (LOCKED_DOWN) or a given directory.
READ_ONLY = [
    "run",
    "--rm",
    "--network",
    "none",
    "--read-only",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
]
LOCKED_DOWN = [*READ_ONLY, "--tmpfs", "/tmp:rw,size=64m,mode=1777"]


def _podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PODMAN, *args], capture_output=True, text=True, timeout=timeout, check=False)


def _why_podman_cannot_run() -> str | None:
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install -y podman runc uidmap fuse-overlayfs)"
    info = _podman("info", "--format", "{{.Host.OCIRuntime.Name}}")
    if info.returncode != 0:
        return f"podman cannot run here: {info.stderr.strip()[-300:]}"
    return None


def _run_script(name: str, env: dict[str, str], timeout: float, *args: str) -> str:
    done = subprocess.run(
        [str(ROOT / "scripts" / name), *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"scripts/{name} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def _build_env(image: str) -> dict[str, str]:
    env = {**os.environ, "PYTHON": sys.executable, "IMAGE": image, "ENGINE": "podman"}
    if not env.get("BASE_IMAGE"):
        # Minutes the first time (debootstrap), then reused from podman's storage.
        _run_script("make-base-image.sh", env, timeout=1800)
        env["BASE_IMAGE"] = _run_script("make-base-image.sh", env, 60, "--tag").strip()
    return env


@pytest.fixture(scope="module")
def image() -> str:
    reason = _why_podman_cannot_run()
    if reason:
        pytest.skip(reason)
    print(_run_script("build-image.sh", _build_env(IMAGE), timeout=1800))
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
    assert "8080/tcp" in config["ExposedPorts"] and config["StopSignal"] == "SIGTERM"
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.title"] == "rollouts-ai-job"
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    assert labels["org.opencontainers.image.revision"] == revision.strip()
    assert labels["org.opencontainers.image.source"].strip() != ""


@pytest.mark.parametrize("user", [[], ["--user", "1000650000:0"]], ids=["image-user", "arbitrary-uid"])
def test_version_is_the_package_version_on_a_read_only_root(image: str, user: list[str]) -> None:
    # OpenShift runs images as an arbitrary UID in group 0: that must work too.
    done = _podman(*LOCKED_DOWN, *user, image, "--version")
    assert (done.returncode, done.stdout) == (0, f"rollouts-ai-job, version {__version__}\n"), done.stderr


def test_help_lists_the_analyze_command(image: str) -> None:
    done = _podman(*LOCKED_DOWN, image, "--help")
    assert done.returncode == 0, done.stderr
    assert "analyze" in done.stdout


@functools.cache
def _exported(image: str) -> dict[str, tarfile.TarInfo]:
    """Every path in the image's filesystem, from `podman export` of a container never started."""
    created = _podman("create", image)
    assert created.returncode == 0, created.stderr
    container = created.stdout.strip()
    try:
        with (
            subprocess.Popen([PODMAN, "export", container], stdout=subprocess.PIPE) as export,
            tarfile.open(fileobj=export.stdout, mode="r|") as archive,
        ):
            members = {"/" + m.name.removeprefix("./").lstrip("/"): m for m in archive}
        assert export.returncode == 0
    finally:
        _podman("rm", "--force", container)
    return members


def test_runtime_holds_no_shell_package_manager_installer_or_setuid_file(image: str) -> None:
    files = _exported(image)
    commands = {Path(path).name for path in files if Path(path).parent.name in ("bin", "sbin")}
    assert {
        "sh",
        "bash",
        "dash",
        "apt",
        "apt-get",
        "dpkg",
        "perl",
        "openssl",
        "gcc",
        "cc",
        "make",
    }.isdisjoint(commands), sorted(commands)
    privileged = [p for p, m in files.items() if m.isfile() and m.mode & (stat.S_ISUID | stat.S_ISGID)]
    assert privileged == []
    unwanted = re.compile(
        r"/ensurepip(/|$)|site-packages/(pip|aiohttp|aiohttp_retry|yarl|multidict|frozenlist)(/|$)"
        r"|/wheelhouse(/|$)|\.whl$|^/tmp/."
    )
    assert [p for p in files if unwanted.search(p)] == []
    assert "/opt/venv/bin/rollouts-ai-job" in files and "/tmp" in files


def test_bytecode_is_compiled_unchecked_hash_so_a_read_only_root_never_recompiles(image: str) -> None:
    pycs = [p for p in _exported(image) if p.endswith(".pyc")]
    assert len(pycs) > 1000
    done = _podman(*LOCKED_DOWN, "--entrypoint", "/opt/venv/bin/python", image, "-c", _PYC_FLAGS, *pycs[::50])
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == {"3"}  # PEP 552: hash-based (1) and check_source off (2 unset)


_PYC_FLAGS = """
import sys
for path in sys.argv[1:]:
    with open(path, "rb") as pyc:
        print(int.from_bytes(pyc.read(8)[4:8], "little") | 2)
"""


def test_sbom_lists_what_the_image_holds_as_the_lock_pins_it(image: str) -> None:
    bom = json.loads(SBOM.read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["metadata"]["component"]["version"] == __version__
    pinned = {c["name"].lower().replace("_", "-"): c["version"] for c in bom["components"]}
    lock = dict(
        line.lower().replace("_", "-").split("==")
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line and not line.startswith("#")
    )
    held = _podman(*LOCKED_DOWN, "--entrypoint", "/opt/venv/bin/python", image, "-c", _HELD)
    assert held.returncode == 0, held.stderr
    assert pinned == {name: lock[name] for name in held.stdout.split()}
    assert "aiohttp" not in pinned and "kubernetes" in pinned


_HELD = """
import importlib.metadata as m
names = {d.metadata["Name"].lower().replace("_", "-") for d in m.distributions()}
print("\\n".join(sorted(names - {"rollouts-ai-job"})))
"""


def test_a_second_build_of_the_commit_gives_the_same_digest(image: str) -> None:
    again = f"{IMAGE}-again"
    print(_run_script("build-image.sh", {**_build_env(again), "SBOM": "none"}, timeout=1800))
    try:
        first, second = _inspect(image), _inspect(again)
        assert second["RootFS"]["Layers"] == first["RootFS"]["Layers"]
        assert second["Id"] == first["Id"]
    finally:
        _podman("rmi", again)


def test_the_docs_podman_run_example_works_as_written(image: str) -> None:
    page = (ROOT / "docs" / "image.md").read_text()
    command = re.search(r"^podman run .*?(?<!\\)$", page, re.M | re.S)
    assert command, "docs/image.md has no `podman run` example"
    argv = shlex.split(command.group(0).replace("\\\n", " ").replace('"$PWD', f'"{ROOT}'))
    argv = [IMAGE if arg == f"rollouts-ai-job:{__version__}" else arg for arg in argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)  # plain podman
    assert done.returncode == 1, done.stderr  # canary-bad.log: fail
    assert "fail" in done.stdout.lower()


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
    image: str, canary: str, exit_code: int, verdict: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    reason = _engine_missing_on_host()
    if reason:
        pytest.xfail(reason)
    tmp = tmp_path_factory.mktemp("tmp")
    tmp.chmod(0o1777)  # the image's user writes there, like an emptyDir
    analyze = ["analyze", "--no-llm", "--output", "json", "--stable-logs", "/logs/stable.log"]
    mounts = ["-v", f"{tmp}:/tmp:rw", "-v", f"{DEMO_LOGS}:/logs:ro"]
    done = _podman(*READ_ONLY, *mounts, image, *analyze, "--canary-logs", f"/logs/{canary}")
    assert done.returncode == exit_code, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == verdict
    assert result["version"] == __version__
    # drain3 and everything else keep state in memory: not even /tmp is written.
    assert list(tmp.iterdir()) == []


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


def test_the_local_base_is_patched_from_updates_and_security(image: str) -> None:
    if os.environ.get("BASE_IMAGE"):
        pytest.skip(f"BASE_IMAGE={os.environ['BASE_IMAGE']} was given; its patching is its maker's")
    base = _run_script("make-base-image.sh", dict(os.environ), 60, "--tag").strip()
    sources = _podman(
        "run", "--rm", "--network", "none", "--entrypoint", "cat", base, "/etc/apt/sources.list"
    )
    assert sources.returncode == 0, sources.stderr
    suites = {line.split()[2] for line in sources.stdout.splitlines() if line.startswith("deb ")}
    assert suites == {"bookworm", "bookworm-updates", "bookworm-security"}
    # the runtime records the Debian packages its files came from, at the base's (patched) versions
    base_ssl = _podman(
        "run", "--rm", "--network", "none", "--entrypoint", "dpkg-query", base, "-W", "libssl3"
    )
    read = "print(open('/var/lib/dpkg/status.d/libssl3').read())"
    recorded = _podman(*LOCKED_DOWN, "--entrypoint", "/opt/venv/bin/python", image, "-c", read)
    assert recorded.returncode == 0, recorded.stderr
    assert f"Version: {base_ssl.stdout.split()[1]}" in recorded.stdout.splitlines()

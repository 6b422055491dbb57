"""Run a real server process, send it a bounded amount of traffic on 127.0.0.1, keep its log.

Everything here is deliberately small and bounded: every loop has a fixed request count,
every wait a timeout, and the only address ever contacted is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
CORPUS = HERE.parent
PY_ENV = {"PYTHONUNBUFFERED": "1"}


@dataclass(frozen=True)
class Request:
    path: str
    method: str = "GET"
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None, timeout: float = 15.0) -> bool:
    """True once something accepts on the port; False if the process died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def send(port: int, request: Request, timeout: float = 10.0) -> int | None:
    url = f"http://{HOST}:{port}{request.path}"
    req = urllib.request.Request(url, data=request.body, method=request.method, headers=dict(request.headers))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code
    except OSError:
        return None


def drive(port: int, requests: Sequence[Request], concurrency: int = 4) -> dict[str, int]:
    """Send every request once (bounded), return a count per status ('none' = no answer)."""
    counts: dict[str, int] = {}
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for status in pool.map(lambda r: send(port, r), requests):
            key = str(status) if status is not None else "none"
            counts[key] = counts.get(key, 0) + 1
    return counts


def start(
    cmd: Sequence[str],
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> tuple[subprocess.Popen, object]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - closed by stop()
    full_env = {**os.environ, **(env or {})}
    process = subprocess.Popen(
        list(cmd),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=full_env,
        cwd=cwd,
        start_new_session=True,
        user=user,
    )
    return process, log


def stop(process: subprocess.Popen, log: object, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    log.close()  # type: ignore[attr-defined]
    return process.returncode


def serve_and_capture(
    cmd: Sequence[str],
    log_path: Path,
    port: int,
    requests: Sequence[Request],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    concurrency: int = 4,
    startup_timeout: float = 15.0,
    stop_signal: int = signal.SIGTERM,
    settle: float = 0.3,
) -> dict[str, int]:
    """Start `cmd`, wait for its port, drive the requests, stop it; the log keeps stdout+stderr.

    If the process dies before listening (a crash on start), its output is still kept and
    no traffic is sent: that is the scenario, not an error of the harness.
    """
    process, log = start(cmd, log_path, env, cwd)
    counts: dict[str, int] = {}
    if wait_for_port(port, process, startup_timeout):
        counts = drive(port, requests, concurrency)
        time.sleep(settle)
    code = stop(process, log, stop_signal)
    counts["exit"] = code
    return counts


def wait_quietly(process: subprocess.Popen, timeout: float) -> None:
    """Give a process that should exit by itself (a crash) up to `timeout` seconds to do so."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)


def run_to_exit(
    cmd: Sequence[str], log_path: Path, env: dict[str, str] | None = None, timeout: float = 20.0
) -> int:
    """Run a command that is expected to exit by itself (crash on start), appending its output."""
    process, log = start(cmd, log_path, env)
    wait_quietly(process, timeout)
    return stop(process, log)


# ------------------------------------------------------------------ scenarios (make_all.py, make_more.py)

MakeFn = Callable[[Path], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    expect: str  # pass | fail | inconclusive
    category: str
    app: str
    format: str
    story: str
    make: MakeFn
    needs: tuple[str, ...] = ()


def registrar(registry: list[Scenario]) -> Callable[..., Callable[[MakeFn], MakeFn]]:
    """The `@scenario(...)` decorator of one script: each use appends to that script's registry."""

    def scenario(
        name: str, expect: str, category: str, app: str, fmt: str, story: str, needs: tuple[str, ...] = ()
    ) -> Callable[[MakeFn], MakeFn]:
        def register(func: MakeFn) -> MakeFn:
            registry.append(Scenario(name, expect, category, app, fmt, story, func, needs))
            return func

        return register

    return scenario


@functools.cache
def java_classes(build: Path, app: str, source: str) -> Path:
    """Compile `apps/<app>/<source>` into `build/<app>` once per process (javac takes seconds)."""
    out = build / app
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "-d", str(out), str(APPS / app / source)], check=True)
    return out


def pod_name(rng: random.Random, prefix: str) -> str:
    """A pod name as a Deployment's ReplicaSet gives it: prefix, 9 and 5 characters of its alphabet."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return f"{prefix}-{''.join(rng.choices(alphabet, k=9))}-{''.join(rng.choices(alphabet, k=5))}"


def pod_log(root: Path, side: str, pod: str) -> Path:
    path = root / side / f"{pod}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_yaml(root: Path, sc: Scenario, script: str) -> None:
    """scenario.yaml; every value is a JSON string, which is also valid YAML (no PyYAML needed here)."""
    fields = {
        "expect": sc.expect,
        "category": sc.category,
        "app": sc.app,
        "format": sc.format,
        "how_made": f"{script} {sc.name}: {sc.story}",
    }
    (root / "scenario.yaml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items()))


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The command line both scripts share; a script may add its own options."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="scenarios to make (default: all)")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--labels", action="store_true", help="only rewrite scenario.yaml of made scenarios")
    return parser


def run_scenarios(
    args: argparse.Namespace,
    scenarios: list[Scenario],
    available: Callable[[Scenario], str | None],
    script: str,
    build: Path,
) -> int:
    """--list, --labels, or make the chosen scenarios whose tools are present (`available` says
    what is missing, None when nothing is); `script` is named in each scenario.yaml."""
    if args.list:
        for sc in scenarios:
            print(f"{sc.name:32} {sc.expect:13} {sc.category}")
        return 0
    unknown = set(args.names) - {sc.name for sc in scenarios}
    if unknown:
        print(f"unknown scenarios: {sorted(unknown)} (see --list)", file=sys.stderr)
        return 2
    chosen = [sc for sc in scenarios if not args.names or sc.name in args.names]
    if args.labels:
        for sc in chosen:
            if (CORPUS / sc.name).is_dir():
                write_yaml(CORPUS / sc.name, sc, script)
        return 0
    build.mkdir(parents=True, exist_ok=True)
    for sc in chosen:
        missing = available(sc)
        if missing:
            print(f"skip {sc.name}: needs {missing}", file=sys.stderr)
            continue
        root = CORPUS / sc.name
        shutil.rmtree(root, ignore_errors=True)
        started = time.monotonic()
        sc.make(root)
        write_yaml(root, sc, script)
        size = sum(p.stat().st_size for p in root.rglob("*.log"))
        print(f"made {sc.name:32} {size / 1024:7.1f} KiB  {time.monotonic() - started:5.1f}s", flush=True)
    return 0

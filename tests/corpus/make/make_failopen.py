"""Failing canaries that passed because of what the analysis could not see (gRPC status names in a
Python interceptor's log, restarts visible only as start-up lines again), each with its healthy
look-alike. Same rules as make_all.py: real programs on 127.0.0.1, bounded traffic, labels decided
from the story before any analysis ran.

    python tests/corpus/make/make_failopen.py --list
    python tests/corpus/make/make_failopen.py [NAME ...]      # remake all or some
    python tests/corpus/make/make_failopen.py --labels        # rewrite scenario.yaml only

Needs: a Python with grpcio (CORPUS4_GRPC_PYTHON, default /work/cache/failopen-grpc/bin/python;
made with `python3 -m venv DIR && DIR/bin/pip install grpcio`; grpcio 1.85 was used), and Node.js
with express 4 and morgan 1 (`npm install express@4 morgan@1` in CORPUS4_NODE_DIR, default
/work/cache/failopen-node; morgan 1.12.1 was used).
"""

from __future__ import annotations

import functools
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import harness
from harness import APPS, PY_ENV, Request, Scenario, free_port, pod_log, serve_and_capture, wait_for_port

BUILD = Path(os.environ.get("CORPUS4_BUILD", "/work/cache/corpus4"))
GRPC_PY = os.environ.get("CORPUS4_GRPC_PYTHON", "/work/cache/failopen-grpc/bin/python")
NODE_DIR = Path(os.environ.get("CORPUS4_NODE_DIR", "/work/cache/failopen-node"))
PY = sys.executable
RNG = random.Random(20261127)
SCENARIOS: list[Scenario] = []
scenario = harness.registrar(SCENARIOS)
SCRIPT = "tests/corpus/make/make_failopen.py"


pod_name = functools.partial(harness.pod_name, RNG)


# ------------------------------------------------------------------ Python gRPC, status names

GRPC_FMT = (
    "Python logging '%(asctime)s %(levelname)s [%(name)s] %(message)s' from a grpcio server interceptor: "
    "'/shop.Quote/Get code=StatusCode.UNAVAILABLE 2.3ms' (str(context.code()), INFO whatever the code)"
)
GRPC_APP = "Python gRPC quote service (grpcio 1.85, logging interceptor)"
CLIENT = """
import sys, grpc
port, skus = sys.argv[1], sys.argv[2].split(",")
get = grpc.insecure_channel(f"127.0.0.1:{port}").unary_unary("/shop.Quote/Get")
codes = {}
for sku in skus:
    try:
        get(sku.encode(), timeout=5)
        code = "OK"
    except grpc.RpcError as error:
        code = error.code().name
    codes[code] = codes.get(code, 0) + 1
print(codes)
"""


def quote_pod(log: Path, n: int, env: dict[str, str]) -> None:
    port = free_port()
    process, handle = harness.start([GRPC_PY, str(APPS / "grpcquote.py"), str(port)], log, {**PY_ENV, **env})
    try:
        if not wait_for_port(port, process):
            return
        # 1 in 25 asks for a SKU that does not exist: NOT_FOUND, the caller's error, on both sides
        known = [RNG.random() > 0.04 for _ in range(n)]
        skus = [f"SKU-{RNG.randint(1, 898)}" if ok else f"SKU-X{RNG.randint(1, 99)}" for ok in known]
        client = [GRPC_PY, "-c", CLIENT, str(port), ",".join(skus)]
        done = subprocess.run(client, capture_output=True, text=True, timeout=120)
        print(f"  {log.name}: {done.stdout.strip()}", flush=True)
        time.sleep(0.3)
    finally:
        harness.stop(process, handle)


@scenario(
    "grpc-python-good",
    "pass",
    "good",
    GRPC_APP,
    GRPC_FMT,
    "stable 2.0.3 and canary 2.1.0 both quote from the in-process price table; about 1 in 25 calls ask for "
    "a SKU that does not exist and get NOT_FOUND on both sides",
    ("grpc",),
)
def _grpc_good(root: Path) -> None:
    for _ in (1, 2):
        quote_pod(pod_log(root, "stable", pod_name("quote")), 150, {"APP_VERSION": "2.0.3"})
        quote_pod(pod_log(root, "canary", pod_name("quote")), 150, {"APP_VERSION": "2.1.0"})


@scenario(
    "grpc-python-unavailable",
    "fail",
    "http5xx",
    GRPC_APP,
    GRPC_FMT,
    "canary 2.1.0 moved the price table behind a pricing backend that is not deployed: about a third of "
    "the calls (cache misses) end UNAVAILABLE; the interceptor logs them at INFO like any call, so only "
    "'code=StatusCode.UNAVAILABLE' says so",
    ("grpc",),
)
def _grpc_unavailable(root: Path) -> None:
    for _ in (1, 2):
        quote_pod(pod_log(root, "stable", pod_name("quote")), 150, {"APP_VERSION": "2.0.3"})
        canary = {"APP_VERSION": "2.1.0", "APP_MODE": "unavailable"}
        quote_pod(pod_log(root, "canary", pod_name("quote")), 150, canary)


# ------------------------------------------------------------------ restarts seen only in the log

RESTART_FMT = (
    "Python logging '%(asctime)s %(levelname)s %(name)s: %(message)s' with http.server's request line; "
    "the start-up line 'thumbs 2.4.0 listening on http://...' once per start; one file holds every "
    "start of the pod's container, as a log store exports it"
)
RESTART_APP = "Python thumbnail service (http.server) under a supervisor that restarts it"


def supervised_pod(log: Path, n: int, env: dict[str, str], restart_every: int = 0) -> dict[str, int]:
    """Run thumbsvc under a supervisor that starts it again 1 s after it dies (as the kubelet would,
    without the back-off), all its starts writing one log; send `n` requests at ~25/s. With
    `restart_every`, the supervisor also restarts it cleanly (SIGTERM) after that many requests."""
    port = free_port()
    cmd = [PY, str(APPS / "thumbsvc.py"), str(port)]
    state: dict[str, object] = {"stop": False}
    counts: dict[str, int] = {"starts": 0}

    def supervise() -> None:
        while not state["stop"]:
            process, handle = harness.start(cmd, log, {**PY_ENV, **env})
            state["process"], state["handle"] = process, handle
            counts["starts"] += 1
            while process.poll() is None and not state["stop"]:
                time.sleep(0.05)
            harness.stop(process, handle)
            if not state["stop"]:
                time.sleep(1.0)

    thread = threading.Thread(target=supervise, daemon=True)
    thread.start()
    try:
        wait_for_port(port, None)
        for i in range(n):
            if restart_every and i and i % restart_every == 0:
                state["process"].terminate()  # type: ignore[attr-defined]
                time.sleep(0.5)
                wait_for_port(port, None)
            number = RNG.randint(1, 999)
            path = f"/thumbs/{number}.{'png' if RNG.random() < 0.3 else 'jpg'}"
            status = harness.send(port, harness.Request(path), timeout=5)
            key = str(status) if status is not None else "none"
            counts[key] = counts.get(key, 0) + 1
            if status is None:
                wait_for_port(port, None)
            time.sleep(0.04)
    finally:
        state["stop"] = True
        thread.join(timeout=30)
    print(f"  {log.name}: {counts}", flush=True)
    return counts


@scenario(
    "restart-loop-good",
    "pass",
    "restart",
    RESTART_APP,
    RESTART_FMT,
    "stable 2.3.1 and canary 2.4.0 both healthy; the node was drained halfway, so both containers were "
    "stopped cleanly and started again once each: two starts in each log, alike",
)
def _restart_good(root: Path) -> None:
    for side, version in (("stable", "2.3.1"), ("canary", "2.4.0")):
        log = pod_log(root, side, pod_name("thumbs"))
        supervised_pod(log, 400, {"APP_VERSION": version}, restart_every=200)


@scenario(
    "restart-loop-segfault",
    "fail",
    "crash",
    RESTART_APP,
    RESTART_FMT,
    "canary 2.4.0's new C fast path for PNG thumbnails reads a null pointer for images without a cached "
    "header: SIGSEGV kills the process without a word (faulthandler off) and the supervisor starts it "
    "again; the log shows only the start-up line again and again between requests",
)
def _restart_segfault(root: Path) -> None:
    supervised_pod(pod_log(root, "stable", pod_name("thumbs")), 700, {"APP_VERSION": "2.3.1"})
    canary = {"APP_VERSION": "2.4.0", "APP_MODE": "segfault"}
    supervised_pod(pod_log(root, "canary", pod_name("thumbs")), 700, canary)


@scenario(
    "restart-pods-concatenated-good",
    "pass",
    "restart",
    RESTART_APP,
    RESTART_FMT + "; the canary file is `kubectl logs -l` of its three pods: one pod's log after another's",
    "stable 2.3.1 is one pod; canary 2.4.0 (healthy, the PNG fast path off) runs three pods side by side "
    "and its file is `kubectl logs -l app=thumbs,rollouts-pod-template-hash=...`: each pod's log whole, "
    "one after another, so the start-up line appears three times, each time earlier than the line "
    "before it; no pod restarted",
)
def _restart_concatenated(root: Path) -> None:
    supervised_pod(pod_log(root, "stable", pod_name("thumbs")), 400, {"APP_VERSION": "2.3.1"})
    parts = [BUILD / f"concat-{n}.log" for n in range(3)]
    for part in parts:
        part.unlink(missing_ok=True)
    pods = [
        threading.Thread(target=supervised_pod, args=(part, 130, {"APP_VERSION": "2.4.0"})) for part in parts
    ]
    for pod in pods:
        pod.start()
    for pod in pods:
        pod.join()
    pod_log(root, "canary", "kubectl-logs-l").write_bytes(b"".join(part.read_bytes() for part in parts))


# ------------------------------------------------------------------ morgan dev, the time after the status

MORGAN_FMT = (
    "morgan 1.12 `dev` format (Express 4, Node.js 20): ':method :url :status :response-time ms - "
    ":res[content-length]' with ANSI colours, the time right after the status"
)
MORGAN_APP = "Node.js product search API (Express 4 + morgan dev)"


def search_pod(log: Path, n: int, env: dict[str, str]) -> None:
    port = free_port()
    words = ["cable", "shoe", "lamp", "chair", "desk", "mug", "sock", "phone", "bag", "pen"]
    requests = [
        Request(f"/api/search?q={RNG.choice(words)}+{RNG.choice(words)}")
        if RNG.random() < 0.7
        else Request(f"/api/products/{RNG.randint(1, 5000)}")
        for _ in range(n)
    ]
    node_env = {"NODE_PATH": str(NODE_DIR / "node_modules"), **env}
    counts = serve_and_capture(
        ["node", str(APPS / "morgansvc.js"), str(port)], log, port, requests, env=node_env
    )
    print(f"  {log.name}: {counts}", flush=True)


@scenario(
    "morgan-dev-good",
    "pass",
    "good",
    MORGAN_APP,
    MORGAN_FMT,
    "stable 1.7.2 and canary 1.8.0 the same healthy search; every request 200 in a few ms",
    ("node", "morgan"),
)
def _morgan_good(root: Path) -> None:
    for _ in (1, 2):
        search_pod(pod_log(root, "stable", pod_name("search")), 200, {"APP_VERSION": "1.7.2"})
        search_pod(pod_log(root, "canary", pod_name("search")), 200, {"APP_VERSION": "1.8.0"})


@scenario(
    "morgan-dev-slow-search",
    "fail",
    "latency",
    MORGAN_APP,
    MORGAN_FMT,
    "canary 1.8.0's migration dropped the products' name index: every search scans the table and takes "
    "about four times longer (~5 ms to ~35 ms); every answer is still 200, so only morgan's time says it",
    ("node", "morgan"),
)
def _morgan_slow(root: Path) -> None:
    for _ in (1, 2):
        search_pod(pod_log(root, "stable", pod_name("search")), 200, {"APP_VERSION": "1.7.2"})
        canary = {"APP_VERSION": "1.8.0", "MODE": "noindex"}
        search_pod(pod_log(root, "canary", pod_name("search")), 200, canary)


def available(sc: Scenario) -> str | None:
    if "grpc" in sc.needs and subprocess.run([GRPC_PY, "-c", "import grpc"], capture_output=True).returncode:
        return f"grpcio in CORPUS4_GRPC_PYTHON={GRPC_PY}"
    if "morgan" in sc.needs and not (NODE_DIR / "node_modules" / "morgan").is_dir():
        return f"express and morgan in CORPUS4_NODE_DIR={NODE_DIR} (npm install express@4 morgan@1)"
    if "node" in sc.needs and shutil.which("node") is None:
        return "node"
    return None


def main() -> int:
    return harness.run_scenarios(harness.parser(__doc__).parse_args(), SCENARIOS, available, SCRIPT, BUILD)


if __name__ == "__main__":
    sys.exit(main())

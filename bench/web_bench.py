"""Benchmark of the web service's own cost: latency and throughput around a fake analysis.

Starts `python -m job serve` as a real process on 127.0.0.1 with the analysis replaced by
`noop` (no work: what remains is parsing, single-flight, JSON, HTTP and the socket) or
`fast` (5 ms of sleep, standing in for a quick analysis), then sends requests from
`concurrency` client threads, one connection per request as the service answers
`Connection: close`. Each request asks a different question (a distinct canary hash) so
every one runs an analysis; the `shared` rows ask the same question with the result cache on.

Prints figures; asserts nothing about them. The client runs on the same machine and
competes with the service for CPU, so the figures are an upper bound on the overhead.

    python bench/web_bench.py            # full run
    python bench/web_bench.py --quick    # a few requests, to check the bench still works
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def noop(request: object) -> object:
    from job.model import Verdict

    return Verdict(verdict="pass", score=1.0, confidence=1.0, summary="noop")


def fast(request: object) -> object:
    time.sleep(0.005)
    return noop(request)


def start(function: str, *flags: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    stderr_path = Path(tempfile.mkstemp(prefix="web-bench-", suffix=".err")[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(Path(__file__).parent)])}
    command = [
        sys.executable,
        "-m",
        "job",
        "--log-level",
        "info",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
    ]
    command += ["--no-llm", "--analysis-function", f"web_bench:{function}", *flags]
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        with open(stderr_path) as lines:
            for line in lines:
                entry = json.loads(line)
                if entry.get("msg") == "listening":
                    return proc, int(entry["port"]), stderr_path
        time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the service did not start:\n{stderr_path.read_text()}")


def one_request(port: int, query: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/analyze?" + query)
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    if answer.status != 200 or json.loads(body)["verdict"] != "pass":
        raise RuntimeError(f"unexpected answer {answer.status}: {body[:200]!r}")
    return time.perf_counter() - started


def load(port: int, concurrency: int, requests: int, shared: bool) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            canary = "same" if shared else f"c{i}"
            seconds = one_request(port, f"namespace=shop&stableHash=s&canaryHash={canary}")
            with lock:
                latencies.append(seconds)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a few requests only (smoke test)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per row")
    parser.add_argument("--concurrency", default="1,4,16", help="client threads, comma separated")
    args = parser.parse_args()
    requests = 20 if args.quick else args.requests
    levels = [2] if args.quick else [int(c) for c in args.concurrency.split(",")]

    python = sys.version.split()[0]
    print(f"web service benchmark: {requests} requests per row, {os.cpu_count()} CPUs, Python {python}")
    header = ("analysis", "questions", "clients", "req/s", "p50 ms", "p99 ms", "max ms")
    print("{:<8} {:<9} {:>7} {:>8} {:>8} {:>8} {:>8}".format(*header))
    for function in ("noop", "fast"):
        for shared in (False, True):
            cache = "5" if shared else "0"
            proc, port, stderr_path = start(function, "--cache-seconds", cache, "--max-concurrent", "64")
            try:
                one_request(port, "namespace=shop&stableHash=s&canaryHash=warmup")
                for concurrency in levels:
                    latencies, wall = load(port, concurrency, requests, shared)
                    print(
                        f"{function:<8} {'shared' if shared else 'distinct':<9} {concurrency:>7} "
                        f"{len(latencies) / wall:>8.0f} {statistics.median(latencies) * 1000:>8.2f} "
                        f"{percentile(latencies, 0.99) * 1000:>8.2f} {max(latencies) * 1000:>8.2f}"
                    )
            finally:
                proc.send_signal(signal.SIGTERM)
                code = proc.wait(30)
                stderr_path.unlink(missing_ok=True)
            if code != 0:
                raise SystemExit(f"the service exited with {code}")


if __name__ == "__main__":
    main()

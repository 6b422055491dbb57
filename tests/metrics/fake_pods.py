"""Stand-in application pods that export Prometheus metrics with known behaviour.

Each pod is an HTTP server on 127.0.0.1 serving `/metrics` in the Prometheus text format. A
thread simulates its traffic ten times a second: HTTP requests (a counter by status code and a
latency histogram with the client libraries' default buckets), CPU throttling counters and a
memory gauge, so a real Prometheus scraping them sees what it would see from real services.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TICK_SECONDS = 0.1
MIB = 1 << 20


@dataclass(frozen=True)
class Behaviour:
    requests_per_tick: int = 5
    error_share: float = 0.0  # share of requests answered 500
    median_seconds: float = 0.02
    slow_share: float = 0.0  # share of requests that take 1-2 s (a tail regression)
    memory_growth_mib_per_second: float = 0.0
    export: bool = True  # False: the pod exports nothing (no data)


HEALTHY = Behaviour()
ERRORS = Behaviour(error_share=0.3)
TAIL = Behaviour(slow_share=0.04)
LEAK = Behaviour(memory_growth_mib_per_second=6.0)
SILENT = Behaviour(export=False)


class FakePod:
    def __init__(self, name: str, behaviour: Behaviour, seed: int) -> None:
        self.name, self.behaviour = name, behaviour
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._codes: dict[str, int] = {"200": 0, "500": 0}
        self._buckets = [0] * (len(BUCKETS) + 1)
        self._sum = 0.0
        self._periods = 0
        self._throttled = 0
        self._started = time.monotonic()
        self._stop = threading.Event()
        pod = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pod.exposition().encode() if self.path.startswith("/metrics") else b""
                self.send_response(200 if body or not pod.behaviour.export else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._threads = [
            threading.Thread(target=self.server.serve_forever, daemon=True),
            threading.Thread(target=self._traffic, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _traffic(self) -> None:
        b = self.behaviour
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                for _ in range(b.requests_per_tick):
                    code = "500" if self._rng.random() < b.error_share else "200"
                    self._codes[code] += 1
                    if self._rng.random() < b.slow_share:
                        seconds = self._rng.uniform(1.0, 2.0)
                    else:
                        seconds = b.median_seconds * self._rng.lognormvariate(0, 0.3)
                    index = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
                    self._buckets[index] += 1
                    self._sum += seconds
                self._periods += 10
                self._throttled += self._rng.randint(0, 1)

    def exposition(self) -> str:
        if not self.behaviour.export:
            return ""
        with self._lock:
            lines = ["# TYPE http_requests_total counter"]
            lines += [f'http_requests_total{{code="{c}"}} {n}' for c, n in self._codes.items()]
            lines.append("# TYPE http_request_duration_seconds histogram")
            cumulative = 0
            for bound, count in zip((*BUCKETS, float("inf")), self._buckets, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(f'http_request_duration_seconds_bucket{{le="{le}"}} {cumulative}')
            lines.append(f"http_request_duration_seconds_sum {self._sum}")
            lines.append(f"http_request_duration_seconds_count {cumulative}")
            lines.append("# TYPE container_cpu_cfs_periods_total counter")
            lines.append(f'container_cpu_cfs_periods_total{{container="app"}} {self._periods}')
            lines.append("# TYPE container_cpu_cfs_throttled_periods_total counter")
            lines.append(f'container_cpu_cfs_throttled_periods_total{{container="app"}} {self._throttled}')
            memory = 100 * MIB + self.behaviour.memory_growth_mib_per_second * MIB * (
                time.monotonic() - self._started
            )
            lines.append("# TYPE container_memory_working_set_bytes gauge")
            lines.append(
                f'container_memory_working_set_bytes{{container="app"}} {memory + self._rng.randint(0, MIB)}'
            )
        return "\n".join(lines) + "\n"

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

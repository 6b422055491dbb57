"""Activity scenarios for the labelled corpus: a canary that goes quiet, and the look-alikes
that must pass (a canary with a small share of the traffic; a quiet service).

Unlike make_all.py, whose pods run one after another, here the stable and canary pods run
side by side for the whole window and a client spreads its requests over them by a canary
weight, as a traffic router would. Real programs on 127.0.0.1 (the python http.server shop
of apps/pyweb.py), bounded traffic, labels decided from the story before any analysis ran.

    python tests/corpus/make/make_activity.py --list
    python tests/corpus/make/make_activity.py [NAME ...]
"""

from __future__ import annotations

import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import harness
from harness import APPS, PY_ENV, Request, Scenario, free_port, pod_log, send, start, stop, wait_for_port

PY = os.environ.get("CORPUS_PYTHON", sys.executable)
SCENARIOS: list[Scenario] = []
scenario = harness.registrar(SCENARIOS)
SCRIPT = "tests/corpus/make/make_activity.py"
FMT = "python http.server access log (common log format on stderr)"
APP = "python http.server shop"
CLIENT_TIMEOUT = 2.0  # seconds a client waits for an answer (a hung pod costs this much per request)


def _pod(log: Path, mode: str, version: str) -> tuple[int, object, object]:
    port = free_port()
    env = {**PY_ENV, "APP_MODE": mode, "APP_VERSION": version, "DB_POOL": "8"}
    process, handle = start([PY, str(APPS / "pyweb.py"), str(port)], log, env)
    if not wait_for_port(port, process):
        raise SystemExit(f"{log.name}: the shop did not start")
    return port, process, handle


def _request(rng: random.Random) -> Request:
    if rng.random() < 0.5:
        return Request(f"/api/orders/{rng.randint(1, 300)}")
    return Request("/api/products")


def rollout(
    root: Path,
    canary_mode: str,
    weight: float,
    seconds: float,
    per_second: float,
    lull_seconds: float = 0.0,
    seed: int = 20261127,
) -> dict[str, int]:
    """Two stable pods and one canary pod side by side; for `seconds`, `per_second` requests a
    second (at random moments), each sent to the canary with probability `weight`, else to a
    stable pod. The last `lull_seconds` send nothing to anyone (the traffic ends for all)."""
    rng = random.Random(seed)
    pods = [_pod(pod_log(root, "stable", f"shop-140-{i}"), "good", "1.4.0") for i in (1, 2)] + [
        _pod(pod_log(root, "canary", "shop-160-1"), canary_mode, "1.6.0")
    ]
    counts: dict[str, int] = {}
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=24) as pool:
        futures = []
        moment = 0.0
        while moment < seconds - lull_seconds:
            moment += rng.expovariate(per_second)
            delay = began + moment - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            to_canary = rng.random() < weight
            port = pods[2][0] if to_canary else pods[rng.randrange(2)][0]
            futures.append((to_canary, pool.submit(send, port, _request(rng), CLIENT_TIMEOUT)))
        for to_canary, future in futures:
            key = f"{'canary' if to_canary else 'stable'} {future.result() or 'none'}"
            counts[key] = counts.get(key, 0) + 1
    rest = began + seconds - time.monotonic()
    if rest > 0:
        time.sleep(rest)
    for _, process, handle in pods:
        stop(process, handle)  # type: ignore[arg-type]
    return counts


@scenario(
    "py-canary-goes-quiet",
    "fail",
    "quiet",
    APP,
    FMT,
    "canary 1.6.0 (weight 20%) never returns a pooled database connection after a coupon order: after "
    "a few dozen requests all 8 are gone and every request waits forever; the process logs nothing more "
    "for the rest of the 3-minute window while the two stable pods keep serving",
)
def _goes_quiet(root: Path) -> None:
    print(rollout(root, "hang", weight=0.2, seconds=180, per_second=6))


@scenario(
    "py-canary-small-share",
    "pass",
    "good",
    APP,
    FMT,
    "canary 1.6.0 is healthy and gets 10% of the traffic for the whole 3-minute window: it logs about "
    "a tenth of what the two stable pods log, evenly over time",
)
def _small_share(root: Path) -> None:
    print(rollout(root, "good", weight=0.1, seconds=180, per_second=6))


@scenario(
    "py-quiet-service-both-idle",
    "pass",
    "noise",
    APP,
    FMT,
    "a back-office shop with little traffic (a request every ~2 s, canary weight 50%) for 2 minutes, "
    "then no client at all for the last minute: both sides go quiet together",
)
def _both_idle(root: Path) -> None:
    print(rollout(root, "good", weight=0.5, seconds=180, per_second=0.6, lull_seconds=60))


def main() -> int:
    args = harness.parser(__doc__).parse_args()
    return harness.run_scenarios(args, SCENARIOS, lambda sc: None, SCRIPT, Path("/tmp/corpus-activity"))


if __name__ == "__main__":
    sys.exit(main())

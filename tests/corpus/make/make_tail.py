"""Tail-latency and high-cardinality scenarios for the labelled corpus (issue 18).

Real programs on 127.0.0.1 (the structlog inventory API of apps/jsonsvc.py), bounded traffic,
labels decided from the story before any analysis ran. For latency the stable and canary pods
serve side by side: on a shared machine, one run after the other records the machine's hiccups
as a difference between versions.

    python tests/corpus/make/make_tail.py --list
    python tests/corpus/make/make_tail.py [NAME ...]
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import harness
from harness import APPS, PY_ENV, Request, Scenario, free_port, pod_log, serve_and_capture

PY = os.environ.get("CORPUS_PYTHON", sys.executable)
SCENARIOS: list[Scenario] = []
scenario = harness.registrar(SCENARIOS)
SCRIPT = "tests/corpus/make/make_tail.py"
APP = "structlog inventory API"
FMT = "JSON lines (structlog JSONRenderer)"
RNG = random.Random(20261127)
WORDS = ("red", "blue", "shoe", "lamp", "desk", "kids", "sale", "wool", "oak", "mug", "usb", "cable")


def _stock(n: int) -> list[Request]:
    return [Request(f"/stock/sku-{RNG.randint(1, 99)}") for _ in range(n)]


def _searches(n: int) -> list[Request]:
    """What shoppers type: 1-4 words, often a typo or a word of their own."""
    out = []
    for _ in range(n):
        words = [RNG.choice(WORDS) for _ in range(RNG.randint(1, 3))]
        words.append("".join(RNG.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(RNG.randint(3, 8))))
        out.append(Request("/search?q=" + "+".join(words)))
    return out


def side_by_side(root: Path, stable: tuple[str, list[Request]], canary: tuple[str, list[Request]]) -> None:
    """Stable 2.3.1 and canary 2.4.0 serve at the same time, so a busy machine slows both alike."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [
            pool.submit(pod, pod_log(root, "stable", "inventory-231-1"), stable[0], "2.3.1", stable[1]),
            pool.submit(pod, pod_log(root, "canary", "inventory-240-1"), canary[0], "2.4.0", canary[1]),
        ]
        for job in jobs:
            print(job.result())


def pod(log: Path, mode: str, version: str, requests: list[Request]) -> dict:
    port = free_port()
    env = {**PY_ENV, "APP_MODE": mode, "APP_VERSION": version, "APP_DB_MS": "5"}
    return serve_and_capture([PY, str(APPS / "jsonsvc.py"), str(port)], log, port, requests, env=env)


@scenario(
    "json-tail-latency-lock",
    "fail",
    "latency",
    APP,
    FMT,
    "canary 2.4.0 refills its price cache under a lock: about 4% of stock lookups wait ~150 ms (p99 "
    "up more than 10x) while p50 and p90 stay at the stable's ~5 ms; 150 canary requests",
    ("structlog",),
)
def _tail(root: Path) -> None:
    side_by_side(root, ("good", _stock(600)), ("tail", _stock(150)))


@scenario(
    "json-small-latency-shift",
    "pass",
    "noise",
    APP,
    FMT,
    "canary 2.4.0 adds an audit call of about 1 ms to every stock lookup (~5 ms -> ~6 ms): a small, "
    "harmless shift, nothing slow in the tail",
    ("structlog",),
)
def _shift(root: Path) -> None:
    side_by_side(root, ("good", _stock(600)), ("shift", _stock(200)))


@scenario(
    "json-search-free-text-good",
    "pass",
    "good",
    APP,
    FMT,
    "both versions log every shopper's search query as typed (free text: nearly every line a new "
    "shape, past the template budget) besides stock lookups; canary 2.4.0 is healthy",
    ("structlog",),
)
def _free_text(root: Path) -> None:
    stable, canary = _stock(300) + _searches(1600), _stock(300) + _searches(1600)
    RNG.shuffle(stable)
    RNG.shuffle(canary)
    side_by_side(root, ("good", stable), ("good", canary))


def _available(sc: Scenario) -> str | None:
    """None when structlog is importable by CORPUS_PYTHON, else what is missing."""
    missing = subprocess.run([PY, "-c", "import structlog"], capture_output=True).returncode
    return f"structlog in CORPUS_PYTHON={PY}" if missing else None


def main() -> int:
    args = harness.parser(__doc__).parse_args()
    return harness.run_scenarios(args, SCENARIOS, _available, SCRIPT, Path("/tmp/corpus-tail"))


if __name__ == "__main__":
    sys.exit(main())

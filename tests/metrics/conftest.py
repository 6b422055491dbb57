"""One real Prometheus for the module, scraping stand-in pods of every behaviour the tests need."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.metrics import fake_pods
from tests.metrics.prometheus_server import PrometheusServer, available

# The window every test judges: short, so the suite waits seconds, not minutes.
WINDOW_SECONDS = 12
# hash -> (pod names, behaviour); "c-none" has pods that export nothing
SIDES = {
    "s1": (("shop-stable-0", "shop-stable-1"), fake_pods.HEALTHY),
    "c-good": (("shop-good-0",), fake_pods.HEALTHY),
    "c-5xx": (("shop-5xx-0",), fake_pods.ERRORS),
    "c-tail": (("shop-tail-0",), fake_pods.TAIL),
    "c-leak": (("shop-leak-0",), fake_pods.LEAK),
    "c-none": (("shop-none-0",), fake_pods.SILENT),
}


@dataclass
class Metrics:
    url: str
    server: PrometheusServer


@pytest.fixture(scope="session")
def prometheus() -> Iterator[Metrics]:
    reason = available()
    if reason:
        pytest.skip(reason)
    pods = [
        fake_pods.FakePod(name, behaviour, seed)
        for seed, (hash_, (names, behaviour)) in enumerate(SIDES.items())
        for name in names
    ]
    labels = {name: hash_ for hash_, (names, _) in SIDES.items() for name in names}
    targets = [(pod.port, {"pod": pod.name, "rollouts_pod_template_hash": labels[pod.name]}) for pod in pods]
    try:
        with PrometheusServer(targets) as server:
            # enough scrapes for the window, plus the rate window's first samples
            deadline = time.monotonic() + WINDOW_SECONDS + 20
            time.sleep(WINDOW_SECONDS + 3)
            while time.monotonic() < deadline:
                up = server.query('count(up{rollouts_pod_template_hash="s1"} == 1)')
                if up and float(up[0]["value"][1]) == 2:
                    break
                time.sleep(0.5)
            yield Metrics(server.url, server)
    finally:
        for pod in pods:
            pod.stop()

"""Logs-only vs metrics-only vs combined: verdict accuracy on scenarios each source alone misses.

    PYTHONPATH=. python bench/metrics_bench.py          # every scenario (about 40 s: Prometheus warms up)
    PYTHONPATH=. python bench/metrics_bench.py --quick  # smoke run: two scenarios

A real Prometheus (Debian's `prometheus`) scrapes stand-in pods with known behaviour
(tests/metrics/fake_pods.py); the logs come from the labelled corpus and the generated web log.
Each scenario is judged three ways with the same engine: logs only (no --prometheus-url), metrics
only (empty log files, the shipped default signals on a short window) and combined. Prints one
row per scenario, the accuracy of each judge, and the time the Prometheus queries add.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from job.collect import canary_config  # noqa: E402
from job.model import AnalysisRequest, FileSource, LLMConfig, MetricsConfig  # noqa: E402
from job.pipeline import analyze  # noqa: E402
from tests.metrics import fake_pods  # noqa: E402
from tests.metrics.prometheus_server import PrometheusServer, available  # noqa: E402
from tests.sample_logs import web_log  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
WINDOW_SECONDS = 12
ROW = "{:38} {:7} {:8} {:13} {:13} {:13}"
PODS = {
    "s1": fake_pods.HEALTHY,
    "c-good": fake_pods.HEALTHY,
    "c-5xx": fake_pods.ERRORS,
    "c-tail": fake_pods.TAIL,
    "c-leak": fake_pods.LEAK,
}


@dataclass(frozen=True)
class Case:
    name: str
    expect: str  # pass | fail
    shows_in: str  # logs | metrics | neither (healthy)
    logs: str  # "web" (a healthy generated web log) or a corpus scenario whose sides are used
    canary_pods: str  # the hash of the canary's stand-in pods


CASES = (
    Case("healthy", "pass", "neither", "web", "c-good"),
    Case("healthy-corpus-java", "pass", "neither", "java-good", "c-good"),
    Case("5xx-at-the-mesh-app-logs-nothing", "fail", "metrics", "web", "c-5xx"),
    Case("p99-up-p50-flat-no-durations-logged", "fail", "metrics", "java-good", "c-tail"),
    Case("memory-leak", "fail", "metrics", "web", "c-leak"),
    Case("handler-panic-metrics-healthy", "fail", "logs", "go-handler-panic", "c-good"),
    Case("npe-burst-metrics-healthy", "fail", "logs", "java-npe-burst", "c-good"),
)


def log_paths(case: Case, workdir: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if case.logs == "web":
        stable, canary = workdir / f"{case.name}-stable.log", workdir / f"{case.name}-canary.log"
        stable.write_text(web_log(400, 1))
        canary.write_text(web_log(400, 2))
        return (str(stable),), (str(canary),)
    side = CORPUS / case.logs
    return (
        tuple(str(p) for p in sorted((side / "stable").iterdir())),
        tuple(str(p) for p in sorted((side / "canary").iterdir())),
    )


def metrics_config(url: str, canary_hash: str) -> MetricsConfig:
    config = canary_config.load(None, url)
    return dataclasses.replace(
        config,
        window_seconds=WINDOW_SECONDS,
        rate_window="3s",
        stable_selector='rollouts_pod_template_hash="s1"',
        canary_selector=f'rollouts_pod_template_hash="{canary_hash}"',
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two scenarios: a smoke run")
    options = parser.parse_args()
    reason = available()
    if reason:
        print(f"metrics bench skipped: {reason}")
        return 0
    cases = CASES[:1] + CASES[2:3] if options.quick else CASES
    pods = [
        fake_pods.FakePod(f"pod-{h}", behaviour, seed) for seed, (h, behaviour) in enumerate(PODS.items())
    ]
    targets = [
        (pod.port, {"pod": pod.name, "rollouts_pod_template_hash": h})
        for pod, h in zip(pods, PODS, strict=True)
    ]
    no_llm = LLMConfig(enabled=False)
    right = {"logs only": 0, "metrics only": 0, "combined": 0}
    added: list[float] = []
    try:
        with PrometheusServer(targets) as server, tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            empty = workdir / "empty.log"
            empty.write_text("")
            time.sleep(WINDOW_SECONDS + 4)
            header = ("scenario", "expect", "shows in", "logs only", "metrics only", "combined")
            print(ROW.format(*header))
            for case in cases:
                stable, canary = log_paths(case, workdir)
                metrics = metrics_config(server.url, case.canary_pods)
                started = time.perf_counter()
                logs_only = analyze(AnalysisRequest(FileSource(stable, canary), no_llm)).verdict
                logs_seconds = time.perf_counter() - started
                metrics_only = analyze(
                    AnalysisRequest(FileSource((str(empty),), (str(empty),)), no_llm, metrics)
                ).verdict
                started = time.perf_counter()
                combined = analyze(AnalysisRequest(FileSource(stable, canary), no_llm, metrics)).verdict
                added.append(time.perf_counter() - started - logs_seconds)
                verdicts = {"logs only": logs_only, "metrics only": metrics_only, "combined": combined}
                for judge, verdict in verdicts.items():
                    right[judge] += verdict == case.expect
                cells = [f"{v}{'' if v == case.expect else ' (wrong)'}" for v in verdicts.values()]
                print(ROW.format(case.name, case.expect, case.shows_in, *cells))
    finally:
        for pod in pods:
            pod.stop()
    print()
    for judge, count in right.items():
        print(f"accuracy, {judge:12}: {count}/{len(cases)} = {count / len(cases):.2f}")
    print(
        f"time the Prometheus queries add to an analysis (6 signals, local Prometheus): "
        f"median {statistics.median(added) * 1000:.0f} ms, max {max(added) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

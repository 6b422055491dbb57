"""Predict every scenario's verdict without a cluster: `python -m e2e.preview`.

Writes logs in rollouts-demo's own format (Go's `log` prefix, then `<status> - <colour>` and,
for slow images, the delay: `2026/11/26 07:00:00 200 - yellow (2.000000s)`), with the error
share and latency its bad-/slow- images are built with, and judges them in file mode with
the evidence only. The cluster run adds the model and the real pods; this shows, in seconds,
whether the evidence alone already separates the canaries the demo expects to be caught.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from e2e import pins, scenarios

EXIT_FOR = {"promoted": 0, "aborted": 1}
START = datetime(2026, 11, 26, 7, 0, 0)


WINDOW_SECONDS = 240.0  # both sides serve over the same window; the canary gets its share of the calls


def demo_log(
    colour: str, requests: int, error_share: float = 0.0, latency: float = 0.0, seed: int = 0
) -> str:
    """rollouts-demo's stderr for `requests` calls to /color spread over the window, one line per call."""
    rng = random.Random(seed)
    now = START
    lines = [f"{now:%Y/%m/%d %H:%M:%S} Started server on :8080"]
    step = max(WINDOW_SECONDS / max(requests, 1), latency)
    for _ in range(requests):
        now += timedelta(seconds=step)
        status = 500 if rng.random() < error_share else 200
        delay = f" ({latency:f}s)" if latency else ""
        lines.append(f"{now:%Y/%m/%d %H:%M:%S} {status} - {colour}{delay}")
    return "\n".join(lines) + "\n"


def canary_log(tag: str, requests: int = 150, seed: int = 1) -> str:
    colour = tag.split("-")[-1]
    if tag.startswith("bad-"):
        return demo_log(colour, requests, error_share=pins.BAD_ERROR_SHARE, seed=seed)
    if tag.startswith("slow-"):
        # a slow pod answers fewer requests in the same minute
        return demo_log(colour, requests // 3, latency=pins.SLOW_LATENCY_SECONDS, seed=seed)
    return demo_log(colour, requests, seed=seed)


def stable_colour(scenario: scenarios.Scenario) -> str:
    # the first scenario starts from the Rollout's blue; it promotes yellow for the others
    return pins.ROLLOUTS_DEMO_STABLE.rsplit(":", 1)[1] if scenario.expect == "promoted" else "yellow"


@dataclass(frozen=True)
class Prediction:
    scenario: scenarios.Scenario
    exit_code: int
    verdict: str
    summary: str

    @property
    def as_expected(self) -> bool:
        return self.exit_code == EXIT_FOR[self.scenario.expect]


def predict(scenario: scenarios.Scenario, workdir: Path) -> Prediction:
    from click.testing import CliRunner

    from job import cli

    stable = workdir / f"{scenario.name}-stable.log"
    canary = workdir / f"{scenario.name}-canary.log"
    stable.write_text(demo_log(stable_colour(scenario), 600), encoding="utf-8")
    canary.write_text(canary_log(scenario.tag), encoding="utf-8")
    args = [
        "analyze",
        "--no-llm",
        "--output",
        "json",
        "--stable-logs",
        str(stable),
        "--canary-logs",
        str(canary),
    ]
    result = CliRunner().invoke(cli.main, args)
    try:
        doc = json.loads(result.stdout)
    except ValueError:
        doc = {"verdict": "?", "summary": (result.stdout or str(result.exception))[-200:]}
    return Prediction(scenario, result.exit_code, str(doc.get("verdict")), str(doc.get("summary", "")))


def predictions() -> list[Prediction]:
    """One per distinct canary (both providers run the same judgement on the same logs)."""
    distinct = {s.tag: s for s in scenarios.SCENARIOS if s.provider == "job"}
    with tempfile.TemporaryDirectory(prefix="e2e-preview-") as tmp:
        return [predict(s, Path(tmp)) for s in distinct.values()]


def main() -> int:
    found = predictions()
    for p in found:
        mark = "ok " if p.as_expected else "MISS"
        print(
            f"{mark} {p.scenario.tag:<12} expect {p.scenario.expect:<8} exit {p.exit_code} "
            f"verdict {p.verdict}: {p.summary}"
        )
    return 0 if all(p.as_expected for p in found) else 1


if __name__ == "__main__":
    sys.exit(main())

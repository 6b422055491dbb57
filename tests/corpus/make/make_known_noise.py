"""Scenarios for a team's acknowledge file (docs/acknowledge.md): known noise that fails a canary
unless acknowledged, and the same acknowledgement beside a real regression, which must still fail.

    python tests/corpus/make/make_known_noise.py --list
    python tests/corpus/make/make_known_noise.py [NAME ...]

Same harness and rules as make_more.py (real programs on 127.0.0.1, bounded traffic, labels set
from the story before any analysis ran). Each scenario also carries the `acknowledge.yaml` the team
would keep beside the Rollout: its pattern was copied from the report of the unacknowledged
analysis, as the docs tell users to do.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import harness
from harness import Scenario, free_port
from make_more import BOOT_FMT, BUILD, JAVA, billing_pod, pod_name

SCENARIOS: list[Scenario] = []
scenario = harness.registrar(SCENARIOS)
SCRIPT = "tests/corpus/make/make_known_noise.py"

# what the team wrote after reading the report of the first canary (the pattern is copied from it)
# copied from the report of the canary without the file ("to acknowledge: ... pattern: ...")
PATTERN = (
    "<NUM> --- [<ID>] i.o.e.i.h.HttpExporter : Failed to export spans. The request could not be executed. "
    "Full error message: Connection refused"
)
ACKNOWLEDGE = f"""\
# Known noise of the billing service, reviewed with each release (docs/acknowledge.md).
acknowledge:
  # 2.8.0 turns tracing on before the OpenTelemetry collector exists in this cluster: each span
  # export fails with an ERROR; invoices are unaffected. Remove when the collector is deployed.
  - pattern: '{PATTERN}'
    action: ignore
    reason: OpenTelemetry collector not deployed yet (OBS-231); tracing is best effort
    # no expires here: the corpus is judged on any day (a team's own file should carry one)
"""


def otel_env(mode: str | None = None) -> dict[str, str]:
    """Canary 2.8.0 with tracing exported to a port nothing listens on (no collector yet)."""
    env = {"APP_VERSION": "2.8.0", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{free_port()}"}
    if mode:
        env["APP_MODE"] = mode
    return env


def rollout(root: Path, mode: str | None) -> None:
    for _ in (1, 2):
        billing_pod(harness.pod_log(root, "stable", pod_name("billing")), 250, {"APP_VERSION": "2.7.1"})
        billing_pod(harness.pod_log(root, "canary", pod_name("billing")), 250, otel_env(mode))
    (root / "acknowledge.yaml").write_text(ACKNOWLEDGE)


@scenario(
    "java-boot-otel-noise-acknowledged",
    "pass",
    "noise",
    "Java billing service (Spring Boot log layout)",
    BOOT_FMT,
    "canary 2.8.0 turns OpenTelemetry tracing on (one span export per request) before the collector "
    "exists in this cluster: an ERROR 'Failed to export spans. The request could not be executed. "
    "Full error message: Connection refused' per request; every invoice is served as on stable. The "
    "team's acknowledge.yaml ignores that message, with its reason",
    JAVA,
)
def _otel_noise(root: Path) -> None:
    rollout(root, None)


@scenario(
    "java-boot-otel-noise-and-pool-errors",
    "fail",
    "error-burst",
    "Java billing service (Spring Boot log layout)",
    BOOT_FMT,
    "the same canary 2.8.0 and the same acknowledge.yaml, but the build also halves the JDBC pool: "
    "2 in 5 invoice loads fail with 'Could not open JDBC Connection' (ERROR + stack trace, 500); the "
    "acknowledged span-export errors must not hide it",
    JAVA,
)
def _otel_noise_and_pool(root: Path) -> None:
    rollout(root, "pool")


def main() -> int:
    def available(sc: Scenario) -> str | None:
        return next((need for need in sc.needs if shutil.which(need) is None), None)

    return harness.run_scenarios(harness.parser(__doc__).parse_args(), SCENARIOS, available, SCRIPT, BUILD)


if __name__ == "__main__":
    sys.exit(main())

"""What the cluster demo needs on this machine, and what is missing.

Used by `python -m e2e` (to print the needs before anything starts) and by e2e/conftest.py
(to skip the cluster tests with the same reasons).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from e2e import pins

Which = Callable[[str], str | None]
Run = Callable[[Sequence[str]], tuple[int, str]]

NEEDS = """\
The kind demo needs, on the machine that runs it:
  - Docker with a running daemon (https://docs.docker.com/engine/install/)
  - kind >= {kind_min} (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)
  - kubectl (https://kubernetes.io/docs/tasks/tools/)
  - about 12 GB free disk and 8 GB RAM for Docker (images + model + one kind node)
  - internet on the host for the first run (images, Argo Rollouts install.yaml, the model);
    later runs, and AIRGAP=1 runs, reuse what is cached.""".format(
    kind_min=".".join(map(str, pins.KIND_MIN_VERSION))
)


def _run(argv: Sequence[str]) -> tuple[int, str]:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return 127, str(error)
    return done.returncode, (done.stdout + done.stderr).strip()


def kind_version(text: str) -> tuple[int, int, int] | None:
    """`kind version` output ('kind v0.24.0 go1.22.6 linux/amd64') -> (0, 24, 0)."""
    match = re.search(r"v(\d+)\.(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


@dataclass(frozen=True)
class Tools:
    docker: str
    kind: str
    kubectl: str


def missing(which: Which = shutil.which, run: Run = _run) -> tuple[list[str], Tools | None]:
    """Problems that stop the demo (each names the fix), and the tools when there are none."""
    problems: list[str] = []
    paths = {name: which(name) for name in ("docker", "kind", "kubectl")}
    if not paths["docker"]:
        problems.append("docker is not installed: install Docker Engine or Docker Desktop")
    else:
        code, out = run([paths["docker"], "info", "--format", "{{.ServerVersion}}"])
        if code != 0:
            problems.append(
                f"the docker daemon is not reachable ({out.splitlines()[-1] if out else 'no output'}): "
                "start Docker, or check that this user may use it (docker info)"
            )
    if not paths["kind"]:
        problems.append(
            "kind is not installed: see https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
        )
    else:
        code, out = run([paths["kind"], "version"])
        version = kind_version(out) if code == 0 else None
        if version is None:
            problems.append(f"cannot read the kind version ({out!r}): reinstall kind")
        elif version < pins.KIND_MIN_VERSION:
            problems.append(
                f"kind {'.'.join(map(str, version))} is older than "
                f"{'.'.join(map(str, pins.KIND_MIN_VERSION))}, whose CNI enforces NetworkPolicy: upgrade kind"
            )
    if not paths["kubectl"]:
        problems.append("kubectl is not installed: see https://kubernetes.io/docs/tasks/tools/")
    if problems:
        return problems, None
    return [], Tools(docker=str(paths["docker"]), kind=str(paths["kind"]), kubectl=str(paths["kubectl"]))

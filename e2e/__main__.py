"""`python -m e2e [--airgap] [--keep-cluster] [pytest args]`: say what the demo needs, then run it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from e2e import preflight

CLUSTER_NAME = "rollouts-ai-job-e2e"


def main(argv: list[str]) -> int:
    problems, _ = preflight.missing()
    try:
        import pytest_kind  # noqa: F401
    except ImportError:
        problems.append("pytest-kind is not installed: pip install -e '.[test]' (make install)")
    if problems:
        print(preflight.NEEDS, file=sys.stderr)
        print("\nMissing here:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    if not any(arg.startswith("--cluster-name") for arg in argv):
        argv = ["--cluster-name", CLUSTER_NAME, *argv]
    return pytest.main([str(Path(__file__).parent), "-v", "-s", "-p", "no:cacheprovider", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`python -m e2e [--airgap] [pytest args]`: say what the demo needs, then run it."""

from __future__ import annotations

import sys

import pytest

from e2e import preflight


def main(argv: list[str]) -> int:
    problems, _ = preflight.missing()
    if problems:
        print(preflight.NEEDS, file=sys.stderr)
        print("\nMissing here:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    return pytest.main(["e2e", "-v", "-s", "-p", "no:cacheprovider", "--rootdir", ".", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

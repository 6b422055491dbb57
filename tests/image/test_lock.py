"""requirements.lock must pin every runtime dependency: the offline image build installs only it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement).group(0)).lower()  # type: ignore[union-attr]


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_name(name)] = version.strip()
    return pins


def test_every_runtime_dependency_is_pinned_exactly() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    locked = _locked()
    missing = sorted({_name(dep) for dep in dependencies} - locked.keys())
    assert missing == [], f"not in requirements.lock: {missing}; run `make lock`"
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version) for version in locked.values()), locked


def test_lock_holds_no_project_or_installer_packages() -> None:
    assert {"rollouts-ai-job", "pip", "setuptools"}.isdisjoint(_locked())

"""Fixtures every test folder may use (the Kubernetes API stand-in, tests/kube/fake_api.py) and the
hypothesis profiles (property tests stay modest and, in CI, reproducible)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.kube.fake_api import FakeAPI, FakeCluster, write_kubeconfig

# "dev" explores new examples on every run; "ci" (CI=true, as .ci/run sets) is derandomized so a
# red build reproduces exactly. Neither has a per-example deadline: a loaded 2-core runner is slow.
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", max_examples=25, **_COMMON)
settings.register_profile("ci", max_examples=25, derandomize=True, database=None, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCluster]:
    """A FakeCluster served on 127.0.0.1; KUBECONFIG points at it, namespace `shop`."""
    with FakeAPI() as api:
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", api.url)))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.delenv("POD_NAME", raising=False)
        monkeypatch.delenv("POD_NAMESPACE", raising=False)
        yield api.cluster

"""Fixtures every test folder may use: the Kubernetes API stand-in (tests/kube/fake_api.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kube.fake_api import FakeAPI, FakeCluster, write_kubeconfig


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCluster]:
    """A FakeCluster served on 127.0.0.1; KUBECONFIG points at it, namespace `shop`."""
    with FakeAPI() as api:
        monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", api.url)))
        monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
        monkeypatch.delenv("POD_NAME", raising=False)
        monkeypatch.delenv("POD_NAMESPACE", raising=False)
        yield api.cluster

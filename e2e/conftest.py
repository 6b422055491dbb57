"""Fixtures for the kind demo: one cluster per session, created and deleted by pytest-kind.

Skips every cluster test with the reason when Docker, kind, kubectl or pytest-kind is missing.
pytest-kind's own options apply: --cluster-name, --keep-cluster, --kind-image.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e import model_image, pins, preflight, stack
from job.model import JOB_MODEL


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() not in {"", "0", "false", "no"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("rollouts-ai-job e2e").addoption(
        "--airgap",
        action="store_true",
        default=_env_flag("E2E_AIRGAP"),
        help="Air-gapped mode: images preloaded, pull policy Never, egress closed (env E2E_AIRGAP=1).",
    )


@pytest.fixture(scope="session")
def tools() -> preflight.Tools:
    problems, found = preflight.missing()
    try:
        import pytest_kind  # noqa: F401
    except ImportError:
        problems.append("pytest-kind is not installed: pip install -e '.[test]'")
    if problems or found is None:
        pytest.skip("kind demo cannot run here: " + "; ".join(problems))
    return found


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> stack.Settings:
    return stack.Settings(
        airgap=bool(request.config.getoption("--airgap")),
        our_image=os.environ.get("E2E_IMAGE", pins.DEFAULT_OUR_IMAGE),
        model=os.environ.get("E2E_MODEL", JOB_MODEL),
        build_our_image=os.environ.get("E2E_BUILD", "1") != "0",
        models_dir=Path(os.environ.get("E2E_MODELS") or model_image.default_store()),
    )


@pytest.fixture(scope="session")
def cluster(request: pytest.FixtureRequest, tools: preflight.Tools) -> Iterator[Any]:
    """A kind cluster made with this machine's kind and kubectl: pytest-kind's own downloads
    (kind 0.17) are too old to enforce NetworkPolicy."""
    from pytest_kind import KindCluster

    cluster = KindCluster(
        request.config.getoption("cluster_name", default=None) or "rollouts-ai-job-e2e",
        image=request.config.getoption("kind_image", default=None),
        kind_path=Path(tools.kind),
        kubectl_path=Path(tools.kubectl),
    )
    cluster.create()
    stack.say(f"kind cluster {cluster.name} ready; KUBECONFIG={cluster.kubeconfig_path.resolve()}")
    yield cluster
    if request.config.getoption("keep_cluster", default=False) or _env_flag("E2E_KEEP_CLUSTER"):
        stack.say(
            f"keeping cluster {cluster.name} (delete it with: kind delete cluster --name {cluster.name})"
        )
    else:
        cluster.delete()


@pytest.fixture(scope="session")
def demo(cluster: Any, tools: preflight.Tools, settings: stack.Settings) -> stack.Stack:
    the_stack = stack.Stack(
        settings=settings,
        kube=stack.Kube(tools.kubectl, cluster.kubeconfig_path),
        docker=stack.Docker(tools.docker),
        load_image=cluster.load_docker_image,
    )
    try:
        the_stack.setup()
    except Exception:
        path = the_stack.collect_artifacts("setup")
        stack.say(f"setup failed; cluster state saved in {path}")
        raise
    return the_stack

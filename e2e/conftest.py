"""Fixtures for the kind demo: one cluster per session, created and deleted by pytest-kind.

Skips every cluster test with the reason when Docker, kind or kubectl is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e import preflight, stack
from job.model import LLMConfig


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rollouts-ai-job e2e")
    group.addoption(
        "--airgap",
        action="store_true",
        default=os.environ.get("E2E_AIRGAP", "") not in {"", "0", "false"},
        help="Air-gapped mode: images preloaded, pull policy Never, egress closed (env E2E_AIRGAP=1).",
    )
    group.addoption(
        "--e2e-keep-cluster",
        action="store_true",
        default=os.environ.get("E2E_KEEP_CLUSTER", "") not in {"", "0", "false"},
        help="Keep the kind cluster after the run (env E2E_KEEP_CLUSTER=1).",
    )


@pytest.fixture(scope="session")
def tools() -> preflight.Tools:
    problems, found = preflight.missing()
    if problems or found is None:
        pytest.skip("kind demo cannot run here: " + "; ".join(problems))
    return found


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> stack.Settings:
    return stack.Settings(
        airgap=bool(request.config.getoption("--airgap")),
        our_image=os.environ.get("E2E_IMAGE", stack.pins.DEFAULT_OUR_IMAGE),
        model=os.environ.get("E2E_MODEL", LLMConfig().model),
        build_our_image=os.environ.get("E2E_BUILD", "1") != "0",
    )


@pytest.fixture(scope="session")
def kind_cluster(request: pytest.FixtureRequest, tools: preflight.Tools) -> Iterator[object]:
    """A kind cluster made with the machine's own kind and kubectl (not pytest-kind's downloads,
    which are too old to enforce NetworkPolicy)."""
    from pytest_kind import KindCluster

    cluster = KindCluster(
        os.environ.get("E2E_CLUSTER_NAME", "rollouts-ai-job-e2e"),
        image=os.environ.get("E2E_KIND_NODE_IMAGE") or None,
        kind_path=Path(tools.kind),
        kubectl_path=Path(tools.kubectl),
    )
    cluster.create()
    yield cluster
    if not request.config.getoption("--e2e-keep-cluster"):
        cluster.delete()


@pytest.fixture(scope="session")
def demo(kind_cluster: object, tools: preflight.Tools, settings: stack.Settings) -> stack.Stack:
    the_stack = stack.Stack(
        settings=settings,
        kube=stack.Kube(tools.kubectl, kind_cluster.kubeconfig_path),  # type: ignore[attr-defined]
        docker=stack.Docker(tools.docker),
        load_image=kind_cluster.load_docker_image,  # type: ignore[attr-defined]
    )
    try:
        the_stack.setup()
    except Exception:
        path = the_stack.collect_artifacts("setup")
        stack.say(f"setup failed; cluster state saved in {path}")
        raise
    return the_stack

"""The demo: rollouts-demo canaries judged by rollouts-ai-job through both metric providers.

Run with `make e2e` (or `python -m e2e`); skipped when Docker/kind/kubectl are missing.
"""

from __future__ import annotations

import pytest

from e2e import render, scenarios, stack

CONTROL_NAMESPACE = "egress-control"


def test_analysis_namespaces_have_no_route_out(demo: stack.Stack) -> None:
    """Air-gapped mode: from where analysis runs, the internet is unreachable, Ollama is not."""
    if not demo.settings.airgap:
        pytest.skip("only in air-gapped mode (make e2e AIRGAP=1)")
    demo.kube.namespace(CONTROL_NAMESPACE)
    control = demo.probe_egress(CONTROL_NAMESPACE)  # no policy there: what the probe sees without one
    stack.say(f"control, namespace {CONTROL_NAMESPACE} (no policy): internet exit codes {control.internet}")
    for namespace in stack.demo_namespaces():
        result = demo.probe_egress(namespace)
        stack.say(f"{namespace}: internet exit codes {result.internet}, Ollama HTTP {result.ollama_http}")
        assert result.internet_blocked, f"{namespace} reached the internet: {result.internet}"
        assert result.ollama_reachable, (
            f"{namespace} cannot reach the in-cluster Ollama: {result.ollama_http}"
        )


@pytest.mark.parametrize("scenario", scenarios.SCENARIOS, ids=lambda s: s.id)
def test_scenario(request: pytest.FixtureRequest, scenario: scenarios.Scenario) -> None:
    for path in render.provider_files(scenario.provider):
        if not path.exists():
            pytest.skip(f"{path.relative_to(render.ROOT)} is not in this checkout yet")
    demo: stack.Stack = request.getfixturevalue("demo")  # set up only when there is something to run
    try:
        outcome, problems, lines = demo.run_scenario(scenario)
    except Exception:
        path = demo.collect_artifacts(scenario.id)
        stack.say(f"{scenario.id} could not run; cluster state saved in {path}")
        raise
    print(f"\n=== {scenario.id}: {scenario.image} -> {outcome} (expected {scenario.expect})")
    print("\n".join(lines))
    if problems:
        path = demo.collect_artifacts(scenario.id)
        pytest.fail(f"{scenario.id}: " + "; ".join(problems) + f" (cluster state in {path})")


def test_nothing_was_pulled_in_airgap_mode(demo: stack.Stack) -> None:
    """Runs last: every image the scenarios used was loaded ahead of time, none pulled."""
    if not demo.settings.airgap:
        pytest.skip("only in air-gapped mode (make e2e AIRGAP=1)")
    assert demo.pulled_images() == []

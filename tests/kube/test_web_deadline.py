"""The web service bounds the cluster collection by its own analysis deadline, not the Job's env.

A worker held past the deadline by a slow API server would keep a slot of --max-concurrent
busy for up to ROLLOUTS_AI_KUBE_DEADLINE (120 s) after Argo got its 504; the service gives the
collection the share of the deadline the model leaves, so the analysis itself ends in time.
"""

from __future__ import annotations

import json

import pytest

from job.model import AnalysisRequest, ClusterSource, LLMConfig, Verdict
from job.serve import ServiceConfig, collection_deadline, create_app
from tests.kube.fake_api import FakeCluster
from tests.kube.test_collect import NS, rollout_pod

QUERY = "/analyze?namespace=shop&stableHash=s1&canaryHash=c1"


def get(app, target: str):  # type: ignore[no-untyped-def]
    return app.handle("GET", target, {}, None, lambda: b"")


@pytest.mark.parametrize(
    ("deadline", "llm", "expected"),
    [
        (25.0, LLMConfig(timeout_seconds=20.0), 5.0),  # the model's capped share leaves 5 s
        (25.0, LLMConfig(timeout_seconds=5.0), 20.0),  # a quick model: collection keeps its 80 %
        (25.0, LLMConfig(enabled=False), 20.0),
        (10.0, LLMConfig(timeout_seconds=8.0), 2.0),
    ],
)
def test_collection_gets_what_the_model_leaves(deadline: float, llm: LLMConfig, expected: float) -> None:
    assert collection_deadline(deadline, llm) == expected


def test_every_cluster_request_carries_the_collection_deadline() -> None:
    seen: list[AnalysisRequest] = []

    def analyze(request: AnalysisRequest) -> Verdict:
        seen.append(request)
        return Verdict(verdict="pass", score=1.0, confidence=1.0, summary="ok")

    config = ServiceConfig(llm=LLMConfig(timeout_seconds=60.0), analysis_deadline=25.0)
    app = create_app(config, analyze, ready=lambda llm: None)
    assert app.llm.timeout_seconds == 20.0
    assert get(app, QUERY).status == 200
    [request] = seen
    assert isinstance(request.source, ClusterSource)
    assert request.source.deadline_seconds == 5.0
    assert request.llm.timeout_seconds + request.source.deadline_seconds <= config.analysis_deadline


def test_a_slow_log_stream_ends_the_web_analysis_within_its_deadline(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLOUTS_AI_KUBE_DEADLINE", "120")  # what the Job template sets; not for the web
    cluster.add_pod(rollout_pod("s-a", "s1"))
    cluster.add_pod(rollout_pod("c-a", "c1"))
    cluster.add_logs(NS, "s-a", "app", [f"stable line {i:03d}" for i in range(5)])
    cluster.add_logs(NS, "c-a", "app", [f"canary line {i:03d}" for i in range(400)])  # ~20 s at this drip
    cluster.drip_seconds = 0.05
    deadline = 5.0
    app = create_app(ServiceConfig(llm=LLMConfig(enabled=False), analysis_deadline=deadline))

    response = get(app, QUERY)

    body = json.loads(response.body)
    # The analysis' own end (502, a measurement Error), not a 504 while it goes on in the background.
    assert response.status == 502, body
    assert "before the deadline" in body["error"] and "verdict" not in body
    assert f"({collection_deadline(deadline, app.llm):g} s given by the caller)" in body["error"]
    assert app._flights.running == 0

"""Publishing the verdict: termination message and the Event on the AnalysisRun."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from job import publish as publish_module
from job.model import Finding, Verdict
from job.publish import Outcome, post_event, publish, write_termination_message
from job.report import termination_message
from tests.kube.fake_api import FakeCluster, make_pod

NS = "shop"
RUN_UID = "0b6f3c1e-run"


def failing_verdict(**kw: object) -> Verdict:
    findings = [
        Finding("new_error_template", "major", "canary", "new error: connection refused to db", 41),
        Finding("crash", "critical", "canary", "canary container crashed: panic: nil map", 3),
        Finding("level_rate", "info", "both", "info lines steady", 0),
    ]
    defaults: dict = {
        "verdict": "fail",
        "score": 0.1,
        "confidence": 0.9,
        "summary": "The canary crashes on start and logs new database errors.",
        "findings": findings,
    }
    defaults.update(kw)
    return Verdict(**defaults)


def analysis_job_pod(cluster: FakeCluster, *, annotated: bool = True) -> None:
    cluster.add_pod(make_pod("judge-x7k", NS, owner_job="run-uid.ai-verdict.1"))
    annotations = (
        {
            "analysisrun.argoproj.io/name": "shop-7d9c-2-1",
            "analysisrun.argoproj.io/namespace": NS,
            "analysisrun.argoproj.io/metric-name": "ai-verdict",
        }
        if annotated
        else {}
    )
    cluster.jobs[(NS, "run-uid.ai-verdict.1")] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "run-uid.ai-verdict.1",
            "namespace": NS,
            "uid": "uid-job",
            "annotations": annotations,
            "labels": {"analysisrun.argoproj.io/uid": RUN_UID},
        },
        "spec": {"template": {"spec": {"containers": []}}},
    }


def test_a_verdict_is_published_as_the_report_renders_it() -> None:
    verdict = failing_verdict()
    outcome = Outcome.from_verdict(verdict, 1)
    assert (outcome.verdict, outcome.exit_code) == ("fail", 1)
    assert outcome.text == termination_message(verdict)
    assert outcome.text.startswith("FAIL score=0.10 confidence=0.90\nThe canary crashes on start")


def test_error_outcome_names_the_cause_and_fits_the_kubelet_limit() -> None:
    outcome = Outcome.from_error("could not analyse: permission denied", 4)
    assert outcome.text == "ERROR exit=4\ncould not analyse: permission denied"
    data = Outcome.from_error("é" * 5000, 4).text.encode()
    assert len(data) <= 4096 and data.decode().endswith(" ...")


def test_termination_log_is_written_to_a_given_path(tmp_path: Path) -> None:
    target = tmp_path / "termination-log"
    assert write_termination_message(Outcome.from_verdict(failing_verdict(), 1), str(target))
    assert target.read_text().startswith("FAIL score=0.10")


def test_default_termination_log_is_skipped_outside_a_pod(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        publish_module, "DEFAULT_TERMINATION_LOG", str(tmp_path / "absent" / "termination-log")
    )
    assert not write_termination_message(Outcome.from_error("x", 4), None)
    assert not (tmp_path / "absent").exists()


def test_unwritable_termination_log_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="job.publish")
    assert not write_termination_message(Outcome.from_error("x", 4), str(tmp_path / "no-dir" / "log"))
    assert "could not write the termination message" in caplog.text


def test_event_lands_on_the_analysisrun_of_the_job(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysis_job_pod(cluster)
    monkeypatch.setenv("POD_NAME", "judge-x7k")
    monkeypatch.setenv("POD_NAMESPACE", NS)

    post_event(Outcome.from_verdict(failing_verdict(), 1))

    [event] = cluster.events
    assert event["involvedObject"] == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "name": "shop-7d9c-2-1",
        "namespace": NS,
        "uid": RUN_UID,
    }
    assert (event["reason"], event["type"]) == ("CanaryFailed", "Warning")
    assert event["message"].startswith("FAIL score=0.10 confidence=0.90\nThe canary crashes")
    assert event["metadata"]["generateName"] == "shop-7d9c-2-1."
    assert event["source"] == {"component": "rollouts-ai-job"} and event["reportingInstance"] == "judge-x7k"
    assert event["firstTimestamp"] and event["count"] == 1


def test_event_falls_back_to_the_job_when_argo_did_not_create_it(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysis_job_pod(cluster, annotated=False)
    monkeypatch.setenv("POD_NAME", "judge-x7k")
    monkeypatch.setenv("POD_NAMESPACE", NS)
    post_event(Outcome.from_verdict(failing_verdict(verdict="pass", score=0.95), 0))
    [event] = cluster.events
    assert event["involvedObject"]["kind"] == "Job" and event["involvedObject"]["uid"] == "uid-job"
    assert (event["reason"], event["type"]) == ("CanaryPassed", "Normal")


def test_no_event_outside_a_pod(cluster: FakeCluster) -> None:
    assert post_event(Outcome.from_error("x", 4)) is None
    assert cluster.requests == []


def test_publish_never_raises_when_the_event_is_refused(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="job.publish")
    analysis_job_pod(cluster)
    cluster.forbidden.add(("create", "events", NS))
    monkeypatch.setenv("POD_NAME", "judge-x7k")
    monkeypatch.setenv("POD_NAMESPACE", NS)

    publish(Outcome.from_verdict(failing_verdict(), 1), termination_log=str(tmp_path / "t"), event=True)

    assert cluster.events == []
    assert (tmp_path / "t").read_text().startswith("FAIL score=0.10")
    assert "may not create events in namespace 'shop'" in caplog.text
    assert 'verbs: ["create"]' in caplog.text


def test_no_event_flag_makes_no_request(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POD_NAME", "judge-x7k")
    publish(Outcome.from_error("x", 4), termination_log=str(tmp_path / "t"), event=False)
    assert cluster.requests == []


def test_publishing_outside_a_pod_does_not_load_the_kubernetes_client(tmp_path: Path) -> None:
    """File mode pays no import cost for the Event it will not send."""
    import subprocess
    import sys

    from tests.schemas import PROJECT_ROOT

    code = (
        "import sys; from job.publish import Outcome, publish; "
        f"publish(Outcome.from_error('x', 4), termination_log={str(tmp_path / 't')!r}); "
        "print('kubernetes' in sys.modules)"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert (tmp_path / "t").read_text() == "ERROR exit=4\nx"

"""Reports kept in the cluster: one ConfigMap per analysis, bounded, owned by its AnalysisRun."""

from __future__ import annotations

import base64
import gzip
import json
import random
from pathlib import Path

import pytest

from job.errors import AnalysisError
from job.render import store
from job.render.store import LABEL_ANALYSISRUN, LABEL_REPORT, PREFIX, Owner, ReportStore
from tests.kube.fake_api import FakeCluster
from tests.kube.test_publish import NS, RUN_UID, analysis_job_pod

PAGE = "<!doctype html><html><body><p>FAIL</p>" + "x" * 50_000 + "</body></html>"


def test_a_report_is_stored_compressed_labelled_and_read_back(cluster: FakeCluster) -> None:
    reports = ReportStore()
    report_id = reports.save(PAGE, "fail", Owner("shop-7d9c-2-1", RUN_UID))
    [(key, config_map)] = cluster.configmaps.items()
    assert key == (NS, PREFIX + report_id)
    labels = config_map["metadata"]["labels"]
    assert labels[LABEL_REPORT] == "true" and labels[LABEL_ANALYSISRUN] == "shop-7d9c-2-1"
    [owner] = config_map["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("AnalysisRun", "shop-7d9c-2-1", RUN_UID)
    stored = base64.b64decode(config_map["binaryData"]["report.html.gz"])
    assert len(stored) < len(PAGE) / 20 and gzip.decompress(stored).decode() == PAGE
    assert reports.load(report_id) == PAGE
    assert reports.find("shop-7d9c-2-1") == PAGE


def test_missing_expired_and_malformed_ids_read_as_none(cluster: FakeCluster) -> None:
    reports = ReportStore()
    assert reports.load("0123456789abcdef") is None
    seen = len(cluster.requests)
    assert reports.load("../../etc/passwd") is None and reports.load("A" * 100) is None
    assert len(cluster.requests) == seen, "an id that cannot be ours is not even asked for"
    report_id = reports.save(PAGE, "pass")
    cluster.configmaps[(NS, PREFIX + report_id)]["metadata"]["annotations"][store.ANNOTATION_EXPIRES] = (
        "2020-01-01T00:00:00Z"
    )
    assert reports.load(report_id) is None
    assert reports.find("no-such-run") is None


def test_the_store_is_bounded_in_count_and_age(cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "MAX_REPORTS", 3)
    reports = ReportStore()
    ids = [reports.save(PAGE, "pass") for _ in range(5)]
    kept = {name for (_, name) in cluster.configmaps}
    assert kept == {PREFIX + i for i in ids[-3:]}, "the newest three"
    cluster.configmaps[(NS, PREFIX + ids[-1])]["metadata"]["annotations"][store.ANNOTATION_EXPIRES] = (
        "2020-01-01T00:00:00Z"
    )
    reports.save(PAGE, "pass")
    assert PREFIX + ids[-1] not in {name for (_, name) in cluster.configmaps}


def test_a_report_too_large_for_a_configmap_is_refused_with_the_reason(cluster: FakeCluster) -> None:
    noise = base64.b64encode(random.Random(1).randbytes(1_200_000)).decode()  # incompressible
    with pytest.raises(AnalysisError, match=r"more than the \d+ a ConfigMap may hold"):
        ReportStore().save(noise, "fail")
    assert cluster.configmaps == {}


def test_a_missing_permission_names_the_rule_to_add(cluster: FakeCluster) -> None:
    cluster.forbidden.add(("create", "configmaps", NS))
    with pytest.raises(AnalysisError, match=r'resources: \["configmaps"\], verbs: \["create"\]'):
        ReportStore().save(PAGE, "fail")


def test_the_job_keeps_its_report_on_the_analysisrun_and_says_how_to_open_it(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from job import cli
    from tests.render.cases import CORPUS

    analysis_job_pod(cluster)
    monkeypatch.setenv("POD_NAME", "judge-x7k")
    monkeypatch.setenv("POD_NAMESPACE", NS)
    monkeypatch.setenv("ROLLOUTS_AI_PUBLIC_URL", "http://rollouts-ai-job.shop.svc:8080")
    root = CORPUS / "rd-bad-5xx"
    args = ["analyze", "--no-llm", "--termination-log", str(tmp_path / "termination")]
    for side in ("stable", "canary"):
        args += [arg for p in sorted((root / side).glob("*.log")) for arg in (f"--{side}-logs", str(p))]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 1, result.output
    [config_map] = cluster.configmaps.values()
    assert config_map["metadata"]["ownerReferences"][0]["uid"] == RUN_UID
    report_id = config_map["metadata"]["name"].removeprefix(PREFIX)
    assert (
        json.loads(result.stdout)["reportUrl"] == f"http://rollouts-ai-job.shop.svc:8080/reports/{report_id}"
    )
    message = (tmp_path / "termination").read_text().splitlines()
    assert message[0].startswith("FAIL") and message[2].startswith(
        f"report: rollouts-ai-job report --analysisrun shop-7d9c-2-1 -n {NS} -o report.html"
    )
    [event] = cluster.events
    assert "rollouts-ai-job report --analysisrun shop-7d9c-2-1" in event["message"]


def test_the_report_command_renders_a_finished_analysisruns_report(
    cluster: FakeCluster, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from job import cli

    ReportStore().save(PAGE, "fail", Owner("shop-7d9c-2-1", RUN_UID))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(
        cli.main, ["report", "--analysisrun", "shop-7d9c-2-1", "-n", NS, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text() == PAGE and str(out) in result.stderr

    to_stdout = CliRunner().invoke(cli.main, ["report", "--analysisrun", "shop-7d9c-2-1", "-n", NS])
    assert to_stdout.exit_code == 0 and to_stdout.stdout == PAGE

    missing = CliRunner().invoke(cli.main, ["report", "--analysisrun", "other-run", "-n", NS, "-o", str(out)])
    assert missing.exit_code == 4
    assert "no report of AnalysisRun 'other-run' in namespace 'shop'" in missing.stderr
    assert "Traceback" not in missing.stderr

    neither = CliRunner().invoke(cli.main, ["report", "-n", NS])
    assert neither.exit_code == 2 and "--analysisrun or --id" in neither.stderr

"""Issue 17 case 1: cluster mode judges the newest part of the window, and every byte, line or
stream it could not judge is a structured loss (DataLoss), a note, and never a confident pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from job.model import AnalysisRequest, ClusterSource, LLMConfig, Verdict
from job.pipeline import analyze
from tests.kube.fake_api import FakeCluster, make_pod, write_kubeconfig
from tests.kube.test_cli_cluster import run_cli

NS = "shop"
MiB = 1024 * 1024


def access(i: int, status: int = 200) -> str:
    return (
        f"10.0.{i % 7}.{i % 251} - - [27/Nov/2026:12:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
        f'"GET /api/cart/{i % 17} HTTP/1.1" {status} {500 + i % 300} rt=0.0{i % 9 + 1}'
    )


def rollout(cluster: FakeCluster, stable: list[str], canary: list[str]) -> None:
    for name, hash_, lines in (("shop-aaa-1", "aaa", stable), ("shop-bbb-1", "bbb", canary)):
        labels = {"app": "shop", "rollouts-pod-template-hash": hash_}
        cluster.add_pod(make_pod(name, labels=labels, started_seconds_ago=600))
        cluster.add_logs(NS, name, "app", lines, every_seconds=590 / len(lines))


def turns_bad(healthy: int = 90_000) -> list[str]:
    """A canary healthy for most of the window, then HTTP 500 on everything and a panic."""
    lines = [access(i) for i in range(healthy)]
    lines += [access(i, 500) for i in range(5_000)]
    lines += [
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "goroutine 1 [running]:",
    ]
    return lines


def judge(**source: object) -> Verdict:
    request = AnalysisRequest(
        ClusterSource(namespace=NS, stable_hash="aaa", canary_hash="bbb", **source),  # type: ignore[arg-type]
        LLMConfig(enabled=False),
    )
    return analyze(request)


def test_the_issue_case_a_canary_that_turns_bad_after_8_mb_fails(
    cluster: FakeCluster, tmp_path: Path
) -> None:
    canary = turns_bad()
    assert sum(len(line) + 1 for line in canary) > 8 * MiB - MiB  # ~8 MB of healthy lines first
    rollout(cluster, [access(i) for i in range(20_000)], canary)
    result = run_cli(
        write_kubeconfig(tmp_path / "kubeconfig", cluster.url),
        "-n", NS, "--stable-hash", "aaa", "--canary-hash", "bbb", timeout=180,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["verdict"] == "fail"
    assert document["evidence"]["canary"]["http_status"]["500"] == 5_000
    assert document["evidence"]["canary"]["loss"]["bytes"] == 0  # the default budget holds the whole window


def test_over_the_budget_the_newest_bytes_are_judged_and_the_cut_is_noted(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLOUTS_AI_LOG_LIMIT_BYTES", str(1 * MiB))
    rollout(cluster, [access(i) for i in range(5_000)], turns_bad(40_000))
    verdict = judge()
    assert verdict.verdict == "fail"  # the 500s and the panic are the newest bytes: kept
    canary = verdict.evidence.canary  # type: ignore[union-attr]
    assert canary.http_status["500"] == 5_000
    assert canary.loss.bytes > 2 * MiB and canary.loss.lines > 20_000 and canary.loss.share > 0.5
    assert any("shop-bbb-1/app" in note and "not judged" in note for note in verdict.notes)
    assert verdict.notes == verdict.evidence.notes  # type: ignore[union-attr]


def test_a_healthy_canary_that_lost_most_of_its_window_is_not_a_pass(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLOUTS_AI_LOG_LIMIT_BYTES", str(MiB // 2))
    rollout(cluster, [access(i) for i in range(3_000)], [access(i) for i in range(30_000)])
    verdict = judge()
    assert verdict.verdict == "inconclusive" and verdict.score == 0.5
    assert "canary lost" in verdict.summary and verdict.evidence.canary.loss.share > 0.2  # type: ignore[union-attr]


def test_a_small_loss_lowers_a_pass_and_says_so(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [access(i) for i in range(12_000)]
    rollout(cluster, lines[:6_000], lines)
    whole = judge()
    size = sum(len(line) + 1 + 31 for line in lines)  # 31: the runtime's timestamp per line
    monkeypatch.setenv("ROLLOUTS_AI_LOG_LIMIT_BYTES", str(int(size * 0.9)))
    cut = judge()
    assert whole.verdict == cut.verdict == "pass"
    loss = cut.evidence.canary.loss  # type: ignore[union-attr]
    assert 0.05 < loss.share <= 0.2
    assert cut.confidence <= min(whole.confidence * (1 - loss.share), 0.8) + 1e-3
    assert "Confidence lowered" in cut.summary


def test_a_pod_deleted_while_it_is_read_is_a_lost_stream(cluster: FakeCluster) -> None:
    rollout(cluster, [access(i) for i in range(2_000)], [access(i) for i in range(2_000)])
    labels = {"app": "shop", "rollouts-pod-template-hash": "bbb"}
    cluster.add_pod(make_pod("shop-bbb-2", labels=labels, started_seconds_ago=600, node="node-b"))
    cluster.delete_after_list.add("shop-bbb-2")
    verdict = judge()
    canary = verdict.evidence.canary  # type: ignore[union-attr]
    assert canary.loss.streams == 1 and canary.loss.share == 0.5
    assert verdict.verdict == "inconclusive"
    assert any("shop-bbb-2 was deleted" in note for note in verdict.notes)


def test_pods_left_out_by_the_sample_are_counted(cluster: FakeCluster) -> None:
    for n in range(3):
        for hash_ in ("aaa", "bbb"):
            name = f"shop-{hash_}-{n}"
            labels = {"app": "shop", "rollouts-pod-template-hash": hash_}
            cluster.add_pod(make_pod(name, labels=labels, started_seconds_ago=600, node=f"node-{n}"))
            cluster.add_logs(NS, name, "app", [access(i) for i in range(400)])
    verdict = judge(max_pods=2)
    assert verdict.evidence.canary.loss.pods_skipped == 1  # type: ignore[union-attr]
    assert verdict.evidence.canary.loss.share == 0.0  # a fair sample is not a loss of data
    assert any("logs read from 2 of 3 pods" in note for note in verdict.notes)


def test_the_text_report_shows_the_loss(cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    from job.report import render

    monkeypatch.setenv("ROLLOUTS_AI_LOG_LIMIT_BYTES", str(MiB // 2))
    rollout(cluster, [access(i) for i in range(3_000)], [access(i) for i in range(30_000)])
    text = render(judge(), "text")
    assert "data lost (see notes)" in text and "Notes:" in text and "were not judged" in text

"""The cluster collector against the API stand-in, through the real `kubernetes` client."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from job.collect import collect
from job.collect.kubernetes import fair_sample
from job.errors import AnalysisError, InputError
from job.model import ClusterSource, Snapshot
from tests.kube.fake_api import FakeCluster, ago, make_pod, write_kubeconfig

NS = "shop"


def rollout_pod(name: str, hash_: str, **kw: object) -> dict:
    return make_pod(name, labels={"app": "shop", "rollouts-pod-template-hash": hash_}, **kw)  # type: ignore[arg-type]


_RUNTIME_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z ")


def texts(raw: bytes) -> list[str]:
    """The lines of a log read with timestamps, each checked for and stripped of its runtime stamp."""
    lines = raw.decode().splitlines()
    assert all(_RUNTIME_STAMP.match(line) for line in lines), lines[:3]
    return [_RUNTIME_STAMP.sub("", line) for line in lines]


def raw(snapshot_side) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    return {s.name: b"".join(s.open()) for s in snapshot_side.streams}


def read(snapshot_side) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """Each stream's bytes without the runtime stamps the collector asks for (checked in one test)."""
    return {s.name: _STAMPS.sub(b"", b"".join(s.open())) for s in snapshot_side.streams}


_STAMPS = re.compile(rb"(?m)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z ")


def by_hash(**kw: object) -> ClusterSource:
    return ClusterSource(stable_hash="s1", canary_hash="c1", **kw)  # type: ignore[arg-type]


def test_reads_both_sides_over_the_canary_window(cluster: FakeCluster) -> None:
    cluster.add_pod(
        rollout_pod("shop-s1-a", "s1", started_seconds_ago=86400, containers=["app", "istio-proxy"])
    )
    cluster.add_pod(
        rollout_pod("shop-c1-a", "c1", started_seconds_ago=300, containers=["app", "istio-proxy"])
    )
    cluster.add_pod(make_pod("other-a", labels={"app": "other", "rollouts-pod-template-hash": "c1"}))
    # stable logged for a day, one line a minute; only the last ~5 minutes count
    cluster.add_logs(NS, "shop-s1-a", "app", [f"stable {i}" for i in range(1440)], every_seconds=60)
    cluster.add_logs(NS, "shop-c1-a", "app", [f"canary {i}" for i in range(5)], every_seconds=60)
    cluster.add_logs(NS, "shop-c1-a", "istio-proxy", ["[envoy] GET / 200"])

    snapshot = collect(by_hash(selector="app=shop"))

    assert snapshot.source == "kubernetes"
    assert snapshot.stable.pods == ["shop-s1-a"] and snapshot.canary.pods == ["shop-c1-a"]
    stable, canary = raw(snapshot.stable), raw(snapshot.canary)
    proxy = "shop-c1-a/istio-proxy (requests)"
    assert list(canary) == ["shop-c1-a/app", proxy], "other sidecars are not read"
    assert [s.requests_only for s in snapshot.canary.streams] == [False, True], "only the proxy's requests"
    assert texts(canary["shop-c1-a/app"]) == [f"canary {i}" for i in range(5)]
    stable_lines = texts(stable["shop-s1-a/app"])
    assert stable_lines == [f"stable {i}" for i in range(1434, 1440)]  # ages 300..0 s
    log_queries = cluster.requested("/log")
    assert {q["sinceSeconds"][0] for q in log_queries} == {str(int(snapshot.canary.window_seconds or 0))}
    # since the canary started (300 s ago, plus however long this slow machine took), not the stable's age
    assert 300 <= (snapshot.canary.window_seconds or 0) <= 330
    assert snapshot.stable.window_seconds == snapshot.canary.window_seconds
    assert not any("limitBytes" in q for q in log_queries), "limitBytes would keep the oldest bytes"
    assert all(q["timestamps"] == ["true"] for q in log_queries), "runtime times asked for"
    assert snapshot.canary.window_end is not None and abs(snapshot.canary.window_end - time.time()) < 60
    pod_queries = [q["labelSelector"][0] for q in cluster.requested("/pods") if "labelSelector" in q]
    assert pod_queries == ["rollouts-pod-template-hash=s1,app=shop", "rollouts-pod-template-hash=c1,app=shop"]


def test_since_bounds_the_window_and_each_stream_keeps_its_newest_bytes(
    cluster: FakeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    # lines of 40 bytes (a 31-byte runtime stamp, "line 087\n"): 113 bytes hold the newest two whole lines
    monkeypatch.setenv("ROLLOUTS_AI_LOG_LIMIT_BYTES", "113")
    cluster.add_pod(rollout_pod("s-a", "s1", started_seconds_ago=3600))
    cluster.add_pod(rollout_pod("c-a", "c1", started_seconds_ago=3600))
    cluster.add_logs(NS, "c-a", "app", [f"line {i:03d}" for i in range(100)], every_seconds=10)

    snapshot = collect(by_hash(since_seconds=120))

    assert snapshot.canary.window_seconds == 120
    assert read(snapshot.canary)["c-a/app"] == b"line 098\nline 099\n"  # of ages 120 s (line 087) and newer
    loss = snapshot.canary.loss
    assert (loss.bytes, loss.lines, loss.streams) == (11 * 40, 11, 0)
    assert any("c-a/app" in note and "were not judged" in note for note in snapshot.notes)


def test_crashed_container_is_read_from_its_previous_instance(cluster: FakeCluster) -> None:
    crash = {"reason": "Error", "exitCode": 2, "finishedAt": ago(30)}
    cluster.add_pod(rollout_pod("s-a", "s1"))
    cluster.add_pod(
        rollout_pod(
            "c-a",
            "c1",
            started_seconds_ago=200,
            restarts={"app": 3},
            last_terminated={"app": crash},
            waiting={"app": "CrashLoopBackOff"},
        )
    )
    cluster.add_logs(NS, "c-a", "app", ["starting", "panic: nil map"], previous=True)

    snapshot = collect(by_hash())

    assert read(snapshot.canary) == {"c-a/app (previous)": b"starting\npanic: nil map\n"}
    kinds = {s.kind: s for s in snapshot.canary.signals}
    assert kinds["restart"].count == 3 and "code 2" in kinds["restart"].message
    assert abs((kinds["restart"].at or 0) - (time.time() - 30)) < 5, "when the container last exited"
    assert "crashloopbackoff" in kinds and "not_ready" in kinds and kinds["not_ready"].at is None
    assert snapshot.stable.signals == []


def test_pod_signals_cover_oom_image_pull_readiness_and_warning_events(cluster: FakeCluster) -> None:
    old_restart = {"reason": "Error", "exitCode": 1, "finishedAt": ago(7200)}
    cluster.add_pod(
        rollout_pod(
            "s-a", "s1", started_seconds_ago=9000, restarts={"app": 1}, last_terminated={"app": old_restart}
        )
    )
    oom = {"reason": "OOMKilled", "exitCode": 137, "finishedAt": ago(10)}
    cluster.add_pod(
        rollout_pod("c-oom", "c1", started_seconds_ago=120, restarts={"app": 1}, last_terminated={"app": oom})
    )
    cluster.add_pod(
        rollout_pod("c-pull", "c1", started_seconds_ago=100, waiting={"app": "ImagePullBackOff"}, ready=False)
    )
    for name, reason, when in [
        ("c-oom", "Unhealthy", ago(5)),
        ("c-oom", "Unhealthy", ago(3)),
        ("s-a", "Unhealthy", ago(8000)),
    ]:
        cluster.events.append(
            {
                "metadata": {"name": f"{name}.{len(cluster.events)}", "namespace": NS},
                "involvedObject": {"kind": "Pod", "name": name, "namespace": NS},
                "type": "Warning",
                "reason": reason,
                "message": "Readiness probe failed",
                "count": 2,
                "lastTimestamp": when,
            }
        )

    snapshot = collect(by_hash())

    canary = {(s.pod, s.kind): s for s in snapshot.canary.signals}
    assert ("c-oom", "oomkilled") in canary and ("c-oom", "restart") in canary
    assert canary[("c-oom", "warning_event")].count == 4
    assert ("c-pull", "imagepullbackoff") in canary and ("c-pull", "not_ready") in canary
    assert snapshot.stable.signals == [], "a restart and an event from before the canary started do not count"
    assert any("c-pull/app has not started" in n for n in snapshot.notes)
    assert "c-pull/app" not in read(snapshot.canary)


def test_no_canary_pods_gives_an_empty_side_and_a_note(cluster: FakeCluster) -> None:
    cluster.add_pod(rollout_pod("s-a", "s1"))
    cluster.add_logs(NS, "s-a", "app", ["ok"])

    snapshot = collect(by_hash())

    assert snapshot.canary.pods == [] and snapshot.canary.streams == []
    assert snapshot.stable.pods == ["s-a"]
    assert any(
        "no canary pods match 'rollouts-pod-template-hash=c1'" in n and "'shop'" in n for n in snapshot.notes
    )


def test_no_stable_pods_is_named_in_a_note(cluster: FakeCluster) -> None:
    cluster.add_pod(rollout_pod("c-a", "c1"))
    snapshot = collect(by_hash())
    assert snapshot.stable.pods == []
    assert any(n.startswith("no stable pods match 'rollouts-pod-template-hash=s1'") for n in snapshot.notes)


def test_selectors_matching_the_same_pods_are_refused(cluster: FakeCluster) -> None:
    cluster.add_pod(rollout_pod("both", "s1"))
    with pytest.raises(InputError, match="both match both"):
        collect(ClusterSource(stable_selector="app=shop", canary_selector="app in (shop, cart)"))


def test_set_based_and_negated_selectors_reach_the_api(cluster: FakeCluster) -> None:
    cluster.add_pod(make_pod("web-1", labels={"app": "shop", "track": "stable"}))
    cluster.add_pod(make_pod("web-2", labels={"app": "shop", "track": "canary"}))
    cluster.add_pod(make_pod("web-3", labels={"app": "shop"}))
    snapshot = collect(
        ClusterSource(
            stable_selector="app=shop,track notin (canary),track", canary_selector="app,track=canary"
        )
    )
    assert (snapshot.stable.pods, snapshot.canary.pods) == (["web-1"], ["web-2"])


def test_a_malformed_selector_is_a_usage_error(cluster: FakeCluster) -> None:
    with pytest.raises(InputError, match="refused the label selector"):
        collect(ClusterSource(stable_selector="app=(", canary_selector="app=y"))


def test_container_flag_reads_only_that_container(cluster: FakeCluster) -> None:
    cluster.add_pod(rollout_pod("s-a", "s1", containers=["app", "istio-proxy"]))
    cluster.add_pod(rollout_pod("c-a", "c1", containers=["app", "istio-proxy"]))
    cluster.add_logs(NS, "c-a", "istio-proxy", ["upstream connect error"])
    snapshot = collect(by_hash(container="istio-proxy"))
    assert read(snapshot.canary) == {"c-a/istio-proxy": b"upstream connect error\n"}


def test_pod_deleted_while_read_is_skipped_with_a_note(cluster: FakeCluster) -> None:
    cluster.add_pod(rollout_pod("s-a", "s1"))
    cluster.add_pod(rollout_pod("c-a", "c1"))
    cluster.add_pod(rollout_pod("c-b", "c1"))
    cluster.add_logs(NS, "c-a", "app", ["fine"])
    cluster.delete_after_list.add("c-b")

    snapshot = collect(by_hash())

    assert read(snapshot.canary) == {"c-a/app": b"fine\n", "c-b/app": b""}
    assert any("c-b was deleted while it was read" in n for n in snapshot.notes)


def test_container_that_stops_being_started_before_its_logs_are_read_is_a_note(cluster: FakeCluster) -> None:
    cluster.add_pod(rollout_pod("s-a", "s1"))
    pod = rollout_pod("c-a", "c1")
    cluster.add_pod(pod)
    snapshot = collect(by_hash())
    pod["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}

    assert read(snapshot.canary) == {"c-a/app": b""}
    assert any("waiting to start: ContainerCreating" in n for n in snapshot.notes)


def test_forbidden_names_the_permission_and_the_rule_to_add(cluster: FakeCluster) -> None:
    cluster.forbidden.add(("get", "pods/log", NS))
    cluster.add_pod(rollout_pod("s-a", "s1"))
    cluster.add_pod(rollout_pod("c-a", "c1"))
    snapshot = collect(by_hash())
    with pytest.raises(AnalysisError) as caught:
        read(snapshot.canary)
    message = str(caught.value)
    assert "may not get pods/log in namespace 'shop'" in message
    assert 'resources: ["pods/log"], verbs: ["get"]' in message
    assert 'User "system:serviceaccount:shop:rollouts-ai-job"' in message


def test_forbidden_list_events(cluster: FakeCluster) -> None:
    cluster.forbidden.add(("list", "events", NS))
    cluster.add_pod(rollout_pod("c-a", "c1"))
    with pytest.raises(AnalysisError, match=r'may not list events .*verbs: \["list"\]'):
        collect(by_hash())


def test_namespace_comes_from_the_kubeconfig_context_unless_given(
    cluster: FakeCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.add_pod(make_pod("s-a", "payments", labels={"rollouts-pod-template-hash": "s1"}))
    assert collect(by_hash()).stable.pods == []
    assert collect(by_hash(namespace="payments")).stable.pods == ["s-a"]
    monkeypatch.setenv(
        "KUBECONFIG", str(write_kubeconfig(tmp_path / "kc", cluster.url, namespace="payments"))
    )
    assert collect(by_hash()).stable.pods == ["s-a"]


def test_api_that_is_down_fails_fast(
    closed_port: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kc", closed_port)))
    with pytest.raises(AnalysisError, match=r"cannot reach the Kubernetes API at http://127\.0\.0\.1"):
        collect(by_hash())


def test_api_that_hangs_gives_up_at_the_request_timeout(
    silent_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kc", silent_server)))
    monkeypatch.setenv("ROLLOUTS_AI_KUBE_TIMEOUT", "0.5")
    started = time.monotonic()
    with pytest.raises(AnalysisError, match=r"cannot reach the Kubernetes API.*ReadTimeout"):
        collect(by_hash())
    print(f"gave up after {time.monotonic() - started:.2f}s")


def test_missing_kubeconfig_says_how_to_configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "nope"))
    with pytest.raises(AnalysisError, match=r"no usable Kubernetes configuration.*KUBECONFIG"):
        collect(by_hash())


# ---------------------------------------------------------------- sampling


def test_fair_sample_spreads_over_nodes_and_ages(cluster: FakeCluster) -> None:
    for i in range(25):
        node = ["node-a", "node-a", "node-a", "node-b", "node-c"][i % 5]  # node-a holds 15 pods
        cluster.add_pod(rollout_pod(f"c-{i:02d}", "c1", node=node, started_seconds_ago=1000 - i * 10))
    cluster.add_pod(rollout_pod("s-a", "s1"))

    snapshot: Snapshot = collect(by_hash(max_pods=10))
    pods = {(cluster.pods[(NS, p)]["spec"]["nodeName"], p) for p in snapshot.canary.pods}

    assert len(pods) == 10
    per_node = {n: sum(1 for node, _ in pods if node == n) for n in ("node-a", "node-b", "node-c")}
    assert per_node == {"node-a": 4, "node-b": 3, "node-c": 3}
    node_a = sorted(p for n, p in pods if n == "node-a")
    assert node_a[0] == "c-00" and node_a[-1] == "c-22", "the oldest and the youngest pod of a node are read"
    assert collect(by_hash(max_pods=10)).canary.pods == snapshot.canary.pods
    assert any("logs read from 10 of 25 pods" in n for n in snapshot.notes)
    assert {s.pod for s in snapshot.canary.signals} <= {f"c-{i:02d}" for i in range(25)}


def test_fair_sample_keeps_everything_under_the_cap() -> None:
    assert fair_sample([], 3) == []


def test_the_deadline_bounds_the_whole_collection(
    silent_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kc", silent_server)))
    monkeypatch.setenv("ROLLOUTS_AI_KUBE_TIMEOUT", "60")
    monkeypatch.setenv("ROLLOUTS_AI_KUBE_DEADLINE", "1")
    with pytest.raises(AnalysisError, match="cannot reach the Kubernetes API"):
        collect(by_hash())


@pytest.mark.parametrize(
    ("env_deadline", "source_deadline", "origin"),
    [("1", None, "ROLLOUTS_AI_KUBE_DEADLINE, 1 s"), ("120", 1.0, "1 s given by the caller")],
    ids=["env", "source-overrides-env"],
)
def test_a_server_dripping_log_bytes_is_cut_at_the_deadline(
    cluster: FakeCluster,
    monkeypatch: pytest.MonkeyPatch,
    env_deadline: str,
    source_deadline: float | None,
    origin: str,
) -> None:
    cluster.add_pod(rollout_pod("s-a", "s1"))
    cluster.add_pod(rollout_pod("c-a", "c1"))
    cluster.add_logs(NS, "c-a", "app", [f"line {i:03d}" for i in range(40)])  # 360 bytes, 4 per 50 ms
    cluster.drip_seconds = 0.05
    monkeypatch.setenv("ROLLOUTS_AI_KUBE_DEADLINE", env_deadline)
    snapshot = collect(by_hash(deadline_seconds=source_deadline))
    [stream] = snapshot.canary.streams
    received = []
    with pytest.raises(
        AnalysisError, match=r"did not finish reading logs of c-a/app before the deadline"
    ) as raised:
        for chunk in stream.open():
            received.append(chunk)
    assert received == []  # a stream is judged once read whole (its newest bytes): nothing partial
    assert f"({origin})" in str(raised.value)

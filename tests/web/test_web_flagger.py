"""Flagger webhooks (POST /flagger/<hook type>) with Flagger's real payload shape, each hook's mapping.

Payload: fluxcd/flagger pkg/apis/flagger/v1beta1 CanaryWebhookPayload {name, namespace, phase,
checksum, metadata}; Flagger counts any status above 202 as a failed check. Here the analysis is the
fake (tests/web/fake_analysis.py), chosen by a `verdict=<behaviour>` canary selector in metadata.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests


def payload(behaviour: str = "pass", checksum: str = "6d4f8b9c", **metadata: str) -> dict[str, Any]:
    return {
        "name": "podinfo",
        "namespace": "shop",
        "phase": "Progressing",
        "checksum": checksum,
        "metadata": {
            "stableSelector": "app=podinfo-primary",
            "canarySelector": f"verdict={behaviour}",
            **metadata,
        },
    }


def call(service: Any, hook: str, body: Any, **kw: Any) -> requests.Response:
    return requests.post(f"{service.url}/flagger/{hook}", json=body, timeout=15, **kw)


@pytest.mark.parametrize(
    ("hook", "behaviour", "status"),
    [
        ("rollout", "pass", 200),
        ("rollout", "fail", 422),
        ("rollout", "inconclusive", 409),
        ("confirm-promotion", "pass", 200),
        ("confirm-promotion", "inconclusive", 409),
        ("confirm-promotion", "fail", 409),
        ("confirm-traffic-increase", "pass", 200),
        ("confirm-traffic-increase", "inconclusive", 409),
        ("rollback", "critical", 200),
        ("rollback", "fail", 409),
        ("rollback", "pass", 409),
        ("rollback", "inconclusive", 409),
    ],
)
def test_each_judging_hook_maps_the_verdict(service: Any, hook: str, behaviour: str, status: int) -> None:
    answer = call(service, hook, payload(behaviour))
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["hook"] == hook and body["canary"] == "shop/podinfo"
    assert body["verdict"] == ("fail" if behaviour == "critical" else behaviour)
    assert body["summary"]


def test_inconclusive_never_promotes_on_any_hook(service: Any) -> None:
    for hook in ("rollout", "confirm-promotion", "confirm-traffic-increase"):
        assert call(service, hook, payload("inconclusive")).status_code > 202


@pytest.mark.parametrize("hook", ["event", "post-rollout"])
def test_event_and_post_rollout_are_accepted_without_an_analysis(service: Any, hook: str) -> None:
    body = payload("fail")
    body["metadata"].update(eventMessage="Advance podinfo.shop canary weight 10", eventType="Normal")
    answer = call(service, hook, body)
    assert answer.status_code == 200 and answer.json()["result"] == "accepted"
    assert service.analyses() == []


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ("not json", 400, "JSON"),
        ({"namespace": "shop", "checksum": "x"}, 400, "'name'"),
        ({"name": "Podinfo!", "namespace": "shop"}, 400, "Kubernetes object name"),
        ({"name": "podinfo", "namespace": "shop", "metadata": {"a": 1}}, 400, "strings"),
        ({"name": "podinfo", "namespace": "shop", "metadata": {"stableSelector": "app=a"}}, 400, "both"),
    ],
)
def test_bad_payloads_are_4xx_json_naming_the_field(service: Any, body: Any, status: int, says: str) -> None:
    if isinstance(body, str):
        answer = requests.post(
            f"{service.url}/flagger/rollout",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
    else:
        answer = call(service, "rollout", body)
    assert answer.status_code == status and says in answer.json()["result"]


def test_unknown_hooks_and_methods_are_refused(service: Any) -> None:
    assert call(service, "promote-now", payload()).status_code == 404
    answer = requests.get(f"{service.url}/flagger/rollout", timeout=10)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"


def test_the_token_may_come_in_metadata_or_the_header(service_factory: Any, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    service = service_factory("--no-llm", "--analysis-deadline", "5", "--token-file", str(token))
    assert call(service, "rollout", payload()).status_code == 401
    assert call(service, "rollout", payload(token="wrong")).status_code == 401
    assert call(service, "rollout", payload(token="s3cret")).status_code == 200
    assert call(service, "rollout", payload(), headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_namespace_allow_list_applies(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--analysis-deadline", "5", "--allow-namespace", "other")
    assert call(service, "rollout", payload()).status_code == 403


def test_a_slow_analysis_is_answered_on_a_later_call_not_started_again(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--analysis-deadline", "1")
    first = call(service, "rollout", payload("sleep2.5-pass"))
    assert first.status_code == 503 and "still analysing" in first.json()["result"]
    time.sleep(2.5)
    second = call(service, "rollout", payload("sleep2.5-pass"))
    assert second.status_code == 200, second.text
    assert len(service.analyses()) == 1
    # a new revision (another checksum) is judged afresh
    third = call(service, "confirm-promotion", payload("sleep2.5-pass", checksum="7f00aa11"))
    assert third.status_code == 503
    time.sleep(2.5)  # the fake records an analysis when it ends
    assert len(service.analyses()) == 2

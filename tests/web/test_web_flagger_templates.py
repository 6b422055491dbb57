"""templates/flagger-canary.yaml: valid against Flagger's own Canary CRD, and wired to the service."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from job.serve.flagger import HOOKS
from tests.schemas import PROJECT_ROOT, crd_errors, load_documents, validate_manifest

CANARY = PROJECT_ROOT / "templates" / "flagger-canary.yaml"
SERVICE = PROJECT_ROOT / "templates" / "web-service.yaml"


def canary() -> dict:
    (document,) = load_documents(CANARY)
    return document


def test_the_example_is_a_valid_flagger_canary() -> None:
    validate_manifest(canary())


def test_the_validator_would_catch_a_wrong_field() -> None:
    broken = canary()
    broken["spec"]["analysis"]["webhooks"][0]["kind"] = "rollout"  # `type` is the field
    assert any("kind" in error for error in crd_errors(broken, "flagger:Canary"))


@pytest.mark.parametrize("webhook", canary()["spec"]["analysis"]["webhooks"], ids=lambda w: w["name"])
def test_each_webhook_calls_its_own_hook_path_on_the_web_service(webhook: dict) -> None:
    (service,) = [d for d in load_documents(SERVICE) if d["kind"] == "Service"]
    url = urlsplit(webhook["url"])
    host = f"{service['metadata']['name']}.{service['metadata']['namespace']}"
    assert (url.hostname, url.port) == (host, service["spec"]["ports"][0]["port"])
    assert webhook["type"] in HOOKS and url.path == f"/flagger/{webhook['type']}"
    assert int(webhook["timeout"].rstrip("s")) >= 15  # a first analysis must fit (Flagger's default is 10 s)


def test_the_gate_has_a_judging_hook_and_holds_promotion() -> None:
    types = {w["type"] for w in canary()["spec"]["analysis"]["webhooks"]}
    assert {"rollout", "confirm-promotion"} <= types
    assert canary()["spec"]["analysis"]["threshold"] >= 2  # one slow first answer must not roll back

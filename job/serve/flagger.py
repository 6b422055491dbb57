"""Flagger webhooks: the same judge behind `POST /flagger/<hook type>`.

Flagger (fluxcd/flagger, pkg/controller/webhook.go) POSTs `{name, namespace, phase, checksum,
metadata}` to each webhook of a Canary and treats any status above 202, or no answer within the
webhook's timeout (10 s by default), as a failed check; the body becomes the text of its Event. The
payload does not say which hook type is calling, so each type has its own path, and each maps the
verdict to what that hook means (pkg/controller/scheduler_hooks.go):

    rollout                   pass 200; fail 422, inconclusive 409 (a failed check: Flagger rolls
                              back after `threshold` of them); still analysing 503
    confirm-traffic-increase  pass 200, anything else 409: hold the weight, never advance on doubt
    confirm-promotion         pass 200, anything else 409: hold the promotion until the evidence passes
    rollback                  200 (roll back now) only on a fail with a critical deterministic finding,
                              else 409 ("not signalling a rollback")
    pre-rollout, confirm-rollout  200 when the judge can work (Canary and Deployments readable, pods
                              listable, the model reachable if a model outage would change verdicts),
                              else 503 naming what is missing
    post-rollout, event       200: accepted and logged, nothing judged

Inconclusive never promotes. The canary's pods are the target Deployment's, the stable's its
`<name>-primary` Deployment's (read through `spec.selector.matchLabels`), unless the webhook's
metadata gives `stableSelector` and `canarySelector`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from job.errors import AnalysisError, InputError
from job.model import Acknowledgements, AnalysisRequest, ClusterSource, LLMConfig, MetricsConfig

if TYPE_CHECKING:
    from job.serve.app import App, Response

log = logging.getLogger("job.server.flagger")

JUDGING_HOOKS = ("rollout", "confirm-traffic-increase", "confirm-promotion", "rollback")
READINESS_HOOKS = ("pre-rollout", "confirm-rollout")
ACCEPTING_HOOKS = ("post-rollout", "event")
HOOKS = JUDGING_HOOKS + READINESS_HOOKS + ACCEPTING_HOOKS
# A Flagger webhook's default timeout is 10 s: answer before it, the analysis goes on behind.
DEFAULT_DEADLINE_SECONDS = 8.0
# An analysis whose caller gave up is kept for Flagger's next call, one analysis interval later.
ORPHAN_RESULT_SECONDS = 300.0
_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
_MAX_FIELD = 256
_MAX_METADATA = 64


@dataclass(frozen=True)
class FlaggerCall:
    """One webhook call, checked; hashable so calls of one canary revision share one analysis."""

    name: str
    namespace: str
    phase: str
    checksum: str
    stable_selector: str | None = None
    canary_selector: str | None = None


def parse_payload(document: Mapping[str, Any]) -> tuple[FlaggerCall, dict[str, str]]:
    """The call and its metadata, or InputError naming the field (Flagger's CanaryWebhookPayload)."""
    fields: dict[str, str] = {}
    for key in ("name", "namespace", "phase", "checksum"):
        value = document.get(key, "")
        if not isinstance(value, str) or len(value) > _MAX_FIELD:
            raise InputError(f"field {key!r} must be a string of at most {_MAX_FIELD} characters")
        fields[key] = value
    for key in ("name", "namespace"):
        if not _NAME.fullmatch(fields[key]) or len(fields[key]) > 253:
            raise InputError(
                f"field {key!r} is {fields[key]!r}: not a Kubernetes object name (Flagger sends both)"
            )
    metadata = document.get("metadata") or {}
    if not isinstance(metadata, dict) or len(metadata) > _MAX_METADATA:
        raise InputError(f"field 'metadata' must be a map of at most {_MAX_METADATA} strings")
    if not all(isinstance(k, str) and isinstance(v, str) and len(v) <= 4096 for k, v in metadata.items()):
        raise InputError("field 'metadata' must map strings to strings, as a Canary webhook's metadata does")
    stable, canary = metadata.get("stableSelector") or None, metadata.get("canarySelector") or None
    if bool(stable) != bool(canary):
        raise InputError("metadata needs both stableSelector and canarySelector, or neither")
    call = FlaggerCall(
        fields["name"], fields["namespace"], fields["phase"], fields["checksum"], stable, canary
    )
    return call, metadata


# ---------------------------------------------------------------- finding the two sides


def _selector(deployment: Any, name: str) -> str:
    selector = deployment.spec.selector
    if selector is None or not selector.match_labels or selector.match_expressions:
        raise InputError(
            f"Deployment {name!r} selects its pods by expressions or by nothing: give stableSelector and "
            "canarySelector in the webhook's metadata"
        )
    return ",".join(f"{k}={v}" for k, v in sorted(selector.match_labels.items()))


def resolve(call: FlaggerCall, deadline_seconds: float) -> ClusterSource:
    """The two sides of a Flagger canary: from the webhook's metadata, or its Canary and Deployments."""
    if call.stable_selector and call.canary_selector:
        return ClusterSource(
            namespace=call.namespace,
            stable_selector=call.stable_selector,
            canary_selector=call.canary_selector,
            deadline_seconds=deadline_seconds,
        )
    from kubernetes import client

    from job.collect._kube_api import Permission, connect

    kube = connect(call.namespace, deadline_seconds=deadline_seconds)
    custom, apps = client.CustomObjectsApi(kube.core.api_client), client.AppsV1Api(kube.core.api_client)
    canary = kube.call(
        Permission("get", "canaries", call.namespace, "flagger.app"),
        f"reading Canary {call.name!r}",
        custom.get_namespaced_custom_object,
        "flagger.app", "v1beta1", call.namespace, "canaries", call.name,
    )  # fmt: skip
    target = (canary.get("spec") or {}).get("targetRef") or {}
    if target.get("kind") != "Deployment" or not target.get("name"):
        raise InputError(
            f"Canary {call.name!r} targets {target.get('kind')!r} {target.get('name')!r}: the primary/canary "
            "pods are read from Deployments; for another target give stableSelector and canarySelector in "
            "the webhook's metadata"
        )
    sides = []
    for name in (f"{target['name']}-primary", target["name"]):
        deployment = kube.call(
            Permission("get", "deployments", call.namespace, "apps"),
            f"reading Deployment {name!r}",
            apps.read_namespaced_deployment,
            name,
            call.namespace,
        )
        sides.append(_selector(deployment, name))
    return ClusterSource(
        namespace=call.namespace,
        stable_selector=sides[0],
        canary_selector=sides[1],
        deadline_seconds=deadline_seconds,
    )


# ---------------------------------------------------------------- answering


def verdict_answer(hook: str, document: Mapping[str, Any]) -> tuple[int, str]:
    """(status, why) for a judging hook, given the result document."""
    verdict = document.get("verdict")
    if hook == "rollback":
        critical = [f for f in document.get("findings", []) if f.get("severity") == "critical"]
        if verdict == "fail" and critical:
            return 200, "roll back: a critical finding in the canary's evidence"
        return 409, "no rollback signalled (no critical finding)"
    if verdict == "pass":
        return 200, "the canary passes"
    if hook == "rollout":
        return (422 if verdict == "fail" else 409), f"the canary is {verdict}: a failed check"
    return 409, f"the canary is {verdict}: holding until the evidence passes"


def answer(status: int, hook: str, call: FlaggerCall | None, why: str, **extra: Any) -> Response:
    from job.serve.app import json_response

    body: dict[str, Any] = {"hook": hook, "status": status, "result": why, **extra}
    if call is not None:
        body["canary"] = f"{call.namespace}/{call.name}"
    return json_response(status, body)


def summary_fields(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a person reading Flagger's Event needs: the verdict, the summary, the worst findings."""
    findings = [
        f"[{f.get('severity')}] {str(f.get('message', ''))[:200]}"
        for f in document.get("findings", [])
        if f.get("severity") in ("critical", "major")
    ][:3]
    fields = {"verdict": document.get("verdict"), "summary": str(document.get("summary", ""))[:600]}
    if findings:
        fields["findings"] = findings
    if document.get("reportUrl"):
        fields["reportUrl"] = document["reportUrl"]
    return fields


def readiness_problems(app: App, call: FlaggerCall) -> list[str]:
    """What would keep the judge from working on this canary (empty: ready)."""
    problems = []
    try:
        source = resolve(call, app.collection_deadline)
        from job.collect._kube_api import Permission, connect

        kube = connect(call.namespace, deadline_seconds=app.collection_deadline)
        for selector in (source.stable_selector, source.canary_selector):
            kube.call(
                Permission("list", "pods", call.namespace),
                f"listing pods {selector!r}",
                kube.core.list_namespaced_pod,
                call.namespace,
                label_selector=selector,
                limit=1,
            )
    except (AnalysisError, InputError) as error:
        problems.append(str(error))
    if app.llm.enabled and app.llm.on_error != "evidence":
        problem = app.model_problem()
        if problem:
            problems.append(f"the model is not reachable ({problem}) and --on-llm-error {app.llm.on_error} "
                            "would turn every verdict into that")  # fmt: skip
    return problems


def handle(app: App, hook: str, body: bytes, content_type: str, authorization: str | None) -> Response:
    from job.serve.params import RequestRejected, parse_body

    if hook not in HOOKS:
        return answer(404, hook, None, f"no Flagger hook {hook!r}: use /flagger/<{'|'.join(HOOKS)}>")
    try:
        call, metadata = parse_payload(parse_body(body, content_type))
    except RequestRejected as rejected:
        return answer(rejected.status, hook, None, str(rejected))
    except InputError as error:
        return answer(400, hook, None, str(error))
    token = metadata.get("token")
    if not app.authorized(authorization) and not (token and app.authorized(f"Bearer {token}")):
        return answer(401, hook, call, "missing or wrong token: put it in the webhook's metadata as `token`")
    allowed = app.config.allow_namespaces
    if allowed and call.namespace not in allowed:
        return answer(
            403, hook, call, f"namespace {call.namespace!r} is not allowed here (--allow-namespace)"
        )
    fields = {"phase": call.phase, "checksum": call.checksum, "hook": hook}
    if hook in ACCEPTING_HOOKS:
        event = {k: metadata[k] for k in ("eventType", "eventMessage") if k in metadata}
        log.info(
            "flagger webhook",
            extra={"fields": {**fields, "canary": f"{call.namespace}/{call.name}", **event}},
        )
        return answer(200, hook, call, "accepted")
    if hook in READINESS_HOOKS:
        problems = readiness_problems(app, call)
        if problems:
            return answer(503, hook, call, "not ready: " + "; ".join(problems))
        return answer(200, hook, call, "ready: the Canary, its Deployments and pods are readable")
    return app.judge_flagger(call, hook)


def request_for(
    call: FlaggerCall,
    llm: LLMConfig,
    metrics: MetricsConfig | None,
    deadline: float,
    acknowledgements: Acknowledgements | None = None,
) -> AnalysisRequest:
    """The analysis of one Flagger call, with the service's own model, metrics and acknowledge file."""
    return AnalysisRequest(
        source=resolve(call, deadline), llm=llm, metrics=metrics, acknowledgements=acknowledgements
    )

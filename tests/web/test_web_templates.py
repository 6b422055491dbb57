"""templates/analysistemplate-web.yaml and templates/web-service.yaml against the real schemas.

The AnalysisTemplate is checked against Argo Rollouts' own CRD (vendored in tests/crds/, v1.9.1),
made strict so a misspelt field fails; the Kubernetes objects against the Kubernetes
OpenAPI schemas (kubernetes-validate, strict). Then the two files are checked to agree
with each other and with the service's real command line.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click
import pytest
import yaml

from job.cli import main
from job.serve.params import WEB_PARAMS
from tests.schemas import PROJECT_ROOT, crd_errors, load_documents, validate_core

TEMPLATE = PROJECT_ROOT / "templates" / "analysistemplate-web.yaml"
SERVICE = PROJECT_ROOT / "templates" / "web-service.yaml"
KUBERNETES_VERSIONS = ("1.29.0", "1.33.0")


def template() -> dict[str, Any]:
    return yaml.safe_load(TEMPLATE.read_text())


def service_objects() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in load_documents(SERVICE)}


def web_container() -> dict[str, Any]:
    (container,) = service_objects()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return container


def serve_flags() -> dict[str, str]:
    args = web_container()["args"]
    assert args[0] == "serve"
    return dict(a[2:].split("=", 1) for a in args[1:])


# ---------------------------------------------------------------- schemas


def test_analysis_template_matches_the_argo_rollouts_crd() -> None:
    assert crd_errors(template(), "analysis-template-crd.yaml") == []


def test_the_strict_crd_check_can_fail() -> None:
    broken = template()
    broken["spec"]["metrics"][0]["provider"]["web"]["timeoutSecond"] = 30
    broken["spec"]["metrics"][0]["provider"]["web"]["headers"][0].pop("value")
    errors = crd_errors(broken, "analysis-template-crd.yaml")
    assert any("timeoutSecond" in e for e in errors) and any("'value' is a required" in e for e in errors)
    assert crd_errors(template(), "rollout-crd.yaml") == [
        "<root>: argoproj.io/v1alpha1 AnalysisTemplate is not what rollout-crd.yaml defines "
        "(argoproj.io/v1alpha1 Rollout)"
    ]


def test_documented_rollout_step_matches_the_rollout_crd() -> None:
    """The Rollout snippet in the template's header comment, inside a minimal Rollout."""
    comment = "\n".join(
        line[2:] for line in TEMPLATE.read_text().splitlines() if line.startswith("#   ") or line == "#"
    )
    step = yaml.safe_load(comment[comment.index("- analysis:") :])
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "shop"}},
            "template": {
                "metadata": {"labels": {"app": "shop"}},
                "spec": {"containers": [{"name": "shop", "image": "shop:1"}]},
            },
            "strategy": {"canary": {"steps": [{"setWeight": 20}, *step]}},
        },
    }
    assert crd_errors(rollout, "rollout-crd.yaml") == []
    given = {a["name"] for a in step[0]["analysis"]["args"]}
    declared_without_value = {a["name"] for a in template()["spec"]["args"] if set(a) == {"name"}}
    assert given == declared_without_value


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_service_objects_match_the_kubernetes_schemas(version: str) -> None:
    pytest.importorskip("kubernetes_validate")
    objects = service_objects()
    assert set(objects) == {"ServiceAccount", "Role", "RoleBinding", "Deployment", "Service"}
    for document in objects.values():
        validate_core(document, version)


def test_the_kubernetes_schema_check_can_fail() -> None:
    pytest.importorskip("kubernetes_validate")
    broken = service_objects()["Deployment"]
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(AssertionError, match="paht"):
        validate_core(broken, KUBERNETES_VERSIONS[-1])


# ---------------------------------------------------------------- the metric


def test_metric_reads_the_verdict_from_the_whole_document() -> None:
    (metric,) = template()["spec"]["metrics"]
    web = metric["provider"]["web"]
    assert web["jsonPath"] == "{$}"
    assert metric["successCondition"] == 'result.verdict == "pass"'
    assert metric["failureCondition"] == 'result.verdict == "fail"'
    assert web.get("method", "GET") == "GET" and "body" not in web


def test_url_asks_only_for_what_the_service_accepts_with_declared_args() -> None:
    spec = template()["spec"]
    url = spec["metrics"][0]["provider"]["web"]["url"]
    used = set(re.findall(r"\{\{\s*args\.([\w-]+)\s*\}\}", url))
    declared = {a["name"] for a in spec["args"]}
    assert used <= declared
    assert {"namespace", "stable-hash", "canary-hash"} <= used
    query = parse_qs(urlsplit(url).query)
    assert set(query) <= set(WEB_PARAMS)
    assert query["namespace"] == ["{{args.namespace}}"]
    assert query["stableHash"] == ["{{args.stable-hash}}"] and query["canaryHash"] == ["{{args.canary-hash}}"]


def test_url_points_at_the_service() -> None:
    args = {a["name"]: a for a in template()["spec"]["args"]}
    target = urlsplit(args["service-url"]["value"])
    service = service_objects()["Service"]
    assert (
        target.hostname
        == f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc.cluster.local"
    )
    assert target.port == service["spec"]["ports"][0]["port"]
    assert target.port == int(serve_flags()["port"])


def test_service_deadline_is_below_the_metric_timeout() -> None:
    timeout = template()["spec"]["metrics"][0]["provider"]["web"]["timeoutSeconds"]
    deadline = float(serve_flags()["analysis-deadline"])
    assert deadline + 2 <= timeout


def test_bearer_token_comes_from_the_secret_the_service_mounts() -> None:
    spec = template()["spec"]
    header = spec["metrics"][0]["provider"]["web"]["headers"][0]
    assert header == {"key": "Authorization", "value": "Bearer {{args.token}}"}
    token_arg = next(a for a in spec["args"] if a["name"] == "token")
    ref = token_arg["valueFrom"]["secretKeyRef"]
    pod = service_objects()["Deployment"]["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v.get("secret"))
    assert volume["secret"]["secretName"] == ref["name"]
    mount = next(m for m in web_container()["volumeMounts"] if m["name"] == volume["name"])
    assert serve_flags()["token-file"] == f"{mount['mountPath']}/{ref['key']}"


# ---------------------------------------------------------------- the Deployment and RBAC


def serve_command() -> tuple[click.Command, dict[str, Any]]:
    """The click command the container runs and the parameters its args give it."""
    name, *rest = web_container()["args"]
    context = main.make_context("rollouts-ai-job", [name])
    command = main.get_command(context, name)
    assert command is not None and command.name == "serve"
    return command, command.make_context(name, rest, parent=context).params


def test_container_args_are_accepted_by_the_real_cli() -> None:
    container = web_container()
    assert container["command"] == ["rollouts-ai-job"]
    command, params = serve_command()
    assert params["allow_namespaces"] == (service_objects()["Deployment"]["metadata"]["namespace"],)
    assert params["no_llm"] is False
    # Every environment variable the Deployment sets is one the command reads.
    read = {p.envvar for p in command.params if getattr(p, "envvar", None)}
    assert {e["name"] for e in container["env"]} <= read


def test_deployment_is_hardened() -> None:
    pod = service_objects()["Deployment"]["spec"]["template"]["spec"]
    container = web_container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert isinstance(pod["securityContext"]["runAsUser"], int) and pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"] and "add" not in security["capabilities"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]
    assert all(m.get("readOnly") for m in container["volumeMounts"] if m["name"] != "tmp")
    flags = serve_flags()
    shutdown = float(flags["drain-seconds"]) + float(flags["shutdown-grace"])
    assert pod["terminationGracePeriodSeconds"] > shutdown


def test_readiness_does_not_hang_on_the_model_when_verdicts_do_not() -> None:
    """With --on-llm-error evidence a model outage still yields verdicts, so the pod must stay in
    the Service (ready on /healthz); /readyz, the model's reachability, is for alerting."""
    container = web_container()
    _, params = serve_command()
    assert params["on_llm_error"] == "evidence" and params["no_llm"] is False
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["port"] == "http"
    port = next(p for p in container["ports"] if p["name"] == "http")["containerPort"]
    assert port == int(serve_flags()["port"])


def test_rbac_is_read_only_and_bound_to_the_service_account() -> None:
    # Exactly which verbs: tests/kube/test_web_rbac.py records the service's calls.
    objects = service_objects()
    for rule in objects["Role"]["rules"]:
        assert rule["apiGroups"] == [""] and set(rule["verbs"]) <= {"get", "list"}, rule
    binding = objects["RoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "rollouts-ai-job-web",
    }
    (subject,) = binding["subjects"]
    account = objects["ServiceAccount"]["metadata"]
    assert (subject["kind"], subject["name"], subject["namespace"]) == (
        "ServiceAccount",
        account["name"],
        account["namespace"],
    )
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["name"]

"""templates/analysistemplate-web.yaml and templates/web-service.yaml against the real schemas.

The AnalysisTemplate is checked against Argo Rollouts' own CRD (vendored in tests/crds/, v1.9.1),
made strict so a misspelt field fails; the Kubernetes objects against the Kubernetes
OpenAPI schemas (kubernetes-validate, strict). Then the two files are checked to agree
with each other and with the service's real command line.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import click
import pytest
import yaml

from e2e.scenarios import initial_delay_seconds
from job.cli import main
from job.model import WEB_MODEL
from job.serve.params import WEB_PARAMS
from tests.rollout_checks import WARMUP_FLOOR_SECONDS, fresh_baseline_problems, looks, promotion_risks
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


def documented_steps() -> list[dict[str, Any]]:
    """The canary steps in the template's header comment, between its markers."""
    text = TEMPLATE.read_text()
    block = text[text.index("# --- rollout steps\n") : text.index("# --- end\n")].splitlines()[1:]
    return yaml.safe_load("\n".join(line.removeprefix("#") for line in block))


def documented_rollout() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "shop"},
        "spec": {
            "selector": {"matchLabels": {"app": "shop"}},
            "template": {
                "metadata": {"labels": {"app": "shop"}},
                "spec": {"containers": [{"name": "shop", "image": "shop:1"}]},
            },
            "strategy": {"canary": {"steps": documented_steps()}},
        },
    }


def test_documented_rollout_step_matches_the_rollout_crd() -> None:
    """The Rollout snippet in the template's header comment, inside a minimal Rollout."""
    rollout = documented_rollout()
    assert crd_errors(rollout, "rollout-crd.yaml") == []
    [analysis] = [s["analysis"] for s in rollout["spec"]["strategy"]["canary"]["steps"] if "analysis" in s]
    given = {a["name"] for a in analysis["args"]}
    declared_without_value = {a["name"] for a in template()["spec"]["args"] if set(a) == {"name"}}
    assert given == declared_without_value


def test_documented_rollout_cannot_promote_a_canary_unjudged() -> None:
    """A blocking step after a pause long enough for the canary to have logged (rollout_checks)."""
    rollout = documented_rollout()
    templates = {template()["metadata"]["name"]: template()}
    assert promotion_risks(rollout, templates) == []
    [look] = looks(rollout, templates)
    assert look.where.endswith("(analysis)") and look.warmup_seconds >= 5 * 60


def test_first_look_waits_for_the_initial_delay() -> None:
    """Argo takes the first measurement when the run starts (generateMetricTasks): without a
    pause before it, only initialDelay gives the canary time to log."""
    (metric,) = template()["spec"]["metrics"]
    assert metric["initialDelay"] == "{{args.initial-delay}}"
    assert initial_delay_seconds(template()) >= WARMUP_FLOOR_SECONDS


def test_the_comment_on_errors_says_what_consecutive_error_limit_does() -> None:
    """Argo fails the run when consecutiveErrors > consecutiveErrorLimit
    (analysis.go assessMetricFailureInconclusiveOrError): with a limit of N, the (N+1)th Error
    in a row aborts. The comment must name that Error, not "retried once"."""
    (metric,) = template()["spec"]["metrics"]
    limit = metric["consecutiveErrorLimit"]
    ordinals = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}
    text = TEMPLATE.read_text()
    assert f"the {ordinals[limit + 1]} Error in a row" in text
    assert "retried once" not in text


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


def select(document: dict[str, Any], json_path: str) -> Any:
    """What Argo's web provider keeps of the answer for a jsonPath of the form {$.a.b}."""
    match = re.fullmatch(r"\{\$((?:\.[A-Za-z_]\w*)*)\}", json_path)
    assert match, f"jsonPath {json_path!r} is not of the form {{$.key}}: extend select()"
    for key in filter(None, match.group(1).split(".")):
        document = document[key]  # a missing key is an Error measurement in Argo, a KeyError here
    return document


def test_metric_reads_the_verdict_from_the_compact_object_the_service_sends() -> None:
    """The service's real answer, through the template's jsonPath: the conditions see the
    verdict, and the value Argo stores per measurement is the small object, not the document."""
    from job.report import COMPACT_LIMIT, stored_bytes
    from job.serve.app import encode_verdict
    from tests.test_compact import hostile

    (metric,) = template()["spec"]["metrics"]
    web = metric["provider"]["web"]
    assert web.get("method", "GET") == "GET" and "body" not in web
    assert metric["successCondition"] == 'result.verdict == "pass"'
    assert metric["failureCondition"] == 'result.verdict == "fail"'
    answer = json.loads(encode_verdict(hostile()))
    value = select(answer, web["jsonPath"])
    assert value["verdict"] == answer["verdict"] == "fail"
    conditions = metric["successCondition"] + metric["failureCondition"]
    assert set(re.findall(r"result\.(\w+)", conditions)) <= set(value)
    assert stored_bytes(value) <= COMPACT_LIMIT < stored_bytes(answer)


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


def test_the_service_runs_the_web_default_model() -> None:
    """The Deployment names the model `serve` picks anyway: the 0.5B, which fits the web deadline."""
    command, _ = serve_command()
    [option] = [p for p in command.params if p.name == "model"]
    env = {e["name"]: e.get("value") for e in web_container()["env"]}
    assert env["ROLLOUTS_AI_MODEL"] == option.default == WEB_MODEL


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


def test_rbac_is_read_only_but_for_the_reports_and_bound_to_the_service_account() -> None:
    # Exactly which verbs: tests/kube/test_web_rbac.py records the service's calls. The only writes
    # are the HTML reports' ConfigMaps (kept and pruned by job/render/store.py).
    objects = service_objects()
    for rule in objects["Role"]["rules"]:
        writes = {"create", "delete"} if rule["resources"] == ["configmaps"] else set()
        assert rule["apiGroups"] in ([""], ["flagger.app"], ["apps"]), rule  # Flagger: Canary, Deployments
        assert set(rule["verbs"]) <= {"get", "list"} | writes, rule
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


# ---------------------------------------------------------------- a fresh baseline (Experiment)


def test_fresh_baseline_example_is_valid_and_judges_fresh_pods_to_the_end() -> None:
    [rollout] = load_documents(PROJECT_ROOT / "examples" / "fresh-baseline" / "rollout-web.yaml")
    assert crd_errors(rollout, "rollout-crd.yaml") == []
    assert fresh_baseline_problems(rollout, template()) == []

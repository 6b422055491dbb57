"""The Job AnalysisTemplate and its RBAC: valid against the real schemas, hardened, least privilege."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from e2e.scenarios import initial_delay_seconds
from job.cli import analyze
from job.model import JOB_MODEL
from tests.rollout_checks import WARMUP_FLOOR_SECONDS, fresh_baseline_problems, looks, promotion_risks
from tests.schemas import (
    PROJECT_ROOT,
    job_from_metric,
    load_documents,
    validate_against_crd,
    validate_core,
    validate_manifest,
)

TEMPLATE = PROJECT_ROOT / "templates" / "analysistemplate-job.yaml"
RBAC = PROJECT_ROOT / "templates" / "rbac-job.yaml"


def template() -> dict[str, Any]:
    [doc] = load_documents(TEMPLATE)
    return doc


def metric() -> dict[str, Any]:
    [only] = template()["spec"]["metrics"]
    return only


def pod_spec() -> dict[str, Any]:
    return metric()["provider"]["job"]["spec"]["template"]["spec"]


def container() -> dict[str, Any]:
    [only] = pod_spec()["containers"]
    return only


def rbac() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in load_documents(RBAC)}


def rollout_usage() -> dict[str, Any]:
    """The Rollout example in the template's header comment."""
    text = TEMPLATE.read_text()
    block = text[text.index("# --- rollout usage\n") : text.index("# --- end\n")].splitlines()[1:]
    return yaml.safe_load("\n".join(line.removeprefix("#").removeprefix(" ") for line in block))


# ---------------------------------------------------------------- schemas


@pytest.mark.parametrize("path", [TEMPLATE, RBAC], ids=lambda p: p.name)
def test_every_document_is_valid_against_the_real_schema(path: Path) -> None:
    for doc in load_documents(path):
        validate_manifest(doc)


def test_the_job_argo_creates_is_a_valid_batch_job() -> None:
    validate_core(job_from_metric(metric()))


def test_the_documented_rollout_usage_is_valid_and_feeds_the_hashes() -> None:
    rollout = rollout_usage()
    validate_against_crd(rollout, "rollout-crd.yaml")
    [analysis] = [s["analysis"] for s in rollout["spec"]["strategy"]["canary"]["steps"] if "analysis" in s]
    assert analysis["templates"] == [{"templateName": template()["metadata"]["name"]}]
    given = {a["name"]: a["valueFrom"] for a in analysis["args"]}
    assert given == {
        "namespace": {"fieldRef": {"fieldPath": "metadata.namespace"}},
        "stable-hash": {"podTemplateHashValue": "Stable"},
        "canary-hash": {"podTemplateHashValue": "Latest"},
    }
    required = {a["name"] for a in template()["spec"]["args"] if "value" not in a and "valueFrom" not in a}
    assert required == set(given), "the Rollout must supply exactly the args without a default"


def test_the_documented_rollout_cannot_promote_a_canary_unjudged() -> None:
    """A blocking step after a pause long enough for the canary to have logged (rollout_checks)."""
    rollout = rollout_usage()
    templates = {template()["metadata"]["name"]: template()}
    assert promotion_risks(rollout, templates) == []
    [look] = looks(rollout, templates)
    assert look.where.endswith("(analysis)") and look.warmup_seconds >= 5 * 60
    assert initial_delay_seconds(template()) >= WARMUP_FLOOR_SECONDS  # used without a pause


def test_the_job_judges_the_rollouts_namespace_not_its_own() -> None:
    """With ARGO_ROLLOUTS_ANALYSIS_JOB_NAMESPACE the Job runs elsewhere (job.go newMetricJob), so
    the pods to judge are named by the Rollout: --namespace from a required argument."""
    args = container()["args"]
    assert args[args.index("--namespace") + 1] == "{{args.namespace}}"
    [namespace] = [a for a in template()["spec"]["args"] if a["name"] == "namespace"]
    assert set(namespace) == {"name"}, "no default: a Rollout that does not say is refused by Argo"


def test_strict_validation_catches_a_misspelt_field() -> None:
    broken = template()
    broken["spec"]["metrics"][0]["provider"]["job"]["spec"]["backofLimit"] = 0
    with pytest.raises(AssertionError, match="backofLimit"):
        validate_manifest(broken)
    job = job_from_metric(metric())
    job["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    with pytest.raises(AssertionError, match="securityContex"):
        validate_core(job)


# ---------------------------------------------------------------- args and CLI


def test_every_flag_the_job_passes_exists_on_the_cli() -> None:
    flags = {opt for param in analyze.params if isinstance(param, click.Option) for opt in param.opts}
    args = container()["args"]
    assert args[0] == "analyze"
    passed = [a for a in args[1:] if a.startswith("--")]
    assert passed and set(passed) <= flags, set(passed) - flags


def test_every_declared_arg_is_used_and_every_used_arg_declared() -> None:
    declared = {a["name"] for a in template()["spec"]["args"]}
    used = set(re.findall(r"\{\{\s*args\.([\w-]+)\s*\}\}", yaml.safe_dump(metric())))
    assert (
        used
        == declared
        == {
            "namespace",
            "stable-hash",
            "canary-hash",
            "initial-delay",
            "ollama-host",
            "model",
            "extra-prompt",
            "prometheus-url",
            "acknowledge-configmap",
        }
    )


def test_the_job_asks_for_the_analysis_default_model() -> None:
    [model] = [a for a in template()["spec"]["args"] if a["name"] == "model"]
    [option] = [p for p in analyze.params if p.name == "model"]
    assert model["value"] == option.default == JOB_MODEL


# ---------------------------------------------------------------- hardening


def test_the_job_runs_once_and_lives_as_long_as_its_analysis_run() -> None:
    """The pod's termination message is the verdict: a TTL would delete it while the AnalysisRun
    that points at it stays. Argo owns the Job by the AnalysisRun (job.go newMetricJob), so the
    Job goes when the Rollout trims its run history."""
    spec = metric()["provider"]["job"]["spec"]
    assert spec["backoffLimit"] == 0
    assert "ttlSecondsAfterFinished" not in spec
    assert pod_spec()["restartPolicy"] == "Never"
    env = {e["name"]: e.get("value") for e in container()["env"]}
    collection = float(env["ROLLOUTS_AI_KUBE_DEADLINE"])
    from job.model import LLMConfig

    assert spec["activeDeadlineSeconds"] >= collection + LLMConfig.timeout_seconds + 60


def test_no_mesh_sidecar_is_injected() -> None:
    annotations = metric()["provider"]["job"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["sidecar.istio.io/inject"] == "false"
    assert annotations["linkerd.io/inject"] == "disabled"


def test_restricted_security_context() -> None:
    pod = pod_spec()["securityContext"]
    box = container()["securityContext"]
    assert pod["runAsNonRoot"] is True and isinstance(pod["runAsUser"], int) and pod["runAsUser"] > 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"} == box["seccompProfile"]
    assert box["readOnlyRootFilesystem"] is True and box["allowPrivilegeEscalation"] is False
    assert box["capabilities"] == {"drop": ["ALL"]}
    assert "privileged" not in box and not pod_spec().get("hostNetwork")


def test_resources_are_bounded() -> None:
    resources = container()["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and {"memory"} <= set(resources["limits"])


def test_pod_knows_its_name_for_the_verdict_event() -> None:
    env = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") for e in container()["env"]}
    assert env["POD_NAME"] == "metadata.name" and env["POD_NAMESPACE"] == "metadata.namespace"


def test_the_job_runs_as_the_service_account_the_rbac_binds() -> None:
    docs = rbac()
    account = docs["ServiceAccount"]["metadata"]["name"]
    assert pod_spec()["serviceAccountName"] == account
    binding = docs["RoleBinding"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": docs["Role"]["metadata"]["name"],
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account}]


# ---------------------------------------------------------------- least privilege


def granted() -> set[tuple[str, str, str]]:
    return {
        (verb, resource, group)
        for rule in rbac()["Role"]["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def job_code() -> list[Path]:
    """The code a Job runs: everything but the web service's own (job/serve/, e.g. Flagger webhooks)."""
    return [
        p for p in (PROJECT_ROOT / "job").rglob("*.py") if "serve" not in p.relative_to(PROJECT_ROOT).parts
    ]


def used_by_the_code() -> set[tuple[str, str, str]]:
    """Every Permission(...) the Job's code declares for its API calls."""
    pattern = re.compile(r'Permission\(\s*"(\w+)",\s*"([\w/]+)",\s*[\w.]+(?:,\s*"([\w.]*)")?\s*\)')
    found = set()
    for path in job_code():
        found |= {
            (verb, resource, group or "") for verb, resource, group in pattern.findall(path.read_text())
        }
    return found


def test_rbac_is_read_only_except_events_and_the_report_configmaps() -> None:
    writes = {("create", "events", ""), ("create", "configmaps", ""), ("delete", "configmaps", "")}
    for verb, resource, group in granted():
        assert "*" not in (verb, resource, group)
        assert verb in {"get", "list"} or (verb, resource, group) in writes, (verb, resource)
    assert "ClusterRole" not in rbac() and "ClusterRoleBinding" not in rbac()


def test_rbac_grants_exactly_what_the_code_uses() -> None:
    used = used_by_the_code()
    assert ("list", "pods", "") in used and ("get", "jobs", "batch") in used  # the scan finds calls
    assert granted() == used


# ---------------------------------------------------------------- Jobs in another namespace

RBAC_OTHER = PROJECT_ROOT / "templates" / "rbac-job-other-namespace.yaml"


def permissions_by_namespace_variable() -> dict[str, set[tuple[str, str, str]]]:
    """Every Permission(...) in the code, keyed by the expression naming its namespace:
    publish.py's `namespace` is the Job's own, the rest is the Rollout's (the judged pods'
    `kube.namespace`, the AnalysisRun's `target.namespace` for the Event)."""
    pattern = re.compile(r'Permission\(\s*"(\w+)",\s*"([\w/]+)",\s*([\w.]+)(?:,\s*"([\w.]*)")?\s*\)')
    found: dict[str, set[tuple[str, str, str]]] = {"own": set(), "rollout": set()}
    for path in job_code():
        for verb, resource, where, group in pattern.findall(path.read_text()):
            side = "own" if path.name == "publish.py" and where == "namespace" else "rollout"
            found[side].add((verb, resource, group or ""))
    return found


def test_other_namespace_rbac_is_valid_and_splits_exactly_what_the_code_uses() -> None:
    docs = load_documents(RBAC_OTHER)
    for doc in docs:
        validate_manifest(doc)
    [account] = [d for d in docs if d["kind"] == "ServiceAccount"]
    job_namespace = account["metadata"]["namespace"]
    assert pod_spec()["serviceAccountName"] == account["metadata"]["name"]
    grants: dict[str, set[tuple[str, str, str]]] = {}
    for role in (d for d in docs if d["kind"] == "Role"):
        grants.setdefault(role["metadata"]["namespace"], set()).update(
            (verb, resource, group)
            for rule in role["rules"]
            for group in rule["apiGroups"]
            for resource in rule["resources"]
            for verb in rule["verbs"]
        )
    [rollout_namespace] = set(grants) - {job_namespace}
    used = permissions_by_namespace_variable()
    assert used["own"] == {("get", "pods", ""), ("get", "jobs", "batch")}  # the scan finds them
    assert grants[job_namespace] == used["own"]
    assert grants[rollout_namespace] == used["rollout"]
    roles = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Role"}
    for binding in (d for d in docs if d["kind"] == "RoleBinding"):
        role = roles[binding["roleRef"]["name"]]
        assert role["metadata"]["namespace"] == binding["metadata"]["namespace"]
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": account["metadata"]["name"], "namespace": job_namespace}
        ]
    assert not [d for d in docs if d["kind"].startswith("Cluster")]


# ---------------------------------------------------------------- a fresh baseline (Experiment)

FRESH_BASELINE = PROJECT_ROOT / "examples" / "fresh-baseline" / "rollout-job.yaml"


def test_fresh_baseline_example_is_valid_and_judges_fresh_pods_to_the_end() -> None:
    [rollout] = load_documents(FRESH_BASELINE)
    validate_manifest(rollout)
    assert fresh_baseline_problems(rollout, template()) == []


def test_fresh_baseline_check_catches_what_would_go_wrong() -> None:
    [rollout] = load_documents(FRESH_BASELINE)
    [step] = [s["experiment"] for s in rollout["spec"]["strategy"]["canary"]["steps"] if "experiment" in s]
    analysis = step["analyses"][0]
    analysis["requiredForCompletion"] = False  # a `duration` would then cut the Job short
    analysis["args"][1]["value"] = "{{templates.canary.podTemplateHash}}"  # canary against itself
    analysis["args"][3]["value"] = "10s"  # fresh pods judged before they have logged
    problems = fresh_baseline_problems(rollout, template())
    assert any("not requiredForCompletion" in p for p in problems)
    assert any(p.startswith("stable-hash is") for p in problems)
    assert any("looks 10s after the canary starts" in p for p in problems)


# ---------------------------------------------------------------- snippets in the docs


CANARY_STEP_KEYS = {"setWeight", "pause", "analysis", "experiment", "setCanaryScale", "setHeaderRoute"}


def documented_step_lists() -> list[tuple[str, list[dict[str, Any]]]]:
    """Every ```yaml block in the README and docs/ that is a list of canary steps."""
    found = []
    for page in [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(), flags=re.S):
            steps = yaml.safe_load(block)
            steps_only = isinstance(steps, list) and all(isinstance(s, dict) for s in steps)
            if steps_only and all(set(s) <= CANARY_STEP_KEYS for s in steps):
                found.append((page.name, steps))
    return found


def test_every_documented_snippet_pauses_before_the_analysis() -> None:
    web = load_documents(PROJECT_ROOT / "templates" / "analysistemplate-web.yaml")[0]
    templates = {template()["metadata"]["name"]: template(), web["metadata"]["name"]: web}
    snippets = documented_step_lists()
    assert {page for page, _ in snippets} >= {"README.md", "job-provider.md"}
    for page, steps in snippets:
        rollout = {"spec": {"strategy": {"canary": {"steps": steps}}}}
        assert looks(rollout, templates), f"{page}: a step list that runs none of the templates"
        assert promotion_risks(rollout, templates) == [], page

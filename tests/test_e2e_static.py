"""Everything about the kind demo that can be checked without Docker or a cluster.

Manifests against the real Argo Rollouts v1.9.1 CRDs, pinned images, our CLI flags, and the
scenario logic (outcome from Rollout status, AnalysisRun judgement, timeouts) on recorded
status objects.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from e2e import pins, preflight, render, scenarios, summary
from e2e.scenarios import RunJudgement, Scenario
from e2e.stack import Settings
from job import cli
from tests.rollout_checks import looks, promotion_risks
from tests.schemas import CRDS_DIR, crd_errors, validate_manifest

CTX = render.ArgContext(model="qwen2.5-coder:1.5b-instruct")


# A template shaped like ours (names of the arguments Argo can supply for a Job metric).
SAMPLE_JOB_TEMPLATE: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AnalysisTemplate",
    "metadata": {"name": "rollouts-ai-job"},
    "spec": {
        "args": [
            {"name": "stable-hash"},
            {"name": "canary-hash"},
            {"name": "namespace"},
            {"name": "extra-prompt", "value": ""},
        ],
        "metrics": [
            {
                "name": "rollouts-ai-job",
                "interval": "60s",
                "failureLimit": 0,
                "provider": {
                    "job": {
                        "spec": {
                            "backoffLimit": 0,
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "containers": [
                                        {
                                            "name": "analyze",
                                            "image": "rollouts-ai-job:0.1.0",
                                            "args": [
                                                "analyze",
                                                "--namespace",
                                                "{{args.namespace}}",
                                                "--stable-hash",
                                                "{{args.stable-hash}}",
                                                "--canary-hash",
                                                "{{args.canary-hash}}",
                                            ],
                                        }
                                    ],
                                }
                            },
                        }
                    }
                },
            }
        ],
    },
}

SAMPLE_WEB_TEMPLATE: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AnalysisTemplate",
    "metadata": {"name": "rollouts-ai-web"},
    "spec": {
        "args": [{"name": "stable-hash"}, {"name": "latest-hash"}, {"name": "namespace"}],
        "metrics": [
            {
                "name": "rollouts-ai-web",
                "interval": "60s",
                "successCondition": "result.verdict == 'pass'",
                "failureCondition": "result.verdict == 'fail'",
                "provider": {
                    "web": {
                        "url": "http://rollouts-ai-job.analysis.svc.cluster.local:8080/analyze"
                        "?namespace={{args.namespace}}",
                        "timeoutSeconds": 30,
                        "jsonPath": "{$}",
                    }
                },
            }
        ],
    },
}


# ---------------------------------------------------------------- manifests and CRDs


MODEL_IMAGE = Settings(airgap=False, model="qwen2.5-coder:1.5b-instruct").ollama_model_image
MANIFEST_VALUES = {
    "TEMPLATE_NAME": "rollouts-ai-job",
    "INTERNET_URLS": "https://1.1.1.1",
    "OLLAMA_URL": "x",
    "OLLAMA_MODEL_IMAGE": MODEL_IMAGE,
}


@pytest.mark.parametrize("path", sorted(render.MANIFESTS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_manifest_parses_into_named_kubernetes_objects(path: Path) -> None:
    docs = render.load_manifest(path.name, MANIFEST_VALUES)
    assert docs
    for doc in docs:
        assert doc["apiVersion"] and doc["kind"] and doc["metadata"]["name"]
        for container in render.containers(doc):
            assert container["name"] and container["image"], container


def test_fill_refuses_a_placeholder_without_value() -> None:
    with pytest.raises(render.RenderError, match="@@MISSING@@"):
        render.fill("image: @@MISSING@@", {})


@pytest.mark.parametrize("template", [SAMPLE_JOB_TEMPLATE, SAMPLE_WEB_TEMPLATE], ids=["job", "web"])
def test_rendered_rollout_validates_against_the_real_crd(template: dict[str, Any]) -> None:
    rollout = render.render_rollout(template, CTX)
    assert crd_errors(rollout, "rollout-crd.yaml") == []
    # a blocking analysis step, no background analysis that the steps could outrun
    assert "analysis" not in rollout["spec"]["strategy"]["canary"]
    assert render.analysis_step(rollout)["templates"] == [{"templateName": template["metadata"]["name"]}]


def test_demo_rollout_cannot_promote_a_canary_unjudged() -> None:
    """With the project's own templates: no background analysis the steps can outrun, and the
    canary has served long enough before the first look (tests/rollout_checks.py, from Argo's source)."""
    paths = project_templates()
    assert paths, "templates/analysistemplate-*.yaml are missing"
    for path in paths:
        template = render.the_template(render.load_docs(path))
        rollout = render.render_rollout(template, CTX)
        templates = {template["metadata"]["name"]: template}
        assert promotion_risks(rollout, templates) == [], path.name
        assert [look.where for look in looks(rollout, templates)] == ["step 2 (analysis)"], path.name


def test_promotion_risks_catch_the_old_background_demo() -> None:
    """The demo as it was (background analysis from step 2, bounded pauses) is caught, and so is
    an analysis step with no pause and no initial delay before it."""
    template = render.the_template(render.load_docs(render.JOB_TEMPLATE))
    templates = {template["metadata"]["name"]: template}
    old = render.render_rollout(template, CTX)
    canary = old["spec"]["strategy"]["canary"]
    canary["analysis"] = {**render.analysis_step(old), "startingStep": 2}
    canary["steps"] = [
        {"setWeight": 20},
        {"pause": {"duration": "60s"}},
        {"setWeight": 40},
        {"pause": {"duration": "60s"}},
    ]
    assert any("end the steps with `- pause: {}`" in r for r in promotion_risks(old, templates))
    canary["steps"].append({"pause": {}})
    assert promotion_risks(old, templates) == []
    hasty = render.render_rollout(template, CTX)
    hasty["spec"]["strategy"]["canary"]["steps"] = [
        {"setWeight": 20},
        {"analysis": {**render.analysis_step(hasty), "args": [{"name": "initial-delay", "value": "0s"}]}},
    ]
    assert any("looks 0s after the canary starts" in r for r in promotion_risks(hasty, templates))


def test_crd_validation_is_not_vacuous() -> None:
    rollout = render.render_rollout(SAMPLE_JOB_TEMPLATE, CTX)
    broken = copy.deepcopy(rollout)
    broken["spec"]["strategy"]["canary"]["steps"][0] = {"setWeight": "twenty"}
    del broken["spec"]["template"]["spec"]["containers"][0]["name"]
    errors = crd_errors(broken, "rollout-crd.yaml")
    assert any("setWeight" in e for e in errors), errors
    assert any("'name' is a required property" in e for e in errors), errors


def test_sample_templates_validate_against_the_real_crd() -> None:
    for template in (SAMPLE_JOB_TEMPLATE, SAMPLE_WEB_TEMPLATE):
        assert crd_errors(template, "analysis-template-crd.yaml") == []


def project_templates() -> list[Path]:
    return [p for p in (render.JOB_TEMPLATE, render.WEB_TEMPLATE) if p.exists()]


def test_project_templates_fit_the_demo_rollout() -> None:
    """The templates other parts of the project ship: valid, and every argument they require
    is one the demo Rollout supplies (else Argo rejects the AnalysisRun at rollout time)."""
    paths = project_templates()
    if not paths:
        pytest.skip("templates/analysistemplate-*.yaml are not in this checkout yet")
    for path in paths:
        template = render.the_template(render.load_docs(path))
        assert crd_errors(template, "analysis-template-crd.yaml") == [], path
        rollout = render.render_rollout(template, CTX)
        assert crd_errors(rollout, "rollout-crd.yaml") == [], path
        supplied = {a["name"] for a in render.analysis_step(rollout).get("args", [])}
        required = {
            a["name"] for a in template["spec"].get("args", []) if "value" not in a and "valueFrom" not in a
        }
        assert required <= supplied, f"{path.name}: the demo does not supply {sorted(required - supplied)}"


# Core objects have no CRD here; the Kubernetes client's models know every field, so a round
# trip through them drops (and so reveals) any misspelt or misplaced field.
CORE_MODELS = {
    "Deployment": "V1Deployment",
    "Service": "V1Service",
    "Pod": "V1Pod",
    "NetworkPolicy": "V1NetworkPolicy",
    "ServiceAccount": "V1ServiceAccount",
    "Role": "V1Role",
    "RoleBinding": "V1RoleBinding",
}


def core_round_trip(doc: dict[str, Any], model: str) -> Any:
    from kubernetes.client import ApiClient

    client = ApiClient()
    return client.sanitize_for_serialization(client._ApiClient__deserialize(doc, model))  # type: ignore[attr-defined]


def core_objects() -> list[tuple[str, dict[str, Any]]]:
    found = [
        (f"{path.name}:{doc['kind']}/{doc['metadata']['name']}", doc)
        for path in sorted(render.MANIFESTS.glob("*.yaml"))
        for doc in render.load_manifest(path.name, MANIFEST_VALUES)
        if doc["kind"] in CORE_MODELS
    ]
    found += [
        (f"rendered:{d['metadata']['name']}", d)
        for d in render.airgap_policies("10.96.0.1", [("172.18.0.2", 6443)])
    ]
    return found


@pytest.mark.parametrize(("label", "doc"), core_objects(), ids=[label for label, _ in core_objects()])
def test_core_objects_use_only_real_kubernetes_fields(label: str, doc: dict[str, Any]) -> None:
    assert core_round_trip(doc, CORE_MODELS[doc["kind"]]) == doc


def test_rollout_pod_template_uses_only_real_kubernetes_fields() -> None:
    template = render.render_rollout(SAMPLE_JOB_TEMPLATE, CTX)["spec"]["template"]
    assert core_round_trip(template, "V1PodTemplateSpec") == template


def test_core_round_trip_reveals_a_misspelt_field() -> None:
    [deployment] = render.load_manifest("traffic.yaml")
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Never"
    assert core_round_trip(deployment, "V1Deployment") != deployment


@pytest.mark.parametrize("airgap", [False, True], ids=["online", "airgap"])
@pytest.mark.parametrize("provider", scenarios.PROVIDERS)
def test_what_the_demo_applies_per_provider_is_valid(provider: str, airgap: bool) -> None:
    """Exactly the documents the cluster run applies, checked against the CRDs and core models."""
    if not all(p.exists() for p in render.provider_files(provider)):
        pytest.skip(f"the {provider} provider's templates are not in this checkout yet")
    settings = Settings(airgap=airgap, our_image="rollouts-ai-job:e2e")
    docs = render.provider_docs(provider, settings.our_image, settings.model, settings.pull_policy)
    everything = [*docs.companion, *docs.template, *docs.demo]
    for doc in everything:
        label = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "AnalysisTemplate":
            assert crd_errors(doc, "analysis-template-crd.yaml") == [], label
        elif doc["kind"] == "Rollout":
            assert crd_errors(doc, "rollout-crd.yaml") == [], label
        else:
            assert doc["kind"] in CORE_MODELS, label
            assert core_round_trip(doc, CORE_MODELS[doc["kind"]]) == doc, label
        assert doc["metadata"].get("namespace"), f"{label} would land in kubectl's current namespace"
        for container in render.containers(doc):
            assert container["imagePullPolicy"] == settings.pull_policy, label
            if render.is_our_image(container["image"]):
                assert container["image"] == "rollouts-ai-job:e2e", label
                env = {e["name"]: e.get("value") for e in container.get("env", [])}
                assert env["OLLAMA_HOST"] == render.OLLAMA_URL, label
    assert any(render.is_our_image(c["image"]) for d in docs.template for c in render.containers(d)) or (
        provider == "web"
        and any(render.is_our_image(c["image"]) for d in docs.companion for c in render.containers(d))
    )
    assert docs.rollout["metadata"]["namespace"] == docs.namespace
    assert {d["metadata"]["namespace"] for d in docs.template} == {docs.namespace}


# ---------------------------------------------------------------- images


def manifest_images() -> set[str]:
    images: set[str] = set()
    for path in render.MANIFESTS.glob("*.yaml"):
        docs = render.load_manifest(path.name, MANIFEST_VALUES)
        images |= render.images(docs)
    return images


def test_every_image_the_demo_runs_is_pinned() -> None:
    used = manifest_images() - {MODEL_IMAGE}  # built on the host from the pinned Ollama image
    used |= {s.image for s in scenarios.SCENARIOS} | {pins.ROLLOUTS_DEMO_STABLE}
    assert used <= pins.pinned_images(), sorted(used - pins.pinned_images())
    for image in pins.pinned_images():
        name, _, tag = image.rpartition(":")
        assert name and "/" not in tag and tag != "latest", image


def test_the_rollout_starts_on_the_pinned_stable_image() -> None:
    [rollout] = render.load_manifest("rollout.yaml", MANIFEST_VALUES)
    assert scenarios.rollout_image(rollout) == pins.ROLLOUTS_DEMO_STABLE


def test_scenario_tags_are_published_rollouts_demo_tags() -> None:
    tags = {s.tag for s in scenarios.SCENARIOS}
    assert tags <= pins.rollouts_demo_tags()
    assert {"yellow", "bad-yellow", "slow-yellow"} == tags


def test_model_image_name_is_a_valid_local_tag() -> None:
    image = Settings(airgap=True, model="qwen2.5-coder:1.5b-instruct").ollama_model_image
    assert image == "rollouts-ai-job-e2e/ollama:0.12.10-qwen2.5-coder-1.5b-instruct"
    assert Settings(airgap=True).pull_policy == "Never"
    assert Settings(airgap=False).pull_policy == "IfNotPresent"


def test_install_manifest_must_match_the_pinned_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    content = f"kind: Deployment\nimage: {pins.ARGO_ROLLOUTS_UNPINNED_IMAGE}\n".encode()
    with pytest.raises(render.RenderError, match="sha256"):
        render.verify_install_manifest(content)
    monkeypatch.setattr(pins, "ARGO_ROLLOUTS_INSTALL_SHA256", hashlib.sha256(content).hexdigest())
    text = render.verify_install_manifest(content)
    assert pins.ARGO_ROLLOUTS_IMAGE in text and ":latest" not in text


def test_install_manifest_pin_is_the_release_tag() -> None:
    assert pins.ARGO_ROLLOUTS_VERSION in pins.ARGO_ROLLOUTS_INSTALL_URL
    assert pins.ARGO_ROLLOUTS_IMAGE.endswith(":" + pins.ARGO_ROLLOUTS_VERSION)
    assert len(pins.ARGO_ROLLOUTS_INSTALL_SHA256) == 64
    # the vendored CRDs used for validation come from the same release
    assert f"/{pins.ARGO_ROLLOUTS_VERSION}/manifests/crds/" in (CRDS_DIR / "README.md").read_text()


# ---------------------------------------------------------------- our CLI


def click_command(name: str | None) -> click.Command:
    if name is None:
        return cli.main
    command = cli.main.commands.get(name)  # type: ignore[attr-defined]
    assert command is not None, f"rollouts-ai-job has no `{name}` command"
    return command


def long_flags(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", []) if opt.startswith("--")} | {
        "--help"
    }


def env_vars(command: click.Command) -> set[str]:
    return {param.envvar for param in command.params if isinstance(getattr(param, "envvar", None), str)}


def our_containers() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in [*render.MANIFESTS.glob("*.yaml"), *render.TEMPLATES.glob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        docs = [
            d for d in yaml.safe_load_all(render.fill(text, MANIFEST_VALUES) if "@@" in text else text) if d
        ]
        for doc in docs:
            for container in render.containers(doc):
                if render.is_our_image(container.get("image", "")):
                    found.append((path.name, container))
    return found


def test_invocation_reads_subcommand_and_flags() -> None:
    container = {"args": ["--log-level", "info", "analyze", "--namespace=x", "--no-llm", "-o", "json"]}
    got = render.invocation(container)
    assert got == render.Invocation("analyze", ("--log-level",), ("--namespace", "--no-llm"))
    shell = {"command": ["/bin/sh", "-c"], "args": ["exec rollouts-ai-job serve --port 8080 --host 0.0.0.0"]}
    assert render.invocation(shell) == render.Invocation("serve", (), ("--port", "--host"))


def test_flag_check_catches_an_unknown_flag() -> None:
    bogus = render.invocation({"args": ["analyze", "--stable-hashes", "x"]})
    assert not set(bogus.flags) <= long_flags(click_command("analyze"))


def test_flags_given_to_our_image_are_real_cli_flags() -> None:
    containers = our_containers()
    if not containers:
        pytest.skip("no manifest or template in this checkout runs the rollouts-ai-job image yet")
    for source, container in containers:
        call = render.invocation(container)
        assert set(call.group_flags) <= long_flags(cli.main), (source, call)
        if call.subcommand:
            flags = long_flags(click_command(call.subcommand))
            assert set(call.flags) <= flags, f"{source}: unknown flags {sorted(set(call.flags) - flags)}"


def test_env_the_demo_injects_is_read_by_the_cli() -> None:
    env = {"OLLAMA_HOST", "ROLLOUTS_AI_MODEL"}
    assert env <= env_vars(click_command("analyze"))
    if "serve" in cli.main.commands:  # type: ignore[attr-defined]
        assert env <= env_vars(click_command("serve"))


def test_use_our_image_rewrites_only_our_containers() -> None:
    docs = [copy.deepcopy(SAMPLE_JOB_TEMPLATE), *render.load_manifest("traffic.yaml")]
    out = render.use_our_image(docs, "rollouts-ai-job:e2e", {"OLLAMA_HOST": "http://o:11434"})
    [ours] = list(render.containers(out[0]))
    assert ours["image"] == "rollouts-ai-job:e2e"
    assert {"name": "OLLAMA_HOST", "value": "http://o:11434"} in ours["env"]
    [traffic] = list(render.containers(out[1]))
    assert traffic["image"] == pins.CURL_IMAGE and "env" not in traffic
    assert docs[0] == SAMPLE_JOB_TEMPLATE  # input untouched


@pytest.mark.parametrize(
    ("image", "ours"),
    [
        ("rollouts-ai-job:e2e", True),
        ("ghcr.io/x/rollouts-ai-job:0.1.0", True),
        ("localhost:5000/rollouts-ai-job@sha256:abc", True),
        ("rollouts-ai-job-e2e/ollama:0.12.10-qwen", False),
        ("curlimages/curl:8.11.1", False),
    ],
)
def test_is_our_image(image: str, ours: bool) -> None:
    assert render.is_our_image(image) is ours


def test_pull_policy_and_namespace_reach_every_pod_spec() -> None:
    docs = [
        copy.deepcopy(SAMPLE_JOB_TEMPLATE),
        *render.ollama_docs("m", "qwen2.5-coder:1.5b-instruct"),
    ]
    never = render.set_pull_policy(docs, "Never")
    assert {c["imagePullPolicy"] for d in never for c in render.containers(d)} == {"Never"}
    binding = {
        "kind": "RoleBinding",
        "metadata": {"name": "b"},
        "subjects": [{"kind": "ServiceAccount", "name": "s"}],
    }
    placed = render.into_namespace([binding, {"kind": "ClusterRole", "metadata": {"name": "r"}}], "demo-job")
    assert placed[0]["metadata"]["namespace"] == "demo-job"
    assert placed[0]["subjects"][0]["namespace"] == "demo-job"
    assert "namespace" not in placed[1]["metadata"]
    kept = render.into_namespace(
        [{"kind": "Service", "metadata": {"name": "s", "namespace": "x"}}], "demo-job"
    )
    assert kept[0]["metadata"]["namespace"] == "x"


# ---------------------------------------------------------------- Rollout args from the template


def test_analysis_args_map_hashes_and_namespace() -> None:
    args = {a["name"]: a for a in render.analysis_args(SAMPLE_WEB_TEMPLATE, CTX)}
    assert args["stable-hash"]["valueFrom"] == {"podTemplateHashValue": "Stable"}
    assert args["latest-hash"]["valueFrom"] == {"podTemplateHashValue": "Latest"}
    assert args["namespace"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}


def test_analysis_args_pass_model_and_ollama_only_when_declared() -> None:
    template = copy.deepcopy(SAMPLE_JOB_TEMPLATE)
    assert {a["name"] for a in render.analysis_args(template, CTX)} == {
        "stable-hash",
        "canary-hash",
        "namespace",
    }
    template["spec"]["args"] += [{"name": "model", "value": "x"}, {"name": "ollama-host", "value": "y"}]
    args = {a["name"]: a for a in render.analysis_args(template, CTX)}
    assert args["model"] == {"name": "model", "value": CTX.model}
    assert args["ollama-host"] == {"name": "ollama-host", "value": render.OLLAMA_URL}


def test_analysis_args_refuse_a_required_argument_the_demo_cannot_supply() -> None:
    template = copy.deepcopy(SAMPLE_JOB_TEMPLATE)
    template["spec"]["args"].append({"name": "api-token"})
    with pytest.raises(render.RenderError, match="'api-token'"):
        render.analysis_args(template, CTX)
    template["spec"]["args"][-1]["value"] = "default"
    assert "api-token" not in {a["name"] for a in render.analysis_args(template, CTX)}


def test_secret_refs_and_url_namespace() -> None:
    template = copy.deepcopy(SAMPLE_WEB_TEMPLATE)
    template["spec"]["args"].append(
        {"name": "token", "valueFrom": {"secretKeyRef": {"name": "tok", "key": "token"}}}
    )
    assert render.secret_refs(template) == [("tok", "token")]
    assert render.secret_refs(SAMPLE_JOB_TEMPLATE) == []
    assert render.url_namespace("http://rollouts-ai-job-web.default.svc.cluster.local:8080") == "default"
    assert render.url_namespace("http://svc.analysis.svc:8080/analyze") == "analysis"
    assert render.url_namespace("http://rollouts-ai-job:8080") is None
    assert render.url_namespace("{{args.service-url}}/analyze") is None


def test_web_service_and_template_agree_with_the_demo_namespace() -> None:
    """The web Rollout runs where the web service lives: the template's default service URL must
    point there and the service must be allowed to judge that namespace."""
    if not (render.WEB_TEMPLATE.exists() and render.WEB_SERVICE.exists()):
        pytest.skip("templates/analysistemplate-web.yaml and web-service.yaml are not in this checkout yet")
    namespace = render.provider_namespace("web")
    template = render.the_template(render.load_docs(render.WEB_TEMPLATE))
    defaults = {a["name"]: a.get("value", "") for a in template["spec"].get("args", [])}
    urls = [str(v) for v in defaults.values() if str(v).startswith("http")]
    urls += [m["provider"]["web"]["url"] for m in template["spec"]["metrics"] if "web" in m["provider"]]
    named = {ns for ns in map(render.url_namespace, urls) if ns}
    assert named <= {namespace}, (
        f"the template points at {named}, the demo runs the web Rollout in {namespace}"
    )
    for doc in render.load_docs(render.WEB_SERVICE):
        for container in render.containers(doc):
            allowed = [
                w.split("=", 1)[1] for w in container.get("args", []) if w.startswith("--allow-namespace=")
            ]
            if allowed:
                assert namespace in ",".join(allowed).split(","), allowed


def test_provider_namespaces() -> None:
    assert render.provider_namespace("job") == "demo-job"
    expected = "demo-web"
    if render.WEB_SERVICE.exists():
        expected = next(
            d["metadata"].get("namespace", "demo-web")
            for d in render.load_docs(render.WEB_SERVICE)
            if d["kind"] == "Deployment"
        )
    assert render.provider_namespace("web") == expected


# ---------------------------------------------------------------- Rollout status -> outcome


def recorded_rollout(image: str, generation: int, status: dict[str, Any]) -> dict[str, Any]:
    """A Rollout as `kubectl get rollout -o json` shows it (fields as Argo Rollouts v1.9 writes them)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "rollouts-demo", "namespace": "demo-job", "generation": generation},
        "spec": {"template": {"spec": {"containers": [{"name": "rollouts-demo", "image": image}]}}},
        "status": status,
    }


YELLOW = pins.rollouts_demo_image("yellow")
BAD = pins.rollouts_demo_image("bad-yellow")
STABLE_HASH = "687d76d795"
CANARY_HASH = "5b9f8c7c64"

HEALTHY_BEFORE = {
    "observedGeneration": "1",
    "phase": "Healthy",
    "stableRS": STABLE_HASH,
    "currentPodHash": STABLE_HASH,
    "replicas": 5,
    "updatedReplicas": 5,
    "availableReplicas": 5,
}
STEPPING = {
    "observedGeneration": "2",
    "phase": "Paused",
    "message": "CanaryPauseStep",
    "stableRS": STABLE_HASH,
    "currentPodHash": CANARY_HASH,
    "currentStepIndex": 1,
    "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-11-26T07:00:00Z"}],
    "canary": {
        "currentStepAnalysisRunStatus": {"name": f"rollouts-demo-{CANARY_HASH}-2-2", "status": "Running"}
    },
}
ABORTED = {
    "observedGeneration": "2",
    "abort": True,
    "abortedAt": "2026-11-26T07:03:10Z",
    "phase": "Degraded",
    "message": "RolloutAborted: Rollout aborted update to revision 2: "
    "Step-based analysis phase error/failed: "
    'Metric "rollouts-ai-job" assessed Failed due to failed (1) > failureLimit (0)',
    "stableRS": STABLE_HASH,
    "currentPodHash": CANARY_HASH,
    "currentStepIndex": 0,
    "canary": {
        "currentStepAnalysisRunStatus": {"name": f"rollouts-demo-{CANARY_HASH}-2-2", "status": "Failed"}
    },
}
INCONCLUSIVE = {
    **STEPPING,
    "message": "InconclusiveAnalysisRun",
    "pauseConditions": [{"reason": "InconclusiveAnalysisRun", "startTime": "2026-11-26T07:02:00Z"}],
}
TIMED_OUT = {
    **STEPPING,
    "phase": "Degraded",
    "message": 'ProgressDeadlineExceeded: ReplicaSet "rollouts-demo-5b9f8c7c64" has timed out progressing.',
    "pauseConditions": [],
}
PROMOTED = {
    "observedGeneration": "2",
    "phase": "Healthy",
    "stableRS": CANARY_HASH,
    "currentPodHash": CANARY_HASH,
    "currentStepIndex": 8,
    "replicas": 5,
    "updatedReplicas": 5,
    "availableReplicas": 5,
}


@pytest.mark.parametrize(
    ("rollout", "target", "expected"),
    [
        # the patch has not reached the object yet
        (recorded_rollout(pins.ROLLOUTS_DEMO_STABLE, 1, HEALTHY_BEFORE), YELLOW, "pending"),
        # the spec changed but the controller has not reconciled it: status still says Healthy
        (recorded_rollout(YELLOW, 2, HEALTHY_BEFORE), YELLOW, "pending"),
        (recorded_rollout(YELLOW, 2, {**HEALTHY_BEFORE, "observedGeneration": "2"}), YELLOW, "pending"),
        (recorded_rollout(YELLOW, 2, STEPPING), YELLOW, "progressing"),
        (recorded_rollout(BAD, 2, ABORTED), BAD, "aborted"),
        (recorded_rollout(BAD, 2, {**ABORTED, "abort": False}), BAD, "aborted"),
        (recorded_rollout(YELLOW, 2, INCONCLUSIVE), YELLOW, "inconclusive"),
        (recorded_rollout(YELLOW, 2, TIMED_OUT), YELLOW, "degraded"),
        (recorded_rollout(YELLOW, 2, PROMOTED), YELLOW, "promoted"),
        (recorded_rollout(YELLOW, 2, {**PROMOTED, "phase": "Progressing"}), YELLOW, "progressing"),
    ],
    ids=[
        "not-patched",
        "not-reconciled",
        "old-stable-still-healthy",
        "stepping",
        "aborted",
        "aborted-by-message",
        "inconclusive",
        "timed-out",
        "promoted",
        "promoted-not-ready",
    ],
)
def test_rollout_outcome(rollout: dict[str, Any], target: str, expected: str) -> None:
    assert scenarios.rollout_outcome(rollout, target, STABLE_HASH) == expected


def test_step_run_name_comes_from_canary_status() -> None:
    assert scenarios.step_run_name(recorded_rollout(BAD, 2, ABORTED)) == f"rollouts-demo-{CANARY_HASH}-2-2"
    assert scenarios.step_run_name(recorded_rollout(YELLOW, 2, PROMOTED)) is None


# ---------------------------------------------------------------- AnalysisRun -> judgement


def recorded_run(phase: str, measurements: list[dict[str, Any]], message: str = "") -> dict[str, Any]:
    """An AnalysisRun of the demo's analysis step as Argo v1.9.1 writes it (rollout/analysis.go
    reconcileStepBasedAnalysisRun, utils/analysis StepLabels; counters as analysis.go runMeasurements
    keeps them: Error measurements are not in `count`)."""
    counts: dict[str, int] = {}
    for m in measurements:
        counts[m["phase"].lower()] = counts.get(m["phase"].lower(), 0) + 1
    last_message = measurements[-1].get("message", "") if measurements else ""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {
            "name": f"rollouts-demo-{CANARY_HASH}-2-2",
            "labels": {"rollout-type": "Step", "step-index": "2", "rollouts-pod-template-hash": CANARY_HASH},
        },
        "status": {
            "phase": phase,
            "message": message,
            "metricResults": [
                {
                    "name": "rollouts-ai-job",
                    "phase": phase,
                    "count": len(measurements) - counts.get("error", 0),
                    **counts,
                    **({"message": last_message} if last_message else {}),
                    "measurements": measurements,
                }
            ],
        },
    }


def job_measurement(phase: str, job: str) -> dict[str, Any]:
    return {
        "phase": phase,
        "startedAt": "2026-11-26T07:01:00Z",
        "finishedAt": "2026-11-26T07:01:40Z",
        "metadata": {"job-name": job, "job-namespace": "demo-job"},
    }


def web_measurement(phase: str, verdict: str) -> dict[str, Any]:
    """A web measurement: Argo stores what jsonPath selected (our compact object) as the value."""
    value = json.dumps({"score": 0.9 if verdict == "pass" else 0.1, "summary": "s", "verdict": verdict})
    return {
        "phase": phase,
        "startedAt": "2026-11-26T07:01:00Z",
        "finishedAt": "2026-11-26T07:01:04Z",
        "value": value,
    }


FAILED_RUN = recorded_run(
    "Failed",
    [job_measurement("Failed", "abc.rollouts-ai-job.1")],
    'Metric "rollouts-ai-job" assessed Failed due to failed (1) > failureLimit (0)',
)
GOOD_RUN = recorded_run("Successful", [job_measurement("Successful", "abc.rollouts-ai-job.1")])
GOOD_WEB_RUN = recorded_run("Successful", [web_measurement("Successful", "pass")] * 3)
FAILED_WEB_RUN = recorded_run(
    "Failed",
    [web_measurement("Successful", "pass"), web_measurement("Failed", "fail")],
    'Metric "ai-canary-judge" assessed Failed due to failed (1) > failureLimit (0)',
)
# Background analysis outrun by the steps (the demo before this fix): the Rollout cancels the
# run (spec.terminate, rollout/analysis.go cancelAnalysisRuns), the in-flight Job is deleted and
# its measurement marked Successful (job.go Terminate) with the message "Metric Terminated"
# (analysis.go runMeasurements), the run ends Successful "Run Terminated" (assessRunStatus).
TERMINATED_JOB_RUN = recorded_run(
    "Successful",
    [{**job_measurement("Successful", "abc.rollouts-ai-job.1"), "message": "Metric Terminated"}],
    "Run Terminated",
)
TERMINATED_JOB_RUN["spec"] = {"terminate": True}
# A web metric cancelled before its first look (still in initialDelay): no metric result at all,
# and assessRunStatus answers Successful for a terminating run with nothing measured.
UNMEASURED_WEB_RUN = {**recorded_run("Successful", [], "Run Terminated")}
UNMEASURED_WEB_RUN["status"] = {"phase": "Successful", "message": "Run Terminated", "metricResults": []}
UNMEASURED_WEB_RUN["spec"] = {"terminate": True}
# ... and one cancelled after one of its three looks: assessMetricStatus calls it Successful.
SHORT_WEB_RUN = recorded_run("Successful", [web_measurement("Successful", "pass")], "Run Terminated")
SHORT_WEB_RUN["spec"] = {"terminate": True}
ERROR_RUN = recorded_run(
    "Error",
    [{**job_measurement("Error", "abc.rollouts-ai-job.1"), "message": "jobs.batch is forbidden"}] * 5,
    'Metric "rollouts-ai-job" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4)',
)


def scenario(provider: str, expect: str) -> Scenario:
    return next(s for s in scenarios.SCENARIOS if s.provider == provider and s.expect == expect)


def test_judge_run_counts_measurements() -> None:
    judged = scenarios.judge_run(ERROR_RUN)
    assert judged.phase == "Error" and judged.count("Error") == 5 and judged.count("Successful") == 0


def test_check_scenario_accepts_an_abort_by_a_fail_verdict() -> None:
    assert (
        scenarios.check_scenario(scenario("job", "aborted"), "aborted", scenarios.judge_run(FAILED_RUN), [1])
        == []
    )
    assert (
        scenarios.check_scenario(scenario("web", "aborted"), "aborted", scenarios.judge_run(FAILED_WEB_RUN))
        == []
    )


def test_check_scenario_wants_the_web_verdict_itself_behind_an_abort_or_a_promotion() -> None:
    """A Failed web measurement must read "fail" from our value: an Error run, a non-JSON 2xx
    (Successful whatever it says) or a value that is not ours is no verdict of the tool."""
    no_value = recorded_run("Failed", [{"phase": "Failed", "value": "1"}], "failed (1) > failureLimit (0)")
    problems = scenarios.check_scenario(scenario("web", "aborted"), "aborted", scenarios.judge_run(no_value))
    assert "no Failed measurement reads verdict fail" in problems[-1]
    assert any("carry no verdict of ours" in p for p in problems)
    proxy = recorded_run("Successful", [{"phase": "Successful", "value": "<html>ok</html>"}] * 3)
    problems = scenarios.check_scenario(scenario("web", "promoted"), "promoted", scenarios.judge_run(proxy))
    assert any("carry no verdict of ours" in p for p in problems)
    assert any("expected only pass" in p for p in problems)
    assert (
        scenarios.check_scenario(scenario("web", "promoted"), "promoted", scenarios.judge_run(GOOD_WEB_RUN))
        == []
    )


def test_check_scenario_rejects_an_abort_the_verdict_did_not_cause() -> None:
    errored = scenarios.check_scenario(
        scenario("job", "aborted"), "aborted", scenarios.judge_run(ERROR_RUN), []
    )
    assert any("ended Error, expected Failed" in p and "consecutiveErrors" in p for p in errored)
    # a Job that exits 4 (could not analyse) also fails the metric: that is not a caught canary
    not_analysed = scenarios.check_scenario(
        scenario("job", "aborted"), "aborted", scenarios.judge_run(FAILED_RUN), [4]
    )
    assert any("none is 1" in p for p in not_analysed)


def test_check_scenario_rejects_a_promotion_argo_made_by_terminating_the_analysis() -> None:
    """The shapes Argo really writes when the steps outrun the analysis (see TERMINATED_JOB_RUN):
    Successful, yet nothing was judged; the Job and its pod are gone, so no exit code either."""
    judged = scenarios.judge_run(TERMINATED_JOB_RUN)
    assert judged.phase == "Successful" and judged.terminated == 1 and judged.count("Successful") == 0
    problems = scenarios.check_scenario(scenario("job", "promoted"), "promoted", judged, [])
    assert any("terminated unjudged ('Metric Terminated')" in p for p in problems)
    assert any("never measured the canary as healthy" in p for p in problems)
    assert "no finished analysis Job pod was found: the pass is not the tool's" in problems
    unmeasured = scenarios.check_scenario(
        scenario("web", "promoted"), "promoted", scenarios.judge_run(UNMEASURED_WEB_RUN)
    )
    assert any("never measured" in p for p in unmeasured)
    assert (
        scenarios.check_scenario(scenario("job", "promoted"), "promoted", scenarios.judge_run(GOOD_RUN), [0])
        == []
    )


def test_check_scenario_wants_a_finished_job_pod_that_exited_0_behind_a_promotion() -> None:
    run = scenarios.judge_run(GOOD_RUN)
    assert "no finished analysis Job pod was found: the pass is not the tool's" in scenarios.check_scenario(
        scenario("job", "promoted"), "promoted", run, []
    )
    assert any(
        "expected only 0" in p
        for p in scenarios.check_scenario(scenario("job", "promoted"), "promoted", run, [0, 3])
    )
    jobs = [job_measurement("Successful", "a.1"), job_measurement("Successful", "a.2")]
    two = scenarios.judge_run(recorded_run("Successful", jobs))
    assert scenarios.check_scenario(scenario("job", "promoted"), "promoted", two, [0]) == [
        f"AnalysisRun {two.name} has 2 Successful measurements but only 1 Job pod(s) that exited 0"
    ]


def test_check_scenario_rejects_a_web_run_cut_short_after_one_look() -> None:
    """One look of three, then the Rollout's cancellation: Argo says Successful on one pass
    (assessMetricStatus). Each look read was ours, but the run was not allowed to finish."""
    judged = scenarios.judge_run(SHORT_WEB_RUN)
    assert judged.verdicts == {"Successful": ["pass"]} and judged.terminated == 0 and judged.cancelled
    problems = scenarios.check_scenario(scenario("web", "promoted"), "promoted", judged)
    assert problems == [
        f"AnalysisRun {judged.name} was cancelled (spec.terminate) before it finished: "
        "a run cut short is assessed Successful on what it had measured, or on nothing"
    ]


def test_check_scenario_tolerates_one_error_measurement_among_verdicts() -> None:
    error = {"phase": "Error", "message": "received non 2xx response code: 504"}
    passes = [web_measurement("Successful", "pass")] * 2
    run = scenarios.judge_run(recorded_run("Successful", [passes[0], error, passes[1]]))
    assert run.counts == {"Error": 1, "Successful": 2}
    assert scenarios.check_scenario(scenario("web", "promoted"), "promoted", run) == []
    ended_in_error = RunJudgement(
        name="r",
        phase="Error",
        message="m",
        counts={"Error": 3, "Successful": 1},
        verdicts={"Successful": ["pass"]},
    )
    assert scenarios.check_scenario(scenario("web", "promoted"), "promoted", ended_in_error) == [
        "AnalysisRun r ended Error: m"
    ]


def test_check_scenario_reports_the_wrong_outcome_and_a_missing_run() -> None:
    problems = scenarios.check_scenario(scenario("job", "aborted"), "promoted", None)
    assert problems[0] == "expected the Rollout to be aborted, it ended promoted"
    assert "no AnalysisRun" in problems[1]


def test_scenarios_cover_both_providers_in_order() -> None:
    ids = [s.id for s in scenarios.SCENARIOS]
    assert ids == ["job-new-colour", "job-bad", "job-slow", "web-new-colour", "web-bad", "web-slow"]
    assert [s.expect for s in scenarios.SCENARIOS[:3]] == ["promoted", "aborted", "aborted"]
    assert {s.namespace for s in scenarios.SCENARIOS} == {
        render.provider_namespace(p) for p in scenarios.PROVIDERS
    }


# ---------------------------------------------------------------- timing


@pytest.mark.parametrize(("value", "seconds"), [(30, 30), ("30", 30), ("45s", 45), ("5m", 300), ("1h", 3600)])
def test_pause_seconds(value: int | str, seconds: int) -> None:
    assert scenarios.pause_seconds(value) == seconds


def test_pause_seconds_rejects_what_argo_would_not_parse_the_same_way() -> None:
    with pytest.raises(ValueError, match="1m30s"):
        scenarios.pause_seconds("1m30s")


def test_scenario_timeout_follows_the_rollout_steps_and_the_analysis() -> None:
    steps = render.rollout_steps(render.render_rollout(SAMPLE_JOB_TEMPLATE, CTX))
    timing = scenarios.Timing(per_step_slack_seconds=10)
    assert scenarios.steps_seconds(steps) == 60 + 30
    assert scenarios.scenario_timeout(steps, 100, timing) == 90 + 10 * len(steps) + 100
    with pytest.raises(ValueError, match="indefinite pause"):
        scenarios.steps_seconds([{"setWeight": 20}, {"pause": {}}])


def test_analysis_seconds_bound_each_metric_by_its_own_limits() -> None:
    web = copy.deepcopy(SAMPLE_WEB_TEMPLATE)
    web["spec"]["args"].append({"name": "initial-delay", "value": "1m"})
    metric = web["spec"]["metrics"][0]
    metric.update(initialDelay="{{args.initial-delay}}", count=3)
    # 60 s delay, two 60 s intervals, three looks of up to 30 s
    assert scenarios.analysis_seconds(web) == 60 + 2 * 60 + 3 * 30
    assert scenarios.analysis_seconds(web, [{"name": "initial-delay", "value": "0s"}]) == 2 * 60 + 3 * 30
    assert scenarios.initial_delay_seconds(web) == 60
    job = copy.deepcopy(SAMPLE_JOB_TEMPLATE)
    job["spec"]["metrics"][0].pop("interval")
    job["spec"]["metrics"][0]["provider"]["job"]["spec"]["activeDeadlineSeconds"] = 300
    assert scenarios.analysis_seconds(job) == 300
    metric.pop("count")
    with pytest.raises(ValueError, match="never ends"):
        scenarios.analysis_seconds(web)


# ---------------------------------------------------------------- air-gapped egress


ENDPOINTS = [("172.18.0.2", 6443)]


def test_airgap_policy_allows_only_in_cluster_destinations() -> None:
    docs = render.airgap_policies("10.96.0.1", ENDPOINTS)
    assert {d["metadata"]["name"] for d in docs} == {"analysis-egress-airgap", "ollama-no-egress"}
    for doc in docs:
        assert render.egress_problems(doc) == []
    analysis = docs[0]
    blocks = [p["ipBlock"]["cidr"] for r in analysis["spec"]["egress"] for p in r["to"] if "ipBlock" in p]
    assert blocks == ["10.96.0.1/32", "172.18.0.2/32"]
    ports = [r["ports"] for r in analysis["spec"]["egress"] if any("ipBlock" in p for p in r["to"])]
    assert ports == [[{"protocol": "TCP", "port": 443}], [{"protocol": "TCP", "port": 6443}]]


def test_airgap_policy_needs_the_apiserver_endpoints() -> None:
    with pytest.raises(render.RenderError, match="no endpoints"):
        render.airgap_policies("10.96.0.1", [])


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"ports": [{"port": 443}]}, "no `to`"),
        ({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}, "range 0.0.0.0/0"),
        ({"to": [{"ipBlock": {"cidr": "172.18.0.0/16"}}]}, "range 172.18.0.0/16"),
        ({"to": [{"namespaceSelector": {}}]}, "every namespace"),
    ],
)
def test_egress_problems_catch_open_rules(rule: dict[str, Any], problem: str) -> None:
    policy = {"metadata": {"name": "p"}, "spec": {"policyTypes": ["Egress"], "egress": [rule]}}
    assert any(problem in p for p in render.egress_problems(policy))


def test_egress_problems_catch_an_ingress_only_policy() -> None:
    policy = {"metadata": {"name": "p"}, "spec": {"policyTypes": ["Ingress"]}}
    assert any("lacks Egress" in p for p in render.egress_problems(policy))


def test_probe_pod_targets_the_internet_and_ollama() -> None:
    [pod] = render.egress_probe("demo-job")
    script = pod["spec"]["containers"][0]["args"][0]
    assert pod["metadata"]["namespace"] == "demo-job"
    assert all(url in script for url in render.INTERNET_URLS) and render.OLLAMA_URL in script
    assert "@@" not in script


def test_parse_probe_blocked_and_reachable() -> None:
    out = (
        "internet https://1.1.1.1 exit=28 http=000\n"
        "internet http://example.com exit=6 http=000\n"
        f"ollama {render.OLLAMA_URL} exit=0 http=200\n"
    )
    result = render.parse_probe(out)
    assert result.internet_blocked and result.ollama_reachable


def test_parse_probe_open_internet_is_not_blocked() -> None:
    out = (
        "internet https://1.1.1.1 exit=0 http=301\n"
        "internet http://example.com exit=28 http=000\n"
        "ollama u exit=7 http=000"
    )
    result = render.parse_probe(out)
    assert not result.internet_blocked and not result.ollama_reachable


def test_parse_probe_refuses_partial_output() -> None:
    with pytest.raises(render.RenderError, match="no complete result"):
        render.parse_probe("internet https://1.1.1.1 exit=28 http=000\n")


# ---------------------------------------------------------------- summaries


def test_analysis_run_summary_shows_phase_message_and_jobs() -> None:
    lines = summary.analysis_run_lines(FAILED_RUN)
    assert lines[0].startswith(f"AnalysisRun rollouts-demo-{CANARY_HASH}-2-2: Failed - Metric")
    assert "metric rollouts-ai-job: Failed (failed 1)" in lines[1]
    assert "job=abc.rollouts-ai-job.1" in lines[2]
    assert summary.job_names(ERROR_RUN) == ["abc.rollouts-ai-job.1"]


def test_web_measurement_value_is_read_as_our_result_document() -> None:
    value = '{"verdict": "fail", "score": 0.1, "confidence": 0.9, "summary": "canary answers HTTP 500"}'
    run = recorded_run("Failed", [{"phase": "Failed", "value": value}])
    line = summary.analysis_run_lines(run)[2]
    assert "verdict=fail score=0.10 confidence=0.90 summary='canary answers HTTP 500'" in line
    assert summary.describe_value("x" * 1000).endswith("…")


def test_termination_messages_and_our_events() -> None:
    pod = {
        "metadata": {"name": "abc-xyz"},
        "status": {
            "containerStatuses": [
                {
                    "name": "analyze",
                    "state": {"terminated": {"exitCode": 1, "message": '{"verdict": "fail"}'}},
                },
                {"name": "sidecar", "state": {"running": {}}},
            ]
        },
    }
    assert list(summary.terminated_containers(pod)) == [("analyze", 1, '{"verdict": "fail"}')]
    assert summary.termination_lines(pod) == ["  pod abc-xyz/analyze: exit 1: verdict=fail"]
    events = [
        {
            "reason": "CanaryFailed",
            "type": "Warning",
            "message": "fail: 85% HTTP 500",
            "reportingComponent": "rollouts-ai-job",
            "involvedObject": {"kind": "Rollout", "name": "rollouts-demo"},
        },
        {"reason": "Scheduled", "source": {"component": "default-scheduler"}, "message": "x"},
        {
            "reason": "Verdict",
            "source": {"component": "rollouts-ai-job"},
            "message": "pass",
            "involvedObject": {"kind": "Job", "name": "j"},
        },
    ]
    assert [e["reason"] for e in summary.our_events(events)] == ["CanaryFailed", "Verdict"]
    assert [e["reason"] for e in summary.our_events(events, about={"j"})] == ["Verdict"]
    assert (
        summary.event_lines(events)[0]
        == "  event Warning CanaryFailed on Rollout/rollouts-demo: fail: 85% HTTP 500"
    )


# ---------------------------------------------------------------- preflight


def fake_run(outputs: dict[str, tuple[int, str]]):  # type: ignore[no-untyped-def]
    def run(argv):  # type: ignore[no-untyped-def]
        return outputs[Path(argv[0]).name]

    return run


def test_preflight_names_every_missing_tool() -> None:
    problems, tools = preflight.missing(which=lambda name: None, run=fake_run({}))
    assert tools is None
    assert [p.split(" ")[0] for p in problems] == ["docker", "kind", "kubectl"]


def test_preflight_reports_an_unreachable_daemon_and_an_old_kind() -> None:
    outputs = {
        "docker": (1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock"),
        "kind": (0, "kind v0.20.0 go1.20.4 linux/amd64"),
    }
    problems, tools = preflight.missing(which=lambda name: f"/usr/bin/{name}", run=fake_run(outputs))
    assert tools is None
    assert "docker daemon is not reachable (Cannot connect" in problems[0]
    assert "kind 0.20.0 is older than 0.24.0" in problems[1]


def test_preflight_passes_with_everything_in_place() -> None:
    outputs = {"docker": (0, "27.3.1"), "kind": (0, "kind v0.27.0 go1.23.6 linux/amd64")}
    problems, tools = preflight.missing(which=lambda name: f"/usr/bin/{name}", run=fake_run(outputs))
    assert problems == []
    assert tools == preflight.Tools("/usr/bin/docker", "/usr/bin/kind", "/usr/bin/kubectl")


def test_kind_version() -> None:
    assert preflight.kind_version("kind v0.24.0 go1.22.6 linux/amd64") == (0, 24, 0)
    assert preflight.kind_version("garbage") is None


def test_entry_point_prints_the_needs_and_fails_when_something_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from e2e import __main__ as entry

    monkeypatch.setattr(preflight, "missing", lambda: (["kind is not installed: see X"], None))
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    assert "Docker with a running daemon" in err and "kind >= 0.24.0" in err
    assert "  - kind is not installed: see X" in err


# ---------------------------------------------------------------- Stack.run_scenario on a stand-in


class FakeArgo:
    """kubectl against a stand-in Argo Rollouts controller that reaches each update's outcome
    in a few polls, writing the status, AnalysisRun, Job pod and Event a real one would.

    `behaviour(image)` says how the update ends: "pass", "fail", "error" (the analysis could not
    run) or "fail-open" (a bad canary judged healthy)."""

    def __init__(self, behaviour: Any) -> None:
        self.behaviour = behaviour
        self.state: dict[str, dict[str, Any]] = {}
        self.patches: list[tuple[str, str]] = []

    @staticmethod
    def pod_hash(image: str) -> str:
        return hashlib.sha256(image.encode()).hexdigest()[:10]

    def ns(self, namespace: str) -> dict[str, Any]:
        if namespace not in self.state:
            stable = self.pod_hash(pins.ROLLOUTS_DEMO_STABLE)
            self.state[namespace] = {
                "generation": 1,
                "image": pins.ROLLOUTS_DEMO_STABLE,
                "replica_sets": {stable: pins.ROLLOUTS_DEMO_STABLE},
                "statuses": [{**HEALTHY_BEFORE, "stableRS": stable, "currentPodHash": stable}],
                "runs": [],
                "pods": [],
                "events": [],
            }
        return self.state[namespace]

    def __call__(self, *args: str, input: str | None = None, timeout: float = 600) -> str:
        assert args[:2] == ("patch", "rollout"), f"unexpected kubectl {args}"
        namespace = args[args.index("-n") + 1]
        image = json.loads(args[-1])[0]["value"]
        self.patches.append((namespace, image))
        self.update(namespace, image)
        return ""

    def update(self, namespace: str, image: str) -> None:
        st = self.ns(namespace)
        old = st["statuses"][-1]
        st["generation"] += 1
        st["image"] = image
        generation = str(st["generation"])
        new, stable = self.pod_hash(image), old["stableRS"]
        st["replica_sets"][new] = image
        if new == stable:  # rollback to stable: Argo skips the steps
            st["statuses"] = [
                {
                    **HEALTHY_BEFORE,
                    "observedGeneration": generation,
                    "stableRS": stable,
                    "currentPodHash": stable,
                }
            ]
            return
        behaviour = self.behaviour(image)
        stepping = {**STEPPING, "observedGeneration": generation, "stableRS": stable, "currentPodHash": new}
        run_name = f"rollouts-demo-{new}-{generation}"
        job = f"uid-{new}.ai-verdict.1"
        if behaviour in {"pass", "fail-open", "terminated"}:
            end = {**PROMOTED, "observedGeneration": generation, "stableRS": new, "currentPodHash": new}
            phase, code = "Successful", 0
        elif behaviour == "fail":
            end = {**ABORTED, "observedGeneration": generation, "stableRS": stable, "currentPodHash": new}
            phase, code = "Failed", 1
        else:
            end = {**ABORTED, "observedGeneration": generation, "stableRS": stable, "currentPodHash": new}
            phase, code = "Error", None
        # the controller has not seen the patch on the first poll
        st["statuses"] = [{**old}, stepping, stepping, end]
        web = namespace == render.provider_namespace("web")
        if behaviour == "terminated":  # the steps outran a background analysis: Job deleted
            measurements = [{**job_measurement("Successful", job), "message": "Metric Terminated"}]
            code = None
        elif code is None:
            measurements = [{"phase": "Error", "message": "jobs.batch is forbidden"}]
        elif web:
            measurements = [web_measurement(phase, "pass" if code == 0 else "fail")]
        else:
            measurements = [job_measurement(phase, job)]
        run = recorded_run(phase, measurements)
        run["metadata"].update(name=run_name, creationTimestamp=f"2026-11-26T07:{generation:0>2}:00Z")
        run["metadata"]["labels"]["rollouts-pod-template-hash"] = new
        st["runs"].append(run)
        if code is not None and not web:
            st["pods"].append(
                {
                    "metadata": {"name": f"{job}-pod", "labels": {"job-name": job}},
                    "status": {
                        "containerStatuses": [
                            {
                                "name": "analyze",
                                "state": {
                                    "terminated": {
                                        "exitCode": code,
                                        "message": json.dumps({"verdict": "pass" if code == 0 else "fail"}),
                                    }
                                },
                            }
                        ]
                    },
                }
            )
            st["events"].append(
                {
                    "reason": "AnalysisVerdict",
                    "type": "Normal",
                    "message": f"exit {code}",
                    "reportingComponent": "rollouts-ai-job",
                    "involvedObject": {"kind": "AnalysisRun", "name": run_name},
                }
            )

    def get(self, *args: str) -> dict[str, Any]:
        namespace = args[args.index("-n") + 1]
        st = self.ns(namespace)
        label = args[args.index("-l") + 1] if "-l" in args else ""
        if args[0] == "rollout":
            status = st["statuses"].pop(0) if len(st["statuses"]) > 1 else st["statuses"][0]
            return recorded_rollout(st["image"], st["generation"], status)
        if args[0] == "replicasets":
            image = st["replica_sets"][label.split("=")[1]]
            return {"items": [{"spec": {"template": {"spec": {"containers": [{"image": image}]}}}}]}
        if args[0] == "analysisruns":
            wanted = label.split("rollouts-pod-template-hash=")[1]
            return {
                "items": [
                    r for r in st["runs"] if r["metadata"]["labels"]["rollouts-pod-template-hash"] == wanted
                ]
            }
        if args[0] == "pods":
            job = label.split("=")[1]
            return {"items": [p for p in st["pods"] if p["metadata"]["labels"]["job-name"] == job]}
        if args[0] == "events":
            return {"items": st["events"]}
        raise AssertionError(f"unexpected kubectl get {args}")


def fake_stack(monkeypatch: pytest.MonkeyPatch, behaviour: Any) -> tuple[Any, FakeArgo]:
    from e2e import stack

    monkeypatch.setattr(stack.time, "sleep", lambda seconds: None)
    fake = FakeArgo(behaviour)
    the_stack = stack.Stack(settings=Settings(airgap=False), kube=fake, docker=None, load_image=None)  # type: ignore[arg-type]
    the_stack.ready_providers = {
        "job": render.render_rollout(SAMPLE_JOB_TEMPLATE, CTX),
        "web": render.render_rollout(SAMPLE_WEB_TEMPLATE, CTX),
    }
    return the_stack, fake


def honest(image: str) -> str:
    return "fail" if ("bad-" in image or "slow-" in image) else "pass"


def test_run_scenario_drives_all_six_scenarios(monkeypatch: pytest.MonkeyPatch) -> None:
    the_stack, fake = fake_stack(monkeypatch, honest)
    for sc in scenarios.SCENARIOS:
        outcome, problems, lines = the_stack.run_scenario(sc)
        assert (outcome, problems) == (sc.expect, []), sc.id
        assert lines[0].startswith("AnalysisRun rollouts-demo-")
        if sc.provider == "job":  # the verdict is the pod's exit code and termination message
            assert any("exit " in line and "verdict=" in line for line in lines), lines
            assert any(line.startswith("  event Normal AnalysisVerdict") for line in lines), lines
        else:  # the verdict is the measurement's value
            verdict = "pass" if sc.expect == "promoted" else "fail"
            assert any(line.startswith("    #1 ") and f"verdict={verdict}" in line for line in lines), lines
    yellow = pins.rollouts_demo_image("yellow")
    for namespace in {sc.namespace for sc in scenarios.SCENARIOS}:
        # yellow is promoted, bad-yellow aborted, then yellow is put back before slow-yellow
        assert [img for ns, img in fake.patches if ns == namespace] == [
            yellow,
            pins.rollouts_demo_image("bad-yellow"),
            yellow,
            pins.rollouts_demo_image("slow-yellow"),
        ]


def test_run_scenario_catches_a_promotion_by_terminated_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Rollout says promoted, the AnalysisRun says Successful: still a failed scenario."""
    the_stack, _ = fake_stack(monkeypatch, lambda image: "terminated")
    outcome, problems, _ = the_stack.run_scenario(scenario("job", "promoted"))
    assert outcome == "promoted"
    assert any("terminated unjudged" in p for p in problems)
    assert "no finished analysis Job pod was found: the pass is not the tool's" in problems


def test_run_scenario_catches_a_fail_open_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    the_stack, _ = fake_stack(monkeypatch, lambda image: "fail-open")
    outcome, problems, _ = the_stack.run_scenario(scenario("job", "aborted"))
    assert outcome == "promoted"
    assert "expected the Rollout to be aborted, it ended promoted" in problems


def test_run_scenario_does_not_credit_an_abort_caused_by_an_analysis_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    the_stack, _ = fake_stack(monkeypatch, lambda image: "error")
    outcome, problems, _ = the_stack.run_scenario(scenario("job", "aborted"))
    assert outcome == "aborted"
    assert any("ended Error, expected Failed" in p for p in problems)
    assert "no finished analysis Job pod was found" in problems


def test_run_scenario_gives_up_at_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from e2e import stack

    the_stack, fake = fake_stack(monkeypatch, honest)
    clock = iter(range(0, 100_000, 30))
    monkeypatch.setattr(stack.time, "monotonic", lambda: next(clock))
    original = fake.update

    def stuck(namespace: str, image: str) -> None:
        original(namespace, image)
        fake.ns(namespace)["statuses"] = fake.ns(namespace)["statuses"][:2]  # never gets past stepping

    fake.update = stuck  # type: ignore[method-assign]
    outcome, problems, _ = the_stack.run_scenario(scenario("web", "promoted"))
    assert outcome == "progressing"
    assert problems[0] == "expected the Rollout to be promoted, it ended progressing"


# ---------------------------------------------------------------- preview: evidence alone on demo logs


def test_demo_log_matches_the_format_rollouts_demo_writes() -> None:
    from e2e import preview

    lines = preview.canary_log("bad-yellow", requests=1000).splitlines()
    assert lines[0] == "2026/11/26 07:00:00 Started server on :8080"
    pattern = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (200|500) - yellow$")
    assert all(pattern.match(line) for line in lines[1:]), lines[1:3]
    share = sum(" 500 - " in line for line in lines[1:]) / 1000
    assert abs(share - pins.BAD_ERROR_SHARE) < 0.05
    slow = preview.canary_log("slow-yellow").splitlines()[1]
    assert re.match(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d 200 - yellow \(2\.000000s\)$", slow), slow
    assert preview.canary_log("yellow") == preview.canary_log("yellow")  # deterministic


def test_evidence_alone_catches_the_demo_canaries() -> None:
    """What the cluster run will see, predicted in file mode: the healthy new colour passes,
    the 85%-HTTP-500 and the 2-second canaries fail. Reproduce with `python -m e2e.preview`."""
    try:
        for module in ("job.pipeline", "job.report"):
            importlib.import_module(module)
    except ImportError as error:
        pytest.skip(f"the analysis engine is not in this checkout yet ({error})")
    from e2e import preview

    found = preview.predictions()
    assert [p.scenario.tag for p in found] == ["yellow", "bad-yellow", "slow-yellow"]
    misses = [
        f"{p.scenario.tag}: exit {p.exit_code} ({p.verdict}: {p.summary})" for p in found if not p.as_expected
    ]
    assert misses == []


def test_entry_point_collects_every_cluster_test_with_its_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m e2e --airgap` hands pytest options it knows (ours and pytest-kind's)."""
    pytest.importorskip("pytest_kind", reason="pytest-kind is in the test extra: pip install -e '.[test]'")
    from e2e import __main__ as entry

    monkeypatch.setattr(preflight, "missing", lambda: ([], preflight.Tools("docker", "kind", "kubectl")))
    assert entry.main(["--airgap", "--keep-cluster", "--collect-only", "-q"]) == 0
    out = capsys.readouterr().out
    for sc in scenarios.SCENARIOS:
        assert f"test_scenario[{sc.id}]" in out
    assert "test_analysis_namespaces_have_no_route_out" in out
    assert "test_nothing_was_pulled_in_airgap_mode" in out


def test_everything_the_demo_applies_passes_the_shared_strict_validators() -> None:
    """tests/schemas.py (closed CRD schemas, kubernetes-validate strict) over every document
    the demo applies in either mode."""
    docs = [
        d
        for p in render.MANIFESTS.glob("*.yaml")
        if p.name != "rollout.yaml"
        for d in render.load_manifest(p.name, MANIFEST_VALUES)
    ]
    docs += render.airgap_policies("10.96.0.1", [("172.18.0.2", 6443)])
    docs.append(render.render_rollout(SAMPLE_JOB_TEMPLATE, CTX))
    for provider in scenarios.PROVIDERS:
        if not all(p.exists() for p in render.provider_files(provider)):
            continue
        for airgap in (False, True):
            settings = Settings(airgap=airgap)
            found = render.provider_docs(provider, settings.our_image, settings.model, settings.pull_policy)
            docs += [*found.companion, *found.template, *found.demo]
    for doc in docs:
        validate_manifest(doc)


# ---------------------------------------------------------------- Stack.setup with stand-in binaries

FAKE_KUBECTL = r"""
import json, os, sys
args = sys.argv[1:]
log = os.environ["FAKE_LOG"]
stdin = sys.stdin.read() if "-f" in args and "-" in args else ""
with open(log, "a") as f:
    f.write(json.dumps({"tool": "kubectl", "args": args, "stdin": stdin}) + "\n")
def out(doc):
    print(json.dumps(doc) if not isinstance(doc, str) else doc)
    sys.exit(0)
ns = args[args.index("-n") + 1] if "-n" in args else None
if args[:2] == ["get", "namespace"]:
    sys.exit(1)  # every namespace is new
if args[:2] == ["get", "service"]:
    out({"spec": {"clusterIP": "10.96.0.1"}})
if args[:2] == ["get", "endpointslices"]:
    out({"items": [{"endpoints": [{"addresses": ["172.18.0.2"]}], "ports": [{"port": 6443}]}]})
if args[:2] == ["get", "pod"]:
    out({"status": {"phase": "Succeeded"}})
if args[:2] == ["get", "events"]:
    out({"items": []})
if args[:2] == ["get", "secret"]:
    sys.exit(1)
if args[:2] == ["get", "rollout"]:
    healthy = {"phase": "Healthy", "stableRS": "a", "currentPodHash": "a"}
    out({"metadata": {"generation": 1}, "status": healthy})
if args[:1] == ["logs"]:
    internet = 0 if ns == "egress-control" else 28
    out(f"internet https://1.1.1.1 exit={internet} http=000\n"
        f"internet http://example.com exit={internet} http=000\n"
        "ollama http://ollama.ollama.svc.cluster.local:11434 exit=0 http=200")
if "exec" in args:
    out("NAME                     ID              SIZE      MODIFIED\n"
        "qwen2.5-coder:1.5b-instruct    000000000000    1 GB      now")
sys.exit(0)
"""

FAKE_DOCKER = r"""
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(json.dumps({"tool": "docker", "args": args}) + "\n")
if args[:2] == ["image", "inspect"]:
    sys.exit(1 if args[2] == "curlimages/curl:8.11.1" else 0)  # one image still to pull
sys.exit(0)
"""

INSTALL_STANDIN = f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: rollouts.argoproj.io}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: argo-rollouts}}
spec:
  template:
    spec:
      containers:
        - name: argo-rollouts
          image: {pins.ARGO_ROLLOUTS_UNPINNED_IMAGE}
"""


def test_setup_in_airgap_mode_with_stand_in_kubectl_and_docker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from e2e import stack

    tools = {}
    for name, source in (("kubectl", FAKE_KUBECTL), ("docker", FAKE_DOCKER)):
        tools[name] = tmp_path / name
        tools[name].write_text(f"#!{sys.executable}\n{source}", encoding="utf-8")
        tools[name].chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_LOG", str(log))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"argo-rollouts-{pins.ARGO_ROLLOUTS_VERSION}-install.yaml").write_text(INSTALL_STANDIN)
    monkeypatch.setattr(
        pins, "ARGO_ROLLOUTS_INSTALL_SHA256", hashlib.sha256(INSTALL_STANDIN.encode()).hexdigest()
    )
    loaded: list[str] = []
    settings = Settings(airgap=True, cache_dir=cache, artifacts_dir=tmp_path / "artifacts")
    the_stack = stack.Stack(
        settings=settings,
        kube=stack.Kube(str(tools["kubectl"]), tmp_path / "kubeconfig"),
        docker=stack.Docker(str(tools["docker"])),
        load_image=loaded.append,
    )
    the_stack.setup()

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    docker_calls = [c["args"] for c in calls if c["tool"] == "docker"]
    assert ["pull", pins.CURL_IMAGE] in docker_calls
    assert not any(c[0] == "build" for c in docker_calls)  # our image and the model image exist
    assert set(loaded) == {*the_stack.images(), settings.our_image, settings.ollama_model_image}
    applied = [
        d
        for c in calls
        if c["tool"] == "kubectl" and c["args"][0] == "apply"
        for d in yaml.safe_load_all(c["stdin"])
        if d
    ]
    controller = next(
        d for d in applied if d["kind"] == "Deployment" and d["metadata"]["name"] == "argo-rollouts"
    )
    [container] = controller["spec"]["template"]["spec"]["containers"]
    assert (container["image"], container["imagePullPolicy"]) == (pins.ARGO_ROLLOUTS_IMAGE, "Never")
    ollama = next(d for d in applied if d["kind"] == "Deployment" and d["metadata"]["name"] == "ollama")
    assert ollama["spec"]["template"]["spec"]["containers"][0]["image"] == settings.ollama_model_image
    policies = [
        d
        for d in applied
        if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "analysis-egress-airgap"
    ]
    assert {p["metadata"]["namespace"] for p in policies} == set(stack.demo_namespaces())
    assert all(render.egress_problems(p) == [] for p in policies)

    assert not the_stack.probe_egress("egress-control").internet_blocked
    for namespace in stack.demo_namespaces():
        result = the_stack.probe_egress(namespace)
        assert result.internet_blocked and result.ollama_reachable
    assert the_stack.pulled_images() == []
    saved = the_stack.collect_artifacts("check")
    assert (saved / "events-all.txt").exists() and (saved / "demo-job-rollouts.yaml").exists()


def test_ensure_provider_applies_templates_secrets_and_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from e2e import stack

    present = [p for p in scenarios.PROVIDERS if all(f.exists() for f in render.provider_files(p))]
    if not present:
        pytest.skip("templates/ are not in this checkout yet")
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(f"#!{sys.executable}\n{FAKE_KUBECTL}", encoding="utf-8")
    kubectl.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_LOG", str(log))
    the_stack = stack.Stack(
        settings=Settings(airgap=False),
        kube=stack.Kube(str(kubectl), tmp_path / "kubeconfig"),
        docker=None,  # type: ignore[arg-type]
        load_image=None,  # type: ignore[arg-type]
    )
    for provider in present:
        rollout = the_stack.ensure_provider(provider)
        assert rollout["metadata"]["namespace"] == render.provider_namespace(provider)
    calls = [json.loads(line)["args"] for line in log.read_text().splitlines()]
    applied = [
        d for c in log.read_text().splitlines() for d in yaml.safe_load_all(json.loads(c)["stdin"]) if d
    ]
    kinds = {(d["kind"], d["metadata"]["namespace"]) for d in applied}
    for provider in present:
        namespace = render.provider_namespace(provider)
        assert {("Rollout", namespace), ("AnalysisTemplate", namespace), ("Deployment", namespace)} <= kinds
        template = render.the_template(render.load_docs(render.provider_files(provider)[0]))
        for name, key in render.secret_refs(template):
            create = [c for c in calls if c[:4] == ["create", "secret", "generic", name]]
            assert create and create[0][-1].startswith(f"--from-literal={key}="), create


def test_command_lines_in_messages_mask_secret_values() -> None:
    from e2e import stack

    argv = ["kubectl", "create", "secret", "generic", "t", "--from-literal=token=s3cr3t"]
    assert stack.shown(argv) == "kubectl create secret generic t --from-literal=token=***"
    with pytest.raises(stack.E2EError) as caught:
        stack._run(["sh", "-c", "exit 3", "--from-literal=token=s3cr3t"])
    assert "s3cr3t" not in str(caught.value) and "exited 3" in str(caught.value)

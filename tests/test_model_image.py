"""templates/ollama.yaml and `make model-image` (e2e/model_image.py), the path the e2e uses too."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from e2e import model_image, render
from e2e.model_image import ModelImageError, ModelName
from job.model import JOB_MODEL, WEB_MODEL, LLMConfig
from job.serve.app import ServiceConfig
from tests.schemas import PROJECT_ROOT, load_documents, validate_manifest

OLLAMA = PROJECT_ROOT / "templates" / "ollama.yaml"


def objects() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in load_documents(OLLAMA)}


def ollama_container() -> dict[str, Any]:
    [container] = objects()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return container


def env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env") or []}


def pod_labels(path: Path, kind: str) -> dict[str, str]:
    """The labels of the pods a project manifest creates (the Job metric's or the Deployment's)."""
    [doc] = [d for d in load_documents(path) if d["kind"] == kind]
    if kind == "AnalysisTemplate":
        return doc["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["metadata"]["labels"]
    return doc["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels, matchExpressions In/NotIn/Exists/DoesNotExist)."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        found = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not found:
            return False
    return True


def admitted(labels: dict[str, str], port: int) -> bool:
    """Whether the NetworkPolicy lets a pod with `labels` (in any namespace) reach Ollama on `port`."""
    spec = objects()["NetworkPolicy"]["spec"]
    for rule in spec["ingress"]:
        ports = {p["port"] for p in rule.get("ports") or []}
        for peer in rule.get("from") or []:
            anywhere = peer.get("namespaceSelector") == {}
            if anywhere and selects(peer.get("podSelector") or {}, labels) and port in ports:
                return True
    return False


# ---------------------------------------------------------------- the manifest


def test_every_object_is_valid_against_the_kubernetes_schema() -> None:
    assert set(objects()) == {"Deployment", "Service", "NetworkPolicy"}
    for doc in load_documents(OLLAMA):
        validate_manifest(doc)


def test_the_service_is_where_the_templates_look_for_ollama() -> None:
    service = objects()["Service"]
    port = service["spec"]["ports"][0]["port"]
    [job_arg] = [
        a for a in load_documents(render.JOB_TEMPLATE)[0]["spec"]["args"] if a["name"] == "ollama-host"
    ]
    web = next(d for d in load_documents(render.WEB_SERVICE) if d["kind"] == "Deployment")
    [web_container] = web["spec"]["template"]["spec"]["containers"]
    for url in (job_arg["value"], env(web_container)["OLLAMA_HOST"], render.OLLAMA_URL):
        target = urlsplit(url)
        meta = service["metadata"]
        assert target.hostname == f"{meta['name']}.{meta['namespace']}.svc.cluster.local"
        assert target.port == port
    pods = objects()["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert selects({"matchLabels": service["spec"]["selector"]}, pods)


def test_only_the_job_and_web_pods_may_call_the_model() -> None:
    policy = objects()["NetworkPolicy"]["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    assert selects(policy["podSelector"], objects()["Deployment"]["spec"]["template"]["metadata"]["labels"])
    port = next(p["containerPort"] for p in ollama_container()["ports"] if p["name"] == "http")
    job = pod_labels(render.JOB_TEMPLATE, "AnalysisTemplate")
    web = pod_labels(render.WEB_SERVICE, "Deployment")
    assert admitted(job, port) and admitted(web, port)
    assert not admitted({"app": "shop"}, port) and not admitted({}, port)
    assert not admitted(job, port + 1)
    # the e2e's egress probe checks Ollama is reachable from the analysis namespaces: it must be let in
    [probe] = render.load_manifest("egress-probe.yaml", {"INTERNET_URLS": "x", "OLLAMA_URL": "y"})
    assert admitted(probe["metadata"]["labels"], port)


def default_models() -> list[str]:
    """The models the tool asks for when nobody names one: the analysis Job's, then the web service's."""
    return [LLMConfig().model, ServiceConfig().llm.model]


def test_the_defaults_are_the_measured_models_one_per_provider() -> None:
    assert default_models() == [JOB_MODEL, WEB_MODEL]
    assert JOB_MODEL != WEB_MODEL  # the web deadline needs the smaller one (docs/model.md)


def test_ready_means_every_default_model_is_loaded_and_kept() -> None:
    container = ollama_container()
    values = env(container)
    assert values["ROLLOUTS_AI_MODELS"].split() == default_models()  # the models the tool asks for
    for probe in ("startupProbe", "readinessProbe"):
        [shell, flag, script] = container[probe]["exec"]["command"]
        assert (shell, flag) == ("/bin/sh", "-c"), probe
        assert 'for m in $ROLLOUTS_AI_MODELS; do ollama run "$m"' in script and "|| exit 1" in script, probe
    assert container["startupProbe"]["timeoutSeconds"] >= 60
    assert values["OLLAMA_KEEP_ALIVE"] == "-1" and values["OLLAMA_MODELS"] == "/models"
    # both stay loaded: a swap between a Job's analysis and a web measurement would reload weights
    assert int(values["OLLAMA_MAX_LOADED_MODELS"]) >= len(default_models())


def test_the_probe_fails_when_any_listed_model_fails_to_load(tmp_path: Path) -> None:
    """The probe's own shell, with an `ollama` that knows only the first model."""
    fake = tmp_path / "ollama"
    fake.write_text(f'#!/bin/sh\n[ "$2" = "{JOB_MODEL}" ]\n')
    fake.chmod(0o755)
    [_, _, script] = ollama_container()["readinessProbe"]["exec"]["command"]

    def probe(models: str) -> int:
        environment = {"PATH": f"{tmp_path}:/usr/bin:/bin", "ROLLOUTS_AI_MODELS": models}
        return subprocess.run(["/bin/sh", "-c", script], env=environment, check=False).returncode

    assert probe(JOB_MODEL) == 0
    assert probe("") != 0  # no model listed is no model loaded
    assert probe(f"{JOB_MODEL} {WEB_MODEL}") != 0
    assert probe(f"{WEB_MODEL} {JOB_MODEL}") != 0


def test_cpu_only_bounded_and_locked_down() -> None:
    container = ollama_container()
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"]
    assert not [r for r in {**resources["requests"], **resources["limits"]} if "gpu" in r]
    pod = objects()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    box = container["securityContext"]
    assert box["readOnlyRootFilesystem"] is True and box["allowPrivilegeEscalation"] is False
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env(container)["HOME"] in mounts and "/tmp" in mounts


def test_the_image_is_what_make_model_image_builds_from_the_default_models() -> None:
    assert ollama_container()["image"] == model_image.image_name(default_models())
    header = OLLAMA.read_text(encoding="utf-8").split("apiVersion:")[0]
    assert f'make model-image MODEL="{" ".join(default_models())}"' in header


def test_the_e2e_applies_this_manifest_with_its_own_image_and_model() -> None:
    docs = render.ollama_docs("rollouts-ai-job-e2e/ollama:0.12.10-x", "tiny:1b")
    for doc in docs:
        validate_manifest(doc)
    [deployment] = [d for d in docs if d["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "rollouts-ai-job-e2e/ollama:0.12.10-x"
    assert env(container)["ROLLOUTS_AI_MODELS"] == "tiny:1b"
    assert {d["kind"] for d in docs} == set(objects())
    assert {d["metadata"]["namespace"] for d in docs} == {render.OLLAMA_NAMESPACE}


# ---------------------------------------------------------------- make model-image


@pytest.mark.parametrize(
    ("name", "path", "shown"),
    [
        (
            "qwen2.5:1.5b-instruct",
            "registry.ollama.ai/library/qwen2.5/1.5b-instruct",
            "qwen2.5:1.5b-instruct",
        ),
        ("llama3.2", "registry.ollama.ai/library/llama3.2/latest", "llama3.2:latest"),
        ("me/model:q4", "registry.ollama.ai/me/model/q4", "me/model:q4"),
        ("hf.co/org/repo:Q4_K_M", "hf.co/org/repo/Q4_K_M", "org/repo:Q4_K_M"),
    ],
)
def test_model_names_map_to_the_store_layout(name: str, path: str, shown: str) -> None:
    parsed = ModelName.parse(name)
    assert parsed.manifest == Path("manifests", *path.split("/"))
    assert str(parsed) == shown


def test_a_model_name_that_is_not_one_is_refused() -> None:
    with pytest.raises(ModelImageError, match="not an Ollama model name"):
        ModelName.parse("a b")


def fake_store(root: Path, name: str = "qwen2.5:1.5b-instruct") -> tuple[Path, list[str]]:
    """A model store as `ollama pull` leaves it: a manifest naming blobs by sha256, plus an
    unrelated model that must not be copied."""
    store = root / "models"
    digests = []
    layers = []
    for content in (b"GGUF weights", b'{"template": "..."}', b'{"model_format": "gguf"}'):
        digest = hashlib.sha256(content).hexdigest()
        (store / "blobs").mkdir(parents=True, exist_ok=True)
        (store / "blobs" / f"sha256-{digest}").write_bytes(content)
        digests.append(digest)
        layers.append({"digest": f"sha256:{digest}", "size": len(content)})
    manifest = {"schemaVersion": 2, "config": layers[-1], "layers": layers[:-1]}
    path = store / ModelName.parse(name).manifest
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest))
    (store / "blobs" / ("sha256-" + "0" * 64)).write_bytes(b"another model")
    return store, digests


def test_only_the_chosen_models_files_are_staged_readable_by_anyone(tmp_path: Path) -> None:
    store, digests = fake_store(tmp_path)
    (store / "blobs" / f"sha256-{digests[0]}").chmod(0o600)  # as a umask 077 pull leaves it
    files = model_image.model_files(store, ModelName.parse("qwen2.5:1.5b-instruct"))
    context = model_image.stage(store, files, tmp_path / "context")
    staged = sorted(str(p.relative_to(context)) for p in context.rglob("*") if p.is_file())
    assert staged == sorted(
        ["Containerfile", "models/manifests/registry.ollama.ai/library/qwen2.5/1.5b-instruct"]
        + [f"models/blobs/sha256-{d}" for d in digests]
    )
    for path in (context / "models").rglob("*"):
        assert path.stat().st_mode & 0o004, path  # the pod runs as a non-root user
    assert (context / "models" / "blobs" / f"sha256-{digests[0]}").read_bytes() == b"GGUF weights"
    containerfile = (context / "Containerfile").read_text()
    assert containerfile.startswith(f"FROM {model_image.pins.OLLAMA_IMAGE}\nCOPY models /models\n")
    assert "OLLAMA_MODELS=/models" in containerfile


def test_a_missing_or_cut_blob_is_refused_before_building(tmp_path: Path) -> None:
    store, digests = fake_store(tmp_path)
    name = ModelName.parse("qwen2.5:1.5b-instruct")
    blob = store / "blobs" / f"sha256-{digests[1]}"
    blob.write_bytes(b"cut")
    with pytest.raises(ModelImageError, match=r"has 3 bytes, the manifest says \d+: .*pull the model again"):
        model_image.model_files(store, name)
    blob.unlink()
    with pytest.raises(ModelImageError, match=f"blob blobs/sha256-{digests[1]} is missing"):
        model_image.model_files(store, name)


def test_verify_catches_a_blob_of_the_right_size_but_wrong_content(tmp_path: Path) -> None:
    store, digests = fake_store(tmp_path)
    (store / "blobs" / f"sha256-{digests[0]}").write_bytes(b"GGUF weighTs")
    name = ModelName.parse("qwen2.5:1.5b-instruct")
    assert len(model_image.model_files(store, name)) == 4  # sizes alone cannot tell
    with pytest.raises(ModelImageError, match="does not match its sha256"):
        model_image.model_files(store, name, verify=True)


def test_build_runs_the_engine_on_the_staged_context(tmp_path: Path) -> None:
    store, _ = fake_store(tmp_path)
    log = tmp_path / "engine.log"
    engine = tmp_path / "engine"
    engine.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"context = sys.argv[-1]\n"
        "files = sorted(os.path.relpath(os.path.join(d, f), context)\n"
        "               for d, _, fs in os.walk(context) for f in fs)\n"
        f"open({str(log)!r}, 'w').write(json.dumps({{'argv': sys.argv[1:], 'files': files}}))\n"
    )
    engine.chmod(0o755)
    image = model_image.build("qwen2.5:1.5b-instruct", store, "registry.local/ollama:x", engine=str(engine))
    assert image == "registry.local/ollama:x"
    recorded = json.loads(log.read_text())
    assert recorded["argv"][:3] == ["build", "-t", "registry.local/ollama:x"]
    assert "Containerfile" in recorded["files"] and len(recorded["files"]) == 5
    assert not list(tmp_path.glob("model-image-*"))  # the staging directory is gone


def test_two_models_share_one_image_and_their_common_blobs_are_staged_once(tmp_path: Path) -> None:
    store, digests = fake_store(tmp_path, JOB_MODEL)
    fake_store(tmp_path, WEB_MODEL)  # the same blobs (as two tags of one model would share some)
    log = tmp_path / "engine.log"
    engine = tmp_path / "engine"
    engine.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "context = sys.argv[-1]\n"
        "files = sorted(os.path.relpath(os.path.join(d, f), context)\n"
        "               for d, _, fs in os.walk(context) for f in fs)\n"
        f"open({str(log)!r}, 'w').write(json.dumps(files))\n"
    )
    engine.chmod(0o755)
    model_image.build([JOB_MODEL, WEB_MODEL], store, "registry.local/ollama:x", engine=str(engine))
    files = json.loads(log.read_text())
    manifests = [str(Path("models") / ModelName.parse(m).manifest) for m in (JOB_MODEL, WEB_MODEL)]
    blobs = [f"models/blobs/sha256-{d}" for d in digests]
    assert sorted(files) == sorted(["Containerfile", *manifests, *blobs])
    with pytest.raises(ModelImageError, match="not in the model store"):  # one missing model refuses all
        model_image.build([JOB_MODEL, "llama3.2:1b"], store, "registry.local/ollama:x", engine=str(engine))
    with pytest.raises(ModelImageError, match="no model named"):
        model_image.build([], store, "registry.local/ollama:x", engine=str(engine))


def test_the_command_says_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "e2e.model_image", "qwen2.5:1.5b-instruct", "--models", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        check=False,
    )
    assert done.returncode == 1 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("make model-image: qwen2.5:1.5b-instruct is not in the model store")
    assert "ollama pull qwen2.5:1.5b-instruct" in line and "Traceback" not in done.stderr


def test_make_model_image_needs_a_model_name() -> None:
    argv = ["make", "-s", "model-image"]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    assert done.returncode == 2
    example = f'make model-image MODEL="{" ".join(default_models())}"'
    assert f"make model-image: name the models, e.g. {example}" in done.stderr

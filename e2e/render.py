"""Turn the manifests under e2e/manifests/ and templates/ into what the demo applies.

Pure functions over YAML documents (dicts): no cluster, no Docker, so tests/test_e2e_static.py
checks every transformation the cluster run relies on.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from e2e import pins

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "e2e" / "manifests"
TEMPLATES = ROOT / "templates"
JOB_TEMPLATE = TEMPLATES / "analysistemplate-job.yaml"
JOB_RBAC = TEMPLATES / "rbac-job.yaml"
WEB_TEMPLATE = TEMPLATES / "analysistemplate-web.yaml"
WEB_SERVICE = TEMPLATES / "web-service.yaml"
OLLAMA = TEMPLATES / "ollama.yaml"


def provider_files(provider: str) -> tuple[Path, Path]:
    """The AnalysisTemplate of a provider and what it needs beside it (RBAC, or the service)."""
    return (JOB_TEMPLATE, JOB_RBAC) if provider == "job" else (WEB_TEMPLATE, WEB_SERVICE)


OLLAMA_NAMESPACE = "ollama"
OLLAMA_URL = f"http://ollama.{OLLAMA_NAMESPACE}.svc.cluster.local:11434"
DEMO_SELECTOR = "app=rollouts-demo"
DEMO_CONTAINER = "rollouts-demo"
OUR_IMAGE_NAME = "rollouts-ai-job"
# Addresses outside any cluster: a public resolver by IP (no DNS needed) and a public name.
INTERNET_URLS = ("https://1.1.1.1", "http://example.com")

_PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


class RenderError(ValueError):
    """A manifest or template cannot be turned into what the demo needs; says what to change."""


Doc = dict[str, Any]


def load_docs(path: Path) -> list[Doc]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def dump_docs(docs: list[Doc]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace @@NAME@@ placeholders; a missing value is an error, never an empty string."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise RenderError(f"placeholder @@{name}@@ has no value")
        return values[name]

    return _PLACEHOLDER.sub(replace, text)


def load_manifest(name: str, values: Mapping[str, str] | None = None) -> list[Doc]:
    text = (MANIFESTS / name).read_text(encoding="utf-8")
    return [doc for doc in yaml.safe_load_all(fill(text, values or {})) if doc]


# ---------------------------------------------------------------- pod specs and images


def pod_specs(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every pod spec inside a Pod, a workload, a Rollout or an AnalysisTemplate's Job metrics."""
    kind = doc.get("kind")
    spec = doc.get("spec") or {}
    if kind == "Pod":
        yield spec
    elif kind in {"AnalysisTemplate", "ClusterAnalysisTemplate"}:
        for metric in spec.get("metrics") or []:
            job = (metric.get("provider") or {}).get("job")
            if job:
                yield job["spec"]["template"]["spec"]
    elif isinstance(spec.get("template"), dict) and "spec" in spec["template"]:
        yield spec["template"]["spec"]
    elif kind == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]


def containers(doc: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for spec in pod_specs(doc):
        yield from spec.get("initContainers") or []
        yield from spec.get("containers") or []


def images(docs: list[Doc]) -> set[str]:
    return {c["image"] for doc in docs for c in containers(doc) if "image" in c}


def is_our_image(image: str) -> bool:
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[0] == OUR_IMAGE_NAME


def set_pull_policy(docs: list[Doc], policy: str) -> list[Doc]:
    out = copy.deepcopy(docs)
    for doc in out:
        for container in containers(doc):
            container["imagePullPolicy"] = policy
    return out


def use_our_image(docs: list[Doc], image: str, env: Mapping[str, str]) -> list[Doc]:
    """Point every container of rollouts-ai-job at the image under test, and set its env.

    The env (OLLAMA_HOST, ROLLOUTS_AI_MODEL) is what the CLI reads when a flag is not given,
    so it reaches the in-cluster Ollama without rewriting the templates' arguments.
    """
    out = copy.deepcopy(docs)
    for doc in out:
        for container in containers(doc):
            if not is_our_image(container.get("image", "")):
                continue
            container["image"] = image
            current = [e for e in container.get("env") or [] if e.get("name") not in env]
            container["env"] = current + [{"name": k, "value": v} for k, v in env.items()]
    return out


_NAMESPACED_SUBJECT_KINDS = {"ServiceAccount"}
_CLUSTER_KINDS = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "ClusterAnalysisTemplate",
}


def into_namespace(docs: list[Doc], namespace: str) -> list[Doc]:
    """Place objects that name no namespace (and their ServiceAccount subjects) in `namespace`.

    Explicit namespaces are kept: a template that insists on one is applied as written.
    """
    out = copy.deepcopy(docs)
    for doc in out:
        meta = doc.setdefault("metadata", {})
        if doc.get("kind") not in _CLUSTER_KINDS:
            meta.setdefault("namespace", namespace)
        for subject in doc.get("subjects") or []:
            if subject.get("kind") in _NAMESPACED_SUBJECT_KINDS:
                subject.setdefault("namespace", namespace)
    return out


# ---------------------------------------------------------------- Rollout <- AnalysisTemplate


@dataclass(frozen=True)
class ArgContext:
    model: str
    ollama_url: str = OLLAMA_URL


def arg_source(name: str, ctx: ArgContext) -> dict[str, Any] | None:
    """How the Rollout supplies the template argument `name`, or None if the demo cannot."""
    key = name.lower().replace("_", "-")
    if "hash" in key and "stable" in key:
        return {"valueFrom": {"podTemplateHashValue": "Stable"}}
    if "hash" in key and ("canary" in key or "latest" in key):
        return {"valueFrom": {"podTemplateHashValue": "Latest"}}
    field_refs = {
        "namespace": "metadata.namespace",
        "rollout": "metadata.name",
        "rollout-name": "metadata.name",
    }
    if key in field_refs:
        return {"valueFrom": {"fieldRef": {"fieldPath": field_refs[key]}}}
    values = {
        "selector": DEMO_SELECTOR,
        "app-selector": DEMO_SELECTOR,
        "pod-selector": DEMO_SELECTOR,
        "label-selector": DEMO_SELECTOR,
        "container": DEMO_CONTAINER,
        "ollama-host": ctx.ollama_url,
        "ollama-url": ctx.ollama_url,
        "model": ctx.model,
    }
    if key in values:
        return {"value": values[key]}
    return None


def analysis_args(template: Mapping[str, Any], ctx: ArgContext) -> list[dict[str, Any]]:
    """Rollout analysis args for every argument the template declares and the demo knows.

    A required argument (no value in the template) the demo cannot supply is an error naming
    it, because Argo would otherwise reject the AnalysisRun only at rollout time.
    """
    args: list[dict[str, Any]] = []
    for arg in (template.get("spec") or {}).get("args") or []:
        name = arg["name"]
        source = arg_source(name, ctx)
        required = "value" not in arg and "valueFrom" not in arg
        if source is None:
            if required:
                raise RenderError(
                    f"AnalysisTemplate {template['metadata']['name']} requires argument {name!r}, which "
                    "the demo cannot supply: give it a default in the template or map it in "
                    "e2e/render.py:arg_source"
                )
            continue
        args.append({"name": name, **source})
    return args


def render_rollout(
    template: Mapping[str, Any], ctx: ArgContext, image: str = pins.ROLLOUTS_DEMO_STABLE
) -> Doc:
    [rollout] = load_manifest("rollout.yaml", {"TEMPLATE_NAME": template["metadata"]["name"]})
    rollout["spec"]["template"]["spec"]["containers"][0]["image"] = image
    analysis = analysis_step(rollout)
    args = analysis_args(template, ctx)
    if args:
        analysis["args"] = args
    return rollout


def rollout_steps(rollout: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(rollout["spec"]["strategy"]["canary"]["steps"])


def analysis_step(rollout: Mapping[str, Any]) -> dict[str, Any]:
    """The one blocking analysis step of the demo Rollout (its `analysis` mapping)."""
    found = [step["analysis"] for step in rollout_steps(rollout) if "analysis" in step]
    if len(found) != 1:
        raise RenderError(f"the demo Rollout must have exactly one analysis step, it has {len(found)}")
    return found[0]


def the_template(docs: list[Doc]) -> Doc:
    found = [d for d in docs if d.get("kind") == "AnalysisTemplate"]
    if len(found) != 1:
        raise RenderError(f"expected exactly one AnalysisTemplate, found {len(found)}")
    return found[0]


DEFAULT_NAMESPACES = {"job": "demo-job", "web": "demo-web"}


def provider_namespace(provider: str) -> str:
    """Where a provider's Rollout runs.

    The web service's manifest may pin its namespace (and allow only that one to be judged):
    the demo then runs the web Rollout there, so the shipped manifest is used as written.
    """
    if provider == "web" and WEB_SERVICE.exists():
        for doc in load_docs(WEB_SERVICE):
            if doc.get("kind") == "Deployment" and doc.get("metadata", {}).get("namespace"):
                return str(doc["metadata"]["namespace"])
    return DEFAULT_NAMESPACES[provider]


def secret_refs(template: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(Secret name, key) of every template argument read from a Secret, e.g. a bearer token."""
    refs = []
    for arg in (template.get("spec") or {}).get("args") or []:
        ref = (arg.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            refs.append((ref["name"], ref["key"]))
    return refs


_SVC_HOST = re.compile(r"^https?://[a-z0-9-]+\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?(?::\d+)?(?:/|$)")


def url_namespace(url: str) -> str | None:
    """The namespace in a cluster-local Service URL (http://name.ns.svc...), if it names one."""
    match = _SVC_HOST.match(url)
    return match.group(1) if match else None


@dataclass
class ProviderDocs:
    """Everything the demo applies for one provider, in order."""

    namespace: str
    secrets: list[tuple[str, str]]  # (name, key) to create with a random value first
    companion: list[Doc]  # RBAC, or the web service (whose Deployments must become ready)
    template: list[Doc]
    demo: list[Doc]  # the rollouts-demo Service, the traffic generator and the Rollout

    @property
    def rollout(self) -> Doc:
        return next(d for d in self.demo if d["kind"] == "Rollout")


def provider_docs(provider: str, our_image: str, model: str, pull_policy: str) -> ProviderDocs:
    """The template and its companion from templates/, put in the provider's namespace, run
    with the image under test against the in-cluster Ollama; plus a fresh rollouts-demo."""
    namespace = provider_namespace(provider)
    template_path, companion_path = provider_files(provider)
    env = {"OLLAMA_HOST": OLLAMA_URL, "ROLLOUTS_AI_MODEL": model}

    def prepared(docs: list[Doc]) -> list[Doc]:
        docs = use_our_image(docs, our_image, env)
        return set_pull_policy(into_namespace(docs, namespace), pull_policy)

    template = prepared(load_docs(template_path))
    the = the_template(template)
    rollout = render_rollout(the, ArgContext(model=model))
    demo = [*load_manifest("service.yaml"), *load_manifest("traffic.yaml"), rollout]
    return ProviderDocs(
        namespace=namespace,
        secrets=secret_refs(the),
        companion=prepared(load_docs(companion_path)),
        template=template,
        demo=prepared(demo),
    )


# ---------------------------------------------------------------- Ollama


def ollama_docs(image: str, model: str) -> list[Doc]:
    """templates/ollama.yaml, the manifest users apply, with the demo's model image and its one
    model (the probes load the models ROLLOUTS_AI_MODELS lists).

    The demo asks for half a core instead of two, so it schedules on a small kind node."""
    docs = load_docs(OLLAMA)
    for doc in docs:
        for container in containers(doc):
            container["image"] = image
            container["env"] = [e for e in container.get("env") or [] if e["name"] != "ROLLOUTS_AI_MODELS"]
            container["env"].insert(0, {"name": "ROLLOUTS_AI_MODELS", "value": model})
            container["resources"]["requests"]["cpu"] = "500m"
    return docs


# ---------------------------------------------------------------- air-gapped egress


def airgap_policies(apiserver_service_ip: str, apiserver_endpoints: list[tuple[str, int]]) -> list[Doc]:
    """The egress NetworkPolicies with the kube-apiserver rule for this cluster.

    Both the Service VIP and the endpoints behind it are listed, because policy
    implementations differ in whether they see a connection before or after the Service's DNAT.
    """
    if not apiserver_endpoints:
        raise RenderError("the kubernetes Service has no endpoints: cannot allow the kube-apiserver")
    docs = load_manifest("networkpolicy-airgap.yaml")
    analysis = next(d for d in docs if d["metadata"]["name"] == "analysis-egress-airgap")
    analysis["spec"]["egress"].append(
        {
            "to": [{"ipBlock": {"cidr": f"{apiserver_service_ip}/32"}}],
            "ports": [{"protocol": "TCP", "port": 443}],
        }
    )
    for ip, port in apiserver_endpoints:
        analysis["spec"]["egress"].append(
            {"to": [{"ipBlock": {"cidr": f"{ip}/32"}}], "ports": [{"protocol": "TCP", "port": port}]}
        )
    return docs


def egress_problems(policy: Mapping[str, Any]) -> list[str]:
    """Ways an egress policy could let a pod reach outside the cluster; empty when closed."""
    spec = policy.get("spec") or {}
    name = policy.get("metadata", {}).get("name", "?")
    problems: list[str] = []
    if "Egress" not in (spec.get("policyTypes") or []):
        problems.append(f"{name}: policyTypes lacks Egress, so egress is not restricted")
    for index, rule in enumerate(spec.get("egress") or []):
        peers = rule.get("to") or []
        if not peers:
            problems.append(f"{name}: egress rule {index} has no `to`, which allows every destination")
        for peer in peers:
            block = peer.get("ipBlock")
            if block:
                network = ipaddress.ip_network(block["cidr"], strict=False)
                if network.num_addresses > 1:
                    problems.append(f"{name}: egress rule {index} allows the range {block['cidr']}")
            elif "namespaceSelector" in peer and not (peer["namespaceSelector"] or {}):
                problems.append(f"{name}: egress rule {index} allows every namespace")
    return problems


@dataclass(frozen=True)
class ProbeResult:
    internet: dict[str, int]  # url -> curl exit code (0 = connected)
    ollama_http: str  # HTTP status the in-cluster Ollama answered, "000" when unreachable

    @property
    def internet_blocked(self) -> bool:
        return bool(self.internet) and all(code != 0 for code in self.internet.values())

    @property
    def ollama_reachable(self) -> bool:
        return self.ollama_http == "200"


_PROBE_LINE = re.compile(r"^(internet|ollama) (\S+) exit=(\d+) http=(\d{3})$")


def parse_probe(text: str) -> ProbeResult:
    internet: dict[str, int] = {}
    ollama: str | None = None
    for line in text.splitlines():
        match = _PROBE_LINE.match(line.strip())
        if not match:
            continue
        what, target, exit_code, http = match.groups()
        if what == "internet":
            internet[target] = int(exit_code)
        else:
            ollama = http
    if ollama is None or not internet:
        raise RenderError(f"the egress probe printed no complete result: {text[-300:]!r}")
    return ProbeResult(internet=internet, ollama_http=ollama)


def egress_probe(namespace: str) -> list[Doc]:
    return into_namespace(
        load_manifest(
            "egress-probe.yaml", {"INTERNET_URLS": " ".join(INTERNET_URLS), "OLLAMA_URL": OLLAMA_URL}
        ),
        namespace,
    )


# ---------------------------------------------------------------- Argo Rollouts install


def verify_install_manifest(content: bytes) -> str:
    """The pinned install.yaml with the controller image pinned too; refuses any other file."""
    digest = hashlib.sha256(content).hexdigest()
    if digest != pins.ARGO_ROLLOUTS_INSTALL_SHA256:
        raise RenderError(
            f"install.yaml for Argo Rollouts {pins.ARGO_ROLLOUTS_VERSION} has sha256 {digest}, expected "
            f"{pins.ARGO_ROLLOUTS_INSTALL_SHA256}: delete the cached copy and download it again"
        )
    text = content.decode("utf-8")
    if pins.ARGO_ROLLOUTS_UNPINNED_IMAGE not in text:
        raise RenderError(f"install.yaml does not name {pins.ARGO_ROLLOUTS_UNPINNED_IMAGE}; cannot pin it")
    return text.replace(pins.ARGO_ROLLOUTS_UNPINNED_IMAGE, pins.ARGO_ROLLOUTS_IMAGE)


# ---------------------------------------------------------------- our image's command lines


@dataclass(frozen=True)
class Invocation:
    subcommand: str | None
    group_flags: tuple[str, ...]  # given before the subcommand: options of the click group
    flags: tuple[str, ...]  # given after it: options of the subcommand


SUBCOMMANDS = ("analyze", "serve")


def invocation(container: Mapping[str, Any]) -> Invocation:
    """The rollouts-ai-job subcommand and the --flags a container passes to it."""
    words: list[str] = []
    for word in [*(container.get("command") or []), *(container.get("args") or [])]:
        # `sh -c "rollouts-ai-job analyze ..."` carries the command line as one word
        words.extend(shlex.split(str(word)) if any(c.isspace() for c in str(word)) else [str(word)])
    at = next((i for i, w in enumerate(words) if w in SUBCOMMANDS), len(words))

    def flags(part: list[str]) -> tuple[str, ...]:
        return tuple(w.split("=", 1)[0] for w in part if w.startswith("--"))

    subcommand = words[at] if at < len(words) else None
    return Invocation(subcommand, flags(words[:at]), flags(words[at + 1 :]))

"""Drive the real demo: Docker on the host, a kind cluster, kubectl.

Everything here shells out; the decisions it relies on live in render.py, scenarios.py and
summary.py, which are unit-tested without a cluster.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from e2e import model_image, pins, render, scenarios, summary
from e2e.render import Doc
from job.model import JOB_MODEL

ARGO_NAMESPACE = "argo-rollouts"


class E2EError(RuntimeError):
    """A step of the demo failed; the message says which and what the command printed."""


def say(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", flush=True)


def shown(argv: Sequence[str]) -> str:
    """A command line fit for a message: literal Secret values are masked."""
    return " ".join(re.sub(r"^(--from-literal=[^=]+=).+$", r"\1***", str(word)) for word in argv)


def _run(
    argv: Sequence[str], *, input: str | None = None, timeout: float = 600, env: dict | None = None
) -> str:
    try:
        done = subprocess.run(
            list(argv), input=input, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise E2EError(f"`{shown(argv[:4])} …` did not finish in {timeout:.0f}s") from error
    if done.returncode != 0:
        raise E2EError(
            f"`{shown(argv)}` exited {done.returncode}: {(done.stderr or done.stdout).strip()[-1500:]}"
        )
    return done.stdout


@dataclass
class Settings:
    airgap: bool
    our_image: str = pins.DEFAULT_OUR_IMAGE
    model: str = JOB_MODEL  # the analysis Job's default model; the demo runs both providers on it
    cache_dir: Path = render.ROOT / "e2e" / ".cache"
    artifacts_dir: Path = render.ROOT / "e2e" / "artifacts"
    build_our_image: bool = True
    models_dir: Path = field(default_factory=model_image.default_store)  # the host's Ollama model store

    @property
    def pull_policy(self) -> str:
        # Air-gapped: an image that was not loaded ahead of time fails loudly (ErrImageNeverPull).
        return "Never" if self.airgap else "IfNotPresent"

    @property
    def ollama_model_image(self) -> str:
        return model_image.image_name(self.model, "rollouts-ai-job-e2e/ollama")


# ---------------------------------------------------------------- host side: Docker


class Docker:
    def __init__(self, docker: str) -> None:
        self.docker = docker

    def __call__(self, *args: str, timeout: float = 1800) -> str:
        return _run([self.docker, *args], timeout=timeout)

    def has(self, image: str) -> bool:
        return (
            subprocess.run(
                [self.docker, "image", "inspect", image], capture_output=True, check=False
            ).returncode
            == 0
        )

    def ensure_pulled(self, image: str) -> None:
        if not self.has(image):
            say(f"docker pull {image}")
            self("pull", image)

    def ensure_our_image(self, settings: Settings) -> None:
        if self.has(settings.our_image):
            return
        script = render.ROOT / "scripts" / "build-image.sh"
        if not script.exists() or not settings.build_our_image:
            raise E2EError(
                f"image {settings.our_image} is not in Docker and this checkout cannot build it "
                "(scripts/build-image.sh): build the project image and pass its name with E2E_IMAGE=..."
            )
        say(f"building {settings.our_image} with scripts/build-image.sh (docker)")
        env = {**os.environ, "ENGINE": "docker", "IMAGE": settings.our_image, "PYTHON": sys.executable}
        _run(["bash", str(script)], env=env, timeout=3600)

    def ensure_model_image(self, settings: Settings) -> None:
        """Bake the model into an Ollama image on the host, so the cluster never downloads it:
        `make model-image`'s code (e2e/model_image.py), from the host's model store when it has
        the model, else from e2e/.cache/models after one `ollama pull` in a container."""
        target = settings.ollama_model_image
        if self.has(target):
            return
        self.ensure_pulled(pins.OLLAMA_IMAGE)
        store = settings.models_dir
        if not (store / model_image.ModelName.parse(settings.model).manifest).is_file():
            store = settings.cache_dir / "models"
            self.pull_model(settings.model, store)
        say(f"baking {settings.model} from {store} into {target}")
        try:
            model_image.build(settings.model, store, target, engine=self.docker)
        except model_image.ModelImageError as error:
            raise E2EError(str(error)) from None

    def pull_model(self, model: str, store: Path) -> None:
        """`ollama pull` into a host directory (once; the directory is the cache)."""
        store.mkdir(parents=True, exist_ok=True)
        say(f"pulling model {model} into {store} (once)")
        mount = f"{store.resolve()}:/models"
        container = self("run", "-d", "-v", mount, "-e", "OLLAMA_MODELS=/models", pins.OLLAMA_IMAGE).strip()
        try:
            _wait(lambda: _ok([self.docker, "exec", container, "ollama", "list"]), 60, "ollama to start")
            self("exec", container, "ollama", "pull", model, timeout=3600)
        finally:
            subprocess.run([self.docker, "rm", "-f", container], capture_output=True, check=False)


def demo_namespaces() -> list[str]:
    return list(dict.fromkeys(render.provider_namespace(p) for p in scenarios.PROVIDERS))


def _ok(argv: Sequence[str]) -> bool:
    return subprocess.run(list(argv), capture_output=True, check=False).returncode == 0


def _wait(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise E2EError(f"timed out after {timeout:.0f}s waiting for {what}")


# ---------------------------------------------------------------- cluster side: kubectl


class Kube:
    def __init__(self, kubectl: str, kubeconfig: Path) -> None:
        self.kubectl = kubectl
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig)}

    def __call__(self, *args: str, input: str | None = None, timeout: float = 600) -> str:
        return _run([self.kubectl, *args], input=input, timeout=timeout, env=self.env)

    def ok(self, *args: str) -> bool:
        done = subprocess.run([self.kubectl, *args], capture_output=True, env=self.env, check=False)
        return done.returncode == 0

    def get(self, *args: str) -> dict[str, Any]:
        return json.loads(self("get", *args, "-o", "json"))

    def apply(self, docs: list[Doc], namespace: str | None = None, server_side: bool = False) -> None:
        argv = ["apply", "-f", "-"]
        if namespace:
            argv += ["-n", namespace]
        if server_side:
            argv += ["--server-side", "--force-conflicts"]
        self(*argv, input=render.dump_docs(docs))

    def namespace(self, name: str) -> None:
        if not self.ok("get", "namespace", name):
            self("create", "namespace", name)


# ---------------------------------------------------------------- the stack


@dataclass
class Stack:
    settings: Settings
    kube: Kube
    docker: Docker
    load_image: Callable[[str], None]  # kind load docker-image
    ready_providers: dict[str, Doc] = field(default_factory=dict)  # provider -> rendered Rollout
    analysis_bounds: dict[str, int] = field(default_factory=dict)  # provider -> longest analysis, s

    # ------------------------------------------------------------ setup

    def images(self) -> list[str]:
        demo = {s.image for s in scenarios.SCENARIOS} | {pins.ROLLOUTS_DEMO_STABLE}
        return sorted({pins.ARGO_ROLLOUTS_IMAGE, pins.CURL_IMAGE, *demo})

    def prepare_host(self) -> None:
        for image in self.images():
            self.docker.ensure_pulled(image)
        self.docker.ensure_our_image(self.settings)
        self.docker.ensure_model_image(self.settings)

    def load_images(self) -> None:
        for image in [*self.images(), self.settings.our_image, self.settings.ollama_model_image]:
            say(f"kind load docker-image {image}")
            self.load_image(image)

    def install_manifest(self) -> str:
        cached = self.settings.cache_dir / f"argo-rollouts-{pins.ARGO_ROLLOUTS_VERSION}-install.yaml"
        if not cached.exists():
            say(f"downloading {pins.ARGO_ROLLOUTS_INSTALL_URL}")
            with urllib.request.urlopen(pins.ARGO_ROLLOUTS_INSTALL_URL, timeout=60) as response:
                content = response.read()
            render.verify_install_manifest(content)  # before caching: never keep a wrong file
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(content)
        return render.verify_install_manifest(cached.read_bytes())

    def install_argo_rollouts(self) -> None:
        self.kube.namespace(ARGO_NAMESPACE)
        docs = render.set_pull_policy(
            [d for d in yaml.safe_load_all(self.install_manifest()) if d], self.settings.pull_policy
        )
        say(f"installing Argo Rollouts {pins.ARGO_ROLLOUTS_VERSION}")
        self.kube.apply(docs, ARGO_NAMESPACE, server_side=True)  # the CRDs are too big for client-side apply
        for crd in ("rollouts.argoproj.io", "analysistemplates.argoproj.io", "analysisruns.argoproj.io"):
            self.kube("wait", "--for=condition=Established", f"crd/{crd}", "--timeout=120s")
        self.kube("-n", ARGO_NAMESPACE, "rollout", "status", "deployment/argo-rollouts", "--timeout=300s")

    def install_ollama(self) -> None:
        self.kube.namespace(render.OLLAMA_NAMESPACE)
        docs = render.ollama_docs(self.settings.ollama_model_image, self.settings.model)
        docs = render.set_pull_policy(docs, self.settings.pull_policy)
        say(f"starting Ollama with {self.settings.model} baked in")
        self.kube.apply(docs, render.OLLAMA_NAMESPACE)
        self.kube("-n", render.OLLAMA_NAMESPACE, "rollout", "status", "deployment/ollama", "--timeout=600s")
        listed = self.kube("-n", render.OLLAMA_NAMESPACE, "exec", "deploy/ollama", "--", "ollama", "list")
        model = self.settings.model if ":" in self.settings.model else f"{self.settings.model}:latest"
        if model not in listed.split():
            raise E2EError(f"the in-cluster Ollama does not list {self.settings.model}: {listed}")

    def setup(self) -> None:
        self.settings.cache_dir.mkdir(parents=True, exist_ok=True)
        self.prepare_host()
        self.load_images()
        self.install_argo_rollouts()
        self.install_ollama()
        namespaces = demo_namespaces()
        for namespace in namespaces:
            self.kube.namespace(namespace)
        if self.settings.airgap:
            self.close_egress(namespaces)

    # ------------------------------------------------------------ air-gapped mode

    def close_egress(self, namespaces: list[str]) -> None:
        service = self.kube.get("service", "kubernetes", "-n", "default")
        slices = self.kube.get(
            "endpointslices", "-n", "default", "-l", "kubernetes.io/service-name=kubernetes"
        )
        endpoints = [
            (address, int(port["port"]))
            for item in slices.get("items", [])
            for endpoint in item.get("endpoints") or []
            for address in endpoint.get("addresses") or []
            for port in item.get("ports") or []
        ]
        docs = render.airgap_policies(service["spec"]["clusterIP"], endpoints)
        for doc in docs:
            problems = render.egress_problems(doc)
            if problems:
                raise E2EError("; ".join(problems))
        analysis, ollama = docs
        self.kube.apply([ollama])
        for namespace in namespaces:
            self.kube.apply(render.into_namespace([analysis], namespace))
        say(f"egress closed in {', '.join(namespaces)} (DNS, kube-apiserver, Ollama and own namespace only)")

    def probe_egress(self, namespace: str) -> render.ProbeResult:
        docs = render.set_pull_policy(render.egress_probe(namespace), self.settings.pull_policy)
        self.kube("delete", "pod", "egress-probe", "-n", namespace, "--ignore-not-found", "--wait=true")
        self.kube.apply(docs)
        _wait(
            lambda: (
                self.kube.get("pod", "egress-probe", "-n", namespace).get("status", {}).get("phase")
                in {"Succeeded", "Failed"}
            ),
            180,
            f"the egress probe in {namespace}",
        )
        return render.parse_probe(self.kube("logs", "egress-probe", "-n", namespace))

    def pulled_images(self) -> list[str]:
        """Pull events anywhere in the cluster: in air-gapped mode there must be none."""
        events = self.kube.get("events", "-A", "--field-selector", "reason=Pulling").get("items", [])
        return [e.get("message", "") for e in events]

    # ------------------------------------------------------------ providers

    def ensure_provider(self, provider: str) -> Doc:
        """Install one provider's template and a fresh rollouts-demo on the stable colour.

        The template and its RBAC go into the Rollout's namespace; manifests that name their
        own namespace (the web service) are applied as written.
        """
        if provider in self.ready_providers:
            return self.ready_providers[provider]
        docs = render.provider_docs(
            provider, self.settings.our_image, self.settings.model, self.settings.pull_policy
        )
        namespace = docs.namespace
        for name, key in docs.secrets:
            self.ensure_secret(namespace, name, key)
        self.kube.apply(docs.companion)
        for doc in docs.companion:
            if doc.get("kind") == "Deployment":
                name, ns = doc["metadata"]["name"], doc["metadata"]["namespace"]
                self.kube("-n", ns, "rollout", "status", f"deployment/{name}", "--timeout=300s")
        self.kube.apply(docs.template)
        self.kube.apply(docs.demo)
        rollout = docs.rollout
        self.wait_healthy(namespace)
        self.ready_providers[provider] = rollout
        self.analysis_bounds[provider] = scenarios.analysis_seconds(
            render.the_template(docs.template), render.analysis_step(rollout).get("args", [])
        )
        return rollout

    def ensure_secret(self, namespace: str, name: str, key: str) -> None:
        """A Secret a template reads (the web provider's bearer token), with a random value."""
        if not self.kube.ok("get", "secret", name, "-n", namespace):
            value = secrets.token_urlsafe(32)
            self.kube("create", "secret", "generic", name, "-n", namespace, f"--from-literal={key}={value}")

    def rollout(self, namespace: str) -> Doc:
        return self.kube.get("rollout", scenarios.ROLLOUT_NAME, "-n", namespace)

    def wait_healthy(self, namespace: str, timeout: float = 300) -> Doc:
        def healthy() -> bool:
            status = self.rollout(namespace).get("status") or {}
            return status.get("phase") == "Healthy" and status.get("stableRS") == status.get("currentPodHash")

        _wait(healthy, timeout, f"Rollout {scenarios.ROLLOUT_NAME} in {namespace} to be Healthy", 3)
        return self.rollout(namespace)

    def set_image(self, namespace: str, image: str) -> None:
        patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}]
        self.kube(
            "patch",
            "rollout",
            scenarios.ROLLOUT_NAME,
            "-n",
            namespace,
            "--type=json",
            "-p",
            json.dumps(patch),
        )

    def back_to_stable(self, namespace: str) -> Doc:
        """After an abort, put the stable image back: Argo treats that as a rollback and skips steps."""
        rollout = self.rollout(namespace)
        status = rollout.get("status") or {}
        if status.get("phase") == "Healthy" and status.get("stableRS") == status.get("currentPodHash"):
            return rollout
        replica_sets = self.kube.get(
            "replicasets", "-n", namespace, "-l", f"rollouts-pod-template-hash={status.get('stableRS')}"
        )
        stable_image = replica_sets["items"][0]["spec"]["template"]["spec"]["containers"][0]["image"]
        say(f"{namespace}: rolling back to the stable image {stable_image}")
        self.set_image(namespace, stable_image)
        return self.wait_healthy(namespace)

    # ------------------------------------------------------------ one scenario

    def run_scenario(self, scenario: scenarios.Scenario) -> tuple[str, list[str], list[str]]:
        """Run it; return the outcome, the problems found, and the analysis summary lines."""
        rollout = self.ensure_provider(scenario.provider)
        namespace = scenario.namespace
        before = self.back_to_stable(namespace)
        previous_stable = (before.get("status") or {}).get("stableRS")
        analysis = self.analysis_bounds.get(scenario.provider, scenarios.Timing().analysis_seconds)
        timeout = scenarios.scenario_timeout(render.rollout_steps(rollout), analysis)
        say(
            f"{scenario.id}: {scenarios.rollout_image(before)} -> {scenario.image} "
            f"(expect {scenario.expect}: {scenario.why}; up to {timeout}s)"
        )
        self.set_image(namespace, scenario.image)
        deadline = time.monotonic() + timeout
        outcome, last = "pending", ""
        current = before
        while time.monotonic() < deadline:
            current = self.rollout(namespace)
            outcome = scenarios.rollout_outcome(current, scenario.image, previous_stable)
            status = current.get("status") or {}
            step = status.get("currentStepIndex")
            line = f"{status.get('phase')} step {step} {status.get('message', '')}".strip()
            if line != last:
                say(f"{scenario.id}: {line}")
                last = line
            if outcome in scenarios.TERMINAL_OUTCOMES:
                break
            time.sleep(scenarios.Timing().poll_seconds)
        canary_hash = (current.get("status") or {}).get("currentPodHash", "")
        run = self.analysis_run(namespace, canary_hash)
        lines = summary.analysis_run_lines(run) if run else ["(no AnalysisRun found)"]
        exit_codes: list[int] = []
        if run:
            for job in summary.job_names(run):
                pods = self.kube.get("pods", "-n", namespace, "-l", f"job-name={job}").get("items", [])
                for pod in pods:
                    lines += summary.termination_lines(pod)
                    exit_codes += [code for _, code, _ in summary.terminated_containers(pod)]
        about = {run["metadata"]["name"], *summary.job_names(run)} if run else set()
        lines += summary.event_lines(self.kube.get("events", "-n", namespace).get("items", []), about)
        judgement = scenarios.judge_run(run) if run else None
        problems = scenarios.check_scenario(scenario, outcome, judgement, exit_codes)
        return outcome, problems, lines

    def analysis_run(self, namespace: str, pod_hash: str) -> Doc | None:
        """The newest AnalysisRun for the canary's pod hash (the demo's analysis step)."""
        runs = self.kube.get(
            "analysisruns", "-n", namespace, "-l", f"rollouts-pod-template-hash={pod_hash}"
        ).get("items", [])
        runs.sort(key=lambda r: r.get("metadata", {}).get("creationTimestamp", ""))
        return runs[-1] if runs else None

    # ------------------------------------------------------------ artifacts

    def collect_artifacts(self, label: str) -> Path:
        """kubectl output a person needs to see why a scenario failed, in one directory."""
        target = self.settings.artifacts_dir / time.strftime("%Y%m%d-%H%M%S") / label
        target.mkdir(parents=True, exist_ok=True)
        demo = demo_namespaces()
        commands: dict[str, list[str]] = {
            "events-all.txt": ["get", "events", "-A", "--sort-by=.lastTimestamp"],
            "pods-all.txt": ["get", "pods", "-A", "-o", "wide"],
            "argo-rollouts-controller.log": [
                "logs",
                "-n",
                ARGO_NAMESPACE,
                "deployment/argo-rollouts",
                "--tail=2000",
            ],
            "ollama.log": ["logs", "-n", render.OLLAMA_NAMESPACE, "deployment/ollama", "--tail=2000"],
        }
        for ns in demo:
            kinds = ("rollouts", "analysisruns", "analysistemplates", "jobs", "pods", "deployments")
            for kind in (*kinds, "services", "networkpolicies"):
                commands[f"{ns}-{kind}.yaml"] = ["get", kind, "-n", ns, "-o", "yaml"]
            commands[f"{ns}-describe-rollout.txt"] = ["describe", "rollout", scenarios.ROLLOUT_NAME, "-n", ns]
            commands[f"{ns}-describe-analysisruns.txt"] = ["describe", "analysisruns", "-n", ns]
        for name, argv in commands.items():
            (target / name).write_text(self._capture(argv), encoding="utf-8")
        for ns in demo:
            pods = self._capture(["get", "pods", "-n", ns, "-o", "name"]).split()
            for pod in pods:
                if pod.startswith("pod/"):
                    log = self._capture(["logs", "-n", ns, pod, "--all-containers", "--tail=5000"])
                    (target / f"{ns}-{pod[4:]}.log").write_text(log, encoding="utf-8")
        return target

    def _capture(self, argv: list[str]) -> str:
        done = subprocess.run(
            [self.kube.kubectl, *argv],
            capture_output=True,
            text=True,
            env=self.kube.env,
            check=False,
            timeout=120,
        )
        return done.stdout + (f"\n# stderr:\n{done.stderr}" if done.stderr else "")

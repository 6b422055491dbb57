"""Connection to the Kubernetes API shared by the collector and the publisher.

It loads the configuration (in-cluster service account, else kubeconfig / KUBECONFIG), resolves the
namespace, bounds every request by a timeout and the whole job by a deadline, and turns client
errors into messages that name the cause and the fix. Nothing here knows about canaries.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from job.errors import AnalysisError

log = logging.getLogger("job.collect.kubernetes")

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
T = TypeVar("T")


def _env_seconds(name: str, default: float) -> float:
    text = os.environ.get(name, "")
    try:
        return float(text) if text else default
    except ValueError:
        raise AnalysisError(f"{name}={text!r} is not a number of seconds") from None


@dataclass(frozen=True)
class Permission:
    """What a request needs from RBAC, so a 403 can say which Role rule is missing."""

    verb: str
    resource: str
    namespace: str
    group: str = ""

    def rule(self) -> str:
        return f'{{apiGroups: ["{self.group}"], resources: ["{self.resource}"], verbs: ["{self.verb}"]}}'


class NotFound(AnalysisError):
    """The object is gone (a pod deleted while it was read). Callers may skip it."""


class BadRequest(AnalysisError):
    """The API refused the request as asked (a container that never started, a bad selector)."""


def _status_message(error: ApiException) -> str:
    import json

    try:
        return str(json.loads(error.body or "{}").get("message") or error.reason)
    except (ValueError, AttributeError):
        return str(error.reason)


@dataclass
class Kube:
    core: client.CoreV1Api
    batch: client.BatchV1Api
    namespace: str
    host: str
    request_timeout: float
    deadline: float  # time.monotonic() after which nothing more is asked
    deadline_origin: str = "ROLLOUTS_AI_KUBE_DEADLINE seconds"  # where the deadline came from, for errors

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def check_deadline(self, doing: str) -> None:
        if self.remaining() <= 0:
            raise AnalysisError(
                f"the Kubernetes API did not finish {doing} before the deadline "
                f"({self.deadline_origin}): check the API server's health or raise the deadline"
            )

    def call(self, need: Permission, doing: str, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One API request, bounded in time; every failure becomes an AnalysisError that says why."""
        self.check_deadline(doing)
        read = max(0.1, min(self.request_timeout, self.remaining()))
        kwargs["_request_timeout"] = (min(read, 5.0), read)
        try:
            return method(*args, **kwargs)
        except ApiException as error:
            raise self.explain(error, need, doing) from None
        except urllib3.exceptions.HTTPError as error:
            raise self.unreachable(error, doing) from None

    def unreachable(self, error: Exception, doing: str) -> AnalysisError:
        cause = getattr(error, "reason", None) or error
        return AnalysisError(
            f"cannot reach the Kubernetes API at {self.host} while {doing} ({type(cause).__name__}: "
            f"{cause}); check that the API server is up and reachable from this pod (network policy, "
            "proxy) and that the kubeconfig or in-cluster configuration points at it"
        )

    def explain(self, error: ApiException, need: Permission, doing: str) -> AnalysisError:
        message = _status_message(error)
        if error.status == 403:
            return AnalysisError(
                f"permission denied while {doing}: the service account may not {need.verb} "
                f"{need.resource} in namespace {need.namespace!r} ({message}). Add this rule to its "
                f"Role: {need.rule()} (see templates/rbac-job.yaml)"
            )
        if error.status == 401:
            return AnalysisError(
                f"the Kubernetes API rejected the credentials while {doing} (401 {message}): the "
                "service account token or kubeconfig user is missing or expired"
            )
        if error.status == 404:
            return NotFound(
                f"{message} (404 from {self.host} while {doing}; if nothing was deleted, check that the "
                "kubeconfig points at a Kubernetes API server)"
            )
        if error.status == 400:
            return BadRequest(f"{message} (while {doing})")
        return AnalysisError(
            f"the Kubernetes API answered {error.status} {error.reason} while {doing}: {message}"
        )


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and (SERVICE_ACCOUNT_DIR / "token").exists()


def _kubeconfig_path() -> str:
    # Read at call time: the client's own default is frozen when it is imported.
    return os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")


def _default_namespace() -> str:
    namespace_file = SERVICE_ACCOUNT_DIR / "namespace"
    if namespace_file.exists():
        return namespace_file.read_text().strip()
    try:
        _, active = config.list_kube_config_contexts(config_file=_kubeconfig_path())
        return (active or {}).get("context", {}).get("namespace") or "default"
    except Exception:  # no kubeconfig at all: connect() already said so
        return "default"


def connect(namespace: str | None = None, *, deadline_seconds: float | None = None) -> Kube:
    """Load the configuration and return a client bounded by timeouts (env ROLLOUTS_AI_KUBE_*).

    `deadline_seconds` bounds everything asked through the client (the caller's budget); without it
    the env ROLLOUTS_AI_KUBE_DEADLINE does. No single request waits longer than what is left.
    """
    started = time.monotonic()  # loading the config and the client's lazy modules count too
    request_timeout = _env_seconds("ROLLOUTS_AI_KUBE_TIMEOUT", 15.0)
    if deadline_seconds is None:
        deadline_seconds = _env_seconds("ROLLOUTS_AI_KUBE_DEADLINE", 120.0)
        origin = f"ROLLOUTS_AI_KUBE_DEADLINE, {deadline_seconds:g} s"
    else:
        origin = f"{deadline_seconds:g} s given by the caller"
    configuration = client.Configuration()
    try:
        if _in_cluster():
            config.load_incluster_config(client_configuration=configuration)
        else:
            config.load_kube_config(config_file=_kubeconfig_path(), client_configuration=configuration)
    except Exception as error:  # ConfigException, missing or malformed files
        raise AnalysisError(
            f"no usable Kubernetes configuration ({error}): run in a pod with a service account, "
            "or point KUBECONFIG at a kubeconfig file"
        ) from None
    # Connection failures retry twice, quickly; a slow answer is never retried (the deadline rules).
    configuration.retries = urllib3.Retry(total=2, connect=2, read=0, status=0, backoff_factor=0.2)
    api = client.ApiClient(configuration)
    return Kube(
        core=client.CoreV1Api(api),
        batch=client.BatchV1Api(api),
        namespace=namespace or _default_namespace(),
        host=configuration.host,
        request_timeout=request_timeout,
        deadline=started + deadline_seconds,
        deadline_origin=origin,
    )

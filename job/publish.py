"""Tell Argo users the verdict where they look: the pod's termination message and a Kubernetes Event.

Argo Rollouts shows neither the Job's logs nor its stdout, only that the Job completed or failed. The
termination message (/dev/termination-log) is shown in `kubectl describe pod` and in the Job pod's
status; the Event lands on the AnalysisRun that created the Job (`kubectl describe analysisrun`).
Publishing is best effort: a verdict never changes because it could not be published.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from job.model import Verdict
from job.report import TERMINATION_LIMIT, cut_to_bytes, termination_message

# The kubernetes client takes a quarter of a second to import: only the Event needs it.
if TYPE_CHECKING:
    from kubernetes import client

    from job.collect._kube_api import Kube

log = logging.getLogger("job.publish")

DEFAULT_TERMINATION_LOG = "/dev/termination-log"
EVENT_MESSAGE_LIMIT = 1024
PUBLISH_DEADLINE_SECONDS = 10.0
COMPONENT = "rollouts-ai-job"

# Set by the Argo Rollouts Job metric provider on the Jobs it creates (metricproviders/job).
ANALYSISRUN_NAME = "analysisrun.argoproj.io/name"
ANALYSISRUN_NAMESPACE = "analysisrun.argoproj.io/namespace"
ANALYSISRUN_UID = "analysisrun.argoproj.io/uid"

_REASONS = {
    "pass": ("CanaryPassed", "Normal"),
    "fail": ("CanaryFailed", "Warning"),
    "inconclusive": ("CanaryInconclusive", "Warning"),
    "error": ("CanaryNotAnalysed", "Warning"),
}


@dataclass(frozen=True)
class Outcome:
    """What a run ended with, a verdict or the error that kept it from one, as a short text."""

    verdict: str  # pass | fail | inconclusive | error
    exit_code: int
    text: str  # the termination message; its first line says what happened

    @classmethod
    def from_verdict(cls, verdict: Verdict, exit_code: int, report: str | None = None) -> Outcome:
        """`report` (where the HTML report is kept) follows the summary, before the findings."""
        text = _redact(termination_message(verdict))
        if report:
            lines = text.split("\n")
            text = cut_to_bytes("\n".join([*lines[:2], report, *lines[2:]]), TERMINATION_LIMIT)
        return cls(verdict.verdict, exit_code, text)

    @classmethod
    def from_error(cls, message: str, exit_code: int) -> Outcome:
        text = f"ERROR exit={exit_code}\n{_redact(message)}"
        return cls("error", exit_code, cut_to_bytes(text, TERMINATION_LIMIT))


def _redact(text: str) -> str:
    """Shown to anyone who can read pods or Events: an error may quote a URL with a password."""
    from job.evidence.redact import redact

    return redact(text)


def write_termination_message(outcome: Outcome, path: str | None) -> bool:
    """Write to `path`, or to /dev/termination-log when it exists and is writable (i.e. in a pod)."""
    target = Path(path or DEFAULT_TERMINATION_LOG)
    if path is None and not (target.exists() and os.access(target, os.W_OK)):
        return False
    try:
        target.write_text(outcome.text)
        return True
    except OSError as error:
        log.warning(f"could not write the termination message to {target}: {error}")
        return False


# ---------------------------------------------------------------- Kubernetes Event


def _own_pod() -> tuple[str | None, str | None]:
    """(pod name, namespace) from the downward API env, else the hostname inside a pod."""
    if not (os.environ.get("POD_NAME") or os.environ.get("KUBERNETES_SERVICE_HOST")):
        return None, None  # not in a pod
    from job.collect._kube_api import SERVICE_ACCOUNT_DIR

    namespace = os.environ.get("POD_NAMESPACE")
    namespace_file = SERVICE_ACCOUNT_DIR / "namespace"
    if not namespace and namespace_file.exists():
        namespace = namespace_file.read_text().strip()
    name = os.environ.get("POD_NAME") or (os.environ.get("HOSTNAME") if namespace_file.exists() else None)
    return name, namespace


def _involved_object(kube: Kube, pod_name: str) -> client.V1ObjectReference:
    """The AnalysisRun that created this Job, else the Job, else the pod itself."""
    from kubernetes import client

    from job.collect._kube_api import Permission

    namespace = kube.namespace
    target = client.V1ObjectReference(api_version="v1", kind="Pod", name=pod_name, namespace=namespace)
    pod = kube.call(
        Permission("get", "pods", namespace),
        "reading its own pod",
        kube.core.read_namespaced_pod,
        pod_name,
        namespace,
    )
    target.uid = pod.metadata.uid
    owner = next((o for o in pod.metadata.owner_references or [] if o.kind == "Job"), None)
    if owner is None:
        return target
    job = kube.call(
        Permission("get", "jobs", namespace, "batch"),
        "reading its own Job",
        kube.batch.read_namespaced_job,
        owner.name,
        namespace,
    )
    annotations = job.metadata.annotations or {}
    if ANALYSISRUN_NAME not in annotations:
        return client.V1ObjectReference(
            api_version="batch/v1",
            kind="Job",
            name=job.metadata.name,
            namespace=namespace,
            uid=job.metadata.uid,
        )
    return client.V1ObjectReference(
        api_version="argoproj.io/v1alpha1",
        kind="AnalysisRun",
        name=annotations[ANALYSISRUN_NAME],
        namespace=annotations.get(ANALYSISRUN_NAMESPACE) or namespace,
        uid=(job.metadata.labels or {}).get(ANALYSISRUN_UID),
    )


def post_event(outcome: Outcome) -> client.CoreV1Event | None:
    """Record the outcome as an Event on the AnalysisRun; None when not running in a pod."""
    pod_name, namespace = _own_pod()
    if not pod_name:
        log.debug("not in a pod (no POD_NAME): no Event")
        return None
    from kubernetes import client

    from job.collect._kube_api import Permission, connect

    kube = connect(namespace, deadline_seconds=PUBLISH_DEADLINE_SECONDS)
    target = _involved_object(kube, pod_name)
    reason, kind = _REASONS.get(outcome.verdict, _REASONS["error"])
    now = datetime.now(UTC)
    event = client.CoreV1Event(
        metadata=client.V1ObjectMeta(generate_name=f"{target.name}.", namespace=target.namespace),
        involved_object=target,
        reason=reason,
        type=kind,
        message=cut_to_bytes(outcome.text, EVENT_MESSAGE_LIMIT),
        source=client.V1EventSource(component=COMPONENT),
        reporting_component=COMPONENT,
        reporting_instance=pod_name,
        action="Analyze",
        first_timestamp=now,
        last_timestamp=now,
        count=1,
    )
    return kube.call(
        Permission("create", "events", target.namespace),
        "creating the verdict Event",
        kube.core.create_namespaced_event,
        target.namespace,
        event,
    )


def publish(outcome: Outcome, *, termination_log: str | None = None, event: bool = True) -> None:
    """Best effort: every failure is logged as a warning and swallowed."""
    write_termination_message(outcome, termination_log)
    if not event:
        return
    try:
        post_event(outcome)
    except Exception as error:  # an Event is a courtesy; the exit code is the verdict
        log.warning(f"could not record the verdict as a Kubernetes Event: {error}")

"""The Job provider's report: kept in the cluster next to the AnalysisRun that asked for it.

Best effort, like the Event: the verdict and the exit code never depend on it. In a pod, the
page is stored as a ConfigMap owned by the AnalysisRun (found through the Job's annotations),
and the termination message and Event name the command that renders it again
(`rollouts-ai-job report --analysisrun NAME -n NS`), and its URL when ROLLOUTS_AI_PUBLIC_URL
points at the web service of the same namespace.
"""

from __future__ import annotations

import logging
import os

from job.render.store import Owner, ReportStore

log = logging.getLogger("job.render.job_report")

PUBLIC_URL_ENV = "ROLLOUTS_AI_PUBLIC_URL"
STORE_ENV = "ROLLOUTS_AI_REPORT_STORE"  # "off" keeps reports out of the cluster


def report_url(report_id: str, base: str | None = None) -> str | None:
    base = (base or os.environ.get(PUBLIC_URL_ENV) or "").rstrip("/")
    return f"{base}/reports/{report_id}" if base else None


def save_from_job(page: str, verdict: str, report_id: str | None = None) -> tuple[str | None, str | None]:
    """(report id, a line for the termination message) or (None, None) outside a pod or on failure."""
    from job.publish import PUBLISH_DEADLINE_SECONDS, _involved_object, _own_pod

    if os.environ.get(STORE_ENV, "").lower() == "off":
        return None, None
    pod_name, namespace = _own_pod()
    if not pod_name:
        return None, None
    try:
        from job.collect._kube_api import connect

        kube = connect(namespace, deadline_seconds=PUBLISH_DEADLINE_SECONDS)
        target = _involved_object(kube, pod_name)
        owner = Owner(target.name, target.uid) if target.kind == "AnalysisRun" else None
        # beside the AnalysisRun (an owner must share its namespace), which is also where its users look,
        # even when Argo runs analysis Jobs in a namespace of their own
        where = target.namespace or kube.namespace
        store = ReportStore(where, deadline_seconds=PUBLISH_DEADLINE_SECONDS)
        report_id = store.save(page, verdict, owner, report_id)
    except Exception as error:  # a report is a courtesy; the exit code is the verdict
        log.warning(f"could not store the HTML report in the cluster: {error}")
        return None, None
    which = f"--analysisrun {owner.name}" if owner else f"--id {report_id}"
    line = f"report: rollouts-ai-job report {which} -n {where} -o report.html"
    url = report_url(report_id)
    return report_id, f"{line} ({url})" if url else line

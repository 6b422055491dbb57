"""Where HTML reports are kept so that any replica of the web service, or a person with kubectl
access, can read them later: one ConfigMap per analysis in the cluster, never process memory.

Each report is a gzip-compressed page in `binaryData` (at most MAX_STORED_BYTES compressed,
well under the API server's 1 MiB object limit), labelled so it can be listed, and, when the
analysis ran for an AnalysisRun (the Job provider), owned by that AnalysisRun, so Kubernetes
deletes it with the AnalysisRun. Bounded in count and age too: every save prunes the
namespace's reports beyond MAX_REPORTS (oldest first) and those past their expiry; a read of an
expired report answers "not found". Permissions (see templates/): create, get, list and delete
on configmaps in the namespace the reports are kept in.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import logging
import os
import re
import secrets
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from job.errors import AnalysisError

if TYPE_CHECKING:
    from job.collect._kube_api import Kube

log = logging.getLogger("job.render.store")

PREFIX = "rollouts-ai-report-"
LABEL_REPORT = "rollouts-ai-job.argoproj.io/report"
LABEL_ANALYSISRUN = "rollouts-ai-job.argoproj.io/analysisrun"
ANNOTATION_EXPIRES = "rollouts-ai-job.argoproj.io/expires"
ANNOTATION_VERDICT = "rollouts-ai-job.argoproj.io/verdict"
ANNOTATION_CREATED = "rollouts-ai-job.argoproj.io/created"  # epoch seconds: finer than creationTimestamp
DATA_KEY = "report.html.gz"
MAX_STORED_BYTES = 768 * 1024
MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_REPORTS = int(os.environ.get("ROLLOUTS_AI_REPORTS_MAX", "100"))
TTL_SECONDS = float(os.environ.get("ROLLOUTS_AI_REPORTS_TTL_SECONDS", str(7 * 86400)))
STORE_DEADLINE_SECONDS = 10.0
_ID = re.compile(r"^[a-z0-9]{8,40}$")
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Owner:
    """The AnalysisRun a report belongs to (deleted with it when its uid is known)."""

    name: str
    uid: str | None = None


def new_id() -> str:
    return secrets.token_hex(8)


def valid_id(report_id: str) -> bool:
    return bool(_ID.match(report_id))


def compress(page: str) -> bytes:
    return gzip.compress(page.encode("utf-8"), compresslevel=9, mtime=0)


class ReportStore:
    """Reports as ConfigMaps in one namespace; `kube` is a factory so each call has a fresh deadline."""

    def __init__(
        self, namespace: str | None = None, kube: Any = None, deadline_seconds: float = STORE_DEADLINE_SECONDS
    ) -> None:
        self._namespace = namespace
        self._kube_factory = kube
        self._deadline = deadline_seconds

    def _kube(self) -> Kube:
        if self._kube_factory is not None:
            return self._kube_factory()  # type: ignore[no-any-return]
        from job.collect._kube_api import connect

        return connect(self._namespace, deadline_seconds=self._deadline)

    def save(self, page: str, verdict: str, owner: Owner | None = None, report_id: str | None = None) -> str:
        """Store a page; returns its id. Raises AnalysisError (with the cause and the fix) on failure."""
        from kubernetes import client

        from job.collect._kube_api import Permission

        data = compress(page)
        if len(data) > MAX_STORED_BYTES:
            raise AnalysisError(
                f"the report is {len(data)} bytes compressed, more than the {MAX_STORED_BYTES} a ConfigMap "
                "may hold here: it was not stored"
            )
        report_id = report_id or new_id()
        kube = self._kube()
        labels = {LABEL_REPORT: "true", "app.kubernetes.io/managed-by": "rollouts-ai-job"}
        references = None
        if owner is not None:
            if _LABEL_VALUE.match(owner.name):
                labels[LABEL_ANALYSISRUN] = owner.name
            if owner.uid:
                references = [
                    client.V1OwnerReference(
                        api_version="argoproj.io/v1alpha1", kind="AnalysisRun", name=owner.name, uid=owner.uid
                    )
                ]
        expires = datetime.fromtimestamp(time.time() + TTL_SECONDS, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = client.V1ConfigMap(
            metadata=client.V1ObjectMeta(
                name=PREFIX + report_id,
                namespace=kube.namespace,
                labels=labels,
                annotations={
                    ANNOTATION_EXPIRES: expires,
                    ANNOTATION_VERDICT: verdict,
                    ANNOTATION_CREATED: f"{time.time():.6f}",
                },
                owner_references=references,
            ),
            binary_data={DATA_KEY: base64.b64encode(data).decode()},
        )
        kube.call(
            Permission("create", "configmaps", kube.namespace),
            "storing the HTML report",
            kube.core.create_namespaced_config_map,
            kube.namespace,
            body,
        )
        try:
            self.prune(kube)
        except AnalysisError as error:
            log.warning(f"could not prune old reports: {error}")
        return report_id

    def load(self, report_id: str) -> str | None:
        """The page, or None when there is no such report or it has expired."""
        from job.collect._kube_api import NotFound, Permission

        if not valid_id(report_id):
            return None
        kube = self._kube()
        try:
            config_map = kube.call(
                Permission("get", "configmaps", kube.namespace),
                "reading a stored HTML report",
                kube.core.read_namespaced_config_map,
                PREFIX + report_id,
                kube.namespace,
            )
        except NotFound:
            return None
        return _page_of(config_map)

    def find(self, analysis_run: str) -> str | None:
        """The newest report of an AnalysisRun, or None."""
        if not _LABEL_VALUE.match(analysis_run):
            return None
        newest = None
        for config_map in self._list(self._kube(), f"{LABEL_REPORT}=true,{LABEL_ANALYSISRUN}={analysis_run}"):
            if newest is None or _created(config_map) > _created(newest):
                newest = config_map
        return _page_of(newest) if newest is not None else None

    def prune(self, kube: Kube) -> int:
        """Delete expired reports and the oldest beyond MAX_REPORTS; returns how many went."""
        from job.collect._kube_api import NotFound, Permission

        reports = sorted(self._list(kube, f"{LABEL_REPORT}=true"), key=_created, reverse=True)
        doomed = [cm for i, cm in enumerate(reports) if i >= MAX_REPORTS or _expired(cm)]
        for config_map in doomed:
            with contextlib.suppress(NotFound):  # another replica pruned it first
                kube.call(
                    Permission("delete", "configmaps", kube.namespace),
                    "deleting an old HTML report",
                    kube.core.delete_namespaced_config_map,
                    config_map.metadata.name,
                    kube.namespace,
                )
        return len(doomed)

    def _list(self, kube: Kube, selector: str) -> list[Any]:
        from job.collect._kube_api import Permission

        result = kube.call(
            Permission("list", "configmaps", kube.namespace),
            "listing stored HTML reports",
            kube.core.list_namespaced_config_map,
            kube.namespace,
            label_selector=selector,
        )
        return list(result.items)


def _created(config_map: Any) -> float:
    try:
        return float((config_map.metadata.annotations or {}).get(ANNOTATION_CREATED, ""))
    except ValueError:
        stamp = config_map.metadata.creation_timestamp
        return stamp.timestamp() if stamp is not None else 0.0


def _expired(config_map: Any) -> bool:
    value = (config_map.metadata.annotations or {}).get(ANNOTATION_EXPIRES)
    if not value:
        return False
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() < time.time()
    except ValueError:
        return False


def _page_of(config_map: Any) -> str | None:
    labels = config_map.metadata.labels or {}
    if labels.get(LABEL_REPORT) != "true" or _expired(config_map):
        return None
    raw = (config_map.binary_data or {}).get(DATA_KEY)
    if not raw:
        return None
    try:
        inflate = zlib.decompressobj(wbits=31)  # gzip; bounded, whatever the ConfigMap holds
        page = inflate.decompress(base64.b64decode(raw), MAX_PAGE_BYTES)
        if inflate.unconsumed_tail:
            raise ValueError(f"larger than {MAX_PAGE_BYTES} bytes")
        return page.decode("utf-8")
    except (ValueError, zlib.error) as error:
        raise AnalysisError(f"the stored report {config_map.metadata.name} is damaged ({error})") from None

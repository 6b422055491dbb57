"""`GET /reports/<id>`: the HTML report of an analysis, from the cluster (job/render/store.py), so
whichever replica behind the Service answers, it finds what another one stored.

After each analysis the service renders its report and keeps it (best effort: a report that
cannot be kept never changes or delays the verdict beyond the store's own short deadline); the
result document then carries `reportUrl`. A missing, expired or malformed id answers 404, as
JSON, or as a small HTML page to a browser (Accept: text/html). The page is served with the
strict Content-Security-Policy it was written for and headers that keep it from being framed,
sniffed or cached by anyone but the reader.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING

from job.errors import AnalysisError

if TYPE_CHECKING:
    from job.model import AnalysisRequest, Verdict
    from job.render.store import ReportStore

    from .app import Response

log = logging.getLogger("job.server.reports")

PREFIX = "/reports/"
HTML_TYPE = "text/html; charset=utf-8"
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$")
PUBLIC_URL_ENV = "ROLLOUTS_AI_PUBLIC_URL"
SERVE_STORE_DEADLINE_SECONDS = 3.0  # storing a report may delay an answer by at most this much


def pick_store(mode: str, namespace: str | None = None) -> ReportStore | None:
    """off: no reports; kube: ConfigMaps; auto: ConfigMaps in a pod or when KUBECONFIG is set."""
    from job.collect._kube_api import SERVICE_ACCOUNT_DIR
    from job.render.store import ReportStore

    if mode == "off":
        return None
    # in a pod, or pointed at an API on purpose (KUBECONFIG): never a developer's default context
    configured = (
        bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and (SERVICE_ACCOUNT_DIR / "token").exists()
    ) or bool(os.environ.get("KUBECONFIG"))
    if mode == "kube" or configured:
        return ReportStore(namespace, deadline_seconds=SERVE_STORE_DEADLINE_SECONDS)
    log.info("no Kubernetes API configured: HTML reports are not kept (--report-store)")
    return None


class Reports:
    def __init__(self, store: ReportStore | None, public_url: str | None = None) -> None:
        self.store = store
        self.public_url = (public_url or os.environ.get(PUBLIC_URL_ENV) or "").rstrip("/") or None

    def keep(self, verdict: Verdict, request: AnalysisRequest) -> str | None:
        """Render and store the report of a finished analysis; its id, or None."""
        if self.store is None:
            return None
        from job.render.html import context_from_request, render_html
        from job.render.store import new_id

        report_id = new_id()
        try:
            page = render_html(verdict, context_from_request(request, report_id))
            return self.store.save(page, verdict.verdict, report_id=report_id)
        except AnalysisError as error:
            log.warning(f"the HTML report was not kept: {error}")
        except Exception:  # a report is a courtesy; the verdict goes out whatever happens here
            log.exception("the HTML report was not kept (internal error)")
        return None

    def url(self, report_id: str, headers: Mapping[str, str]) -> str | None:
        """Where the report can be read: the configured public URL, else the Host this request came to."""
        if self.public_url:
            return f"{self.public_url}{PREFIX}{report_id}"
        host = headers.get("Host", "")
        return f"http://{host}{PREFIX}{report_id}" if _HOST.match(host) else None

    def answer(self, method: str, path: str, headers: Mapping[str, str]) -> Response:
        from job.render.html import content_security_policy

        from .app import Response, error_response

        if method not in ("GET", "HEAD"):
            return error_response(405, f"{method} is not allowed on {path}: use GET", {"Allow": "GET"})
        report_id = path[len(PREFIX) :]
        if self.store is None:
            return _not_found(
                headers, "reports are not kept by this service (no Kubernetes API; --report-store)"
            )
        try:
            page = self.store.load(report_id)
        except AnalysisError as error:
            log.warning(f"could not read a stored report: {error}")
            return error_response(503, f"the report store could not be read: {error}")
        if page is None:
            return _not_found(
                headers, f"no report {report_id!r}: it never existed, or it expired or was deleted"
            )
        return Response(200, page.encode("utf-8"), HTML_TYPE, _page_headers(content_security_policy()))


def _page_headers(policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": f"{policy}; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, max-age=300",
    }


def _not_found(headers: Mapping[str, str], message: str) -> Response:
    from .app import Response

    if "text/html" in headers.get("Accept", ""):
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Report not found</title></head>"
            f"<body><h1>Report not found</h1><p>{escape(message)}.</p><p>Reports are kept for a limited time "
            "and number; run the analysis again for a new one.</p></body></html>"
        )
        return Response(404, page.encode(), HTML_TYPE, _page_headers("default-src 'none'"))
    return Response(404, json.dumps({"error": message, "status": 404}).encode() + b"\n")

"""The web-provider application: the same analysis as `analyze`, answered as JSON over HTTP.

Argo Rollouts' web metric records an Error for any non-2xx answer and evaluates its
conditions on a 2xx JSON body, so: every verdict (pass, fail, inconclusive) is 200 with
the result document; a bad request is 4xx and an analysis that could not run is 5xx, both
`{"error": ...}`; nothing else is ever 2xx. `App` holds that mapping and knows nothing of
sockets (the HTTP plumbing is `job.serve.http`), so it can be tested and benchmarked alone.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

from job import report
from job.errors import AnalysisError, InputError
from job.evidence.redact import redact
from job.model import (
    WEB_MODEL,
    Acknowledgements,
    AnalysisRequest,
    ClusterSource,
    LLMConfig,
    MetricsConfig,
    Verdict,
)

from . import flagger
from .flagger import FlaggerCall
from .flight import DeadlineExceeded, Flights, Saturated
from .params import MODEL_PARAM, RequestRejected, parse_body, parse_query, to_options
from .reports import PREFIX as REPORTS_PREFIX
from .reports import Reports, pick_store

log = logging.getLogger("job.server")

AnalyzeFn = Callable[[AnalysisRequest], Verdict]
ReadyFn = Callable[[LLMConfig], str | None]

JSON_TYPE = "application/json"
VERDICTS = ("pass", "fail", "inconclusive")
_PATHS = ("/analyze", "/healthz", "/readyz", "/metrics")
# Share of the analysis deadline the model may use, leaving room to collect logs and answer.
_LLM_SHARE_OF_DEADLINE = 0.8
# At most this share goes to the cluster collection (logs stream into the evidence stage inside
# it), so judging and answering always keep the rest even when the model is off.
_COLLECTION_SHARE_OF_DEADLINE = 0.8
# Prometheus queries run before the logs are read: a slow Prometheus must leave them their time.
_METRICS_SHARE_OF_DEADLINE = 0.3


@dataclass(frozen=True)
class ServiceConfig:
    llm: LLMConfig = field(default_factory=lambda: LLMConfig(model=WEB_MODEL))
    host: str = "0.0.0.0"
    port: int = 8080
    token_file: str | None = None
    allow_namespaces: frozenset[str] = frozenset()
    allow_request_model: bool = False
    analysis_deadline: float = 25.0
    max_concurrent: int = 4
    cache_seconds: float = 5.0
    max_body_bytes: int = 64 * 1024
    read_timeout: float = 10.0
    max_connections: int = 64
    shutdown_grace: float = 30.0
    drain_seconds: float = 0.0
    metrics: MetricsConfig | None = None  # Prometheus and the canary config: server-side only
    acknowledgements: Acknowledgements | None = None  # the team's acknowledge file: server-side only
    report_store: str = "auto"  # auto | kube | off: where HTML reports are kept (see serve/reports.py)
    public_url: str | None = None  # the Service's URL, for reportUrl; else the request's Host


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    status: int, document: Mapping[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(status, json.dumps(document).encode() + b"\n", JSON_TYPE, headers or {})


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    # Argo keeps the message in the AnalysisRun: an error may quote a URL with a password in it
    return json_response(status, {"error": redact(message), "status": status}, headers)


class AnalysisFailed(Exception):
    """An analysis ended without a verdict; carries the status and message to answer with."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class _Done:
    verdict: str
    body: bytes
    report_id: str | None = None


# ---------------------------------------------------------------- readiness


def llm_reachable(llm: LLMConfig, timeout: float = 2.0) -> str | None:
    """None when the model server answers and has the model, else what is wrong (the judge's ping)."""
    from job.judge.backends import ping

    answer = ping(llm, timeout)
    return None if answer is True else str(answer)


class _Readiness:
    """Asks the model server at most once per `ttl` seconds, however often probes come."""

    def __init__(self, check: ReadyFn, llm: LLMConfig, ttl: float = 2.0) -> None:
        self._check, self._llm, self._ttl = check, llm, ttl
        self._lock = threading.Lock()
        self._at = -math.inf
        self._problem: str | None = None

    def problem(self) -> str | None:
        if not self._llm.enabled:
            return None
        with self._lock:
            if time.monotonic() - self._at > self._ttl:
                try:
                    self._problem = self._check(self._llm)
                except Exception as error:
                    self._problem = f"readiness check failed: {error!r}"
                self._at = time.monotonic()
            return self._problem


# ---------------------------------------------------------------- bearer token


class _Token:
    """The bearer token from a mounted Secret file; re-read when the file changes (rotation)."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._mtime = -1.0
        self._value = b""
        self._lock = threading.Lock()
        self.current()  # fail at start, not at the first request

    def current(self) -> bytes:
        with self._lock:
            try:
                mtime = self._path.stat().st_mtime
                if mtime != self._mtime:
                    value = self._path.read_bytes().strip()
                    if not value:
                        raise AnalysisError(f"token file {self._path} is empty: put the bearer token in it")
                    self._value, self._mtime = value, mtime
            except OSError as error:
                if not self._value:
                    raise AnalysisError(f"cannot read token file {self._path}: {error.strerror}") from None
            return self._value

    def accepts(self, authorization: str | None) -> bool:
        # RFC 9110 11.1: the scheme is case-insensitive ("bearer" is as good as "Bearer").
        scheme, _, offered = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not offered.strip():
            return False
        return hmac.compare_digest(offered.strip().encode(), self.current())


# ---------------------------------------------------------------- metrics


class _Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # the *_created series only add noise to every scrape
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "rollouts_ai_http_requests", "HTTP requests answered.", ["path", "status"], registry=r
        )
        self.in_flight = Gauge(
            "rollouts_ai_http_requests_in_flight", "HTTP requests being answered.", registry=r
        )
        self.analyses_running = Gauge("rollouts_ai_analyses_running", "Analyses running now.", registry=r)
        self.verdicts = Counter(
            "rollouts_ai_verdicts", "Analyses finished, by verdict.", ["verdict"], registry=r
        )
        self.answers = Counter(
            "rollouts_ai_analysis_answers",
            "Verdicts answered, by how: analysed, joined (single-flight) or cached.",
            ["how"],
            registry=r,
        )
        self.duration = Histogram(
            "rollouts_ai_analysis_duration_seconds",
            "Time one analysis took.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120),
            registry=r,
        )
        self.errors = Counter(
            "rollouts_ai_analysis_errors",
            "Analyse requests answered without a verdict, by reason.",
            ["reason"],
            registry=r,
        )


# ---------------------------------------------------------------- the application


class App:
    def __init__(self, config: ServiceConfig, analyze: AnalyzeFn, ready: ReadyFn = llm_reachable) -> None:
        self.config = config
        self.llm = _bounded_llm(config.llm, config.analysis_deadline)
        self.collection_deadline = collection_deadline(config.analysis_deadline, self.llm)
        self.prometheus = _bounded_metrics(config.metrics, config.analysis_deadline)
        self.metrics = _Metrics()
        self.stopping = threading.Event()
        self._analyze = analyze
        self._readiness = _Readiness(ready, self.llm)
        if self.llm.enabled:
            reachable = Gauge(
                "rollouts_ai_model_reachable",
                "1 while the model server answers (what /readyz reports), else 0; for alerting.",
                registry=self.metrics.registry,
            )
            reachable.set_function(lambda: 0.0 if self._readiness.problem() else 1.0)
        self._token = _Token(config.token_file) if config.token_file else None
        self.reports = Reports(pick_store(config.report_store), config.public_url)
        self._flights: Flights[AnalysisRequest, _Done] = Flights(
            self._run,
            max_concurrent=config.max_concurrent,
            cache_seconds=config.cache_seconds,
            on_finished=self._finished,
        )
        # Flagger's calls of one canary revision share an analysis; a result its caller did not wait
        # for is kept until Flagger's next call, an analysis interval later.
        self._flagger_flights: Flights[FlaggerCall, _Done] = Flights(
            self._run_flagger,
            max_concurrent=config.max_concurrent,
            cache_seconds=config.cache_seconds,
            orphan_seconds=flagger.ORPHAN_RESULT_SECONDS,
            on_finished=self._finished,
        )
        self.metrics.analyses_running.set_function(
            lambda: self._flights.running + self._flagger_flights.running
        )

    # The HTTP layer calls this once per request. read_body() returns at most max_body_bytes.
    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        content_length: int | None,
        read_body: Callable[[], bytes],
    ) -> Response:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        self.metrics.in_flight.inc()
        try:
            response = self._route(method, path, parts.query, headers, content_length, read_body)
        except Exception:  # a defect must still answer JSON 5xx, never a 2xx or an HTML page
            log.exception("unexpected error answering %s %s", method, path)
            response = error_response(500, "internal error in rollouts-ai-job, please report it")
        finally:
            self.metrics.in_flight.dec()
        self.metrics.requests.labels(path if path in _PATHS else "other", str(response.status)).inc()
        return response

    def _route(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        content_length: int | None,
        read_body: Callable[[], bytes],
    ) -> Response:
        if path.startswith(REPORTS_PREFIX):
            return self.reports.answer(method, path, headers)
        if path.startswith("/flagger/"):
            if method != "POST":
                return error_response(
                    405, f"{method} is not allowed on {path}: Flagger POSTs", {"Allow": "POST"}
                )
            body = self._flagger_body(headers, content_length, read_body)
            if isinstance(body, Response):
                return body
            return flagger.handle(
                self,
                path[len("/flagger/") :],
                body,
                headers.get("Content-Type", ""),
                headers.get("Authorization"),
            )
        if path not in _PATHS:
            return error_response(404, f"no such path {path!r}: use {', '.join(_PATHS)}")
        allowed = ("GET", "POST") if path == "/analyze" else ("GET",)
        if method not in allowed:
            return error_response(
                405,
                f"{method} is not allowed on {path}: use {' or '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        if path == "/healthz":
            return json_response(200, {"status": "ok"})
        if path == "/readyz":
            return self._ready()
        if path == "/metrics":
            return Response(200, generate_latest(self.metrics.registry), CONTENT_TYPE_LATEST)
        return self._analyse(query, headers, content_length, read_body)

    # ---------------------------------------------------------------- Flagger (job.serve.flagger)

    def authorized(self, authorization: str | None) -> bool:
        return self._token is None or self._token.accepts(authorization)

    def model_problem(self) -> str | None:
        return self._readiness.problem()

    def _flagger_body(
        self, headers: Mapping[str, str], content_length: int | None, read_body: Callable[[], bytes]
    ) -> bytes | Response:
        if not content_length:
            return error_response(
                411, "Flagger sends its payload with a Content-Length; this request had none"
            )
        if content_length > self.config.max_body_bytes:
            return error_response(413, f"body of {content_length} bytes is over {self.config.max_body_bytes}")
        body = read_body()
        if len(body) < content_length:
            return error_response(400, f"body ended after {len(body)} of its {content_length} bytes")
        return body

    def judge_flagger(self, call: FlaggerCall, hook: str) -> Response:
        deadline = min(self.config.analysis_deadline, flagger.DEFAULT_DEADLINE_SECONDS)
        try:
            done = self._flagger_flights.get(call, deadline).value
        except Saturated as error:
            return flagger.answer(503, hook, call, f"busy: {error}; Flagger's next call will be answered")
        except DeadlineExceeded:
            return flagger.answer(
                503, hook, call, f"still analysing after {deadline:g} s; the next call reads the result"
            )
        except AnalysisFailed as failed:
            return flagger.answer(failed.status, hook, call, str(failed))
        document = json.loads(done.body)
        status, why = flagger.verdict_answer(hook, document)
        return flagger.answer(status, hook, call, why, **flagger.summary_fields(document))

    def _run_flagger(self, call: FlaggerCall) -> _Done:
        try:
            request = flagger.request_for(
                call, self.llm, self.prometheus, self.collection_deadline, self.config.acknowledgements
            )
        except InputError as error:
            raise AnalysisFailed(400, "bad_request", str(error)) from None
        except AnalysisError as error:
            raise AnalysisFailed(502, "analysis", f"could not find the canary's pods: {error}") from None
        return self._run(request)

    def _ready(self) -> Response:
        if self.stopping.is_set():
            return error_response(503, "shutting down")
        problem = self._readiness.problem()
        if problem is not None:
            return error_response(503, f"model server not reachable: {problem}")
        return json_response(200, {"status": "ready", "llm": self.llm.enabled})

    def _analyse(
        self,
        query: str,
        headers: Mapping[str, str],
        content_length: int | None,
        read_body: Callable[[], bytes],
    ) -> Response:
        try:
            if self._token is not None and not self._token.accepts(headers.get("Authorization")):
                self.metrics.errors.labels("unauthorized").inc()
                return error_response(
                    401,
                    "missing or wrong bearer token: send 'Authorization: Bearer <token>'",
                    {"WWW-Authenticate": 'Bearer realm="rollouts-ai-job"'},
                )
            request = self._request(query, headers, content_length, read_body)
        except RequestRejected as rejected:
            self.metrics.errors.labels("bad_request").inc()
            return error_response(rejected.status, str(rejected))
        except InputError as error:
            self.metrics.errors.labels("bad_request").inc()
            return error_response(400, str(error))
        deadline = self.config.analysis_deadline
        try:
            answer = self._flights.get(request, deadline)
        except Saturated as error:
            self.metrics.errors.labels("saturated").inc()
            return error_response(
                503, f"busy: {error}; retry shortly", {"Retry-After": str(max(1, round(deadline / 5)))}
            )
        except DeadlineExceeded as error:
            self.metrics.errors.labels("deadline").inc()
            log.warning("analysis deadline passed", extra={"fields": {"deadline_s": deadline}})
            return error_response(504, f"{error}; it goes on, and a retry will join it or read its result")
        except AnalysisFailed as failed:
            self.metrics.errors.labels(failed.reason).inc()
            if failed.status >= 500:
                log.warning(
                    "analysis could not run",
                    extra={"fields": {"status": failed.status, "error": str(failed)}},
                )
            return error_response(failed.status, str(failed))
        self.metrics.answers.labels(answer.how).inc()
        body = answer.value.body
        url = self.reports.url(answer.value.report_id, headers) if answer.value.report_id else None
        if url:  # the cached document is shared; the URL may differ per caller (Host)
            body = json.dumps(report.with_report_url(json.loads(body), url), allow_nan=False).encode() + b"\n"
        return Response(200, body, JSON_TYPE, {"X-Rollouts-AI-Answer": answer.how})

    def _request(
        self,
        query: str,
        headers: Mapping[str, str],
        content_length: int | None,
        read_body: Callable[[], bytes],
    ) -> AnalysisRequest:
        if headers.get("Transfer-Encoding"):
            raise RequestRejected(
                411, "Transfer-Encoding is not supported: send the body with a Content-Length, not chunked"
            )
        if content_length is not None and content_length > self.config.max_body_bytes:
            raise RequestRejected(
                413,
                f"body of {content_length} bytes is larger than the limit of {self.config.max_body_bytes}",
            )
        body = read_body() if content_length else b""
        if content_length and len(body) < content_length:
            raise RequestRejected(400, f"body ended after {len(body)} of its {content_length} bytes")
        params = parse_query(query)
        if body.strip():
            if params:
                raise RequestRejected(
                    400, "give the parameters either in the query string or in a JSON body, not both"
                )
            params = parse_body(body, headers.get("Content-Type", ""))
        options = to_options(
            params, allow_namespaces=self.config.allow_namespaces, allow_model=self.config.allow_request_model
        )
        from job.options import build_request

        llm = self.llm
        if options.get("extra_prompt"):
            extra = "\n".join(p for p in (llm.extra_prompt, options["extra_prompt"]) if p)
            llm = dataclasses.replace(llm, extra_prompt=extra)
        if MODEL_PARAM in options:
            llm = dataclasses.replace(llm, model=options[MODEL_PARAM])
        request = build_request(options, llm)
        if self.prometheus is not None:
            request = dataclasses.replace(request, metrics=self.prometheus)
        if self.config.acknowledgements is not None:  # the service's own file: never a request's
            request = dataclasses.replace(request, acknowledgements=self.config.acknowledgements)
        if isinstance(request.source, ClusterSource) and request.source.deadline_seconds is None:
            # An analysis past its deadline is answered 504 but would go on holding a worker:
            # the collection stops in time instead, whatever ROLLOUTS_AI_KUBE_DEADLINE says.
            source = dataclasses.replace(request.source, deadline_seconds=self.collection_deadline)
            request = dataclasses.replace(request, source=source)
        return request

    # Runs in the analysis thread: everything that can go wrong becomes AnalysisFailed.
    def _run(self, request: AnalysisRequest) -> _Done:
        try:
            verdict = self._analyze(request)
        except InputError as error:
            raise AnalysisFailed(400, "bad_request", str(error)) from None
        except AnalysisError as error:
            raise AnalysisFailed(502, "analysis", f"could not analyse: {error}") from None
        except Exception as error:
            log.exception("analysis failed unexpectedly")
            raise AnalysisFailed(
                500, "internal", f"could not analyse (internal error, please report): {error!r}"
            ) from None
        body = encode_verdict(verdict)
        return _Done(verdict.verdict, body, self.reports.keep(verdict, request))

    def _finished(self, seconds: float, done: _Done | None, error: BaseException | None) -> None:
        self.metrics.duration.observe(seconds)
        if done is not None:
            self.metrics.verdicts.labels(done.verdict).inc()


def encode_verdict(verdict: object) -> bytes:
    """The result document, or AnalysisFailed: a malformed verdict must never reach Argo as a 2xx."""
    if not isinstance(verdict, Verdict) or verdict.verdict not in VERDICTS:
        raise AnalysisFailed(500, "internal", f"the analysis returned no valid verdict: {verdict!r:.200}")
    try:
        return json.dumps(report.document(verdict), allow_nan=False).encode() + b"\n"
    except (TypeError, ValueError) as error:
        raise AnalysisFailed(500, "internal", f"the verdict cannot be written as JSON: {error}") from None


def _bounded_llm(llm: LLMConfig, deadline: float) -> LLMConfig:
    """Keep the model's timeout inside the deadline, so a slow model yields the on-error verdict in time."""
    limit = round(deadline * _LLM_SHARE_OF_DEADLINE, 1)
    if llm.enabled and llm.timeout_seconds > limit:
        log.info(
            "model timeout capped to fit the analysis deadline",
            extra={"fields": {"llm_timeout": llm.timeout_seconds, "capped_to": limit}},
        )
        return dataclasses.replace(llm, timeout_seconds=limit)
    return llm


def _bounded_metrics(metrics: MetricsConfig | None, deadline: float) -> MetricsConfig | None:
    """Prometheus gets at most its share of the analysis deadline (two query timeouts in all)."""
    limit = round(deadline * _METRICS_SHARE_OF_DEADLINE / 2, 1)
    if metrics is None or metrics.timeout_seconds <= limit:
        return metrics
    return dataclasses.replace(metrics, timeout_seconds=max(0.1, limit))


def collection_deadline(deadline: float, llm: LLMConfig) -> float:
    """What the analysis deadline leaves the cluster collection once the model has its share."""
    model = llm.timeout_seconds if llm.enabled else 0.0
    return round(max(0.1, min(deadline - model, deadline * _COLLECTION_SHARE_OF_DEADLINE)), 1)


def create_app(
    config: ServiceConfig, analyze: AnalyzeFn | None = None, ready: ReadyFn = llm_reachable
) -> App:
    if analyze is None:
        from job.pipeline import analyze as pipeline_analyze

        analyze = pipeline_analyze
        _warm_up()
    return App(config, analyze, ready)


def _warm_up() -> None:
    """Import the Kubernetes client's API modules now (about a second), not inside the first deadline."""
    import importlib

    for module in (
        "job.collect.kubernetes",
        "kubernetes.client.api.core_v1_api",
        "kubernetes.client.api.batch_v1_api",
    ):
        importlib.import_module(module)


# ---------------------------------------------------------------- the process


def serve(config: ServiceConfig, analyze: AnalyzeFn | None = None) -> int:
    """Answer until SIGTERM/SIGINT; then drain, stop accepting, finish in-flight requests, return 0."""
    from .http import make_server

    app = create_app(config, analyze)
    server = make_server(app)
    stop_requested = threading.Event()

    def stop() -> None:
        app.stopping.set()  # /readyz says 503; the endpoints drop a terminating pod meanwhile
        if config.drain_seconds > 0:
            time.sleep(config.drain_seconds)
        server.shutdown()

    def on_signal(signum: int, _frame: object) -> None:
        if not stop_requested.is_set():
            stop_requested.set()
            log.info("stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
            threading.Thread(target=stop, name="stop", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    host, port = server.server_address[:2]
    log.info(
        "listening",
        extra={"fields": {"host": host, "port": port, "pid": os.getpid(), "llm": app.llm.enabled}},
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.socket.close()  # new connections are refused from here on
    left = server.wait_idle(config.shutdown_grace)
    if left:
        log.warning("stopped with requests unanswered", extra={"fields": {"unanswered": left}})
    else:
        log.info("stopped")
    return 0

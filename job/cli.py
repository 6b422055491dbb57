"""Command line. The only place that maps verdicts and errors to exit codes."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import Any

import click

from job import __version__
from job.errors import AnalysisError, InputError
from job.interrupt import Interrupted, stop_on_signals
from job.logs import configure
from job.model import JOB_MODEL, WEB_MODEL, LLMConfig, Verdict
from job.options import check_llm, parse_seconds

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3
EXIT_NOT_ANALYSED = 4

EXIT_BY_VERDICT = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "inconclusive": EXIT_INCONCLUSIVE}

log = logging.getLogger("job.cli")


def _fail(message: str, code: int) -> None:
    from job.evidence.redact import redact  # an error may quote a URL with a password in it

    click.echo(f"rollouts-ai-job: {redact(message)}", err=True)
    sys.exit(code)


class _OneLineUsage(click.Group):
    """Usage errors as one line naming the option (exit 2), instead of click's three-line block."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        return self._one_line(super().make_context, *args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        return self._one_line(super().invoke, ctx)

    @staticmethod
    def _one_line(call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as error:
            where = f" (see {error.ctx.command_path} --help)" if error.ctx else ""
            message = " ".join(error.format_message().split())
            _fail(f"{message}{where}", EXIT_USAGE)


class Seconds(click.ParamType):
    """A finite number of seconds, checked by job.options.parse_seconds (no nan, inf, 0 or -1)."""

    name = "seconds"

    def __init__(self, *, minimum: float = 0.0, zero: bool = False) -> None:
        self.minimum, self.zero = minimum, zero

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        option = param.opts[0] if param is not None and param.opts else "seconds"
        try:
            return parse_seconds(value, option, minimum=self.minimum, zero=self.zero)
        except InputError as error:
            self.fail(str(error).removeprefix(f"{option}: "), param, ctx)


@click.group(
    cls=_OneLineUsage,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="rollouts-ai-job")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="warning",
    envvar="ROLLOUTS_AI_LOG_LEVEL",
    show_default=True,
    help="Level of the tool's own JSON logs on stderr.",
)
def main(log_level: str) -> None:
    """Judge an Argo Rollouts canary against its stable version."""
    configure(log_level)


def llm_options(default_model: str):  # type: ignore[no-untyped-def]
    """LLM flags shared by `analyze` and `serve`; each command has its own default model."""
    options = [
        click.option(
            "--ollama-host",
            envvar="OLLAMA_HOST",
            default="http://localhost:11434",
            show_default=True,
            help="Ollama server URL.",
        ),
        click.option(
            "--llm-api",
            type=click.Choice(["ollama", "openai"]),
            default="ollama",
            show_default=True,
            help="Model API: Ollama, or any OpenAI-compatible server.",
        ),
        click.option(
            "--llm-url",
            default=None,
            help="Base URL of the OpenAI-compatible server (with --llm-api openai).",
        ),
        click.option(
            "--model",
            envvar="ROLLOUTS_AI_MODEL",
            default=default_model,
            show_default=True,
            help="Model name.",
        ),
        click.option(
            "--llm-timeout",
            type=Seconds(),
            default=LLMConfig.timeout_seconds,
            show_default=True,
            help="Seconds to wait for the model.",
        ),
        click.option("--no-llm", is_flag=True, help="Evidence-only verdict; do not call a model."),
        click.option("--extra-prompt", default="", help="Operator context for the model."),
        click.option(
            "--on-llm-error",
            type=click.Choice(["evidence", "fail", "inconclusive"]),
            default="evidence",
            show_default=True,
            help="What the verdict becomes when the model cannot answer.",
        ),
        click.option(
            "--prompt-token-budget",
            type=click.IntRange(min=1000),
            default=3000,
            show_default=True,
            help="Upper bound on prompt tokens, whatever the log volume.",
        ),
    ]

    def decorate(func):  # type: ignore[no-untyped-def]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def metrics_options(selectors: bool):  # type: ignore[no-untyped-def]
    """Prometheus flags: both commands take the URL and the canary config; only `analyze` the selectors
    (the web service selects a request's sides by its pods or hashes)."""
    options = [
        click.option(
            "--prometheus-url",
            envvar="ROLLOUTS_AI_PROMETHEUS_URL",
            default=None,
            metavar="URL",
            help="Also judge Prometheus metrics of both sides (see --canary-config).",
        ),
        click.option(
            "--canary-config",
            default=None,
            metavar="PATH",
            help="YAML list of metric signals [default: golden signals: errors, latency, restarts, CPU, memory].",  # noqa: E501
        ),
        click.option(
            "--metrics-required",
            is_flag=True,
            help="Prometheus down or slow makes the verdict inconclusive (default: a note; logs decide).",
        ),
    ]
    if selectors:
        options += [
            click.option(
                "--stable-metrics-selector",
                default=None,
                metavar="MATCHERS",
                help='PromQL matchers, e.g. version="v1".',
            ),
            click.option(
                "--canary-metrics-selector",
                default=None,
                metavar="MATCHERS",
                help='PromQL matchers, e.g. version="v2".',
            ),
        ]

    def decorate(func):  # type: ignore[no-untyped-def]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def build_llm_config(**kw: object) -> LLMConfig:
    """The model options, checked together (raises InputError: a usage error)."""
    config = LLMConfig(
        enabled=not kw["no_llm"],
        api=kw["llm_api"],  # type: ignore[arg-type]
        host=str(kw["ollama_host"]),
        url=kw["llm_url"],  # type: ignore[arg-type]
        model=str(kw["model"]),
        timeout_seconds=float(kw["llm_timeout"]),  # type: ignore[arg-type]
        extra_prompt=str(kw["extra_prompt"]),
        on_error=kw["on_llm_error"],  # type: ignore[arg-type]
        prompt_token_budget=int(kw["prompt_token_budget"]),  # type: ignore[arg-type]
    )
    return check_llm(config)


@main.command()
@click.option("--stable-logs", multiple=True, metavar="PATH", help="Stable log file (repeatable).")
@click.option("--canary-logs", multiple=True, metavar="PATH", help="Canary log file (repeatable).")
@click.option("--namespace", "-n", default=None, help="Namespace (default: the service account's).")
@click.option("--stable-selector", default=None, help="Label selector of stable pods.")
@click.option("--canary-selector", default=None, help="Label selector of canary pods.")
@click.option("--stable-hash", default=None, help="rollouts-pod-template-hash of the stable pods.")
@click.option("--canary-hash", default=None, help="rollouts-pod-template-hash of the canary pods.")
@click.option("--selector", default=None, help="Extra label selector narrowing both sides.")
@click.option("--container", default=None, help="Only this container (default: all but sidecars).")
@click.option(
    "--mesh-requests/--no-mesh-requests",
    default=True,
    show_default=True,
    help="Read the request records of mesh proxies (istio-proxy, envoy, linkerd-proxy) as evidence.",
)
@click.option("--since", default=None, help="Look back at most this long, e.g. 10m.")
@click.option(
    "--max-pods",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Pods read per side, sampled fairly.",
)
@metrics_options(selectors=True)
@click.option(
    "--acknowledge",
    envvar="ROLLOUTS_AI_ACKNOWLEDGE",
    default=None,
    metavar="FILE",
    help="A team's known noise (ignore) and must-fail messages, YAML (docs/acknowledge.md).",
)
@click.option(
    "--acknowledge-configmap",
    envvar="ROLLOUTS_AI_ACKNOWLEDGE_CONFIGMAP",
    default=None,
    metavar="NAME",
    help="Cluster mode: the same file, key acknowledge.yaml of this ConfigMap in the judged namespace.",
)
@llm_options(JOB_MODEL)
@click.option("--output", "-o", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.option(
    "--termination-log",
    default=None,
    metavar="PATH",
    help="Write the verdict summary here [default: /dev/termination-log when writable].",
)
@click.option(
    "--event/--no-event",
    default=True,
    show_default=True,
    help="Record the verdict as a Kubernetes Event on the AnalysisRun (in a pod only).",
)
@click.option(
    "--report",
    "report_path",
    default=None,
    metavar="PATH.html",
    help="Also write the self-contained HTML report here (in a pod it is also kept in the cluster).",
)
def analyze(
    output: str, termination_log: str | None, event: bool, report_path: str | None, **kw: object
) -> None:
    """Compare canary and stable logs and print a verdict.

    Exit codes: 0 pass, 1 fail, 2 usage error, 3 inconclusive, 4 could not analyse.
    As a Kubernetes Job any non-zero exit fails the Job, so Argo records 3 (inconclusive) as a
    Failed measurement; only the web provider, or the termination message, tells them apart.
    """
    from job.publish import Outcome, publish

    def stop(message: str, code: int, *, event: bool = event) -> None:
        publish(Outcome.from_error(message, code), termination_log=termination_log, event=event)
        _fail(message, code)

    try:
        with stop_on_signals():
            verdict, document, report_line = _run(kw, output, report_path)
            code = EXIT_BY_VERDICT[verdict.verdict]
            _write_stdout(document)
            publish(
                Outcome.from_verdict(verdict, code, report_line), termination_log=termination_log, event=event
            )
    except Interrupted as signal:
        # no Event: the pod is being stopped and must not wait for the API server
        stop(
            f"{signal} before a verdict: the analysis was stopped, nothing was judged",
            EXIT_NOT_ANALYSED,
            event=False,
        )
    except InputError as error:
        stop(str(error), EXIT_USAGE)
    except AnalysisError as error:
        stop(f"could not analyse: {error}", EXIT_NOT_ANALYSED)
    except Exception as error:  # a defect must still never look like a verdict
        log.debug("unexpected error", exc_info=True)
        first_line = " ".join(repr(error).split())[:300]
        stop(
            f"could not analyse (internal error, please report; --log-level debug shows where): {first_line}",
            EXIT_NOT_ANALYSED,
        )
    sys.exit(code)


def _run(kw: dict[str, object], output: str, report_path: str | None) -> tuple[Verdict, str, str | None]:
    """Options -> request -> verdict -> rendered document (and the HTML report; a line saying where
    it is kept); imported in here so a defect in any stage exits 4, never 1 ("fail")."""
    from job.options import build_request
    from job.pipeline import analyze as run_analysis
    from job.report import render

    request = build_request(kw, build_llm_config(**kw))
    verdict = run_analysis(request)
    report_line, report_url = _report(verdict, request, report_path)
    return verdict, render(verdict, output, report_url), report_line


def _write_stdout(document: str) -> None:
    """The result on stdout; a full disk or a closed pipe is exit 4, said in one line."""
    try:
        click.echo(document)
        sys.stdout.flush()
    except OSError as error:
        # what is still buffered would fail again at exit, with a traceback: send it nowhere
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise AnalysisError(
            f"cannot write the result to stdout ({error.strerror or error}): free the disk or "
            "fix the redirection"
        ) from None


def _report(verdict: Verdict, request: object, path: str | None) -> tuple[str | None, str | None]:
    """Write the HTML report to `path` and, in a pod, keep it in the cluster. Best effort: a report
    that cannot be written is a warning on stderr, never a change of verdict or exit code.
    Returns (a line for the termination message, the report's URL), either may be None."""
    from job.render.html import context_from_request, render_html
    from job.render.job_report import report_url, save_from_job
    from job.render.store import new_id

    in_pod = bool(os.environ.get("POD_NAME") or os.environ.get("KUBERNETES_SERVICE_HOST"))
    if not path and not in_pod:
        return None, None
    report_id = new_id()
    try:
        page = render_html(verdict, context_from_request(request, report_id))
    except Exception as error:  # a defect in the report must not cost the verdict
        log.debug("the HTML report failed", exc_info=True)
        click.echo(f"rollouts-ai-job: the HTML report could not be rendered (please report): {error!r:.200}",
                   err=True)  # fmt: skip
        return None, None
    if path:
        try:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(page)
        except OSError as error:
            click.echo(f"rollouts-ai-job: could not write the report to {path}: {error.strerror or error}; "
                       "choose a writable path", err=True)  # fmt: skip
    stored, line = save_from_job(page, verdict.verdict, report_id) if in_pod else (None, None)
    return line, (report_url(stored) if stored else None)


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on (0: any free port, logged at start).",
)
@click.option(
    "--token-file",
    envvar="ROLLOUTS_AI_TOKEN_FILE",
    default=None,
    metavar="PATH",
    help="File holding the bearer token /analyze requires (e.g. a mounted Secret).",
)
@click.option(
    "--allow-namespace",
    "allow_namespaces",
    multiple=True,
    metavar="NS",
    help="Namespace requests may analyse (repeatable; default: any the RBAC allows).",
)
@click.option(
    "--allow-request-model",
    is_flag=True,
    help="Let a request choose the model by name (never the model server's address).",
)
@click.option(
    "--analysis-deadline",
    type=Seconds(minimum=0.1),
    default=25.0,
    show_default=True,
    help="Seconds an answer may take; keep it below the template's timeoutSeconds.",
)
@click.option(
    "--max-concurrent",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Different analyses running at once; more get 503 + Retry-After.",
)
@click.option(
    "--cache-seconds",
    type=Seconds(zero=True),
    default=5.0,
    show_default=True,
    help="Seconds a verdict is reused for an identical request (0: no cache).",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=256),
    default=65536,
    show_default=True,
    help="Largest request body accepted (413 above).",
)
@click.option(
    "--read-timeout",
    type=Seconds(minimum=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a client has to send its whole request.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Open connections served at once; more get 503.",
)
@click.option(
    "--shutdown-grace",
    type=Seconds(zero=True),
    default=30.0,
    show_default=True,
    help="On SIGTERM, seconds to finish requests in flight.",
)
@click.option(
    "--drain-seconds",
    type=Seconds(zero=True),
    default=0.0,
    show_default=True,
    help="On SIGTERM, seconds to keep serving with /readyz failing before closing the port.",
)
@click.option(
    "--report-store",
    type=click.Choice(["auto", "kube", "off"]),
    default="auto",
    envvar="ROLLOUTS_AI_REPORT_STORE",
    show_default=True,
    help="Keep each analysis' HTML report as a ConfigMap for GET /reports/<id> "
    "(auto: in a pod or with KUBECONFIG set).",
)
@click.option(
    "--public-url",
    default=None,
    envvar="ROLLOUTS_AI_PUBLIC_URL",
    help="The Service's URL, for reportUrl in results [default: http://<the request's Host>].",
)
@click.option(
    "--analysis-function",
    default=None,
    hidden=True,
    help="module:function replacing the analysis (tests and benchmarks only).",
)
@metrics_options(selectors=False)
@click.option(
    "--acknowledge",
    envvar="ROLLOUTS_AI_ACKNOWLEDGE",
    default=None,
    metavar="FILE",
    help="A team's known noise and must-fail messages for every analysis (YAML; never from requests).",
)
@llm_options(WEB_MODEL)
def serve(**kw: object) -> None:
    """Answer Argo Rollouts' web metric provider: GET|POST /analyze, /healthz, /readyz, /metrics,
    and GET /reports/<id> (the HTML report of an analysis)."""
    from job.errors import AnalysisError as StartError
    from job.options import build_acknowledgements, build_metrics
    from job.serve import ServiceConfig
    from job.serve import serve as run_server

    try:
        metrics = build_metrics(kw)
        llm = build_llm_config(**kw)
        acknowledgements = build_acknowledgements(kw)  # an invalid file: the service refuses to start
    except InputError as error:
        _fail(str(error), EXIT_USAGE)
    config = ServiceConfig(
        metrics=metrics,
        acknowledgements=acknowledgements,
        llm=llm,
        host=str(kw["host"]),
        port=int(kw["port"]),  # type: ignore[call-overload]
        token_file=kw["token_file"],  # type: ignore[arg-type]
        allow_namespaces=frozenset(kw["allow_namespaces"]),  # type: ignore[arg-type]
        allow_request_model=bool(kw["allow_request_model"]),
        analysis_deadline=float(kw["analysis_deadline"]),  # type: ignore[arg-type]
        max_concurrent=int(kw["max_concurrent"]),  # type: ignore[call-overload]
        cache_seconds=float(kw["cache_seconds"]),  # type: ignore[arg-type]
        max_body_bytes=int(kw["max_body_bytes"]),  # type: ignore[call-overload]
        read_timeout=float(kw["read_timeout"]),  # type: ignore[arg-type]
        max_connections=int(kw["max_connections"]),  # type: ignore[call-overload]
        shutdown_grace=float(kw["shutdown_grace"]),  # type: ignore[arg-type]
        drain_seconds=float(kw["drain_seconds"]),  # type: ignore[arg-type]
        report_store=str(kw["report_store"]),
        public_url=kw["public_url"],  # type: ignore[arg-type]
    )
    analyze_fn = _load_function(str(kw["analysis_function"])) if kw["analysis_function"] else None
    try:
        code = run_server(config, analyze_fn)
    except StartError as error:
        _fail(str(error), EXIT_USAGE)
    except OSError as error:
        _fail(
            f"cannot listen on {config.host}:{config.port}: {error.strerror}; choose another --port",
            EXIT_USAGE,
        )
    sys.exit(code)


@main.command()
@click.option(
    "--analysisrun", default=None, metavar="NAME", help="The AnalysisRun whose newest report to render."
)
@click.option("--id", "report_id", default=None, help="A report's id (the end of its reportUrl).")
@click.option(
    "--namespace", "-n", default=None, help="Namespace (default: the service account's or context's)."
)
@click.option(
    "--output", "-o", "path", default=None, metavar="PATH.html", help="Write here [default: stdout]."
)
def report(analysisrun: str | None, report_id: str | None, namespace: str | None, path: str | None) -> None:
    """Render the HTML report of a finished analysis from what the cluster keeps.

    Exit codes: 0 written, 2 usage error, 4 no such report or the cluster could not be read.
    """
    from job.render.store import ReportStore

    if bool(analysisrun) == bool(report_id):
        _fail("give one of --analysisrun or --id", EXIT_USAGE)
    try:
        reports = ReportStore(namespace)
        page = reports.find(analysisrun) if analysisrun else reports.load(str(report_id))
    except AnalysisError as error:
        _fail(f"could not read the report: {error}", EXIT_NOT_ANALYSED)
    where = f"in namespace {namespace!r}" if namespace else "in the current namespace"
    if page is None:
        what = f"AnalysisRun {analysisrun!r}" if analysisrun else f"id {report_id!r}"
        _fail(
            f"no report of {what} {where}: it was never kept (was the analysis run with the report "
            "RBAC of templates/?), or it expired or was deleted with its AnalysisRun",
            EXIT_NOT_ANALYSED,
        )
    if not path:
        click.echo(page, nl=False)
        return
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as error:
        _fail(f"could not write {path}: {error.strerror or error}; choose a writable path", EXIT_USAGE)
    click.echo(f"wrote {path}: open it in a browser", err=True)


def _load_function(spec: str):  # type: ignore[no-untyped-def]
    import importlib

    module_name, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as error:
        _fail(f"cannot load analysis function {spec!r}: {error}", EXIT_USAGE)


if __name__ == "__main__":
    main()

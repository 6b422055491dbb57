"""Log formats and failure shapes a red-team pass found the analysis misread: each a failing canary
and its healthy look-alike in the same format. Same rules as make_all.py: real programs on
127.0.0.1, bounded traffic, labels decided from the story before any analysis ran.

    python tests/corpus/make/make_formats.py --list
    python tests/corpus/make/make_formats.py [NAME ...]      # remake all or some
    python tests/corpus/make/make_formats.py --labels        # rewrite scenario.yaml only

Needs (Debian 12): openjdk-17-jdk-headless, golang-go (1.19), cargo + rustc and
librust-tracing-subscriber-dev (the crates are read from /usr/share/cargo/registry, offline),
uwsgi-core + uwsgi-plugin-python3, and a venv with opentelemetry-sdk (CORPUS3_OTEL_PYTHON).
Builds go to CORPUS3_BUILD (default /work/cache/corpus3).
"""

from __future__ import annotations

import functools
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import harness
from harness import APPS, PY_ENV, Request, Scenario, free_port, java_classes, pod_log, serve_and_capture

BUILD = Path(os.environ.get("CORPUS3_BUILD", "/work/cache/corpus3"))
PY = sys.executable
RNG = random.Random(20261128)
SCENARIOS: list[Scenario] = []
scenario = harness.registrar(SCENARIOS)
SCRIPT = "tests/corpus/make/make_formats.py"


pod_name = functools.partial(harness.pod_name, RNG)


class Dependency:
    """A stand-in dependency (apps/stubdep.py) on its own port; its output is not in any pod log."""

    def __init__(self, seed: int, **delays: str) -> None:
        self.port = free_port()
        env = {**os.environ, **PY_ENV, "SEED": str(seed), **delays}
        cmd = [PY, str(APPS / "stubdep.py"), str(self.port)]
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True
        )
        harness.wait_for_port(self.port, self.process)

    def __enter__(self) -> Dependency:
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# ------------------------------------------------------------------ Spring Boot 3 layout in UTC

BOOT3_FMT = (
    "Spring Boot 3.2+ default console layout in UTC (ISO time with 'Z', level, pid --- [app] [thread] "
    "logger : msg; docs.spring.io/spring-boot/reference/features/logging.html) + Java stack traces"
)
BOOT3_APP = "Java billing service (Spring Boot 3 log layout, UTC)"


def billing_pod(log: Path, n: int, env: dict[str, str]) -> None:
    port = free_port()
    cmd = ["java", "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Duser.timezone=UTC"]
    classes = java_classes(BUILD, "billing", "Billing.java")
    cmd += ["-cp", str(classes), "com.example.billing.Billing", str(port)]
    requests = [Request(f"/api/invoices/{RNG.randint(1, 5000)}") for _ in range(n)]
    requests += [Request("/actuator/health")] * (n // 10)
    RNG.shuffle(requests)
    serve_and_capture(cmd, log, port, requests, env={"LOG_LAYOUT": "boot3", **env}, startup_timeout=30)


@scenario(
    "boot3-utc-good",
    "pass",
    "good",
    BOOT3_APP,
    BOOT3_FMT,
    "stable 3.1.0 and canary 3.2.0 both healthy, logging in Spring Boot 3's default layout in a UTC "
    "container: every line starts '2026-...123Z  INFO', which a reader of `kubectl logs --timestamps` "
    "must not take for the runtime's own prefix",
    ("javac", "java"),
)
def _boot3_good(root: Path) -> None:
    for _ in (1, 2):
        billing_pod(pod_log(root, "stable", pod_name("billing")), 100, {"APP_VERSION": "3.1.0"})
        billing_pod(pod_log(root, "canary", pod_name("billing")), 100, {"APP_VERSION": "3.2.0"})


@scenario(
    "boot3-utc-pool-exhausted",
    "fail",
    "error-burst",
    BOOT3_APP,
    BOOT3_FMT,
    "canary 3.2.0 halves the JDBC pool and holds connections across a PDF render: 2 in 5 invoice loads "
    "fail with 'Could not open JDBC Connection' (ERROR with its stack trace) and answer 500; the "
    "layout is Spring Boot 3's in UTC ('...Z  INFO', '...Z ERROR')",
    ("javac", "java"),
)
def _boot3_pool(root: Path) -> None:
    for _ in (1, 2):
        billing_pod(pod_log(root, "stable", pod_name("billing")), 100, {"APP_VERSION": "3.1.0"})
        billing_pod(
            pod_log(root, "canary", pod_name("billing")), 100, {"APP_VERSION": "3.2.0", "APP_MODE": "pool"}
        )


# ------------------------------------------------------------------ Rust tracing, ANSI colours

TRACING_FMT = (
    "Rust tracing-subscriber 0.3 default fmt (ISO time, padded level, span{fields}: target: message "
    "key=value), ANSI colours on as by default (docs.rs/tracing-subscriber fmt::format::Full)"
)
TRACING_APP = "Rust cart service (tracing, tower-http-style request log)"


@functools.cache
def rust_cart() -> Path:
    out = BUILD / "rustcart"
    (out / ".cargo").mkdir(parents=True, exist_ok=True)
    (out / ".cargo" / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "debian"\n[source.debian]\n'
        'directory = "/usr/share/cargo/registry"\n[net]\noffline = true\n'
    )
    shutil.copytree(APPS / "rustcart", out, dirs_exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=out, check=True)
    return out / "target" / "release" / "cart"


def cart_pod(log: Path, n: int, version: str, inventory_port: int) -> None:
    port = free_port()
    requests = [Request(f"/cart/{RNG.randint(1, 9000)}") for _ in range(n)]
    env = {"APP_VERSION": version, "INVENTORY_PORT": str(inventory_port)}
    serve_and_capture([str(rust_cart()), str(port)], log, port, requests, env=env)


@scenario(
    "rust-tracing-ansi-good",
    "pass",
    "good",
    TRACING_APP,
    TRACING_FMT,
    "stable 1.8.0 and canary 1.9.0 both reach the inventory service; every request answers 200; the "
    "log is coloured (ANSI escape codes around the time, level and field names)",
    ("cargo",),
)
def _rust_good(root: Path) -> None:
    with Dependency(1) as inventory:
        for _ in (1, 2):
            cart_pod(pod_log(root, "stable", pod_name("cart")), 120, "1.8.0", inventory.port)
            cart_pod(pod_log(root, "canary", pod_name("cart")), 120, "1.9.0", inventory.port)


@scenario(
    "rust-tracing-ansi-503",
    "fail",
    "http5xx",
    TRACING_APP,
    TRACING_FMT,
    "canary 1.9.0's manifest gives the inventory service's old port (nothing listens there): every "
    "stock check, a third of the requests, answers 503; the handler logs nothing else, only the "
    "request line's coloured status=503 at INFO",
    ("cargo",),
)
def _rust_503(root: Path) -> None:
    with Dependency(1) as inventory:
        for _ in (1, 2):
            cart_pod(pod_log(root, "stable", pod_name("cart")), 120, "1.8.0", inventory.port)
            cart_pod(pod_log(root, "canary", pod_name("cart")), 120, "1.9.0", free_port())


# ------------------------------------------------------------------ Go stdlib log, no levels

GOLOG_FMT = "Go stdlib log (date time message, no level); errors as Go prints them (no word 'error')"
GOLOG_APP = "Go payments service (stdlib log)"


@functools.cache
def gopay() -> Path:
    out = BUILD / "gopay"
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOCACHE": str(BUILD / "gocache")}
    subprocess.run(["go", "build", "-o", str(out / "gopay"), "."], cwd=APPS / "gopay", env=env, check=True)
    return out / "gopay"


def pay_pod(log: Path, n: int, env: dict[str, str]) -> None:
    port = free_port()
    cards = ("visa", "mastercard", "amex")
    requests = [
        Request(
            f"/charge/{RNG.randint(10_000, 99_999)}?card={RNG.choice(cards)}&cents={RNG.randint(100, 90_000)}"
        )
        for _ in range(n)
    ]
    serve_and_capture([str(gopay()), "-port", str(port)], log, port, requests, env=env)


@scenario(
    "golog-payments-good",
    "pass",
    "good",
    GOLOG_APP,
    GOLOG_FMT,
    "stable 2.3.0 and canary 2.4.0 both send every card to the processor; every charge is accepted",
    ("go",),
)
def _golog_good(root: Path) -> None:
    with Dependency(2, MEDIAN_MS="6") as processor:
        url = f"http://127.0.0.1:{processor.port}"
        for _ in (1, 2):
            pay_pod(
                pod_log(root, "stable", pod_name("payments")),
                150,
                {"APP_VERSION": "2.3.0", "PROCESSOR_URL": url},
            )
            pay_pod(
                pod_log(root, "canary", pod_name("payments")),
                150,
                {"APP_VERSION": "2.4.0", "PROCESSOR_URL": url},
            )


@scenario(
    "golog-payments-conn-refused",
    "fail",
    "error-burst",
    GOLOG_APP,
    GOLOG_FMT,
    "canary 2.4.0 sends amex cards (a third of the charges) to a new direct processor whose URL has "
    "the wrong port: each logs 'charge N: Post ...: dial tcp ...: connect: connection refused' (no "
    "level, no word 'error') and answers 502, which nothing logs",
    ("go",),
)
def _golog_refused(root: Path) -> None:
    with Dependency(2, MEDIAN_MS="6") as processor:
        url = f"http://127.0.0.1:{processor.port}"
        wrong = f"http://127.0.0.1:{free_port()}"
        for _ in (1, 2):
            pay_pod(
                pod_log(root, "stable", pod_name("payments")),
                150,
                {"APP_VERSION": "2.3.0", "PROCESSOR_URL": url},
            )
            pay_pod(
                pod_log(root, "canary", pod_name("payments")),
                150,
                {"APP_VERSION": "2.4.0", "PROCESSOR_URL": url, "AMEX_PROCESSOR_URL": wrong},
            )


# ------------------------------------------------------------------ Python logging, retried timeouts

RETRY_FMT = "Python logging ('%(asctime)s %(levelname)s [%(name)s] %(message)s') + http.server request lines"
RETRY_APP = "Python orders service (stdlib, audit writes to a ledger with retries)"


def orders_pod(log: Path, n: int, version: str, ledger_port: int, timeout: str) -> None:
    port = free_port()
    requests = [
        Request(
            "/orders", "POST", f'{{"order": {RNG.randint(1, 10**6)}, "items": {RNG.randint(1, 5)}}}'.encode()
        )
        for _ in range(n)
    ]
    env = {
        **PY_ENV,
        "APP_VERSION": version,
        "LEDGER_URL": f"http://127.0.0.1:{ledger_port}",
        "LEDGER_TIMEOUT": timeout,
    }
    serve_and_capture([PY, str(APPS / "ordersvc.py"), str(port)], log, port, requests, env=env)


# the ledger answers in ~25 ms and stalls for 400 ms on 2% of the writes
LEDGER_DELAYS = {"MEDIAN_MS": "25", "SLOW_SHARE": "0.02", "SLOW_MS": "400"}


@scenario(
    "py-retry-timeouts-good",
    "pass",
    "noise",
    RETRY_APP,
    RETRY_FMT,
    "stable 5.0.0 and canary 5.1.0 both write audit records with a 0.2 s timeout; the ledger stalls now "
    "and then, so about 2% of the writes log a 'timed out ... retrying' WARNING on both sides",
)
def _retry_good(root: Path) -> None:
    with Dependency(3, **LEDGER_DELAYS) as ledger:
        for _ in (1, 2):
            orders_pod(pod_log(root, "stable", pod_name("orders")), 120, "5.0.0", ledger.port, "0.2")
            orders_pod(pod_log(root, "canary", pod_name("orders")), 120, "5.1.0", ledger.port, "0.2")


@scenario(
    "py-retry-timeouts",
    "fail",
    "timeout",
    RETRY_APP,
    RETRY_FMT,
    "canary 5.1.0 sets the ledger timeout to 0.025 s (meant 0.25 s): about half the audit writes time "
    "out and are retried, some give up after three attempts (audit records lost); every order still "
    "answers 201; the stable logs the same WARNING for 2% of its writes",
)
def _retry_bad(root: Path) -> None:
    with Dependency(3, **LEDGER_DELAYS) as ledger:
        for _ in (1, 2):
            orders_pod(pod_log(root, "stable", pod_name("orders")), 120, "5.0.0", ledger.port, "0.2")
            orders_pod(pod_log(root, "canary", pod_name("orders")), 120, "5.1.0", ledger.port, "0.025")


# ------------------------------------------------------------------ OpenTelemetry console exporter, exc_info

OTEL_PY = os.environ.get("CORPUS3_OTEL_PYTHON", "/work/cache/venv-otel/bin/python")
OTEL_FMT = (
    "OpenTelemetry Python SDK 1.45 ConsoleLogExporter (logging bridged to OTel): one pretty-printed "
    "JSON record per log record (body, severity_number, severity_text, attributes, timestamp, resource)"
)
PLAIN_FMT = "Python logging ('%(asctime)s %(levelname)s [%(name)s] %(message)s'), tracebacks of exc_info"
CART_APP = "Python cart pricing service (stdlib, recommendations with a 0.1 s timeout)"


def cart_py_pod(log: Path, n: int, env: dict[str, str], python: str = PY) -> None:
    port = free_port()
    requests = [Request(f"/cart/{RNG.randint(1, 9000)}") for _ in range(n)]
    serve_and_capture(
        [python, str(APPS / "cartsvc.py"), str(port)], log, port, requests, env={**PY_ENV, **env}
    )


@scenario(
    "otel-console-good",
    "pass",
    "good",
    CART_APP,
    OTEL_FMT,
    "stable 2.0.0 and canary 2.1.0 both healthy, their logs written by OpenTelemetry's console exporter "
    "(OTEL_LOGS_EXPORTER=console): each log record is a JSON object over about 28 lines",
    ("otel",),
)
def _otel_good(root: Path) -> None:
    otel_pair(root, "good")


def otel_pair(root: Path, canary_mode: str) -> None:
    """One pod a side, 60 requests each (the records are ~1 KB)."""
    with Dependency(4, MEDIAN_MS="5") as reco:
        env = {"LOG_EXPORT": "otel", "RECO_URL": f"http://127.0.0.1:{reco.port}"}
        cart_py_pod(pod_log(root, "stable", pod_name("cart")), 60, {**env, "APP_VERSION": "2.0.0"}, OTEL_PY)
        canary = {**env, "APP_VERSION": "2.1.0", "APP_MODE": canary_mode}
        cart_py_pod(pod_log(root, "canary", pod_name("cart")), 60, canary, OTEL_PY)


@scenario(
    "otel-console-pricing-errors",
    "fail",
    "error-burst",
    CART_APP,
    OTEL_FMT,
    "canary 2.1.0 subtracts a 'discount' field that carts made before it lack: a third of the carts "
    "log an ERROR record 'pricing failed for cart N' (with exception.type KeyError and its stack "
    "trace as attributes) and answer 500",
    ("otel",),
)
def _otel_errors(root: Path) -> None:
    otel_pair(root, "discount-bug")


@scenario(
    "py-warning-exc-info-good",
    "pass",
    "noise",
    CART_APP,
    PLAIN_FMT,
    "stable 2.0.0 and canary 2.1.0 both healthy; while the canary served, the recommendations service "
    "stalled a few times: those carts log 'recommendations ... timed out, serving defaults' as a "
    "WARNING with its traceback (logger.warning(..., exc_info=True)) and still answer 200",
)
def _warning_exc_info(root: Path) -> None:
    with Dependency(5, MEDIAN_MS="5") as calm, Dependency(6, MEDIAN_MS="5", SLOW_SHARE="0.01") as stalling:
        for _ in (1, 2):
            stable = {"APP_VERSION": "2.0.0", "RECO_URL": f"http://127.0.0.1:{calm.port}"}
            cart_py_pod(pod_log(root, "stable", pod_name("cart")), 150, stable)
            canary = {"APP_VERSION": "2.1.0", "RECO_URL": f"http://127.0.0.1:{stalling.port}"}
            cart_py_pod(pod_log(root, "canary", pod_name("cart")), 150, canary)


# ------------------------------------------------------------------ java.util.logging in a French locale

JUL_FR_FMT = (
    "java.util.logging SimpleFormatter in a JVM with a French locale (-Duser.language=fr): 'nov. 27, "
    "2026 8:03:03 PM' dates, GRAVE/AVERTISSEMENT/INFOS levels (the JDK's translations) + stack traces"
)
JUL_FR_APP = "Java ledger service (JDK HttpServer, French locale)"


def ledger_pod(log: Path, mode: str, n: int) -> None:
    port = free_port()
    requests = [Request(f"/balance/acc{RNG.randint(1, 99)}") for _ in range(n)]
    requests += [Request("/healthz")] * (n // 20)
    RNG.shuffle(requests)
    classes = java_classes(BUILD, "javasvc", "Svc.java")
    cmd = ["java", "-Xmx64m", "-Duser.language=fr", "-Duser.country=FR", "-cp", str(classes), "Svc"]
    serve_and_capture([*cmd, str(port), mode], log, port, requests, startup_timeout=20)


@scenario(
    "java-jul-fr-good",
    "pass",
    "good",
    JUL_FR_APP,
    JUL_FR_FMT,
    "stable and canary the same healthy build, in a JVM whose locale is French",
    ("java", "javac"),
)
def _jul_fr_good(root: Path) -> None:
    for _ in (1, 2):
        ledger_pod(pod_log(root, "stable", pod_name("ledger")), "good", 120)
        ledger_pod(pod_log(root, "canary", pod_name("ledger")), "good", 120)


@scenario(
    "java-jul-fr-npe-burst",
    "fail",
    "error-burst",
    JUL_FR_APP,
    JUL_FR_FMT,
    "canary calls toUpperCase on a missing currency: 'GRAVE: balance lookup failed' with a "
    "NullPointerException stack trace and a 500 for about half of the accounts; the first trace used "
    "to swallow every record after it (the French date did not start a record)",
    ("java", "javac"),
)
def _jul_fr_npe(root: Path) -> None:
    for _ in (1, 2):
        ledger_pod(pod_log(root, "stable", pod_name("ledger")), "good", 120)
        ledger_pod(pod_log(root, "canary", pod_name("ledger")), "npe", 120)


# ------------------------------------------------------------------ uWSGI request log

UWSGI_FMT = (
    "uWSGI 2.0 request log ([pid|app|req] addr () {vars} [ctime] METHOD uri => generated N bytes in N "
    "msecs (HTTP/1.1 status) ...) and its start/stop lines, on stderr"
)
UWSGI_APP = "Python catalogue WSGI app under uWSGI 2.0 (no log of its own)"


def uwsgi_pod(log: Path, n: int, env: dict[str, str]) -> None:
    port = free_port()
    cmd = [
        "uwsgi",
        "--plugin",
        "python3",
        "--http-socket",
        f"127.0.0.1:{port}",
        "--master",
        "--processes",
        "2",
    ]
    cmd += ["--wsgi-file", str(APPS / "uwsgiapp.py")]
    requests = [Request(f"/items/{RNG.randint(1, 5000)}") for _ in range(n)]
    # uWSGI reloads on SIGTERM; SIGINT stops it
    serve_and_capture(cmd, log, port, requests, env=env, stop_signal=signal.SIGINT)


@scenario(
    "uwsgi-catalogue-good",
    "pass",
    "good",
    UWSGI_APP,
    UWSGI_FMT,
    "stable 1.6.0 and canary 1.7.0 both read stock from the cache; every item page answers 200",
    ("uwsgi",),
)
def _uwsgi_good(root: Path) -> None:
    with Dependency(7, MEDIAN_MS="3") as cache:
        env = {"STOCK_URL": f"http://127.0.0.1:{cache.port}"}
        for _ in (1, 2):
            uwsgi_pod(pod_log(root, "stable", pod_name("catalogue")), 150, env)
            uwsgi_pod(pod_log(root, "canary", pod_name("catalogue")), 150, env)


@scenario(
    "uwsgi-catalogue-503",
    "fail",
    "http5xx",
    UWSGI_APP,
    UWSGI_FMT,
    "canary 1.7.0 splits the stock cache into two shards, the second at a port nothing listens on: "
    "items ending in 1, 4 or 7 (about 30%) answer 503 and the app logs nothing; only uWSGI's request "
    "line says (HTTP/1.1 503)",
    ("uwsgi",),
)
def _uwsgi_503(root: Path) -> None:
    with Dependency(7, MEDIAN_MS="3") as cache:
        env = {"STOCK_URL": f"http://127.0.0.1:{cache.port}"}
        broken = {**env, "APP_MODE": "cache-port", "SHARD_URL": f"http://127.0.0.1:{free_port()}"}
        for _ in (1, 2):
            uwsgi_pod(pod_log(root, "stable", pod_name("catalogue")), 150, env)
            uwsgi_pod(pod_log(root, "canary", pod_name("catalogue")), 150, broken)


# ------------------------------------------------------------------ driver


def available(sc: Scenario) -> str | None:
    for need in sc.needs:
        if need == "otel":
            if subprocess.run([OTEL_PY, "-c", "import opentelemetry.sdk"], capture_output=True).returncode:
                return f"opentelemetry-sdk in CORPUS3_OTEL_PYTHON={OTEL_PY}"
        elif shutil.which(need) is None:
            return need
    if "cargo" in sc.needs and not Path("/usr/share/cargo/registry/tracing-subscriber-0.3.16").is_dir():
        return "librust-tracing-subscriber-dev"
    return None


def main() -> int:
    return harness.run_scenarios(harness.parser(__doc__).parse_args(), SCENARIOS, available, SCRIPT, BUILD)


if __name__ == "__main__":
    sys.exit(main())

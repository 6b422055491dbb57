"""More systems for the labelled corpus: Apache httpd, HAProxy, MariaDB, a Spring-Boot-style
Java service, a klog controller, pino JSON, a Django-style asyncio service, nginx with
$request_time. Same rules as make_all.py: real programs on 127.0.0.1, bounded traffic,
labels decided from the story before any analysis runs.

    python tests/corpus/make/make_more.py --list
    python tests/corpus/make/make_more.py [NAME ...]      # remake all or some
    python tests/corpus/make/make_more.py --labels        # rewrite scenario.yaml only

Needs (Debian 12): apache2, haproxy, mariadb-server, nginx, golang-go, openjdk-17-jdk-headless,
nodejs + pino (`npm install pino@9` in CORPUS2_NODE_DIR, default /work/cache/corpus2-node).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness
from harness import APPS, PY_ENV, Request, Scenario, free_port, java_classes, pod_log, serve_and_capture

BUILD = Path(os.environ.get("CORPUS2_BUILD", "/work/cache/corpus2"))
NODE_DIR = Path(os.environ.get("CORPUS2_NODE_DIR", "/work/cache/corpus2-node"))
PY = sys.executable
RNG = random.Random(20261127)


SCENARIOS: list[Scenario] = []
scenario = harness.registrar(SCENARIOS)
SCRIPT = "tests/corpus/make/make_more.py"


def ids(template: str, n: int, lo: int = 1, hi: int = 300) -> list[Request]:
    return [Request(template.format(RNG.randint(lo, hi))) for _ in range(n)]


def sprinkle(requests: list[Request], extra: list[Request]) -> list[Request]:
    out = list(requests)
    for request in extra:
        out.insert(RNG.randrange(len(out) + 1), request)
    return out


def scratch(prefix: str) -> Path:
    """A temp dir every user can read (Apache and MariaDB drop root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def background(cmd: list[str], port: int, env: dict[str, str] | None = None):
    """An upstream whose own output is not part of the pod log."""
    process = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    harness.wait_for_port(port, process)
    return process


def end(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------ Apache httpd 2.4 (+ CGI)

APACHE_FMT = "Apache httpd 2.4 combined access log (+ %D µs) on stdout + error log on stderr"
APACHE_MODULES = ("mpm_event", "authz_core", "mime", "alias", "dir", "cgid", "log_config", "unixd")
APACHE_CONF = """ServerRoot "{dir}"
{modules}
Listen 127.0.0.1:{port}
PidFile {dir}/httpd.pid
ServerName shop.example.internal
User www-data
Group www-data
ErrorLog /proc/self/fd/2
LogLevel warn
LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\" %D" combined_us
CustomLog /proc/self/fd/1 combined_us
TypesConfig /etc/mime.types
ScriptSock {dir}/cgisock
DocumentRoot "{dir}/htdocs"
DirectoryIndex index.html
<Directory "{dir}">
    Require all granted
</Directory>
ScriptAlias /cgi-bin/ "{dir}/cgi-bin/"
{static_alias}
"""
PRICE_CGI = """#!/bin/sh
id=${QUERY_STRING#id=}
printf 'Content-Type: application/json\\r\\n\\r\\n'
printf '{"id": %s, "price": "%s.50"}\\n' "$id" "$((id % 90 + 5))"
"""
# the canary image calls a pricing CLI that is not in it: the script dies before any header
PRICE_CGI_BROKEN = """#!/bin/sh
id=${QUERY_STRING#id=}
if [ $((id % 5)) -lt 2 ]; then
    price=$(/opt/pricing/bin/pricing-cli --sku "$id") || exit 1
else
    price="$((id % 90 + 5)).50"
fi
printf 'Content-Type: application/json\\r\\n\\r\\n'
printf '{"id": %s, "price": "%s"}\\n' "$id" "$price"
"""


def apache_site(work: Path, cgi: str) -> None:
    for sub in ("htdocs", "assets", "cgi-bin"):
        (work / sub).mkdir()
    (work / "htdocs" / "index.html").write_text("<html><link href=/static/app.css><body>shop</body></html>\n")
    (work / "assets" / "app.css").write_text("body { font: 14px sans-serif; }\n" * 20)
    (work / "assets" / "app.js").write_text("console.log('shop');\n" * 40)
    (work / "assets" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    script = work / "cgi-bin" / "price.sh"
    script.write_text(cgi)
    script.chmod(0o755)


def apache_requests(n: int) -> list[Request]:
    """A page view: the page, its three assets, a price lookup; some favicon 404s (same on both sides)."""
    out: list[Request] = []
    while len(out) < n:
        out += [
            Request("/"),
            Request("/static/app.css"),
            Request("/static/app.js"),
            Request("/static/logo.svg"),
        ]
        out += [Request(f"/cgi-bin/price.sh?id={RNG.randint(1, 500)}")]
        if RNG.random() < 0.1:
            out.append(Request("/favicon.ico"))
    return out[:n]


def apache_pod(log: Path, n: int, *, cgi: str = PRICE_CGI, static_alias: bool = True) -> dict:
    port = free_port()
    work = scratch("httpd-")
    apache_site(work, cgi)
    modules = "\n".join(
        f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so"
        for m in APACHE_MODULES
        if (Path("/usr/lib/apache2/modules") / f"mod_{m}.so").exists()
    )
    alias = f'Alias /static/ "{work}/assets/"' if static_alias else ""
    conf = work / "httpd.conf"
    conf.write_text(APACHE_CONF.format(dir=work, port=port, modules=modules, static_alias=alias))
    counts = serve_and_capture(
        ["apache2", "-d", str(work), "-f", str(conf), "-DFOREGROUND"],
        log,
        port,
        apache_requests(n),
        stop_signal=signal.SIGWINCH,  # the httpd image's STOPSIGNAL: graceful stop
        settle=0.5,
    )
    shutil.rmtree(work, ignore_errors=True)
    return counts


APACHE = ("apache2",)


@scenario(
    "apache-good",
    "pass",
    "good",
    "Apache httpd 2.4 + shell CGI",
    APACHE_FMT,
    "stable and canary httpd serve the same shop (page, static assets, a CGI price lookup); the canary is "
    "a new image tag with the same config; a few favicon 404s on both sides",
    APACHE,
)
def _apache_good(root: Path) -> None:
    for _ in (1, 2):
        apache_pod(pod_log(root, "stable", pod_name("web")), 300)
        apache_pod(pod_log(root, "canary", pod_name("web")), 300)


@scenario(
    "apache-cgi-500",
    "fail",
    "http5xx",
    "Apache httpd 2.4 + shell CGI",
    APACHE_FMT + " + mod_cgid script errors",
    "canary image's price CGI calls /opt/pricing/bin/pricing-cli, which the image lacks: for 2 in 5 "
    "lookups the script exits before any header, mod_cgid logs AH01215 'not found' and 'End of script "
    "output before headers', the client gets a 500",
    APACHE,
)
def _apache_cgi(root: Path) -> None:
    for _ in (1, 2):
        apache_pod(pod_log(root, "stable", pod_name("web")), 300)
        apache_pod(pod_log(root, "canary", pod_name("web")), 300, cgi=PRICE_CGI_BROKEN)


@scenario(
    "apache-404-missing-route",
    "fail",
    "http4xx",
    "Apache httpd 2.4 + shell CGI",
    APACHE_FMT,
    "canary httpd.conf lost 'Alias /static/' (the assets moved in the new image): every CSS/JS/SVG "
    "request is a 404 (about 60% of requests, vs ~1% favicon 404s on stable); error log silent at "
    "LogLevel warn; pages render unstyled and broken",
    APACHE,
)
def _apache_404(root: Path) -> None:
    for _ in (1, 2):
        apache_pod(pod_log(root, "stable", pod_name("web")), 300)
        apache_pod(pod_log(root, "canary", pod_name("web")), 300, static_alias=False)


# ------------------------------------------------------------------ HAProxy 2.6 in front of an API

HAPROXY_FMT = "HAProxy 2.6 httplog (log stdout format raw) + its alerts on stderr"
HAPROXY_CONF = """global
    log stdout format raw local0
    maxconn 256
defaults
    log global
    mode http
    option httplog
    option dontlognull
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend public
    bind 127.0.0.1:{port}
    default_backend api
backend api
    balance roundrobin
    option httpchk GET /health
    server api1 127.0.0.1:{b1} check inter 500ms
    server api2 127.0.0.1:{b2} check inter 500ms
"""


def haproxy_pod(log: Path, backends: tuple[int, int], n: int) -> dict:
    port = free_port()
    work = scratch("haproxy-")
    conf = work / "haproxy.cfg"
    conf.write_text(HAPROXY_CONF.format(port=port, b1=backends[0], b2=backends[1]))
    requests = sprinkle(ids("/api/search?q={}", n), [Request("/robots.txt")] * (n // 50))
    process, handle = harness.start(["haproxy", "-db", "-f", str(conf)], log)
    counts: dict = {}
    if harness.wait_for_port(port, process):
        time.sleep(1.5)  # let the first health checks settle, as a readiness delay would
        counts = harness.drive(port, requests)
        time.sleep(0.3)
    counts["exit"] = harness.stop(process, handle, signal.SIGUSR1)  # soft stop, as on SIGTERM in the image
    shutil.rmtree(work, ignore_errors=True)
    return counts


def api_backends(env: dict[str, str]) -> tuple[list[subprocess.Popen], tuple[int, int]]:
    ports = (free_port(), free_port())
    procs = [background([PY, str(APPS / "slowup.py"), str(p)], p, env) for p in ports]
    return procs, ports


HAPROXY = ("haproxy",)


@scenario(
    "haproxy-good",
    "pass",
    "good",
    "HAProxy 2.6 + Python search API",
    HAPROXY_FMT,
    "stable and canary HAProxy (the canary is a config-only restart: same haproxy.cfg) in front of two "
    "healthy search API servers; a few robots.txt 404s on both sides",
    HAPROXY,
)
def _haproxy_good(root: Path) -> None:
    procs, ports = api_backends({"UPSTREAM_DELAY_MS": "15"})
    try:
        haproxy_pod(pod_log(root, "stable", "edge-haproxy-5f7c9-abcde"), ports, 400)
        haproxy_pod(pod_log(root, "canary", "edge-haproxy-7d2e1-fghij"), ports, 400)
    finally:
        for p in procs:
            end(p)


@scenario(
    "haproxy-backend-503",
    "fail",
    "http5xx",
    "HAProxy 2.6 + Python search API",
    HAPROXY_FMT,
    "the canary's search API servers (new build) shed about 45% of queries with 503 (a dependency "
    "pool sized too small); HAProxy passes the 503s through and logs each one",
    HAPROXY,
)
def _haproxy_503(root: Path) -> None:
    good, good_ports = api_backends({"UPSTREAM_DELAY_MS": "15"})
    bad, bad_ports = api_backends({"UPSTREAM_DELAY_MS": "15", "UPSTREAM_503_PERCENT": "45"})
    try:
        haproxy_pod(pod_log(root, "stable", "search-haproxy-5f7c9-abcde"), good_ports, 400)
        haproxy_pod(pod_log(root, "canary", "search-haproxy-7d2e1-fghij"), bad_ports, 400)
    finally:
        for p in good + bad:
            end(p)


@scenario(
    "haproxy-no-server",
    "fail",
    "http5xx",
    "HAProxy 2.6 + Python search API",
    HAPROXY_FMT,
    "canary HAProxy config points both servers at a port nothing listens on (wrong service port): the "
    "health checks mark them DOWN, 'backend api has no server available!', every request is a 503 <NOSRV>",
    HAPROXY,
)
def _haproxy_nosrv(root: Path) -> None:
    procs, ports = api_backends({"UPSTREAM_DELAY_MS": "15"})
    try:
        haproxy_pod(pod_log(root, "stable", "search-haproxy-5f7c9-abcde"), ports, 400)
        haproxy_pod(pod_log(root, "canary", "search-haproxy-7d2e1-fghij"), (free_port(), free_port()), 300)
    finally:
        for p in procs:
            end(p)


# ------------------------------------------------------------------ MariaDB 10.11

MARIADB_FMT = "MariaDB 10.11 server error log on stderr ([Note]/[Warning]/[ERROR])"


def mariadb_pod(log: Path, *, app_password: str, server_password: str, extra: list[str], n: int) -> dict:
    """Start mariadbd (its error log on stderr), create the app user, run `n` app sessions over TCP."""
    port = free_port()
    data = scratch("mariadb-")
    shutil.chown(data, "mysql", "mysql")  # mariadbd drops to mysql and creates its socket here
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={data}/db", "--user=mysql", "--skip-test-db"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=120,
    )
    sock = f"{data}/mysqld.sock"
    cmd = [
        "mariadbd",
        "--no-defaults",
        f"--datadir={data}/db",
        f"--socket={sock}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        "--user=mysql",
        f"--pid-file={data}/mysqld.pid",
        "--log-warnings=2",
        "--innodb-buffer-pool-size=32M",
        *extra,
    ]
    process, handle = harness.start(cmd, log)
    counts: dict = {"ok": 0, "denied": 0}
    try:
        if harness.wait_for_port(port, process, 60):
            setup = (
                "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, total DECIMAL(8,2));"
                f"CREATE USER 'shop'@'localhost' IDENTIFIED BY '{server_password}';"
                f"CREATE USER 'shop'@'127.0.0.1' IDENTIFIED BY '{server_password}';"
                "GRANT ALL ON shop.* TO 'shop'@'localhost'; GRANT ALL ON shop.* TO 'shop'@'127.0.0.1';"
            )
            subprocess.run(["mariadb", f"--socket={sock}", "-uroot", "-e", setup], check=True, timeout=30)
            for k in range(n):  # bounded: n short app sessions, one at a time
                query = f"INSERT INTO orders VALUES ({k}, {k * 3 % 200}.50); SELECT COUNT(*) FROM orders;"
                done = subprocess.run(
                    [
                        "mariadb",
                        "-h127.0.0.1",
                        f"-P{port}",
                        "-ushop",
                        f"-p{app_password}",
                        "shop",
                        "-e",
                        query,
                    ],
                    capture_output=True,
                    timeout=30,
                )
                counts["ok" if done.returncode == 0 else "denied"] += 1
                time.sleep(0.05)
    finally:
        counts["exit"] = harness.stop(process, handle, timeout=60)
        shutil.rmtree(data, ignore_errors=True)
    return counts


MARIADB = ("mariadbd", "mariadb-install-db", "mariadb")


def mariadb_rollout(root: Path, canary_server_password: str, canary_extra: list[str]) -> None:
    """One stable and one canary server; the app always logs in with the v1 password, 80 sessions each."""
    mariadb_pod(
        pod_log(root, "stable", "orders-db-0"),
        app_password="s3cret-v1",
        server_password="s3cret-v1",
        extra=[],
        n=80,
    )
    mariadb_pod(
        pod_log(root, "canary", "orders-db-1"),
        app_password="s3cret-v1",
        server_password=canary_server_password,
        extra=canary_extra,
        n=80,
    )


@scenario(
    "mariadb-good-tuning",
    "pass",
    "good",
    "MariaDB 10.11",
    MARIADB_FMT,
    "canary raises max_connections and table_open_cache; the same 80 app sessions succeed on both sides",
    MARIADB,
)
def _mariadb_good(root: Path) -> None:
    mariadb_rollout(root, "s3cret-v1", ["--max-connections=300", "--table-open-cache=4000"])


@scenario(
    "mariadb-access-denied",
    "fail",
    "error-burst",
    "MariaDB 10.11",
    MARIADB_FMT,
    "canary's bootstrap creates the app user with the rotated password while the app still sends the "
    "old one: every app session is refused, the server logs \"Access denied for user 'shop'@'localhost'\"",
    MARIADB,
)
def _mariadb_denied(root: Path) -> None:
    mariadb_rollout(root, "s3cret-v2", [])


# ------------------------------------------------------------------ Java, Spring Boot console layout

BOOT_FMT = (
    "Spring Boot default console layout (date time level pid --- [thread] logger : msg) + Java stack traces"
)


def pod_name(prefix: str) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"

    def chunk(n: int) -> str:
        return "".join(RNG.choice(alphabet) for _ in range(n))

    return f"{prefix}-{chunk(9)}-{chunk(5)}"


def billing_cmd(port: int, heap: str = "96m", gc_log: bool = False) -> list[str]:
    cmd = ["java", f"-Xmx{heap}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
    if gc_log:
        cmd += ["-Xmn24m", "-Xlog:gc:stdout"]
    classes = java_classes(BUILD, "billing", "Billing.java")
    return [*cmd, "-cp", str(classes), "com.example.billing.Billing", str(port)]


def billing_requests(n: int) -> list[Request]:
    return sprinkle(ids("/api/invoices/{}", n, 1, 5000), [Request("/actuator/health")] * (n // 10))


def billing_pod(log: Path, n: int, env: dict[str, str], concurrency: int = 4) -> dict:
    port = free_port()
    return serve_and_capture(
        billing_cmd(port),
        log,
        port,
        billing_requests(n),
        env=env,
        concurrency=concurrency,
        startup_timeout=30,
    )


JAVA = ("javac", "java")


@scenario(
    "java-boot-pool-exhausted",
    "fail",
    "error-burst",
    "Java billing service (Spring Boot log layout)",
    BOOT_FMT,
    "canary 2.8.0 halves the JDBC pool and holds connections across a PDF render: 2 in 5 invoice "
    "loads fail with 'Could not open JDBC Connection' caused by a TimeoutException, logged as ERROR "
    "with the stack trace and 'Caused by:', and answered 500",
    JAVA,
)
def _java_pool(root: Path) -> None:
    for _ in (1, 2):
        billing_pod(pod_log(root, "stable", pod_name("billing")), 250, {"APP_VERSION": "2.7.1"})
        billing_pod(
            pod_log(root, "canary", pod_name("billing")), 250, {"APP_VERSION": "2.8.0", "APP_MODE": "pool"}
        )


@scenario(
    "java-boot-new-info-double-traffic",
    "pass",
    "noise",
    "Java billing service (Spring Boot log layout)",
    BOOT_FMT,
    "canary 2.8.0 logs one new INFO line at start (a feature flag), a new version in the start banner, "
    "new pod names and PIDs, and takes twice the traffic of stable (weight shifted); every request is "
    "healthy",
    JAVA,
)
def _java_noise(root: Path) -> None:
    for _ in (1, 2):
        billing_pod(pod_log(root, "stable", pod_name("billing")), 200, {"APP_VERSION": "2.7.1"})
        billing_pod(
            pod_log(root, "canary", pod_name("billing")),
            400,
            {"APP_VERSION": "2.8.0", "FEATURE_PDF_V2": "1"},
        )


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def billing_oom_pod(log: Path, limit_mb: int, n: int) -> dict:
    """Leaking canary under a container memory limit: when its RSS passes the limit it gets SIGKILL,
    which is what the kernel's cgroup OOM killer does; nothing more reaches its log."""
    port = free_port()
    process, handle = harness.start(
        billing_cmd(port, heap="512m", gc_log=True),  # -Xmx above the container limit: the classic mistake
        log,
        {"APP_VERSION": "2.8.0", "APP_MODE": "leak", "MEMORY_LIMIT_MB": str(limit_mb)},
    )
    counts = {"sent": 0, "oom_killed": 0}
    if harness.wait_for_port(port, process, 30):
        requests = billing_requests(n)
        for start in range(0, len(requests), 8):  # bounded: at most n requests, 8 at a time
            harness.drive(port, requests[start : start + 8], 2)
            counts["sent"] += len(requests[start : start + 8])
            time.sleep(0.3)
            if rss_mb(process.pid) > limit_mb:
                os.killpg(process.pid, signal.SIGKILL)
                counts["oom_killed"] = 1
                break
    counts["exit"] = harness.stop(process, handle)
    return counts


@scenario(
    "java-boot-oom-killed",
    "fail",
    "crash",
    "Java billing service (Spring Boot log layout)",
    BOOT_FMT + " + JVM unified GC log (-Xlog:gc)",
    "canary 2.8.0 keeps every rendered PDF in a static list: heap climbs, GC pauses run back to back, "
    "the app warns 'Heap usage 9x%', then the container passes its memory limit and is OOM-killed "
    "(SIGKILL): the log just stops",
    JAVA,
)
def _java_oom(root: Path) -> None:
    for _ in (1, 2):
        port = free_port()
        serve_and_capture(
            billing_cmd(port, heap="512m", gc_log=True),
            pod_log(root, "stable", pod_name("billing")),
            port,
            billing_requests(250),
            env={"APP_VERSION": "2.7.1", "MEMORY_LIMIT_MB": "256"},
            startup_timeout=30,
        )
    print("  oom pod:", billing_oom_pod(pod_log(root, "canary", pod_name("billing")), 256, 1400), flush=True)


# ------------------------------------------------------------------ klog (Kubernetes controller)

KLOG_FMT = "klog text (Lmmdd hh:mm:ss.uuuuuu pid file:line] msg, structured key=value)"


def klogctl_bin() -> Path:
    out = BUILD / "klogctl"
    if not out.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-o", str(out), "."], cwd=APPS / "klogctl", check=True)
    return out


def fake_api(objects: int) -> tuple[subprocess.Popen, int, Path]:
    """The list endpoint the controller watches (a static JSON file served by http.server)."""
    work = scratch("widgets-")
    items = [
        {"namespace": f"team-{k % 3}", "name": f"widget-{k}", "replicas": -1 if k == 4 else k % 5}
        for k in range(objects)
    ]
    (work / "objects.json").write_text(json.dumps(items))
    port = free_port()
    return (
        background([PY, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(work)], port),
        port,
        work,
    )


def klog_pod(log: Path, api_port: int, seconds: float, version: str, extra: list[str] | None = None) -> int:
    health = free_port()
    cmd = [
        str(klogctl_bin()),
        f"--api=http://127.0.0.1:{api_port}/objects.json",
        f"--listen=127.0.0.1:{health}",
        f"--version={version}",
        *(extra or []),
    ]
    process, handle = harness.start(cmd, log)
    harness.wait_quietly(process, seconds)  # the controller runs on its own; the run is bounded by time
    return harness.stop(process, handle)


GO = ("go",)


@scenario(
    "klog-controller-good",
    "pass",
    "good",
    "widget controller (Go, klog format)",
    KLOG_FMT,
    "stable v1.4.2 x2 and canary v1.5.0 x2 reconcile the same 10 widgets; both warn about the same "
    "widget with negative replicas (a pre-existing data problem)",
    GO,
)
def _klog_good(root: Path) -> None:
    api, port, work = fake_api(10)
    try:
        for _ in (1, 2):
            klog_pod(pod_log(root, "stable", pod_name("widget-controller")), port, 8, "v1.4.2")
            klog_pod(pod_log(root, "canary", pod_name("widget-controller")), port, 8, "v1.5.0")
    finally:
        end(api)
        shutil.rmtree(work, ignore_errors=True)


@scenario(
    "klog-controller-crashloop",
    "fail",
    "crash",
    "widget controller (Go, klog format)",
    KLOG_FMT + " + klog.Fatal goroutine dump",
    "canary v1.5.0 manifest drops the leader-election namespace: three 'error retrieving resource lock' "
    "errors, then F-level 'failed to acquire lease' with a goroutine dump and exit 255; the log holds "
    "three restarts (CrashLoopBackOff)",
    GO,
)
def _klog_crash(root: Path) -> None:
    api, port, work = fake_api(10)
    try:
        for _ in (1, 2):
            klog_pod(pod_log(root, "stable", pod_name("widget-controller")), port, 8, "v1.4.2")
        log = pod_log(root, "canary", pod_name("widget-controller"))
        for _ in range(3):
            klog_pod(log, port, 5, "v1.5.0", ["--leader-elect-namespace="])
    finally:
        end(api)
        shutil.rmtree(work, ignore_errors=True)


@scenario(
    "klog-controller-never-ready",
    "fail",
    "startup",
    "widget controller (Go, klog format)",
    KLOG_FMT,
    "canary v1.5.0 is configured with the wrong API port: it never syncs its cache, repeats "
    "'failed to list *v1alpha1.Widget ... connection refused' with backoff, stays unready and "
    "reconciles nothing for the whole analysis",
    GO,
)
def _klog_never_ready(root: Path) -> None:
    api, port, work = fake_api(10)
    try:
        for _ in (1, 2):
            klog_pod(pod_log(root, "stable", pod_name("widget-controller")), port, 8, "v1.4.2")
            klog_pod(pod_log(root, "canary", pod_name("widget-controller")), free_port(), 8, "v1.5.0")
    finally:
        end(api)
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------ Node.js + pino (JSON, numeric levels)

PINO_FMT = "pino JSON lines (numeric level 30/50, epoch-ms time, req/res/responseTime, err with stack)"
PINO = ("node", "pino")


def pino_pod(log: Path, n: int, env: dict[str, str], concurrency: int = 4) -> dict:
    port = free_port()
    requests = sprinkle(ids("/quotes/{}", n, 1, 10_000), [Request("/healthz")] * (n // 20))
    return serve_and_capture(
        ["node", str(APPS / "pinosvc.js"), str(port)],
        log,
        port,
        requests,
        env={"NODE_PATH": str(NODE_DIR / "node_modules"), "POD_NAME": log.stem, **env},
        concurrency=concurrency,
    )


@scenario(
    "pino-error-burst",
    "fail",
    "error-burst",
    "Node.js quote service (pino)",
    PINO_FMT,
    "canary 4.3.0 reads quote.currency from a pricing record that is missing for 30% of quotes: a "
    "level-50 'request errored' line with a TypeError stack, and a 500, for each of them",
    PINO,
)
def _pino_errors(root: Path) -> None:
    for _ in (1, 2):
        pino_pod(pod_log(root, "stable", pod_name("quotes")), 300, {"APP_VERSION": "4.2.0"})
        pino_pod(
            pod_log(root, "canary", pod_name("quotes")), 300, {"APP_VERSION": "4.3.0", "APP_MODE": "broken"}
        )


@scenario(
    "pino-latency-regression",
    "fail",
    "latency",
    "Node.js quote service (pino)",
    PINO_FMT,
    "canary 4.3.0 lost its rates cache: every quote calls the pricing backend, responseTime goes from "
    "~40 ms to ~850 ms; no errors, every answer 200",
    PINO,
)
def _pino_slow(root: Path) -> None:
    for _ in (1, 2):
        pino_pod(pod_log(root, "stable", pod_name("quotes")), 200, {"APP_VERSION": "4.2.0"})
        pino_pod(
            pod_log(root, "canary", pod_name("quotes")), 120, {"APP_VERSION": "4.3.0", "APP_MODE": "slow"}, 12
        )


@scenario(
    "pino-same-errors-as-stable",
    "pass",
    "noise",
    "Node.js quote service (pino)",
    PINO_FMT,
    "both versions hit the same flaky rates API: about 1% of quotes log a level-50 ETIMEDOUT error and "
    "answer 504, at the same rate on stable and canary (a pre-existing problem, not the canary's)",
    PINO,
)
def _pino_same(root: Path) -> None:
    for _ in (1, 2):
        pino_pod(
            pod_log(root, "stable", pod_name("quotes")), 400, {"APP_VERSION": "4.2.0", "APP_MODE": "flaky"}
        )
        pino_pod(
            pod_log(root, "canary", pod_name("quotes")), 400, {"APP_VERSION": "4.3.0", "APP_MODE": "flaky"}
        )


@scenario(
    "pino-multipod-one-bad",
    "fail",
    "http5xx",
    "Node.js quote service (pino)",
    PINO_FMT,
    "3 stable pods, 2 canary pods; one canary pod got a bad config volume and answers 500 (level 50 "
    "TypeError) for 75% of quotes, the other canary pod is healthy",
    PINO,
)
def _pino_multipod(root: Path) -> None:
    for _ in (1, 2, 3):
        pino_pod(pod_log(root, "stable", pod_name("quotes")), 250, {"APP_VERSION": "4.2.0"})
    pino_pod(pod_log(root, "canary", pod_name("quotes")), 250, {"APP_VERSION": "4.3.0"})
    pino_pod(
        pod_log(root, "canary", pod_name("quotes")),
        250,
        {"APP_VERSION": "4.3.0", "APP_MODE": "broken", "BROKEN_PERCENT": "75"},
    )


# ------------------------------------------------------------------ Django-style logging, asyncio server

DJANGO_FMT = (
    "Python logging, Django 'verbose' formatter "
    "({levelname} {asctime} {module} {process} {thread} {message}) + tracebacks"
)


def cart_pod(log: Path, n: int, env: dict[str, str]) -> dict:
    port = free_port()
    requests = sprinkle(
        ids("/api/cart/{}", n, 1, 399),
        [Request("/health")] * (n // 20) + [Request("/api/wishlist")] * (n // 100),
    )
    return serve_and_capture(
        [PY, str(APPS / "asyncshop.py"), str(port)], log, port, requests, env={**PY_ENV, **env}
    )


@scenario(
    "django-style-exception-burst",
    "fail",
    "error-burst",
    "Python asyncio cart service (Django-style logging)",
    DJANGO_FMT,
    "canary 3.0.0 computes totals from a unit_price field only new carts have: 'Internal Server Error' "
    "with a KeyError traceback (logging.exception) and a 500 for about two thirds of cart reads",
    (),
)
def _django_burst(root: Path) -> None:
    for _ in (1, 2):
        cart_pod(pod_log(root, "stable", pod_name("cart")), 300, {"APP_VERSION": "2.9.0"})
        cart_pod(pod_log(root, "canary", pod_name("cart")), 300, {"APP_VERSION": "3.0.0", "APP_MODE": "bad"})


@scenario(
    "django-style-one-transient-error",
    "pass",
    "noise",
    "Python asyncio cart service (Django-style logging)",
    DJANGO_FMT,
    "canary 3.0.0 is healthy; one request in about 2,000 hit a connection reset from a dependency "
    "(one traceback, one 500) and the next ones were fine",
    (),
)
def _django_transient(root: Path) -> None:
    for _ in (1, 2):
        cart_pod(pod_log(root, "stable", pod_name("cart")), 950, {"APP_VERSION": "2.9.0"})
    cart_pod(pod_log(root, "canary", pod_name("cart")), 950, {"APP_VERSION": "3.0.0", "TRANSIENT_AT": "613"})
    cart_pod(pod_log(root, "canary", pod_name("cart")), 950, {"APP_VERSION": "3.0.0"})


# ------------------------------------------------------------------ nginx with $request_time

NGINX_RT_FMT = "nginx access log with request_time/upstream_response_time (key=value tail) + error log"
NGINX_RT_CONF = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log /dev/stderr notice;
events {{ worker_connections 128; }}
http {{
    log_format timed '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                     '"$http_referer" "$http_user_agent" rt=$request_time uct="$upstream_connect_time" '
                     'urt="$upstream_response_time"';
    access_log /dev/stdout timed;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    upstream search {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://search; }}
    }}
}}
"""


def nginx_rt_pod(log: Path, upstream: int, n: int, concurrency: int) -> dict:
    port = free_port()
    work = scratch("nginx-rt-")
    conf = work / "nginx.conf"
    conf.write_text(NGINX_RT_CONF.format(dir=work, upstream=upstream, port=port))
    requests = sprinkle(ids("/api/search?q=term{}", n), [Request("/health")] * (n // 10))
    counts = serve_and_capture(
        ["nginx", "-p", str(work), "-c", str(conf)],
        log,
        port,
        requests,
        concurrency=concurrency,
        stop_signal=signal.SIGQUIT,
    )
    shutil.rmtree(work, ignore_errors=True)
    return counts


@scenario(
    "nginx-request-time-regression",
    "fail",
    "latency",
    "nginx 1.22 + Python search API",
    NGINX_RT_FMT,
    "the canary search API (behind its nginx sidecar) lost an index: rt= and urt= go from ~0.03 s to "
    "~0.6 s for every search; all answers 200",
    ("nginx",),
)
def _nginx_rt(root: Path) -> None:
    fast_port, slow_port = free_port(), free_port()
    fast = background([PY, str(APPS / "slowup.py"), str(fast_port)], fast_port, {"UPSTREAM_DELAY_MS": "30"})
    slow = background([PY, str(APPS / "slowup.py"), str(slow_port)], slow_port, {"UPSTREAM_DELAY_MS": "600"})
    try:
        for _ in (1, 2):
            nginx_rt_pod(pod_log(root, "stable", pod_name("search")), fast_port, 250, 4)
            nginx_rt_pod(pod_log(root, "canary", pod_name("search")), slow_port, 150, 12)
    finally:
        end(fast)
        end(slow)


# ------------------------------------------------------------------ Rails-style Ruby logger

RAILS_FMT = (
    "Ruby Logger default format (I, [time #pid]  INFO -- : [request-id] ...), Rails request lines "
    "(Started / Processing by / Completed 500 ...) + exception backtraces"
)


def rails_pod(log: Path, n: int, env: dict[str, str]) -> dict:
    port = free_port()
    requests = sprinkle(
        ids("/orders/{}", n, 1, 400), [Request("/up")] * (n // 20) + [Request("/favicon.ico")] * (n // 50)
    )
    return serve_and_capture(["ruby", str(APPS / "railsish.rb"), str(port)], log, port, requests, env=env)


RUBY = ("ruby",)


@scenario(
    "rails-style-good",
    "pass",
    "good",
    "Ruby order API (Rails-style logging)",
    RAILS_FMT,
    "stable 5.1.0 and canary 5.2.0 both healthy; a few favicon RoutingError lines on both sides",
    RUBY,
)
def _rails_good(root: Path) -> None:
    for _ in (1, 2):
        rails_pod(pod_log(root, "stable", pod_name("orders")), 150, {"APP_VERSION": "5.1.0"})
        rails_pod(pod_log(root, "canary", pod_name("orders")), 150, {"APP_VERSION": "5.2.0"})


@scenario(
    "rails-style-nomethoderror-500",
    "fail",
    "http5xx",
    "Ruby order API (Rails-style logging)",
    RAILS_FMT,
    "canary 5.2.0 reads the discount from order.customer, which guest orders (1 in 4) lack: "
    "'Completed 500 Internal Server Error' and a FATAL NoMethodError (undefined method `discount' for "
    "nil:NilClass) with its backtrace for each of them",
    RUBY,
)
def _rails_500(root: Path) -> None:
    for _ in (1, 2):
        rails_pod(pod_log(root, "stable", pod_name("orders")), 150, {"APP_VERSION": "5.1.0"})
        rails_pod(
            pod_log(root, "canary", pod_name("orders")), 150, {"APP_VERSION": "5.2.0", "APP_MODE": "bad"}
        )


# ------------------------------------------------------------------ Caddy 2 (JSON logs, zap)

CADDY_FMT = "Caddy 2.6 JSON logs (zap: level/ts/logger/msg; access entries with status and duration in s)"
CADDYFILE = """{{
    admin off
    auto_https off
}}
http://127.0.0.1:{port} {{
    log {{
        output stdout
        format json
    }}
    reverse_proxy {upstreams} {{
        lb_policy round_robin
    }}
}}
"""


def caddy_pod(log: Path, upstreams: list[int], n: int) -> dict:
    port = free_port()
    work = scratch("caddy-")
    conf = work / "Caddyfile"
    conf.write_text(CADDYFILE.format(port=port, upstreams=" ".join(f"127.0.0.1:{u}" for u in upstreams)))
    env = {"XDG_DATA_HOME": str(work / "data"), "XDG_CONFIG_HOME": str(work / "config"), "HOME": str(work)}
    requests = sprinkle(ids("/api/search?q={}", n), [Request("/health")] * (n // 10))
    counts = serve_and_capture(
        ["caddy", "run", "--config", str(conf), "--adapter", "caddyfile"], log, port, requests, env=env
    )
    shutil.rmtree(work, ignore_errors=True)
    return counts


CADDY = ("caddy",)


@scenario(
    "caddy-good",
    "pass",
    "good",
    "Caddy 2.6 + Python search API",
    CADDY_FMT,
    "stable and canary Caddy (same Caddyfile, new image tag) proxy to two healthy search API servers",
    CADDY,
)
def _caddy_good(root: Path) -> None:
    procs, ports = api_backends({"UPSTREAM_DELAY_MS": "10"})
    try:
        for _ in (1, 2):
            caddy_pod(pod_log(root, "stable", pod_name("gateway")), list(ports), 300)
            caddy_pod(pod_log(root, "canary", pod_name("gateway")), list(ports), 300)
    finally:
        for p in procs:
            end(p)


@scenario(
    "caddy-upstream-502",
    "fail",
    "http5xx",
    "Caddy 2.6 + Python search API",
    CADDY_FMT,
    "canary Caddyfile lists a third upstream on a port nothing listens on (a typo): round robin sends "
    "a third of requests there, Caddy logs 'dial tcp ... connection refused' at level error and answers 502",
    CADDY,
)
def _caddy_502(root: Path) -> None:
    procs, ports = api_backends({"UPSTREAM_DELAY_MS": "10"})
    try:
        for _ in (1, 2):
            caddy_pod(pod_log(root, "stable", pod_name("gateway")), list(ports), 300)
            caddy_pod(pod_log(root, "canary", pod_name("gateway")), [*ports, free_port()], 300)
    finally:
        for p in procs:
            end(p)


# ------------------------------------------------------------------ uvicorn (ASGI)

UVICORN_PY = os.environ.get("CORPUS2_UVICORN_PYTHON", "/work/cache/venv-corpus2/bin/python")
UVICORN_FMT = "uvicorn 0.32 default logging (LEVEL:     message; access lines with status text) + tracebacks"


def uvicorn_pod(log: Path, n: int, env: dict[str, str]) -> dict:
    port = free_port()
    requests = sprinkle(ids("/v1/profiles/{}", n, 1, 500), [Request("/healthz")] * (n // 20))
    cmd = [UVICORN_PY, "-m", "uvicorn", "asgiapp:app", "--host", "127.0.0.1", "--port", str(port)]
    return serve_and_capture(cmd, log, port, requests, env={**PY_ENV, **env}, cwd=APPS)


UVICORN = ("uvicorn",)


@scenario(
    "uvicorn-good",
    "pass",
    "good",
    "uvicorn ASGI profile API",
    UVICORN_FMT,
    "stable and canary run healthy builds (the canary only changes the response's field order)",
    UVICORN,
)
def _uvicorn_good(root: Path) -> None:
    for _ in (1, 2):
        uvicorn_pod(pod_log(root, "stable", pod_name("profiles")), 250, {})
        uvicorn_pod(pod_log(root, "canary", pod_name("profiles")), 250, {})


@scenario(
    "uvicorn-asgi-exception",
    "fail",
    "http5xx",
    "uvicorn ASGI profile API",
    UVICORN_FMT,
    "canary serializer reads profile['settings']['locale'], which one profile in three lacks: uvicorn "
    "logs 'Exception in ASGI application' with a KeyError traceback and answers 500 Internal Server Error",
    UVICORN,
)
def _uvicorn_bad(root: Path) -> None:
    for _ in (1, 2):
        uvicorn_pod(pod_log(root, "stable", pod_name("profiles")), 250, {})
        uvicorn_pod(pod_log(root, "canary", pod_name("profiles")), 250, {"APP_MODE": "bad"})


# ------------------------------------------------------------------ Go, logrus-style logfmt

LOGFMT_FMT = 'logfmt (logrus text formatter style: time="..." level=... msg="..." key=value)'


def logfmtsvc_bin() -> Path:
    out = BUILD / "logfmtsvc"
    if not out.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        subprocess.run(["go", "build", "-o", str(out), "."], cwd=APPS / "logfmtsvc", check=True)
    return out


def logfmt_pod(log: Path, n: int, mode: str, version: str) -> dict:
    port = free_port()
    cmd = [str(logfmtsvc_bin()), f"-listen=127.0.0.1:{port}", f"-mode={mode}", f"-version={version}"]
    requests = sprinkle(ids("/charge/ch_{}", n, 1000, 9999), [Request("/healthz")] * (n // 20))
    return serve_and_capture(cmd, log, port, requests)


@scenario(
    "logfmt-good",
    "pass",
    "good",
    "Go payments service (logfmt)",
    LOGFMT_FMT,
    "stable 3.4.0 and canary 3.5.0 both charge every card; only the version in the start line differs",
    GO,
)
def _logfmt_good(root: Path) -> None:
    for _ in (1, 2):
        logfmt_pod(pod_log(root, "stable", pod_name("payments")), 300, "good", "3.4.0")
        logfmt_pod(pod_log(root, "canary", pod_name("payments")), 300, "good", "3.5.0")


@scenario(
    "logfmt-deadline-502",
    "fail",
    "http5xx",
    "Go payments service (logfmt)",
    LOGFMT_FMT,
    "canary 3.5.0 sets the card processor timeout to 20ms (meant 20s): about a third of charges log "
    "level=error 'charge failed ... context deadline exceeded' and answer 502",
    GO,
)
def _logfmt_bad(root: Path) -> None:
    for _ in (1, 2):
        logfmt_pod(pod_log(root, "stable", pod_name("payments")), 300, "good", "3.4.0")
        logfmt_pod(pod_log(root, "canary", pod_name("payments")), 300, "bad", "3.5.0")


@scenario(
    "uvicorn-import-error-crash",
    "fail",
    "crash",
    "uvicorn ASGI profile API",
    UVICORN_FMT + " + 'Error loading ASGI app'",
    "canary image's entrypoint names the module 'asgi_app' (the file is asgiapp.py): uvicorn prints "
    "'Error loading ASGI app. Could not import module \"asgi_app\".' and exits 1; three restarts in the log",
    UVICORN,
)
def _uvicorn_crash(root: Path) -> None:
    for _ in (1, 2):
        uvicorn_pod(pod_log(root, "stable", pod_name("profiles")), 150, {})
    log = pod_log(root, "canary", pod_name("profiles"))
    for _ in range(3):
        process, handle = harness.start(
            [UVICORN_PY, "-m", "uvicorn", "asgi_app:app", "--host", "127.0.0.1", "--port", str(free_port())],
            log,
            PY_ENV,
            APPS,
        )
        harness.wait_quietly(process, 20)
        harness.stop(process, handle)


@scenario(
    "logfmt-few-data",
    "inconclusive",
    "few-data",
    "Go payments service (logfmt)",
    LOGFMT_FMT,
    "the canary pod started seconds ago: its start line and three charges when the analysis reads it",
    GO,
)
def _logfmt_few(root: Path) -> None:
    for _ in (1, 2):
        logfmt_pod(pod_log(root, "stable", pod_name("payments")), 150, "good", "3.4.0")
    port = free_port()
    log = pod_log(root, "canary", pod_name("payments"))
    cmd = [str(logfmtsvc_bin()), f"-listen=127.0.0.1:{port}", "-mode=good", "-version=3.5.0"]
    process, handle = harness.start(cmd, log)
    harness.wait_for_port(port, process)
    harness.drive(port, ids("/charge/ch_{}", 3, 1000, 9999), 1)
    time.sleep(0.3)
    harness.stop(process, handle, signal.SIGKILL)  # read while the pod runs: no shutdown lines


# ------------------------------------------------------------------ Node heap out of memory


@scenario(
    "pino-heap-oom-crash",
    "fail",
    "crash",
    "Node.js quote service (pino)",
    PINO_FMT + " + V8 'FATAL ERROR: ... JavaScript heap out of memory' with GC trace and native stack",
    "canary 4.3.0 memoises every quote with a 64 KB context and runs with --max-old-space-size=48: "
    "after a few hundred requests V8 aborts with 'Reached heap limit Allocation failed - JavaScript "
    "heap out of memory'; the log holds two such runs (restart)",
    PINO,
)
def _pino_oom(root: Path) -> None:
    for _ in (1, 2):
        pino_pod(pod_log(root, "stable", pod_name("quotes")), 300, {"APP_VERSION": "4.2.0"})
    log = pod_log(root, "canary", pod_name("quotes"))
    for _ in range(2):
        port = free_port()
        serve_and_capture(
            ["node", "--max-old-space-size=48", str(APPS / "pinosvc.js"), str(port)],
            log,
            port,
            ids("/quotes/{}", 1200, 1, 10_000),
            env={
                "NODE_PATH": str(NODE_DIR / "node_modules"),
                "POD_NAME": log.stem,
                "APP_MODE": "leak",
                "APP_VERSION": "4.3.0",
            },
        )


# ------------------------------------------------------------------ driver


def available(sc: Scenario) -> str | None:
    for need in sc.needs:
        if need == "pino":
            if not (NODE_DIR / "node_modules" / "pino").is_dir():
                return f"pino in CORPUS2_NODE_DIR={NODE_DIR} (npm install pino@9 there)"
        elif need == "uvicorn":
            if subprocess.run([UVICORN_PY, "-c", "import uvicorn"], capture_output=True).returncode:
                return f"uvicorn in CORPUS2_UVICORN_PYTHON={UVICORN_PY}"
        elif shutil.which(need) is None:
            return need
    return None


def main() -> int:
    return harness.run_scenarios(harness.parser(__doc__).parse_args(), SCENARIOS, available, SCRIPT, BUILD)


if __name__ == "__main__":
    sys.exit(main())

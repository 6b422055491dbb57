"""Which HTTP layer for the web service: the one we have against maintained servers, measured.

The same `job.serve.App` (routes, parameters, single-flight, metrics) and the same fake analysis
(tests/web/fake_analysis.py) run behind each stack, so only the HTTP layer differs:

* `stdlib`   — today's `python -m job serve` (ThreadingHTTPServer + job/serve/http.py)
* `uvicorn`  — uvicorn (h11) + a Starlette catch-all route calling App.handle in a worker thread
* `waitress` — waitress (WSGI, asyncore-style reading + a thread pool) calling App.handle

Each stack is started as its own process on 127.0.0.1 with the same limits (64 connections,
a 3 s budget to receive a request where the server has one) and measured on what matters to an
Argo web metric: what the server answers to malformed requests (Argo must never see a 2xx
without a JSON verdict; its own errors must be 4xx/5xx), a SIGTERM drain, probes while slow
clients hold connections, overhead per request, memory, and the wheels it adds to the image.

Prints figures; asserts nothing. The other stacks need `pip install '.[bench]'` (uvicorn,
starlette, waitress); a stack that is not installed is reported as such and skipped.

    python bench/web_stacks.py            # every measurement (about two minutes)
    python bench/web_stacks.py --quick    # fewer requests and slow clients
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.metadata
import importlib.util
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FAKE = ROOT / "tests" / "web"
STACKS = ("stdlib", "uvicorn", "waitress")
NEEDS = {"stdlib": (), "uvicorn": ("uvicorn", "starlette"), "waitress": ("waitress",)}
MAX_CONNECTIONS = 64
READ_SECONDS = 3.0


# ---------------------------------------------------------------- the servers (child processes)


def _app() -> Any:
    sys.path.insert(0, str(FAKE))
    import fake_analysis

    from job.model import LLMConfig
    from job.serve import ServiceConfig, create_app

    config = ServiceConfig(
        llm=LLMConfig(enabled=False), max_concurrent=64, cache_seconds=0, read_timeout=READ_SECONDS
    )
    return create_app(config, fake_analysis.analyze)


def serve_uvicorn(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    app = _app()
    limit = app.config.max_body_bytes

    async def endpoint(request: Request) -> Response:
        length = int(request.headers.get("content-length", 0) or 0)  # h11 checked it is a number
        body = b""
        if length <= limit:  # as App expects: a body over the limit is refused unread
            async for chunk in request.stream():
                body += chunk
        target = request.scope["raw_path"].decode("latin-1")
        if request.scope["query_string"]:
            target += "?" + request.scope["query_string"].decode("latin-1")
        answer = await run_in_threadpool(
            app.handle, request.method, target, request.headers, length, lambda: body
        )
        headers = {**answer.headers, "Cache-Control": "no-store"}
        return Response(answer.body, answer.status, headers, media_type=answer.content_type)

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
    web = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)])
    uvicorn.run(
        web,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=int(READ_SECONDS),
        timeout_graceful_shutdown=30,
    )


def serve_waitress(port: int) -> None:
    import waitress

    app = _app()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        target = environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]

        def read_body() -> bytes:
            return environ["wsgi.input"].read(min(length, app.config.max_body_bytes))

        answer = app.handle(environ["REQUEST_METHOD"], target, headers, length, read_body)
        status = f"{answer.status} {http.client.responses.get(answer.status, '')}"
        start_response(status, [("Content-Type", answer.content_type), *answer.headers.items()])
        return [answer.body]

    waitress.serve(
        wsgi,
        host="127.0.0.1",
        port=port,
        threads=8,
        connection_limit=MAX_CONNECTIONS,
        channel_timeout=int(READ_SECONDS),
        max_request_body_size=app.config.max_body_bytes,
        _quiet=True,
    )


# ---------------------------------------------------------------- driving a server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(stack: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(FAKE)])}
    if stack == "stdlib":
        command = [sys.executable, "-m", "job", "--log-level", "warning", "serve", "--no-llm"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--cache-seconds", "0"]
        command += ["--max-concurrent", "64", "--max-connections", str(MAX_CONNECTIONS)]
        command += ["--read-timeout", str(READ_SECONDS), "--analysis-function", "fake_analysis:analyze"]
    else:
        command = [sys.executable, __file__, "--serve", stack, "--port", str(port)]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError):
            if get(port, "/healthz")[0] == 200:
                return proc, port
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{stack} did not start: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def get(port: int, path: str, timeout: float = 5) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def send_raw(port: int, data: bytes, timeout: float = 8) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(data)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- the measurements

A = "/analyze?namespace=shop&stableHash=a&canaryHash=pass"
MALFORMED: list[tuple[str, bytes]] = [
    ("garbage request line", b"NONSENSE\r\n\r\n"),
    ("HTTP/0.9 request line", f"GET {A}\r\n".encode()),
    (
        "Content-Length: ³ (latin-1)",
        f"POST {A} HTTP/1.1\r\nHost: x\r\nContent-Length: \xb3\r\n\r\n".encode("latin-1"),
    ),
    (
        "two Content-Lengths",
        f"POST {A} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{{}}".encode(),
    ),
    ("space before colon", f"POST {A} HTTP/1.1\r\nHost: x\r\nContent-Length : 2\r\n\r\n{{}}".encode()),
    ("line without colon", f"GET {A} HTTP/1.1\r\nHost: x\r\nno header here\r\n\r\n".encode()),
    (
        "bad chunked body",
        f"POST {A} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".encode(),
    ),
    ("unknown method", f"BREW {A} HTTP/1.1\r\nHost: x\r\n\r\n".encode()),
    ("70 kB URL", b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("70 kB header", f"GET {A} HTTP/1.1\r\nHost: x\r\nX-Big: {'b' * 70_000}\r\n\r\n".encode()),
    (
        "50 MB Content-Length",
        f"POST {A} HTTP/1.1\r\nHost: x\r\nContent-Length: {50 << 20}\r\n\r\n{{".encode(),
    ),
]


def describe(answer: bytes) -> tuple[str, bool]:
    """'400 json' / '400 text' / 'no answer', and whether Argo would take it as a success."""
    if not answer:
        return "closed", False
    head, _, body = answer.partition(b"\r\n\r\n")
    words = head.split(b"\r\n", 1)[0].split()
    if len(words) < 2 or not words[0].startswith(b"HTTP/") or not words[1].isdigit():
        return "no status line", True  # a body without a status is not an Error for Argo
    status = int(words[1])
    try:
        document = json.loads(body)
        kind = "json"
    except ValueError:
        document, kind = None, "text"
    success = 200 <= status < 300 and not (isinstance(document, dict) and "verdict" in document)
    return f"{status} {kind}", success


def protocol(port: int) -> list[str]:
    cells = []
    for _, data in MALFORMED:
        shown, argo_success = describe(send_raw(port, data))
        cells.append(shown + (" 2xx!" if argo_success else ""))
    return cells


def drain(stack: str) -> str:
    """In flight at SIGTERM: answered? New connections after it: refused? Exit code and seconds."""
    proc, port = start(stack)
    result: dict[str, Any] = {}

    def slow() -> None:
        try:
            result["in_flight"] = get(
                port, "/analyze?namespace=shop&stableHash=a&canaryHash=sleep2-pass", 10
            )[0]
        except OSError as error:
            result["in_flight"] = type(error).__name__

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    try:
        new = str(get(port, "/healthz", 2)[0])
    except OSError as error:
        new = "refused" if isinstance(error, ConnectionRefusedError) else type(error).__name__
    thread.join()
    try:
        code: int | str = proc.wait(20)
    except subprocess.TimeoutExpired:
        code = "hung"
    seconds = time.monotonic() - signalled
    stop(proc)
    return f"in-flight {result['in_flight']}, new {new}, exit {code} after {seconds:.1f} s"


def slow_clients(port: int, count: int) -> str:
    """`count` clients send half a request head and wait; probes meanwhile; are the slow ones cut?"""
    held = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.sendall(b"GET /analyze?namespace=shop")
            held.append(sock)
        except OSError:
            break
    time.sleep(0.5)
    probes, worst = [], 0.0
    for _ in range(5):
        started = time.monotonic()
        try:
            probes.append(get(port, "/healthz", 3)[0])
        except OSError as error:
            probes.append(type(error).__name__)  # type: ignore[arg-type]
        worst = max(worst, time.monotonic() - started)
    time.sleep(READ_SECONDS * 2)
    still_open = 0
    for sock in held:
        sock.setblocking(False)
        try:
            still_open += sock.recv(1) != b""
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        sock.close()
    ok = sum(p == 200 for p in probes)
    return (
        f"{len(held)} slow held; /healthz {ok}/5 answered 200 ({', '.join(sorted(set(map(str, probes))))}), "
        f"worst {worst * 1000:.0f} ms; after {READ_SECONDS * 2 + 0.5:.0f} s {still_open} slow still open"
    )


def overhead(port: int, requests: int, clients: int) -> str:
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        while (i := next(counter, None)) is not None:
            started = time.perf_counter()
            status, body = get(port, f"/analyze?namespace=shop&stableHash=s&canaryHash=pass&selector=k{i}")
            elapsed = time.perf_counter() - started
            assert status == 200 and json.loads(body)["verdict"] == "pass", body[:200]
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    p50 = statistics.median(latencies)
    return f"{len(latencies) / wall:6.0f} req/s  p50 {p50 * 1000:5.2f} ms  p99 {p99 * 1000:6.2f} ms"


def wheel_kib(stack: str) -> str:
    """What the stack adds to the image: its distributions not already in requirements.lock."""
    locked = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    added = []
    for name in NEEDS[stack]:
        dist = importlib.metadata.distribution(name)
        size = sum((f.size or 0) for f in dist.files or [] if "__pycache__" not in str(f))
        new_deps = [
            r.split(";")[0].split()[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].lower()
            for r in dist.requires or []
            if "extra ==" not in r
        ]
        missing = [d for d in new_deps if d.replace("_", "-") not in locked and d not in NEEDS[stack]]
        added.append(
            f"{name} {dist.version} {size / 1024:.0f} KiB" + (f" (+{', '.join(missing)})" if missing else "")
        )
    return "; ".join(added) or "nothing (standard library)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer requests and slow clients")
    parser.add_argument("--stacks", default=",".join(STACKS), help="comma separated, of " + ", ".join(STACKS))
    parser.add_argument("--serve", choices=STACKS[1:], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        {"uvicorn": serve_uvicorn, "waitress": serve_waitress}[args.serve](args.port)
        return
    requests, slow = (50, 20) if args.quick else (1000, 200)
    wanted = [s for s in STACKS if s in args.stacks.split(",")]
    stacks = [s for s in wanted if all(importlib.util.find_spec(m) for m in NEEDS[s])]
    missing = [s for s in wanted if s not in stacks]
    print(f"HTTP stacks for the web service: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    if missing:
        print(f"not installed, not measured: {', '.join(missing)} (pip install '.[bench]')")

    print("\n== what the server answers to malformed requests (Argo: 2xx without a verdict = Successful)")
    columns = {}
    for stack in stacks:
        proc, port = start(stack)
        try:
            columns[stack] = protocol(port)
        finally:
            stop(proc)
    print(f"{'request':<28}" + "".join(f"{s:<16}" for s in stacks))
    for i, (name, _) in enumerate(MALFORMED):
        print(f"{name:<28}" + "".join(f"{columns[s][i]:<16}" for s in stacks))

    for stack in stacks:
        print(f"\n== {stack}")
        print(f"  SIGTERM drain : {drain(stack)}")
        proc, port = start(stack)
        try:
            start_rss = rss_kib(proc.pid)
            print(f"  overhead 1    : {overhead(port, requests, 1)}")
            print(f"  overhead 16   : {overhead(port, requests, 16)}")
            print(f"  slow clients  : {slow_clients(port, slow)}")
            peak = rss_kib(proc.pid, "VmHWM")
            print(f"  memory        : RSS {start_rss / 1024:.1f} MiB after start, peak {peak / 1024:.1f} MiB")
            print(f"  adds to image : {wheel_kib(stack)}")
        finally:
            stop(proc)


if __name__ == "__main__":
    main()

"""HTTP plumbing for the web service on the standard library's ThreadingHTTPServer.

Why not a framework: the service has four routes and must answer JSON even to requests
the HTTP layer itself rejects (a malformed request line, headers too long, an unknown
method), must shut down gracefully on SIGTERM and must not let slow clients hold threads.
Here each of those is a few lines we control and test; see docs/web-provider.md.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from job.serve.app import App, Response

access_log = logging.getLogger("job.server.access")
log = logging.getLogger("job.server")

# After answering early (401, 413) the unread rest of a body is drained this far, so the
# client reads our answer instead of a connection reset.
_DRAIN_BYTES = 1 << 20
_DRAIN_SECONDS = 1.0


class _Watchdog:
    """Shuts a connection's socket when reading its request takes too long in total.

    A per-read socket timeout alone lets a client that sends one byte every few seconds
    hold a thread for ever; this bounds the whole request line + headers + body.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, socket.socket]] = []
        self._armed: set[int] = set()
        self._ids = itertools.count()
        threading.Thread(target=self._loop, name="read-watchdog", daemon=True).start()

    def arm(self, sock: socket.socket, seconds: float) -> int:
        ident = next(self._ids)
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + seconds, ident, sock))
            self._armed.add(ident)
            self._cond.notify()
        return ident

    def disarm(self, ident: int) -> None:
        with self._cond:
            self._armed.discard(ident)

    def _loop(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][1] not in self._armed or self._heap[0][0] <= now):
                    _, ident, sock = heapq.heappop(self._heap)
                    if ident in self._armed:
                        self._armed.discard(ident)
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                self._cond.wait(timeout=self._heap[0][0] - now if self._heap else None)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive threads
    default_request_version = "HTTP/1.0"  # answer even a garbled request line with headers

    def version_string(self) -> str:
        return "rollouts-ai-job"

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.app.config.read_timeout)
        self._started = time.monotonic()
        self._status = 0
        self._sent = 0
        self._unread = 0
        self._watch = self.server.watchdog.arm(self.connection, self.server.app.config.read_timeout)

    def finish(self) -> None:
        self.server.watchdog.disarm(self._watch)
        try:
            super().finish()
        finally:
            self._drain()

    # Every method goes through the app, which answers 405 where it does not belong.
    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    def _dispatch(self) -> None:
        length = self._content_length()
        if length is None:
            return
        self._unread = length
        if not length:
            self.server.watchdog.disarm(self._watch)
        response = self.server.app.handle(self.command, self.path, self.headers, length, self._read_body)
        self._send(response)

    def _content_length(self) -> int | None:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return 0
        if not raw.strip().isdigit():
            self._send_json(400, {"error": f"Content-Length {raw!r} is not a number", "status": 400})
            return None
        return int(raw)

    def _read_body(self) -> bytes:
        length = min(self._unread, self.server.app.config.max_body_bytes)
        body = self.rfile.read(length)
        self._unread -= len(body)
        self.server.watchdog.disarm(self._watch)
        return body

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        self._sent = len(response.body)

    def _send_json(self, status: int, document: dict[str, Any]) -> None:
        from job.serve.app import json_response

        self._send(json_response(status, document))

    # http.server's own rejections (bad request line, headers too long, unknown method) are
    # HTML by default; Argo and people reading logs both get JSON instead.
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.close_connection = True
        if not hasattr(self, "command") or self.command is None:
            self.command = ""
        text = message or self.responses.get(code, ("error",))[0]
        with contextlib.suppress(OSError):
            self._send_json(code, {"error": text, "status": code})

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # logged once, with more detail, in log_access

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format % args)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (TimeoutError, ConnectionError):  # the client went away or stalled: nothing to answer
            self.close_connection = True
        finally:
            self._log_access()

    def _log_access(self) -> None:
        if not access_log.isEnabledFor(logging.INFO) or not self._status:
            return
        path = (getattr(self, "path", "") or "").split("?", 1)[0]
        access_log.info(
            "request",
            extra={
                "fields": {
                    "method": getattr(self, "command", ""),
                    "path": path[:200],
                    "status": self._status,
                    "bytes": self._sent,
                    "ms": round((time.monotonic() - self._started) * 1000, 1),
                    "client": self.client_address[0],
                }
            },
        )

    def _drain(self) -> None:
        if self._unread <= 0:
            return
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(_DRAIN_SECONDS)
            deadline = time.monotonic() + _DRAIN_SECONDS
            left = min(self._unread, _DRAIN_BYTES)
            while left > 0 and time.monotonic() < deadline:
                chunk = self.connection.recv(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, app: App) -> None:
        self.app = app
        self.watchdog = _Watchdog()
        self._slots = threading.BoundedSemaphore(app.config.max_connections)
        self._idle = threading.Condition()
        self._active = 0
        super().__init__((app.config.host, app.config.port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        with self._idle:
            self._active += 1
        threading.Thread(target=self._work, args=(request, client_address), daemon=True).start()

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _refuse(self, request: socket.socket) -> None:
        """Too many connections: a canned 503 from the accept loop, bounded by a short timeout."""
        body = json.dumps({"error": "too many connections: retry shortly", "status": 503}).encode()
        head = (
            "HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        )
        try:
            request.settimeout(0.5)
            request.sendall(head.encode() + body)
        except OSError:
            pass
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.warning("connection error", exc_info=True, extra={"fields": {"client": client_address[0]}})

    def wait_idle(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for every connection to finish; return how many did not."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._active and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
            return self._active


def make_server(app: App) -> _Server:
    return _Server(app)

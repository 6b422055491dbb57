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
import re
import selectors
import socket
import threading
import time
from email.message import Message
from http import HTTPStatus
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
        self._cut: set[int] = set()
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

    def cut(self, ident: int) -> bool:
        """True when this connection's socket was shut because its request came too slowly."""
        with self._cond:
            return ident in self._cut

    def forget(self, ident: int) -> None:
        with self._cond:
            self._armed.discard(ident)
            self._cut.discard(ident)

    def _loop(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                while self._heap and (self._heap[0][1] not in self._armed or self._heap[0][0] <= now):
                    _, ident, sock = heapq.heappop(self._heap)
                    if ident in self._armed:
                        self._armed.discard(ident)
                        self._cut.add(ident)
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                self._cond.wait(timeout=self._heap[0][0] - now if self._heap else None)


class _Reader:
    """The connection's input, noting when the peer ended it in the middle of a line.

    http.server reads the request line and each header with readline(); at the end of the
    stream readline() returns what it had, so a request cut inside its head (by the client or
    by the watchdog) would look complete. `ended` tells the handler to drop it instead.
    """

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.ended = False

    def readline(self, limit: int = -1) -> bytes:
        line = self._raw.readline(limit)
        if not line.endswith(b"\n") and (limit < 0 or len(line) < limit):
            self.ended = True
        return line

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alive threads
    default_request_version = "HTTP/1.0"  # answer even a garbled request line with headers

    def version_string(self) -> str:
        return "rollouts-ai-job"

    def setup(self) -> None:
        super().setup()
        self.rfile = _Reader(self.rfile)  # type: ignore[assignment]
        self.connection.settimeout(self.server.app.config.read_timeout)
        self._started = time.monotonic()
        self._status = 0
        self._sent = 0
        self._unread = 0
        self._watch = self.server.watchdog.arm(self.connection, self.server.app.config.read_timeout)

    def finish(self) -> None:
        self.server.watchdog.forget(self._watch)
        try:
            super().finish()
        finally:
            self._drain()

    # Every method goes through the app, which answers 405 where it does not belong.
    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    def _dispatch(self) -> None:
        # The head is in: stop its clock first, then look whether the watchdog cut it meanwhile.
        self.server.watchdog.disarm(self._watch)
        if self._cut():
            return
        header = _header_problem(self.headers)
        limit = self.server.app.config.max_body_bytes
        length, refused = (0, (400, header)) if header else _content_length(self.headers, limit)
        if refused is not None:
            self.close_connection = True
            self._unread = _DRAIN_BYTES  # let the client finish sending, so it reads the answer
            self._send_json(*refused)
            return
        self._unread = length
        if length:  # the body gets what is left of the time the head did not use
            self._watch = self.server.watchdog.arm(self.connection, self._time_left())
        response = self.server.app.handle(self.command, self.path, self.headers, length, self._read_body)
        self._send(response)

    def _time_left(self) -> float:
        return max(0.0, self.server.app.config.read_timeout - (time.monotonic() - self._started))

    def _cut(self) -> bool:
        """A request that did not arrive whole is dropped, never handled (and never analysed)."""
        if self.server.watchdog.cut(self._watch):
            self.close_connection = True
            return True
        if self.rfile.ended:  # type: ignore[attr-defined]
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._send_json(400, "the request ended inside its head: send the whole request")
            return True
        return False

    def _read_body(self) -> bytes:
        length = min(self._unread, self.server.app.config.max_body_bytes)
        body = self.rfile.read(length)
        self._unread -= len(body)
        self.server.watchdog.disarm(self._watch)
        if self.server.watchdog.cut(self._watch):
            return b""  # cut while it came: the app answers "body ended" and analyses nothing
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

    def _send_json(self, status: int, message: str) -> None:
        from job.serve.app import error_response

        self._send(error_response(status, message))

    # http.server's own rejections (bad request line, headers too long, unknown method) are
    # HTML by default; Argo and people reading logs both get JSON instead.
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.close_connection = True
        if not hasattr(self, "command") or self.command is None:
            self.command = ""
        text = message or self.responses.get(code, ("error",))[0]
        with contextlib.suppress(OSError):
            self._send_json(code, text)

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


# A header name is an RFC 9110 token; anything else (a space before the colon, a line with no
# colon) is how request-smuggling attempts and broken clients look, so it is refused.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# More digits than this is more bytes than any body limit: refused without int() (which also
# refuses more than 4,300 digits with an exception of its own).
_MAX_LENGTH_DIGITS = 18


def _header_problem(headers: Message) -> str | None:
    """Why these headers are malformed, or None. http.server's parser is lenient; Argo's is not."""
    if headers.defects or headers.get_payload():
        return "malformed header line (no 'name: value', or a space before the colon): fix the client"
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            return f"malformed header name {name[:40]!r}: fix the client"
        if "\r" in value or "\n" in value:
            return f"header {name!r} is folded over several lines: send it on one line"
    return None


def _content_length(headers: Message, limit: int) -> tuple[int, tuple[int, str] | None]:
    """The body's length, or (0, (status, why)) when Content-Length is not one plain number."""
    values = headers.get_all("Content-Length") or []
    if not values:
        return 0, None
    raw = values[0].strip()
    if len(values) > 1:
        return 0, (400, "Content-Length is given more than once: give it once")
    if not (raw.isascii() and raw.isdigit()):  # "³".isdigit() is True, int("³") raises
        return 0, (400, f"Content-Length {raw[:40]!r} is not a number of bytes such as 120")
    if len(raw) > _MAX_LENGTH_DIGITS:
        return 0, (413, f"Content-Length of {len(raw)} digits is larger than the limit of {limit} bytes")
    return int(raw), None


# The paths answered even when every connection slot is taken (kubelet probes, the scrape):
# none needs a body, a header or more than a moment.
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
_PROBE_HEAD_BYTES = 4096
_PROBE_SECONDS = 2.0
_MAX_WAITING_PROBES = 256


class _ProbeLane:
    """Answers probes that arrive while slow clients hold every connection slot.

    One thread and a selector, not a thread per connection: a connection beyond the cap waits
    here (at most _PROBE_SECONDS, at most _MAX_WAITING_PROBES of them) for its request head;
    `GET /healthz`, `/readyz` and `/metrics` are answered, anything else gets the canned 503.
    So clients holding every slot cannot make the liveness probe fail. Answers are made here, in
    the lane's thread: `/healthz` and `/metrics` take microseconds; `/readyz` may wait for the
    model server's ping (at most 2 s, once per 2 s, cached between), which the probes' 3 s allow.
    """

    def __init__(self, server: _Server) -> None:
        self._server = server
        self._selector = selectors.DefaultSelector()
        self._waiting: dict[socket.socket, tuple[float, bytearray]] = {}
        self._new: list[socket.socket] = []
        self._lock = threading.Lock()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._selector.register(self._wake_read, selectors.EVENT_READ)
        threading.Thread(target=self._loop, name="probe-lane", daemon=True).start()

    def take(self, sock: socket.socket) -> bool:
        """Keep `sock` until its head arrives; False when the lane is full too."""
        with self._lock:
            if len(self._waiting) + len(self._new) >= _MAX_WAITING_PROBES:
                return False
            self._new.append(sock)
        with contextlib.suppress(OSError):
            self._wake_write.send(b"\0")
        return True

    def _loop(self) -> None:
        while True:
            try:
                self._turn()
            except Exception:  # the lane must outlive any one connection's surprise
                log.warning("probe lane error", exc_info=True)

    def _turn(self) -> None:
        for key, _ in self._selector.select(timeout=0.25):
            if key.fileobj is self._wake_read:
                with contextlib.suppress(OSError):
                    self._wake_read.recv(4096)
            else:
                self._receive(key.fileobj)  # type: ignore[arg-type]
        self._admit()
        now = time.monotonic()
        for sock in [s for s, (until, _) in self._waiting.items() if until <= now]:
            self._close(sock)  # too slow even for a probe: dropped, not answered

    def _admit(self) -> None:
        with self._lock:
            new, self._new = self._new, []
        for sock in new:
            sock.setblocking(False)
            self._waiting[sock] = (time.monotonic() + _PROBE_SECONDS, bytearray())
            self._selector.register(sock, selectors.EVENT_READ)

    def _receive(self, sock: socket.socket) -> None:
        head = self._waiting[sock][1]
        try:
            chunk = sock.recv(_PROBE_HEAD_BYTES)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        head += chunk
        if not chunk or len(head) > _PROBE_HEAD_BYTES:
            self._close(sock)
        elif b"\r\n\r\n" in head or b"\n\n" in head:
            self._answer(sock, bytes(head))
            self._close(sock)

    def _answer(self, sock: socket.socket, head: bytes) -> None:
        words = head.split(b"\r\n", 1)[0].split(b"\n", 1)[0].split()
        method, target = (words[0], words[1].decode("latin-1")) if len(words) == 3 else (b"", "")
        if method == b"GET" and target.split("?", 1)[0].rstrip("/") in PROBE_PATHS:
            response = self._server.app.handle("GET", target, {}, 0, lambda: b"")
            data = _head_bytes(response.status, response.content_type, len(response.body)) + response.body
        else:
            data = _TOO_MANY
        try:
            sock.settimeout(0.5)
            sock.sendall(data)
        except OSError:
            pass

    def _close(self, sock: socket.socket) -> None:
        self._waiting.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        self._server.shutdown_request(sock)


def _head_bytes(status: int, content_type: str, length: int, extra: str = "") -> bytes:
    reason = HTTPStatus(status).phrase
    return (
        f"HTTP/1.0 {status} {reason}\r\nServer: rollouts-ai-job\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nCache-Control: no-store\r\n{extra}Connection: close\r\n\r\n"
    ).encode("latin-1")


_TOO_MANY_BODY = json.dumps({"error": "too many connections: retry shortly", "status": 503}).encode()
_TOO_MANY = _head_bytes(503, "application/json", len(_TOO_MANY_BODY), "Retry-After: 1\r\n") + _TOO_MANY_BODY


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
        self.probes = _ProbeLane(self)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            if not self.probes.take(request):
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
        try:
            request.settimeout(0.5)
            request.sendall(_TOO_MANY)
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

"""A thumbnail service on the stdlib http.server that logs with Python logging, used to make a
real log of a process that dies without a word and is started again.

APP_MODE selects the build being "deployed":
  good      every thumbnail is served from the Python path
  segfault  2.4.0 adds a "fast path" for PNG thumbnails through a C call that reads a null pointer
            for images it has no cached header for: the process is killed by SIGSEGV, Python prints
            nothing (faulthandler is off, as by default), and the supervisor starts it again
"""

import ctypes
import json
import logging
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = os.environ.get("APP_MODE", "good")
VERSION = os.environ.get("APP_VERSION", "2.3.1")
logging.basicConfig(
    level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stdout
)
log = logging.getLogger("thumbs")
HEADERS = {n: 64 for n in range(0, 1000, 4)}  # cached PNG headers


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.info('%s "%s" %s %s', self.client_address[0], self.requestline, args[1], args[2])

    def do_GET(self) -> None:
        if self.path.startswith("/healthz"):
            return self._reply(200, {"ok": True})
        name = self.path.rsplit("/", 1)[-1]
        number = int("".join(c for c in name if c.isdigit()) or 0)
        if MODE == "segfault" and name.endswith(".png") and number not in HEADERS:
            ctypes.string_at(0)  # the fast path's C call on a missing header: SIGSEGV
        return self._reply(200, {"thumb": name, "bytes": 2048 + number % 512})

    def _reply(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    port = int(sys.argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    log.info("thumbs %s listening on http://127.0.0.1:%d", VERSION, port)
    server.serve_forever()


if __name__ == "__main__":
    main()

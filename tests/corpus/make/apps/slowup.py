"""A quiet upstream: answers /api/... after UPSTREAM_DELAY_MS (plus jitter); with UPSTREAM_503_PERCENT
it sheds that share of /api requests with 503 (an overloaded dependency); /health is always 200."""

import os
import random
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DELAY = float(os.environ.get("UPSTREAM_DELAY_MS", "30")) / 1000
SHED = float(os.environ.get("UPSTREAM_503_PERCENT", "0")) / 100


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200
        if self.path.startswith("/api/"):
            time.sleep(DELAY * random.uniform(0.8, 1.2))
            if random.random() < SHED:
                status = 503
        elif self.path != "/health":
            status = 404
        body = b'{"hits": 12}' if status == 200 else b'{"error": "unavailable"}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

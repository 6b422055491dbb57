"""A dependency stand-in (a ledger, a card processor, an inventory service): answers every request
200 with a small JSON body after a delay: about MEDIAN_MS, and SLOW_MS for a SLOW_SHARE of the
requests (a stall now and then). Its own output is not part of any pod log.

    MEDIAN_MS=8 SLOW_SHARE=0.02 SLOW_MS=300 python stubdep.py PORT
"""

from __future__ import annotations

import os
import random
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MEDIAN_MS = float(os.environ.get("MEDIAN_MS", "5"))
SLOW_SHARE = float(os.environ.get("SLOW_SHARE", "0"))
SLOW_MS = float(os.environ.get("SLOW_MS", "300"))
RNG = random.Random(int(os.environ.get("SEED", "1")))


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        slow = RNG.random() < SLOW_SHARE
        time.sleep((SLOW_MS if slow else RNG.lognormvariate(0, 0.35) * MEDIAN_MS) / 1000)
        self.send_response(200)
        self.send_header("Content-Length", "11")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # a burst of connections is queued, never dropped


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()

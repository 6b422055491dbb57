"""An orders service (stdlib only) that writes an audit record to a ledger service for every order,
with a timeout and up to three attempts, logging with `logging` ('%(asctime)s %(levelname)s
[%(name)s] %(message)s'): a timed-out write is a WARNING naming the attempt; the order still
answers 201 whatever the ledger did (the audit record is written on a best-effort basis).

    LEDGER_URL=http://127.0.0.1:9100 LEDGER_TIMEOUT=0.2 python ordersvc.py PORT
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

logging.basicConfig(
    level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s [%(name)s] %(message)s"
)
API = logging.getLogger("orders.api")
LEDGER = logging.getLogger("orders.ledger")
LEDGER_URL = os.environ["LEDGER_URL"]
TIMEOUT = float(os.environ.get("LEDGER_TIMEOUT", "0.2"))
ATTEMPTS = 3


def write_audit(order: int) -> bool:
    body = json.dumps({"order": order, "event": "placed"}).encode()
    for attempt in range(1, ATTEMPTS + 1):
        request = urllib.request.Request(f"{LEDGER_URL}/audit", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
            return True
        except (TimeoutError, urllib.error.URLError) as error:
            reason = getattr(error, "reason", error)
            if attempt < ATTEMPTS:
                LEDGER.warning(
                    "audit write for order %d timed out after %.3fs (%s), retrying (attempt %d/%d)",
                    order, TIMEOUT, reason, attempt + 1, ATTEMPTS,
                )  # fmt: skip
    LEDGER.warning("audit write for order %d gave up after %d attempts", order, ATTEMPTS)
    return False


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        order = int(payload.get("order", 0))
        write_audit(order)
        data = json.dumps({"order": order, "status": "placed"}).encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        API.info("order %d placed (%d items)", order, int(payload.get("items", 1)))

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        API.info('%s "%s" %s', self.address_string(), self.requestline, args[1] if len(args) > 1 else "-")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    # shutdown() waits for serve_forever() to return: called from another thread, not the handler's
    signal.signal(
        signal.SIGTERM,
        lambda *_: (API.info("shutting down"), threading.Thread(target=server.shutdown).start()),
    )
    API.info(
        "orders %s listening on port %s (ledger timeout %ss)",
        os.environ.get("APP_VERSION"),
        sys.argv[1],
        TIMEOUT,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()

"""A small shop API on the stdlib http.server, used to make real Python logs.

APP_MODE selects the build being "deployed":
  good      v1/v2 healthy (APP_VERSION only changes the greeting)
  traceback the order handler has a bug: a KeyError on orders without a coupon, unhandled
  crash     a required setting is read at start and is missing: traceback, exit 1
  hang      every API call borrows a connection from a small pool; the coupon path forgets to
            give it back, so after a few dozen requests every call waits for a connection forever
            (http.server logs a request when it answers: the process goes quiet, nothing is logged)
"""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = os.environ.get("APP_MODE", "good")
VERSION = os.environ.get("APP_VERSION", "1.4.0")
POOL = threading.BoundedSemaphore(int(os.environ.get("DB_POOL", "8")))


def load_settings() -> dict:
    settings = {"db_url": os.environ.get("DB_URL", "sqlite:///tmp/shop.db")}
    if MODE == "crash":
        settings["payment_key"] = os.environ["PAYMENT_API_KEY"]
    return settings


class Handler(BaseHTTPRequestHandler):
    server_version = "shop/" + VERSION

    def _reply(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if not self.path.startswith("/api/"):
            self._route()
            return
        POOL.acquire()  # a database connection for the request
        leaked = False
        try:
            leaked = self._route()
        finally:
            if not leaked:
                POOL.release()

    def _route(self) -> bool:
        """Answer the request; True when the handler kept its connection (the hang build's leak)."""
        if self.path.startswith("/healthz"):
            self._reply(200, {"ok": True})
        elif self.path.startswith("/api/orders/"):
            order_id = self.path.rsplit("/", 1)[-1].split("?")[0]
            order = {"id": order_id, "total": 42}
            if order_id.isdigit() and int(order_id) % 3 == 0:
                order["coupon"] = "SPRING"
            if MODE == "traceback":
                order["discount"] = len(order["coupon"])  # bug: not every order has a coupon
            self._reply(200, order)
            return MODE == "hang" and "coupon" in order  # bug: the coupon path never returns its connection
        elif self.path.startswith("/api/products"):
            self._reply(200, {"products": ["tea", "mug"], "version": VERSION})
        else:
            self._reply(404, {"error": "not found"})
        return False


def main() -> None:
    port = int(sys.argv[1])
    settings = load_settings()
    sys.stderr.write(f"shop {VERSION} starting on 127.0.0.1:{port} db={settings['db_url']}\n")
    sys.stderr.flush()
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()

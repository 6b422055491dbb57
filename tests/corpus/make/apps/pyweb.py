"""A small shop API on the stdlib http.server, used to make real Python logs.

APP_MODE selects the build being "deployed":
  good      v1/v2 healthy (APP_VERSION only changes the greeting)
  traceback the order handler has a bug: a KeyError on orders without a coupon, unhandled
  crash     a required setting is read at start and is missing: traceback, exit 1
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = os.environ.get("APP_MODE", "good")
VERSION = os.environ.get("APP_VERSION", "1.4.0")


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
        elif self.path.startswith("/api/products"):
            self._reply(200, {"products": ["tea", "mug"], "version": VERSION})
        else:
            self._reply(404, {"error": "not found"})


def main() -> None:
    port = int(sys.argv[1])
    settings = load_settings()
    sys.stderr.write(f"shop {VERSION} starting on 127.0.0.1:{port} db={settings['db_url']}\n")
    sys.stderr.flush()
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()

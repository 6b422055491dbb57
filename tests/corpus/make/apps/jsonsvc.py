"""An inventory API that logs JSON lines with structlog, used to make real JSON logs.

APP_MODE: good | cachebug (v2 reads prices through a new cache whose entries are written
in an old format: every miss-decode logs errors and falls back; requests still answer 200)
| tail (about 4% of stock lookups wait ~150 ms on a lock held by a cache refill; the rest are
as fast as before) | shift (every stock lookup takes 1 ms longer: a new audit call).
APP_DB_MS: simulated database time per stock lookup (default 0), so latencies look like a service's.
/search?q=... logs the user's query as typed (free text: every line a new shape).
"""

import json
import logging
import os
import random
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import structlog

MODE = os.environ.get("APP_MODE", "good")
DB_SECONDS = float(os.environ.get("APP_DB_MS", "0")) / 1000
SLOW = random.Random(7)
VERSION = os.environ.get("APP_VERSION", "2.3.1")

structlog.configure(
    processors=[
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(),
    ],
    wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    logger_factory=structlog.PrintLoggerFactory(sys.stdout),
)
log = structlog.get_logger(service="inventory", version=VERSION)

OLD_FORMAT_CACHE = {f"sku-{n}": f"price:{n * 3}" for n in range(0, 50, 2)}


def cached_price(sku: str) -> int:
    raw = OLD_FORMAT_CACHE.get(sku, json.dumps({"price": 10}))
    try:
        return json.loads(raw)["price"]
    except json.JSONDecodeError as error:
        log.error("cache entry could not be decoded", sku=sku, error=str(error))
        log.warning("falling back to primary store", sku=sku)
        return 10


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # the app logs its own access lines
        pass

    def do_GET(self) -> None:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        sku = self.path.rsplit("/", 1)[-1]
        status = 200
        if self.path.startswith("/search"):
            query = self.path.partition("q=")[2].replace("+", " ")
            log.info(f"search '{query}' returned {len(query) % 7} results", request_id=request_id)
            body = b'{"results":[]}'
        elif self.path.startswith("/stock/"):
            price = cached_price(sku) if MODE == "cachebug" else 10
            if DB_SECONDS:
                time.sleep(DB_SECONDS * (0.6 + 0.8 * SLOW.random()))
            if MODE == "tail" and SLOW.random() < 0.04:
                time.sleep(0.15)  # waits for the refill lock
            if MODE == "shift":
                time.sleep(0.001)
            body = json.dumps({"sku": sku, "price": price, "count": random.randint(0, 9)}).encode()
        elif self.path.startswith("/healthz"):
            body = b'{"ok":true}'
        else:
            status, body = 404, b'{"error":"not found"}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        log.info(
            "request handled",
            method="GET",
            path=self.path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            request_id=request_id,
        )


def main() -> None:
    port = int(sys.argv[1])
    log.info("service starting", port=port, mode="http")
    if VERSION.startswith("2.4"):
        log.info("feature flag evaluated", flag="bulk_stock_endpoint", enabled=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()

"""A cart pricing service (stdlib http.server) logging through Python's `logging`, either as plain
lines ('%(asctime)s %(levelname)s [%(name)s] %(message)s') or, with LOG_EXPORT=otel, bridged to
OpenTelemetry and written by the SDK's console exporter (one pretty-printed JSON record per log
record, as OTEL_LOGS_EXPORTER=console does). Needs opentelemetry-sdk for LOG_EXPORT=otel.

Each cart asks a recommendations service (RECO_URL) for suggestions with a 0.1 s timeout; a timeout
is handled: a WARNING with the exception (exc_info) and default suggestions.
APP_MODE=discount-bug: carts whose id is divisible by 3 read a 'discount' key that they lack:
logger.exception('pricing failed ...') and a 500.

    RECO_URL=http://127.0.0.1:9100 LOG_EXPORT=otel python cartsvc.py PORT
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

MODE = os.environ.get("APP_MODE", "good")
RECO_URL = os.environ["RECO_URL"]


def setup_logging() -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    if os.environ.get("LOG_EXPORT") != "otel":
        logging.basicConfig(
            level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s [%(name)s] %(message)s"
        )
        return
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import ConsoleLogExporter, SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource

    provider = LoggerProvider(resource=Resource.create({"service.name": "cart"}))
    set_logger_provider(provider)
    provider.add_log_record_processor(SimpleLogRecordProcessor(ConsoleLogExporter()))
    root.addHandler(LoggingHandler(level=logging.INFO, logger_provider=provider))


setup_logging()
API = logging.getLogger("cart.api")
RECO = logging.getLogger("cart.reco")


def suggestions(cart: int) -> list[str]:
    try:
        with urllib.request.urlopen(f"{RECO_URL}/suggest?cart={cart}", timeout=0.1) as response:
            response.read()
        return ["sku-1", "sku-2"]
    except (TimeoutError, urllib.error.URLError):
        RECO.warning("recommendations for cart %d timed out, serving defaults", cart, exc_info=True)
        return ["sku-default"]


def price(cart: int) -> dict:
    record = {"cart": cart, "total": 10 + cart % 90}
    if MODE == "discount-bug" and cart % 3 == 0:
        record["total"] -= record["discount"]  # the new discount field, missing on old carts
    return record


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        cart = int(self.path.rsplit("/", 1)[-1] or 0)
        try:
            body = {**price(cart), "suggested": suggestions(cart)}
            status = 200
        except KeyError:
            API.exception("pricing failed for cart %d", cart)
            body, status = {"error": "internal"}, 500
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        API.info('"%s" %s', self.requestline, args[1] if len(args) > 1 else "-")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    # shutdown() waits for serve_forever() to return: called from another thread, not the handler's
    signal.signal(
        signal.SIGTERM,
        lambda *_: (API.info("shutting down"), threading.Thread(target=server.shutdown).start()),
    )
    API.info("cart %s listening on port %s", os.environ.get("APP_VERSION"), sys.argv[1])
    server.serve_forever()
    logging.shutdown()


if __name__ == "__main__":
    main()

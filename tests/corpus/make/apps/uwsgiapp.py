"""A catalogue WSGI app (stdlib only) served by uWSGI, whose request log is the only log it has.

Each item page asks a stock cache (STOCK_URL) for availability; APP_MODE=cache-port (the canary's
broken manifest): items whose id ends in 1, 4 or 7 are looked up in a second cache shard at
SHARD_URL, and when that cannot be reached the page answers 503 without logging anything, as a
handler that maps a failed dependency to a status does. uWSGI logs each request
('... GET /items/7 => generated 19 bytes in 2 msecs (HTTP/1.1 503) ...').

    uwsgi --plugin python3 --http-socket 127.0.0.1:PORT --wsgi-file uwsgiapp.py
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

STOCK_URL = os.environ["STOCK_URL"]
SHARD_URL = os.environ.get("SHARD_URL", STOCK_URL)
MODE = os.environ.get("APP_MODE", "good")


def in_stock(item: int) -> bool | None:
    base = SHARD_URL if MODE == "cache-port" and item % 10 in (1, 4, 7) else STOCK_URL
    try:
        with urllib.request.urlopen(f"{base}/stock/{item}", timeout=0.5) as response:
            response.read()
        return item % 5 != 0
    except (TimeoutError, urllib.error.URLError):
        return None


def application(environ: dict, start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
    path = environ.get("PATH_INFO", "/")
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    item = int(path.rsplit("/", 1)[-1] or 0)
    stock = in_stock(item)
    if stock is None:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"stock unavailable"]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [f'{{"item": {item}, "in_stock": {str(stock).lower()}}}'.encode()]

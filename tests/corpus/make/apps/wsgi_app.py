"""A WSGI catalogue service served by gunicorn, used to make real gunicorn logs.

APP_MODE: good | slowish (v2 adds a 250 ms synchronous price lookup to every /items call) |
error (the v2 price formatter divides by a zero stock count) | slow (a new report query
blocks longer than gunicorn's --timeout) | boot (import of a missing module at boot:
gunicorn reports the worker failed to boot).
"""

import json
import logging
import os
import time

MODE = os.environ.get("APP_MODE", "good")
log = logging.getLogger("gunicorn.error")

if MODE == "boot":
    import catalogue_pricing_v2  # noqa: F401  (the module was left out of the image)


def price_per_unit(total: int, stock: int) -> float:
    if MODE == "error":
        return total / stock
    return total / stock if stock else 0.0


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    status, payload = "200 OK", {"ok": True}
    if path.startswith("/items/"):
        item = path.rsplit("/", 1)[-1]
        stock = 0 if item.isdigit() and int(item) % 4 == 0 else 7
        if MODE == "slowish":
            time.sleep(0.25)
        payload = {"item": item, "unit": price_per_unit(70, stock)}
    elif path.startswith("/report"):
        if MODE == "slow":
            time.sleep(4)
        payload = {"rows": 3}
    elif path != "/" and not path.startswith("/healthz"):
        status, payload = "404 Not Found", {"error": "not found"}
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]

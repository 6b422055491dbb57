"""A small asyncio HTTP service whose logging follows a Django project's LOGGING 'verbose'
formatter ({levelname} {asctime} {module} {process:d} {thread:d} {message}); failures are
logged with logging.exception, so the traceback follows the message."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import sys

logging.basicConfig(
    stream=sys.stderr,
    level=logging.INFO,
    style="{",
    format="{levelname} {asctime} {module} {process:d} {thread:d} {message}",
)
request_log = logging.getLogger("django.request")
server_log = logging.getLogger("django.server")
app_log = logging.getLogger("cart.views")

MODE = os.environ.get("APP_MODE", "good")
TRANSIENT_AT = int(os.environ.get("TRANSIENT_AT", "0"))
served = 0


class CartStore:
    def __init__(self) -> None:
        self.carts = {i: {"items": [{"sku": f"SKU-{i * 7 % 90}", "qty": 1 + i % 3}]} for i in range(1, 400)}

    async def fetch(self, cart_id: int) -> dict:
        await asyncio.sleep(random.uniform(0.001, 0.004))
        cart = self.carts[cart_id]
        if MODE == "bad":
            # canary 3.0: totals read a 'unit_price' field that only new carts carry
            return {"total": sum(item["unit_price"] * item["qty"] for item in cart["items"])}
        return {"total": sum(item["qty"] * 9.5 for item in cart["items"])}


STORE = CartStore()


async def view(path: str) -> tuple[int, dict]:
    global served
    served += 1
    if path.startswith("/api/cart/"):
        cart_id = int(path.rsplit("/", 1)[1])
        if MODE == "bad" and cart_id % 3 == 0:
            STORE.carts[cart_id]["items"][0]["unit_price"] = 9.5
        if served == TRANSIENT_AT:
            raise ConnectionResetError(104, "Connection reset by peer")
        return 200, await STORE.fetch(cart_id)
    if path == "/health":
        return 200, {"status": "ok"}
    return 404, {"detail": "Not found."}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    request_line = (await reader.readline()).decode("latin-1").strip()
    while (await reader.readline()) not in (b"\r\n", b"\n", b""):
        pass
    method, path, version = [*request_line.split(" "), "", "", ""][:3]
    try:
        status, body = await view(path)
    except Exception:
        request_log.exception("Internal Server Error: %s", path)
        status, body = 500, {"detail": "A server error occurred."}
    payload = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    writer.close()
    log = server_log.warning if status >= 400 else server_log.info
    log('"%s %s %s" %s %s', method, path, version, status, len(payload))


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    app_log.info(
        "Starting ASGI/asyncio server at http://127.0.0.1:%s/ (release %s)",
        port,
        os.environ.get("APP_VERSION", "2.9.0"),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    app_log.info("Shutting down")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

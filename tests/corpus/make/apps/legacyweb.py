"""A store-locator API whose log writer is a legacy one, used to make real encoding edge cases.

LOG_STYLE=modern: UTF-8 lines ending in LF. LOG_STYLE=legacy: the same events written in
Latin-1 with CRLF line ends (as a logger configured for a Windows code page does), so city
names such as Muenchen-with-umlaut arrive as bytes that are not valid UTF-8.
"""

import os
import sys
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STYLE = os.environ.get("LOG_STYLE", "modern")
CITIES = ["München", "São Paulo", "Zürich", "Kraków", "Lyon", "Oslo", "Malmö", "Coimbra"]
out = sys.stdout.buffer


def write(line: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
    text = f"{stamp} INFO  [locator] {line}"
    if STYLE == "legacy":
        out.write(text.encode("latin-1", "replace") + b"\r\n")
    else:
        out.write(text.encode("utf-8") + b"\n")
    out.flush()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        started = time.perf_counter()
        index = sum(self.path.encode()) % len(CITIES)
        body = f'{{"nearest":"{CITIES[index]}"}}'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        took = (time.perf_counter() - started) * 1000
        write(f"lookup {self.path} -> {CITIES[index]} status=200 took={took:.1f}ms")


def main() -> None:
    port = int(sys.argv[1])
    write(f"store locator starting on port {port} log_style={STYLE}")
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()

"""Fake model servers on 127.0.0.1 for tests: Ollama's HTTP API and an OpenAI-compatible one.

They speak the real wire formats (Ollama: /api/chat, /api/tags, /api/version, errors as
`{"error": "..."}` with a status; OpenAI: /v1/chat/completions, /v1/models), so the real
`ollama` client and `requests` are what the tests exercise. What the model "says" comes from
a script: a list of Canned replies (the last one repeats) or a function of the request body.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_MODEL = "qwen2.5-coder:0.5b-instruct"


@dataclass
class Canned:
    status: int = 200
    body: dict[str, Any] | str = ""
    delay: float = 0.0  # seconds before answering (a slow model)


Script = list[Canned] | Callable[[dict[str, Any]], Canned]


def ollama_reply(
    content: str | dict[str, Any],
    done_reason: str = "stop",
    prompt_eval_count: int = 812,
    model: str = DEFAULT_MODEL,
    delay: float = 0.0,
) -> Canned:
    """A complete non-streaming /api/chat response, as Ollama sends it."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Canned(
        body={
            "model": model,
            "created_at": "2026-11-26T07:00:00.000000Z",
            "message": {"role": "assistant", "content": text},
            "done": True,
            "done_reason": done_reason,
            "total_duration": 2_400_000_000,
            "load_duration": 30_000_000,
            "prompt_eval_count": prompt_eval_count,
            "prompt_eval_duration": 1_900_000_000,
            "eval_count": 60,
            "eval_duration": 450_000_000,
        },
        delay=delay,
    )


def openai_reply(
    content: str | dict[str, Any],
    finish_reason: str = "stop",
    prompt_tokens: int = 812,
    model: str = DEFAULT_MODEL,
) -> Canned:
    """A complete /v1/chat/completions response."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Canned(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1764140400,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": 60,
                "total_tokens": prompt_tokens + 60,
            },
        }
    )


class _FakeServer:
    def __init__(self, script: Script, models: tuple[str, ...] = (DEFAULT_MODEL,)) -> None:
        self.script = script
        self.models = models
        self.requests: list[dict[str, Any]] = []  # bodies of the chat requests received
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> _FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def next_reply(self, body: dict[str, Any]) -> Canned:
        with self._lock:
            self.requests.append(body)
            if callable(self.script):
                return self.script(body)
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def route(self, method: str, path: str, body: dict[str, Any] | None) -> Canned:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _answer(self, method: str) -> None:
                body = None
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    raw = self.rfile.read(length)
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        self._send(Canned(400, {"error": "invalid character in request body"}))
                        return
                canned = server.route(method, self.path, body)
                if canned.delay:
                    time.sleep(canned.delay)
                self._send(canned)

            def _send(self, canned: Canned) -> None:
                payload = canned.body if isinstance(canned.body, str) else json.dumps(canned.body)
                data = payload.encode()
                try:
                    self.send_response(canned.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to do

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

        return Handler


class FakeOllama(_FakeServer):
    def route(self, method: str, path: str, body: dict[str, Any] | None) -> Canned:
        if path == "/api/version":
            return Canned(body={"version": "0.12.6"})
        if path == "/api/tags":
            models = [
                {
                    "name": name,
                    "model": name,
                    "modified_at": "2026-11-20T10:00:00Z",
                    "size": 397_821_319,
                    "digest": "a" * 64,
                    "details": {"format": "gguf", "family": "qwen2", "quantization_level": "Q4_K_M"},
                }
                for name in self.models
            ]
            return Canned(body={"models": models})
        if path == "/api/chat" and method == "POST":
            body = body or {}
            if body.get("model") not in self.models:
                self.requests.append(body)
                return Canned(404, {"error": f"model '{body.get('model')}' not found"})
            return self.next_reply(body)
        return Canned(404, "404 page not found")


class FakeOpenAI(_FakeServer):
    def __init__(
        self,
        script: Script,
        models: tuple[str, ...] = (DEFAULT_MODEL,),
        json_schema: bool = True,
        reject_status: int = 400,
    ) -> None:
        super().__init__(script, models)
        self.json_schema = json_schema  # False: reject response_format json_schema, like older servers
        self.reject_status = reject_status  # llama-cpp-python's server rejects with a 500

    def route(self, method: str, path: str, body: dict[str, Any] | None) -> Canned:
        if path == "/v1/models":
            return Canned(
                body={"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}
            )
        if path == "/v1/chat/completions" and method == "POST":
            body = body or {}
            fmt = (body.get("response_format") or {}).get("type")
            if fmt == "json_schema" and not self.json_schema:
                self.requests.append(body)
                return Canned(
                    400,
                    {
                        "error": {
                            "message": "response_format type 'json_schema' is not supported",
                            "code": 400,
                        }
                    },
                )
            if body.get("model") not in self.models:
                self.requests.append(body)
                return Canned(404, {"error": {"message": f"The model `{body.get('model')}` does not exist."}})
            return self.next_reply(body)
        return Canned(404, {"error": {"message": "not found"}})

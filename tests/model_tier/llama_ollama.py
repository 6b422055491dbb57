"""A real model behind Ollama's HTTP API, for the slow test tier and the benchmark.

There is no Ollama binary in CI, so this serves a GGUF file with llama-cpp-python and speaks
the part of Ollama's wire format the job uses: POST /api/chat (non-streaming; `format` as a
JSON schema enforced by a grammar; options num_ctx, num_predict, temperature, seed), GET
/api/tags and /api/version, and `{"error": ...}` bodies. It also reproduces what matters about
Ollama's context handling: the context is `options.num_ctx` (default 4096) and a longer prompt
is silently cut to its last tokens, as Ollama does. And like Ollama, it stops generating when the
client disconnects (a client timeout), so one abandoned request does not hold the model while
the next ones queue behind it and time out too. It reports where the time went
(prompt_eval_duration: until the first token; eval_duration: the rest), as Ollama does.

    python tests/model_tier/llama_ollama.py --model .cache/models/X.gguf --port 11434
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# llama_cpp (llama-cpp-python, the optional `.[model]` extra) is imported where a model is loaded,
# not here: the test modules import this module's names and must be collected, and skip saying
# why, on a clone without the model tier.

MODEL_NAME = "qwen2.5-coder:0.5b-instruct"
MODEL_FILE = Path(".cache/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
DEFAULT_NUM_CTX = 4096  # Ollama's default context when the request does not set num_ctx
MAX_NUM_CTX = 8192
DEFAULT_NUM_PREDICT = 512


class LlamaOllama:
    """One loaded model answering Ollama chat requests, one at a time."""

    def __init__(self, model_path: Path = MODEL_FILE, name: str = MODEL_NAME, threads: int = 2) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.name = name
        self.llm = Llama(
            model_path=str(model_path), n_ctx=MAX_NUM_CTX, n_threads=threads, verbose=False, seed=42
        )
        template = self.llm.metadata["tokenizer.chat_template"]
        eos = self.llm.detokenize([self.llm.token_eos()]).decode(errors="ignore")
        self.formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="")
        self.lock = threading.Lock()
        self.truncations = 0  # how many prompts were cut to fit num_ctx, like Ollama does silently
        self.abandoned = 0  # requests whose client left before the answer was complete
        self.replies: list[
            str
        ] = []  # every answer sent, as generated (the tests compare it with what is shown)
        self.last_prompt_tokens = 0  # the whole prompt's size before any cut (Ollama does not report it)
        # The first tokens of the prompt that the last one shared: llama.cpp keeps them evaluated
        # (as Ollama's runner does, runner/llamarunner/cache.go), so only the rest costs time.
        self.prompts: list[tuple[int, int]] = []  # per call: (prompt tokens, of them kept evaluated)
        self._previous: list[int] = []

    def count_tokens(self, messages: list[dict[str, str]]) -> int:
        prompt = self.formatter(messages=messages).prompt
        return len(self.llm.tokenize(prompt.encode(), add_bos=False, special=True))

    def chat(
        self, body: dict[str, Any], client_gone: Callable[[], bool] = lambda: False
    ) -> tuple[int, dict[str, Any]]:
        if body.get("model") != self.name:
            return 404, {"error": f"model '{body.get('model')}' not found"}
        options = body.get("options") or {}
        num_ctx = min(int(options.get("num_ctx") or DEFAULT_NUM_CTX), MAX_NUM_CTX)
        num_predict = int(options.get("num_predict") or DEFAULT_NUM_PREDICT)
        if num_predict < 0:
            num_predict = DEFAULT_NUM_PREDICT
        from llama_cpp import LlamaGrammar

        fmt = body.get("format")
        grammar = None
        if isinstance(fmt, dict):
            grammar = LlamaGrammar.from_json_schema(json.dumps(fmt), verbose=False)
        elif fmt == "json":
            grammar = LlamaGrammar.from_string(_JSON_GRAMMAR, verbose=False)

        started = time.monotonic_ns()
        prompt = self.formatter(messages=body.get("messages") or []).prompt
        tokens = self.llm.tokenize(prompt.encode(), add_bos=False, special=True)
        self.last_prompt_tokens = len(tokens)
        shared = next(
            (i for i, (a, b) in enumerate(zip(self._previous, tokens, strict=False)) if a != b),
            min(len(self._previous), len(tokens)),
        )
        self.prompts.append((len(tokens), shared))
        self._previous = list(tokens)
        room = num_ctx - min(num_predict, num_ctx // 2)
        if len(tokens) > room:  # Ollama keeps the end of an over-long prompt and says nothing
            tokens = tokens[-room:]
            self.truncations += 1
        while not self.lock.acquire(timeout=0.05):  # queued behind another request
            if client_gone():
                self.abandoned += 1
                return 499, {"error": "client closed the request"}
        try:
            return self._generate(tokens, num_ctx, num_predict, options, grammar, started, client_gone)
        finally:
            self.lock.release()

    def _generate(
        self,
        tokens: list[int],
        num_ctx: int,
        num_predict: int,
        options: dict[str, Any],
        grammar: Any,  # a llama_cpp.LlamaGrammar, or None
        started: int,
        client_gone: Callable[[], bool],
    ) -> tuple[int, dict[str, Any]]:
        stream = self.llm.create_completion(
            prompt=tokens,
            max_tokens=min(num_predict, num_ctx - len(tokens)),
            temperature=float(options.get("temperature", 0.8)),
            seed=int(options.get("seed", 42)),
            grammar=grammar,
            stop=["<|im_end|>", "<|endoftext|>"],
            stream=True,
        )
        pieces: list[str] = []
        finish, first_token = None, None
        try:
            for chunk in stream:
                first_token = first_token or time.monotonic_ns()
                choice = chunk["choices"][0]
                pieces.append(choice["text"])
                finish = choice["finish_reason"] or finish
                if client_gone():
                    self.abandoned += 1
                    return 499, {"error": "client closed the request"}
        finally:
            stream.close()  # stops llama.cpp generating
        ended = time.monotonic_ns()
        first_token = first_token or ended
        self.replies.append("".join(pieces))
        return 200, {
            "model": self.name,
            "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "message": {"role": "assistant", "content": "".join(pieces)},
            "done": True,
            "done_reason": "length" if finish == "length" else "stop",
            "total_duration": ended - started,
            "load_duration": 0,
            "prompt_eval_count": len(tokens),
            "prompt_eval_duration": first_token - started,
            "eval_count": sum(1 for piece in pieces if piece),  # the last chunk only says why it stopped
            "eval_duration": ended - first_token,
        }


_JSON_GRAMMAR = r"""
root ::= object
value ::= object | array | string | number | ("true" | "false" | "null") ws
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
array ::= "[" ws ( value ("," ws value)* )? "]" ws
string ::= "\"" ( [^"\\] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= ("-"? ([0-9] | [1-9] [0-9]*)) ("." [0-9]+)? ([eE] [-+]? [0-9]+)? ws
ws ::= ([ \t\n] ws)?
"""


class OllamaWireServer:
    """ThreadingHTTPServer on 127.0.0.1 around a LlamaOllama; a context manager."""

    def __init__(self, model: LlamaOllama, port: int = 0) -> None:
        self.model = model
        self.http = ThreadingHTTPServer(("127.0.0.1", port), _handler(model))
        self.http.daemon_threads = True
        self.thread = threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.http.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> OllamaWireServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.shutdown()
        self.http.server_close()


def _handler(model: LlamaOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, document: dict[str, Any]) -> None:
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/api/version":
                self._send(200, {"version": "0.0.0-llama-cpp-python"})
            elif self.path == "/api/tags":
                self._send(200, {"models": [{"name": model.name, "model": model.name, "size": 0}]})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.path != "/api/chat":
                self._send(404, {"error": "not found"})
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            except ValueError as error:
                self._send(400, {"error": f"invalid request body: {error}"})
                return
            if body.get("stream", True):
                self._send(400, {"error": "this test server only answers stream=false"})
                return
            try:
                status, document = model.chat(body, self._client_gone)
            except Exception as error:  # surfaced like Ollama's runner errors
                status, document = 500, {"error": f"llama runner error: {error}"}
            with contextlib.suppress(OSError):  # the client has gone; nothing to answer
                self._send(status, document)

        def _client_gone(self) -> bool:
            """The client closed its end (its timeout): the socket reads as end-of-file."""
            try:
                readable, _, _ = select.select([self.connection], [], [], 0)
                return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                return True

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, default=MODEL_FILE)
    parser.add_argument("--name", default=MODEL_NAME)
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with OllamaWireServer(LlamaOllama(args.model, args.name, args.threads), args.port) as server:
        print(f"serving {args.name} on {server.url}", flush=True)
        server.thread.join()


if __name__ == "__main__":
    main()

"""Model servers: Ollama's /api/chat (official client) and any OpenAI-compatible /v1/chat/completions.

Both take the same ChatRequest and give the same Reply, or raise BackendError saying whether
a retry could help (connection refused, 5xx, timeouts) and what the operator should do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import ollama
import requests

from job.model import LLMConfig

SEED = 42  # fixed, with temperature 0, so the same evidence gives the same answer
KEEP_ALIVE = "10m"  # keep the model loaded between the analyses of one rollout


@dataclass(frozen=True)
class ChatRequest:
    system: str
    user: str
    schema: dict[str, Any]
    num_ctx: int
    max_tokens: int
    # Earlier turns after the user message, (role, content): a rejected answer and why, for a retry.
    follow_up: tuple[tuple[str, str], ...] = ()

    def messages(self) -> list[dict[str, str]]:
        turns = [("system", self.system), ("user", self.user), *self.follow_up]
        return [{"role": role, "content": content} for role, content in turns]


@dataclass(frozen=True)
class Reply:
    content: str
    cut_off: bool  # the server stopped at the token limit: the answer is incomplete
    prompt_tokens: int | None = None
    model: str | None = None
    completion_tokens: int | None = None
    prompt_eval_ms: int | None = None  # Ollama reports where the time went; OpenAI servers do not
    generation_ms: int | None = None


class BackendError(Exception):
    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Backend(Protocol):
    def chat(self, request: ChatRequest, timeout: float) -> Reply: ...


class OllamaBackend:
    def __init__(self, cfg: LLMConfig) -> None:
        self.host = cfg.host
        self.model = cfg.model

    def chat(self, request: ChatRequest, timeout: float) -> Reply:
        client = ollama.Client(host=self.host, timeout=timeout)
        try:
            response = client.chat(
                model=self.model,
                messages=request.messages(),
                stream=False,
                format=request.schema,
                options={
                    "temperature": 0,
                    "seed": SEED,
                    "num_ctx": request.num_ctx,
                    "num_predict": request.max_tokens,
                },
                keep_alive=KEEP_ALIVE,
            )
        except ollama.ResponseError as error:
            raise self._status_error(error) from None
        except ConnectionError:
            raise BackendError(
                f"cannot connect to Ollama at {self.host}: start it, or point --ollama-host "
                "(env OLLAMA_HOST) at it",
                transient=True,
            ) from None
        except httpx.TimeoutException:
            raise BackendError(
                f"Ollama at {self.host} did not answer within {timeout:.1f}s: the model may be "
                "loading or too slow on this CPU; raise --llm-timeout or choose a smaller --model",
                transient=True,
            ) from None
        except httpx.HTTPError as error:
            raise BackendError(f"talking to Ollama at {self.host} failed: {error}", transient=True) from None
        except ValueError as error:  # a body that is not JSON, or not a chat response
            raise BackendError(
                f"Ollama at {self.host} sent an unreadable response ({error.__class__.__name__}): "
                "is --ollama-host really an Ollama server?",
                transient=False,
            ) from None
        content = (response.message.content or "") if response.message else ""
        return Reply(
            content=content,
            cut_off=response.done_reason == "length" or response.done is False,
            prompt_tokens=response.prompt_eval_count,
            model=response.model or self.model,
            completion_tokens=response.eval_count,
            prompt_eval_ms=_ms(response.prompt_eval_duration),
            generation_ms=_ms(response.eval_duration),
        )

    def _status_error(self, error: ollama.ResponseError) -> BackendError:
        return _status_error(
            error.status_code,
            f"Ollama at {self.host}",
            error.error,
            self.model,
            f"run `ollama pull {self.model}` there, or choose another with --model",
        )


class OpenAIBackend:
    """Any server speaking OpenAI's chat completions: vLLM, llama.cpp server, LocalAI.

    Plain `requests` rather than the `openai` package: one POST, and the openai client's own
    retries and timeouts would fight the overall deadline this module keeps.
    """

    def __init__(self, cfg: LLMConfig) -> None:
        if not cfg.url:
            raise BackendError("--llm-api openai needs --llm-url (the server's base URL)", transient=False)
        base = cfg.url.rstrip("/")
        self.base = base if base.endswith("/v1") else base + "/v1"
        self.model = cfg.model
        self.format_choice = 0  # index into _formats(); moves on when a server rejects one

    @staticmethod
    def _formats(schema: dict[str, Any]) -> list[dict[str, Any]]:
        """OpenAI's json_schema first; then json_object carrying the schema (llama.cpp's
        server and LocalAI enforce it as a grammar); then plain json_object."""
        return [
            {
                "type": "json_schema",
                "json_schema": {"name": "canary_verdict", "schema": schema, "strict": True},
            },
            {"type": "json_object", "schema": schema},
            {"type": "json_object"},
        ]

    def chat(self, request: ChatRequest, timeout: float) -> Reply:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages(),
            "temperature": 0,
            "seed": SEED,
            "max_tokens": request.max_tokens,
            "stream": False,
        }
        formats = self._formats(request.schema)
        while True:
            body["response_format"] = formats[self.format_choice]
            response = self._post(body, timeout)
            # llama.cpp's Python server answers 500 (not 400/422) when it rejects a format.
            rejected = response.status_code >= 400 and "response_format" in response.text
            if not rejected or self.format_choice == len(formats) - 1:
                break
            self.format_choice += 1
        if response.status_code != 200:
            raise self._status_error(response)
        try:
            document = response.json()
            choice = document["choices"][0]
            content = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise BackendError(
                f"{self.base} sent a response that is not a chat completion: is --llm-url an "
                "OpenAI-compatible server?",
                transient=False,
            ) from None
        usage = document.get("usage") or {}
        return Reply(
            content=content,
            cut_off=choice.get("finish_reason") == "length",
            prompt_tokens=usage.get("prompt_tokens"),
            model=document.get("model") or self.model,
            completion_tokens=usage.get("completion_tokens"),
        )

    def _post(self, body: dict[str, Any], timeout: float) -> requests.Response:
        try:
            return requests.post(f"{self.base}/chat/completions", json=body, timeout=timeout)
        except requests.Timeout:
            raise BackendError(
                f"{self.base} did not answer within {timeout:.1f}s: raise --llm-timeout or use a "
                "smaller model",
                transient=True,
            ) from None
        except requests.ConnectionError:
            raise BackendError(
                f"cannot connect to {self.base}: start the server or fix --llm-url", transient=True
            ) from None
        except requests.RequestException as error:
            raise BackendError(f"talking to {self.base} failed: {error}", transient=True) from None

    def _status_error(self, response: requests.Response) -> BackendError:
        return _status_error(
            response.status_code,
            self.base,
            _error_text(response),
            self.model,
            f"check the served model names at {self.base}/models and pass one with --model",
        )


def _status_error(status: int, server: str, detail: str, model: str, fix_missing_model: str) -> BackendError:
    """Both APIs alike: 404 is a model the server lacks (final); 5xx and 429 are worth a retry."""
    if status == 404:
        return BackendError(
            f"{server} has no model {model!r} ({detail}): {fix_missing_model}", transient=False
        )
    return BackendError(f"{server} answered {status}: {detail}", transient=status >= 500 or status == 429)


def _error_text(response: requests.Response) -> str:
    try:
        error = response.json().get("error")
        if isinstance(error, dict):
            error = error.get("message")
        return str(error)[:300] if error else response.text[:300]
    except (ValueError, AttributeError):
        return response.text[:300] or response.reason or "no details"


def _ms(nanoseconds: int | None) -> int | None:
    return nanoseconds // 1_000_000 if nanoseconds else None


def make_backend(cfg: LLMConfig) -> Backend:
    return OpenAIBackend(cfg) if cfg.api == "openai" else OllamaBackend(cfg)


def ping(cfg: LLMConfig, timeout: float = 3.0) -> bool | str:
    """True when the model server is up and has the model, else what is wrong and how to fix it."""
    try:
        if cfg.api == "openai":
            backend = OpenAIBackend(cfg)
            response = requests.get(f"{backend.base}/models", timeout=timeout)
            if response.status_code != 200:
                return f"{backend.base}/models answered {response.status_code}: {_error_text(response)}"
            served = {m.get("id") for m in response.json().get("data", []) if isinstance(m, dict)}
            if served and cfg.model not in served:
                return (
                    f"{backend.base} does not serve {cfg.model!r} (it serves {sorted(served)}): fix --model"
                )
            return True
        version = requests.get(f"{cfg.host.rstrip('/')}/api/version", timeout=timeout)
        if version.status_code != 200:
            return f"Ollama at {cfg.host} answered {version.status_code} on /api/version"
        models = ollama.Client(host=cfg.host, timeout=timeout).list().models
        names = {m.model for m in models if m.model}
        wanted = cfg.model if ":" in cfg.model else cfg.model + ":latest"
        if cfg.model not in names and wanted not in names:
            return f"Ollama at {cfg.host} has no model {cfg.model!r}: run `ollama pull {cfg.model}` there"
        return True
    except BackendError as error:
        return str(error)
    except (requests.RequestException, httpx.HTTPError, ConnectionError, ollama.ResponseError) as error:
        return f"model server not reachable ({cfg.api}): {error}"
    except ValueError as error:
        return f"model server sent an unreadable answer ({cfg.api}): {error}"

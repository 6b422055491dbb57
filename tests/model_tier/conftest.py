"""Slow tier: real inference with a real GGUF model. Skipped, with the reason, when the model
file (scripts/get-test-model.sh) or llama-cpp-python (pip install '.[model]') is missing."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "tests" / "llm"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


MODEL_FILE = Path(
    os.environ.get("ROLLOUTS_AI_TEST_MODEL", ROOT / ".cache/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = None
    if importlib.util.find_spec("llama_cpp") is None:
        reason = "llama-cpp-python is not installed: pip install '.[model]'"
    elif not MODEL_FILE.is_file():
        reason = f"no model file at {MODEL_FILE}: run scripts/get-test-model.sh"
    for item in items:
        if "model_tier" in str(item.path):
            item.add_marker(pytest.mark.model)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def llama_ollama() -> Iterator[object]:
    from tests.model_tier.llama_ollama import LlamaOllama, OllamaWireServer

    model = LlamaOllama(MODEL_FILE, threads=int(os.environ.get("ROLLOUTS_AI_TEST_THREADS", "2")))
    with OllamaWireServer(model) as server:
        yield server

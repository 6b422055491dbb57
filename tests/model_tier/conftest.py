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


def missing_model_tier() -> str | None:
    """Why the real-model tests cannot run here (and what fixes it), or None when they can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed: `make model` (or pip install '.[model]')"
    if not MODEL_FILE.is_file():
        return f"no model file at {MODEL_FILE}: `make model` (or scripts/get-test-model.sh)"
    return None


_skipped: list[str] = []  # node ids of the model tests this run skips, for the closing line


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = missing_model_tier()
    for item in items:
        if "model_tier" in str(item.path):
            item.add_marker(pytest.mark.model)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))
                _skipped.append(item.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Counted from what really ran: deselected tests (-m "not model") were never skipped.
    ran = {report.nodeid for report in terminalreporter.stats.get("skipped", [])}
    skipped = [nodeid for nodeid in _skipped if nodeid in ran]
    if skipped:
        terminalreporter.write_line(
            f"model tier: {len(skipped)} real-model tests skipped: {missing_model_tier()}"
        )


@pytest.fixture(scope="session")
def llama_ollama() -> Iterator[object]:
    from tests.model_tier.llama_ollama import LlamaOllama, OllamaWireServer

    model = LlamaOllama(MODEL_FILE, threads=int(os.environ.get("ROLLOUTS_AI_TEST_THREADS", "2")))
    with OllamaWireServer(model) as server:
        yield server

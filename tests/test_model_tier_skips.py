"""A clone without the model tier collects tests/model_tier, skips it, and says how many and why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.schemas import PROJECT_ROOT

# Runs pytest on the model tier in a fresh interpreter where `import llama_cpp` fails, as on a
# machine where `make model` never ran, whatever this venv has installed.
WITHOUT_LLAMA_CPP = """
import sys
sys.modules["llama_cpp"] = None  # `import llama_cpp` raises ModuleNotFoundError; find_spec says None
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def run_model_tier(tmp_path: Path, *, llama_cpp: bool) -> subprocess.CompletedProcess[str]:
    args = ["-q", "-p", "no:cacheprovider", "tests/model_tier"]
    command = (
        [sys.executable, "-c", WITHOUT_LLAMA_CPP, *args]
        if not llama_cpp
        else [sys.executable, "-m", "pytest", *args]
    )
    env = {"ROLLOUTS_AI_TEST_MODEL": str(tmp_path / "absent.gguf"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("llama_cpp", "reason"),
    [(False, "llama-cpp-python is not installed"), (True, "no model file at")],
    ids=["no-llama-cpp", "no-model-file"],
)
def test_the_model_tier_skips_saying_how_many_and_why(tmp_path: Path, llama_cpp: bool, reason: str) -> None:
    if llama_cpp:  # with llama-cpp-python installed, only the model file can be missing
        pytest.importorskip(
            "llama_cpp", reason="llama-cpp-python is not installed here; the other case covers it"
        )
    result = run_model_tier(tmp_path, llama_cpp=llama_cpp)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "error" not in out.lower() and "passed" not in out and "failed" not in out
    summary = next(line for line in out.splitlines() if line.startswith("model tier: "))
    count = int(summary.split()[2])
    assert count > 0 and f"{count} skipped" in out
    assert reason in summary and "make model" in summary

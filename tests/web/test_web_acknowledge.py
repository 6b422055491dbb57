"""The web service takes a team's acknowledge file at start-up (serve --acknowledge, or its env var)
and applies it to every analysis; a request can never pass one: it is refused with a clear 400."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from test_web_http import Q, checked
from web_service import HERE, ROOT

ACKS = """
acknowledge:
  - pattern: 'metrics export to otel-collector:<NUM> failed: connection refused (attempt <NUM>)'
    action: ignore
    reason: the collector is not deployed here yet
"""


def test_the_service_applies_its_own_file_to_every_request(service_factory: Any, tmp_path: Path) -> None:
    acks = tmp_path / "acks.yaml"
    acks.write_text(ACKS)
    service = service_factory("--no-llm", "--acknowledge", str(acks))
    answer = checked(requests.get(service.url + "/analyze", params={**Q, "canaryHash": "pass"}, timeout=10))
    echo = json.loads(answer.json()["summary"])
    assert echo["acknowledgements"]["source"] == f"acknowledge file {str(acks)!r}"
    [entry] = echo["acknowledgements"]["entries"]
    assert (entry["action"], entry["reason"]) == ("ignore", "the collector is not deployed here yet")


@pytest.mark.parametrize("name", ["acknowledge", "acknowledgements", "acknowledgeConfigmap"])
def test_a_request_passing_acknowledgements_is_refused(
    service_factory: Any, tmp_path: Path, name: str
) -> None:
    acks = tmp_path / "acks.yaml"
    acks.write_text(ACKS)
    service = service_factory("--no-llm", "--acknowledge", str(acks))
    for answer in (
        requests.get(service.url + "/analyze", params={**Q, "canaryHash": "pass", name: "x"}, timeout=10),
        requests.post(
            service.url + "/analyze", json={**Q, "canaryHash": "pass", name: {"acknowledge": []}}, timeout=10
        ),
    ):
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert f"parameter {name!r} is refused" in error and "serve --acknowledge FILE" in error
    # without a file of its own the service refuses them all the same
    bare = service_factory("--no-llm")
    answer = requests.get(bare.url + "/analyze", params={**Q, "canaryHash": "pass", name: "x"}, timeout=10)
    assert answer.status_code == 400 and "is refused" in answer.json()["error"]
    echo = json.loads(checked(requests.get(bare.url + "/analyze", params={**Q, "canaryHash": "pass"},
                                           timeout=10)).json()["summary"])  # fmt: skip
    assert echo["acknowledgements"] is None


@pytest.mark.parametrize(
    ("content", "env", "expected"),
    [
        (
            "acknowledge:\n  - pattern: 'abc def'\n    action: silence\n",
            False,
            "entry 1: action is 'silence'",
        ),
        (None, False, "cannot read acknowledge file"),
        ("acknowledge:\n  - regex: '.*'\n    action: ignore\n", True, "entry 1: regex '.*' matches any text"),
    ],
)
def test_an_invalid_or_missing_file_stops_serve_at_start(
    tmp_path: Path, content: str | None, env: bool, expected: str
) -> None:
    acks = tmp_path / "acks.yaml"
    if content is not None:
        acks.write_text(content)
    command = [sys.executable, "-m", "job", "serve", "--host", "127.0.0.1", "--port", "0", "--no-llm"]
    command += ["--analysis-function", "fake_analysis:analyze"]
    full_env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    if env:
        full_env["ROLLOUTS_AI_ACKNOWLEDGE"] = str(acks)
    else:
        command += ["--acknowledge", str(acks)]
    result = subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and str(acks) in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1

"""`analyze --acknowledge FILE` (and its env var): exit codes and one-line errors; never judged
silently without the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from job.cli import main
from tests.sample_logs import IGNORE_NOISE, NOISY_CANARY, STABLE


@pytest.fixture
def logs(tmp_path: Path) -> list[str]:
    (tmp_path / "stable.log").write_text(STABLE)
    (tmp_path / "canary.log").write_text(NOISY_CANARY)
    return ["--stable-logs", str(tmp_path / "stable.log"), "--canary-logs", str(tmp_path / "canary.log")]


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["analyze", "--no-llm", "--no-event", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def test_the_ack_file_turns_known_noise_into_a_pass(logs: list[str], tmp_path: Path) -> None:
    acks = tmp_path / "acks.yaml"
    acks.write_text(IGNORE_NOISE)
    assert run(*logs)[0] == 1
    code, out, _ = run(*logs, "--acknowledge", str(acks))
    assert code == 0 and json.loads(out)["verdict"] == "pass"
    code, out, _ = run(*logs, env={"ROLLOUTS_AI_ACKNOWLEDGE": str(acks)})  # the image's env var
    assert code == 0 and json.loads(out)["verdict"] == "pass"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read acknowledge file"),
        (
            "acknowledge:\n  - pattern: 'abc def'\n    action: ignore\n    expire: 2026-01-01\n",
            "entry 1: unknown key",
        ),
        ("acknowledge:\n  - regex: '(['\n    action: ignore\n", "entry 1: regex '([' is not a valid"),
        # a log given by mistake: refused by its size, not read as YAML for minutes
        ("2026-11-26 06:00:00 INFO served /api/cart\n" * 110_000, "is larger than 4 MiB"),
    ],
)
def test_a_missing_or_invalid_file_is_exit_2_in_one_line(
    logs: list[str], tmp_path: Path, content: str | None, expected: str
) -> None:
    acks = tmp_path / "acks.yaml"
    if content is not None:
        acks.write_text(content)
    code, out, err = run(*logs, "--acknowledge", str(acks))
    assert code == 2 and out == ""
    assert err.startswith("rollouts-ai-job: ") and expected in err and str(acks) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_configmap_is_for_cluster_mode_and_one_source_of_acks_at_a_time(
    logs: list[str], tmp_path: Path
) -> None:
    code, _, err = run(*logs, "--acknowledge-configmap", "known-noise")
    assert code == 2 and "--acknowledge-configmap is for cluster mode" in err
    acks = tmp_path / "acks.yaml"
    acks.write_text(IGNORE_NOISE)
    code, _, err = run(*logs, "--acknowledge", str(acks), "--acknowledge-configmap", "known-noise")
    assert code == 2 and "not both" in err
    code, _, err = run("--stable-hash", "a", "--canary-hash", "b", "--acknowledge-configmap", "Bad_Name")
    assert code == 2 and "is not a ConfigMap name" in err

"""`rollouts-ai-job analyze` in file mode: exit codes, stdout/stderr, no traceback on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from job.cli import main
from tests.sample_logs import web_log

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def logs(tmp_path: Path) -> dict[str, str]:
    files = {
        "stable": web_log(300, 1),
        "good": web_log(300, 2),
        "bad": web_log(300, 3, error_share=0.85),
        "few": web_log(2, 4),
        "empty": "",
        "empty2": "",
    }
    paths = {}
    for name, text in files.items():
        path = tmp_path / f"{name}.log"
        path.write_text(text)
        paths[name] = str(path)
    return paths


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["analyze", "--no-llm", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def test_healthy_canary_exits_0_with_one_json_document(logs: dict[str, str]) -> None:
    code, out, err = run("--stable-logs", logs["stable"], "--canary-logs", logs["good"])
    document = json.loads(out)
    assert code == 0 and document["verdict"] == "pass" and err == ""
    assert document["llm"]["used"] is False


def test_failing_canary_exits_1(logs: dict[str, str]) -> None:
    code, out, _ = run("--stable-logs", logs["stable"], "--canary-logs", logs["bad"])
    assert code == 1 and json.loads(out)["verdict"] == "fail"


def test_identical_logs_pass(logs: dict[str, str], tmp_path: Path) -> None:
    copy = tmp_path / "copy.log"
    copy.write_text(Path(logs["stable"]).read_text())
    code, out, _ = run("--stable-logs", logs["stable"], "--canary-logs", str(copy))
    assert code == 0 and json.loads(out)["verdict"] == "pass"


def test_a_few_canary_lines_are_inconclusive(logs: dict[str, str]) -> None:
    code, out, _ = run("--stable-logs", logs["stable"], "--canary-logs", logs["few"])
    assert code == 3 and json.loads(out)["verdict"] == "inconclusive"


def test_both_sides_empty_is_inconclusive_not_an_error(logs: dict[str, str]) -> None:
    code, out, _ = run("--stable-logs", logs["empty"], "--canary-logs", logs["empty2"])
    document = json.loads(out)
    assert code == 3 and "no log lines on either side" in document["summary"]


def test_repeated_flags_read_every_file(logs: dict[str, str]) -> None:
    code, out, _ = run(
        "--stable-logs", logs["stable"], "--stable-logs", logs["good"], "--canary-logs", logs["bad"]
    )  # fmt: skip
    assert code == 1 and json.loads(out)["evidence"]["stable"]["streams"] == 2


def test_text_output(logs: dict[str, str]) -> None:
    code, out, _ = run("--stable-logs", logs["stable"], "--canary-logs", logs["bad"], "--output", "text")
    assert code == 1 and out.startswith("Verdict: FAIL") and "HTTP 5xx" in out


def test_missing_file_exits_4_naming_it(logs: dict[str, str], tmp_path: Path) -> None:
    code, out, err = run("--stable-logs", logs["stable"], "--canary-logs", str(tmp_path / "typo.log"))
    assert code == 4 and out == ""
    assert "typo.log" in err and "does not exist" in err and "Traceback" not in err


def test_directory_exits_4(logs: dict[str, str], tmp_path: Path) -> None:
    code, _, err = run("--stable-logs", str(tmp_path), "--canary-logs", logs["good"])
    assert code == 4 and "is a directory" in err


def test_one_side_missing_is_a_usage_error(logs: dict[str, str]) -> None:
    code, _, err = run("--stable-logs", logs["stable"])
    assert code == 2 and "--canary-logs is missing" in err


def test_huge_lines_and_binary_garbage_do_not_break_it(tmp_path: Path, logs: dict[str, str]) -> None:
    path = tmp_path / "huge.log"
    with path.open("wb") as handle:
        handle.write(web_log(200, 5).encode())
        handle.write(b"A" * (3 * 1024 * 1024) + b"\n")  # a 3 MiB line
        handle.write(bytes(range(256)) * 100 + b"\n")
        handle.write(web_log(200, 6).encode())
    code, out, _ = run("--stable-logs", logs["stable"], "--canary-logs", str(path))
    document = json.loads(out)
    assert code in (0, 1, 3)
    assert document["evidence"]["canary"]["cut_lines"] == 1
    assert any("were cut" in note for note in document["evidence"]["notes"])


def test_python_m_job_subprocess(logs: dict[str, str], tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ok = subprocess.run(
        [sys.executable, "-m", "job", "analyze", "--no-llm", "--stable-logs", logs["stable"], "--canary-logs",
         logs["bad"], "--output", "json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert ok.returncode == 1 and json.loads(ok.stdout)["verdict"] == "fail"
    missing = subprocess.run(
        [sys.executable, "-m", "job", "analyze", "--no-llm",
         "--stable-logs", str(tmp_path / "x"), "--canary-logs", logs["bad"]],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert missing.returncode == 4 and missing.stdout == "" and "Traceback" not in missing.stderr


def test_a_defect_while_rendering_exits_4_never_1(
    logs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import job.report

    def broken(*_args: object, **_kw: object) -> str:
        raise RuntimeError("renderer defect")

    monkeypatch.setattr(job.report, "render", broken)
    code, out, err = run("--stable-logs", logs["stable"], "--canary-logs", logs["bad"])
    assert code == 4 and out == "" and "could not analyse (internal error" in err

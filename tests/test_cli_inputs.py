"""Issue 17: every option is checked when parsed, every input is what it claims, and no user
input gets a traceback or a verdict exit code it did not earn.

Usage errors exit 2 with one line naming the option and a valid example; what cannot be read
exits 4 with one line naming it; the result never depends on a file's name.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from job.cli import main
from tests.sample_logs import web_log

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["analyze", "--no-llm", "--no-event", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def python_m_job(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    environment.pop("OLLAMA_HOST", None) if "OLLAMA_HOST" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "job", *args],
        capture_output=True, text=True, env=environment, timeout=timeout, cwd=ROOT, check=False,
    )  # fmt: skip


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def logs(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, text in {
        "stable": web_log(300, 1),
        "good": web_log(300, 2),
        "bad": web_log(300, 3, error_share=0.86),
    }.items():
        paths[name] = tmp_path / f"{name}.log"
        paths[name].write_text(text)
    return paths


CLUSTER = ("--stable-hash", "aaa", "--canary-hash", "bbb")


# ---------------------------------------------------------------- options (case 5)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--since", "³"), "--since"),
        (("--since", "٣m"), "--since"),
        (("--since", "9" * 400 + "h"), "--since"),
        (("--since", "99999999h"), "--since"),
        (("--since", "garbage"), "--since"),
        (("--llm-timeout", "0"), "--llm-timeout"),
        (("--llm-timeout", "-1"), "--llm-timeout"),
        (("--llm-timeout", "nan"), "--llm-timeout"),
        (("--llm-timeout", "inf"), "--llm-timeout"),
        (("--llm-timeout", "1e400"), "--llm-timeout"),
        (("--ollama-host", "http://[::1"), "--ollama-host"),
        (("--ollama-host", "ftp://ollama:11434"), "--ollama-host"),
        (("--ollama-host", "http://:11434"), "--ollama-host"),
        (("--llm-api", "openai"), "--llm-url"),
        (("--llm-api", "openai", "--llm-url", "vllm:8000"), "--llm-url"),
    ],
)
def test_a_bad_option_is_exit_2_in_one_line_naming_it_with_an_example(
    args: tuple[str, ...], option: str
) -> None:
    code, out, err = cli(*CLUSTER, *args)
    line = one_line(err)
    assert code == 2 and out == ""
    assert option in line and "e.g." in line


def test_a_garbage_ollama_host_from_the_environment_is_a_usage_error() -> None:
    code, _, err = cli(*CLUSTER, env={"OLLAMA_HOST": "::::garbage"})
    assert code == 2 and "OLLAMA_HOST" in one_line(err)


@pytest.mark.parametrize("command", ["analyze", "serve"])
def test_each_command_has_its_measured_default_model_and_a_named_one_wins(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from job.model import JOB_MODEL, WEB_MODEL

    def model(*args: str) -> str:
        parent = main.make_context("rollouts-ai-job", [command])
        sub = main.get_command(parent, command)
        assert sub is not None
        return str(sub.make_context(command, list(args), parent=parent).params["model"])

    monkeypatch.delenv("ROLLOUTS_AI_MODEL", raising=False)
    default = {"analyze": JOB_MODEL, "serve": WEB_MODEL}[command]
    assert model() == default
    monkeypatch.setenv("ROLLOUTS_AI_MODEL", "llama3.2:3b")
    assert model() == "llama3.2:3b"
    assert model("--model", "qwen2.5:7b-instruct") == "qwen2.5:7b-instruct"


def test_ollama_style_host_port_is_read_as_ollama_reads_it() -> None:
    from job.model import LLMConfig
    from job.options import check_llm

    assert check_llm(LLMConfig(host="ollama.ai:11434")).host == "http://ollama.ai:11434"
    assert check_llm(LLMConfig(host="ollama")).host == "http://ollama:11434"
    assert check_llm(LLMConfig(host="https://[::1]/x")).host == "https://[::1]/x"


def test_since_in_file_mode_is_refused_not_ignored(logs: dict[str, Path]) -> None:
    code, out, err = cli(
        "--stable-logs", str(logs["stable"]), "--canary-logs", str(logs["bad"]), "--since", "5m"
    )
    assert code == 2 and out == "" and "--since applies to cluster mode only" in one_line(err)


def test_a_click_level_usage_error_is_one_line_too(logs: dict[str, Path]) -> None:
    code, _, err = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(logs["bad"]), "-o", "xml")
    assert code == 2 and "--output" in one_line(err)


def test_serve_refuses_to_start_with_a_bad_model_address() -> None:
    result = python_m_job("serve", "--port", "0", "--ollama-host", "http://[::1", timeout=30)
    assert result.returncode == 2 and "--ollama-host" in one_line(result.stderr)
    result = python_m_job("serve", "--port", "0", timeout=30, OLLAMA_HOST="::::garbage")
    assert result.returncode == 2 and "OLLAMA_HOST" in one_line(result.stderr)
    result = python_m_job("serve", "--port", "0", "--analysis-deadline", "nan", timeout=30)
    assert result.returncode == 2 and "--analysis-deadline" in one_line(result.stderr)


def test_bad_options_in_a_real_process_leave_no_traceback() -> None:
    for args in (("--since", "³"), ("--since", "9" * 400 + "h"), ("--ollama-host", "http://[::1")):
        result = python_m_job("analyze", "--no-llm", "--no-event", *CLUSTER, *args)
        assert result.returncode == 2 and result.stdout == ""
        one_line(result.stderr)


def test_an_unexpected_defect_is_one_line_exit_4_with_details_only_at_debug(
    logs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import job.pipeline

    def broken(*_args: object) -> None:
        raise RuntimeError("engine defect\nwith a second line")

    monkeypatch.setattr(job.pipeline, "analyze", broken)
    code, out, err = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(logs["bad"]))
    assert code == 4 and out == "" and "engine defect" in one_line(err)


def test_stdout_on_a_full_disk_is_exit_4_without_traceback(logs: dict[str, Path]) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "job", "analyze", "--no-llm", "--no-event",
             "--stable-logs", str(logs["stable"]), "--canary-logs", str(logs["good"])],
            stdout=full, stderr=subprocess.PIPE, text=True, env=environment, timeout=60, check=False,
        )  # fmt: skip
    assert result.returncode == 4
    assert "cannot write the result to stdout" in one_line(result.stderr)


# ---------------------------------------------------------------- inputs (cases 2 and 4)


def test_the_same_file_on_both_sides_is_a_usage_error(logs: dict[str, Path], tmp_path: Path) -> None:
    link = tmp_path / "link.log"
    link.symlink_to(logs["stable"])
    for canary in (logs["stable"], link, Path(str(logs["stable"]).replace("/stable.log", "/./stable.log"))):
        code, out, err = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(canary))
        assert code == 2 and out == "" and "same file" in one_line(err)


def test_the_same_file_twice_on_one_side_is_a_usage_error(logs: dict[str, Path]) -> None:
    stable, bad = str(logs["stable"]), str(logs["bad"])
    code, _, err = cli("--stable-logs", stable, "--stable-logs", stable, "--canary-logs", bad)
    assert code == 2 and "twice" in one_line(err)


def test_identical_content_in_two_files_still_passes(logs: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy.log"
    copy.write_bytes(logs["stable"].read_bytes())
    code, out, _ = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(copy))
    assert code == 0 and json.loads(out)["verdict"] == "pass"


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress], ids=["gzip", "bzip2"])
def test_compression_is_told_by_content_not_by_name(
    logs: dict[str, Path], tmp_path: Path, compress: object
) -> None:
    rotated = tmp_path / "canary.log.1"  # logrotate's name for a compressed rotation
    rotated.write_bytes(compress(logs["bad"].read_bytes()))  # type: ignore[operator]
    code, out, _ = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(rotated))
    assert code == 1 and json.loads(out)["verdict"] == "fail"


def test_zstd_is_refused_with_the_fix(logs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "canary.log.1"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(200))
    code, out, err = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(path))
    assert code == 4 and out == "" and "zstd" in one_line(err) and "canary.log.1" in err


def test_random_bytes_as_the_canary_log_are_refused_naming_the_file(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    noise = tmp_path / "canary.log"
    noise.write_bytes(random.Random(7).randbytes(2 * 1024 * 1024))
    code, out, err = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(noise))
    assert code == 4 and out == ""
    assert "canary.log" in one_line(err) and "not text" in err


def test_a_text_head_with_a_binary_tail_is_caught_while_streaming(
    logs: dict[str, Path], tmp_path: Path
) -> None:
    mixed = tmp_path / "canary.log"
    mixed.write_bytes(logs["good"].read_bytes() * 10 + random.Random(8).randbytes(3 * 1024 * 1024))
    code, out, err = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(mixed))
    assert code == 4 and out == "" and "not text" in one_line(err) and "at byte" in err


def test_legacy_8_bit_text_is_still_read(logs: dict[str, Path], tmp_path: Path) -> None:
    latin = tmp_path / "canary.log"
    latin.write_bytes(logs["good"].read_text().replace("colour", "couleur-é").encode("latin-1"))
    code, out, _ = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(latin))
    assert code == 0 and json.loads(out)["verdict"] == "pass"


def test_a_fifo_without_a_writer_is_refused_at_once(logs: dict[str, Path], tmp_path: Path) -> None:
    fifo = tmp_path / "canary.fifo"
    os.mkfifo(fifo)
    result = python_m_job(
        "analyze", "--no-llm", "--no-event", "--stable-logs", str(logs["stable"]), "--canary-logs", str(fifo),
        timeout=30,
    )  # fmt: skip
    assert result.returncode == 4 and "FIFO" in one_line(result.stderr)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused_before_any_read(logs: dict[str, Path], device: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    code, _, err = cli("--stable-logs", str(logs["stable"]), "--canary-logs", device)
    assert code == 4 and "character device" in one_line(err)


def test_a_socket_is_refused(logs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        code, _, err = cli("--stable-logs", str(logs["stable"]), "--canary-logs", str(path))
    assert code == 4 and "is a socket" in one_line(err)

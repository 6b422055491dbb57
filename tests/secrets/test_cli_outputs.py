"""The real `analyze` command, as Argo runs it: every kind of secret, in several formats, in the
canary's log file; a (fake) model gets the prompt over HTTP, the Event goes to a (fake) API
server. No secret is in stdout (JSON or text), stderr (the tool's logs at debug level), the
termination message, the Event or the prompt sent to the model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from job.cli import main
from tests.fake_ollama import FakeOllama, ollama_reply
from tests.kube.fake_api import FakeCluster
from tests.kube.test_publish import NS, analysis_job_pod
from tests.llm.cases import GOOD_FAIL
from tests.sample_logs import web_log
from tests.secrets.corpus import FORMATS, KINDS
from tests.secrets.outputs import leaked


@pytest.fixture
def secret_logs(tmp_path: Path) -> tuple[str, str, list[str]]:
    rng = random.Random(17)
    records, secrets = [], []
    for i, kind in enumerate(sorted(KINDS)):
        for fmt in ("plain", "json", "python-traceback"):
            message, hidden = KINDS[kind].make(rng)
            records.append(FORMATS[fmt](message, i))
            secrets += hidden
    stable, canary = tmp_path / "stable.log", tmp_path / "canary.log"
    stable.write_text(web_log(300, 1))
    canary.write_text(web_log(300, 2) + "\n".join(records) + "\n")
    return str(stable), str(canary), secrets


@pytest.mark.parametrize("output", ["json", "text"])
def test_no_secret_in_any_output_of_the_command(
    output: str,
    secret_logs: tuple[str, str, list[str]],
    cluster: FakeCluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stable, canary, secrets = secret_logs
    analysis_job_pod(cluster)
    monkeypatch.setenv("POD_NAME", "judge-x7k")
    monkeypatch.setenv("POD_NAMESPACE", NS)
    termination = tmp_path / "termination-log"
    with FakeOllama([ollama_reply(GOOD_FAIL)]) as model:
        result = CliRunner().invoke(
            main,
            ["--log-level", "debug", "analyze", "--stable-logs", stable, "--canary-logs", canary,
             "-o", output, "--ollama-host", model.url, "--termination-log", str(termination)],
        )  # fmt: skip
        prompts = [json.dumps(body) for body in model.requests]
    assert result.exit_code == 1, result.output  # fail: the canary's errors are still seen
    assert prompts and cluster.events
    found = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "termination message": termination.read_text(),
        "event": json.dumps(cluster.events),
        "prompt sent to the model": "\n".join(prompts),
    }
    assert "[REDACTED]" in result.stdout and "[REDACTED]" in found["prompt sent to the model"]
    leaks = [leak for secret in secrets for leak in leaked(found, secret)]
    assert leaks == []


def test_a_password_in_the_model_url_stays_out_of_the_result_and_logs(
    secret_logs: tuple[str, str, list[str]], tmp_path: Path
) -> None:
    """An unreachable model server named with credentials: the error is reported, the password not."""
    stable, canary, _ = secret_logs
    result = CliRunner().invoke(
        main,
        ["--log-level", "debug", "analyze", "--stable-logs", stable, "--canary-logs", canary, "--no-event",
         "--ollama-host", "http://ops:Zq8vN3xL5pR2@127.0.0.1:9", "--llm-timeout", "2",
         "--termination-log", str(tmp_path / "t")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert json.loads(result.stdout)["llm"]["error"]
    for text in (result.stdout, result.stderr, (tmp_path / "t").read_text()):
        assert "Zq8vN3xL5pR2" not in text

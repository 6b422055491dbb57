"""`analyze --report PATH.html`: the page is written, the verdict and exit code are unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from job import cli
from tests.render.cases import CORPUS


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, ["analyze", "--no-llm", "--no-event", *args])
    return result.exit_code, result.stdout, result.stderr


def sides(scenario: str) -> list[str]:
    root = CORPUS / scenario
    args = []
    for side in ("stable", "canary"):
        for path in sorted((root / side).glob("*.log")):
            args += [f"--{side}-logs", str(path)]
    return args


def test_the_report_is_written_beside_the_verdict(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    code, out, _ = run(
        *sides("rd-bad-5xx"), "--report", str(report), "--termination-log", str(tmp_path / "t")
    )
    assert code == 1 and json.loads(out)["verdict"] == "fail"
    page = report.read_text()
    assert '<span class="word">FAIL</span>' in page and "rd-bad-5xx" in page
    assert "reportUrl" not in json.loads(out), "no URL for a file on disk"


def test_a_report_that_cannot_be_written_is_a_warning_not_a_changed_verdict(tmp_path: Path) -> None:
    code, out, err = run(*sides("rd-good-colour"), "--report", str(tmp_path / "missing" / "r.html"),
                         "--termination-log", str(tmp_path / "t"))  # fmt: skip
    assert code == 0 and json.loads(out)["verdict"] == "pass"
    assert "could not write the report to" in err and "Traceback" not in err

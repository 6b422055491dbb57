"""The Job template's optional Prometheus wiring: empty means logs only, a URL turns metrics on."""

from __future__ import annotations

from click.testing import CliRunner

from job.cli import main
from tests.schemas import PROJECT_ROOT, load_documents

DEMO = PROJECT_ROOT / "examples" / "rollouts-demo"


def job_env() -> dict[str, str]:
    (template,) = load_documents(PROJECT_ROOT / "templates" / "analysistemplate-job.yaml")
    container = template["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["spec"]["containers"][0]
    args = {a["name"]: a.get("value") for a in template["spec"]["args"]}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["ROLLOUTS_AI_PROMETHEUS_URL"] == "{{args.prometheus-url}}" and args["prometheus-url"] == ""
    return {"ROLLOUTS_AI_PROMETHEUS_URL": args["prometheus-url"]}


def analyze(env: dict[str, str]) -> dict:
    import json

    result = CliRunner().invoke(
        main,
        ["analyze", "--no-llm", "--no-event", "--stable-logs", str(DEMO / "stable.log"),
         "--canary-logs", str(DEMO / "canary-good.log")],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_default_argument_keeps_the_job_on_logs_only() -> None:
    assert analyze(job_env())["evidence"]["metrics"] == []


def test_a_url_in_the_argument_turns_metrics_on() -> None:
    # file mode has no pods to select the sides by: every signal is NoData, and a note says why
    document = analyze({"ROLLOUTS_AI_PROMETHEUS_URL": "http://127.0.0.1:1"})
    assert {m["classification"] for m in document["evidence"]["metrics"]} == {"NoData"}
    assert any(n.startswith("metrics not read") for n in document["evidence"]["notes"])

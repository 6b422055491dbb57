"""Every output of one analysis, as text, so tests can assert a secret reached none of them.

In process (fast, for the corpus and the property tests): the JSON result, the text report, the
HTML report, the prompt the model would get (build_prompt), the termination message and the Event
message built from it, and the tool's own JSON log lines at debug level. `cli_outputs` runs the real command
with a fake model and a fake API server, for the same outputs as a user and Argo see them.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from job.evidence import build_evidence
from job.judge import judge
from job.judge.prompt import build_prompt
from job.logs import configure
from job.model import LLMConfig, LogStream, SideSnapshot, Snapshot
from job.publish import EVENT_MESSAGE_LIMIT, Outcome
from job.render.html import render_html
from job.report import cut_to_bytes, render

EXIT_CODES = {"pass": 0, "fail": 1, "inconclusive": 3}


def snapshot(stable: str | bytes, canary: str | bytes, chunk: int = 4096) -> Snapshot:
    def stream(name: str, data: str | bytes) -> LogStream:
        raw = data.encode() if isinstance(data, str) else data
        return LogStream(name=name, open=lambda: (raw[i : i + chunk] for i in range(0, len(raw), chunk)))

    return Snapshot(
        stable=SideSnapshot(streams=[stream("stable", stable)]),
        canary=SideSnapshot(streams=[stream("canary", canary)]),
    )


@contextmanager
def tool_logs() -> Iterator[io.StringIO]:
    """The tool's own JSON log lines at debug level, as `--log-level debug` writes them."""
    root = logging.getLogger("job")
    saved = (root.handlers[:], root.level, root.propagate)
    captured = io.StringIO()
    configure("debug")
    root.handlers[0].setStream(captured)  # type: ignore[attr-defined]
    try:
        yield captured
    finally:
        root.handlers[:], root.level, root.propagate = saved[0], saved[1], saved[2]


def outputs(stable: str | bytes, canary: str | bytes) -> dict[str, str]:
    """name -> text of every output of an evidence-only analysis of these logs."""
    with tool_logs() as logs:
        evidence = build_evidence(snapshot(stable, canary))
        verdict = judge(evidence, LLMConfig(enabled=False))
        prompt = build_prompt(evidence, verdict)
        outcome = Outcome.from_verdict(verdict, EXIT_CODES[verdict.verdict])
        result = {
            "json": render(verdict, "json"),
            "text": render(verdict, "text"),
            "html report": render_html(verdict),
            "prompt": prompt.system + "\n" + prompt.user,
            "termination message": outcome.text,
            "event message": cut_to_bytes(outcome.text, EVENT_MESSAGE_LIMIT),
        }
    result["tool logs"] = logs.getvalue()
    return result


def leaked(found: dict[str, str], secret: str, chunk: int = 10) -> list[str]:
    """Outputs holding `secret` or any `chunk`-character piece of it (a template that masked part
    of a secret keeps the rest)."""
    pieces = {secret} | {secret[i : i + chunk] for i in range(0, max(len(secret) - chunk, 0) + 1, chunk)}
    return [f"{name}: {piece!r}" for name, text in found.items() for piece in pieces if piece in text]

"""Property tests: random secrets of every corpus kind, at random places in real log lines (from
tests/corpus, written by real programs), never reach an output, and never hide a failure."""

from __future__ import annotations

import json
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from job.evidence.redact import redact_lines
from tests.secrets.corpus import FORMATS, KINDS, formats_for
from tests.secrets.outputs import leaked, outputs

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
# one canary and its stable of each format: JSON, logfmt, Go, klog, nginx, Java, gunicorn, Django, pino
SOURCES = ("json-error-burst", "logfmt-good", "go-handler-panic", "klog-controller-good",
           "nginx-upstream-500", "java-npe-burst", "gunicorn-500", "django-style-exception-burst",
           "pino-error-burst")  # fmt: skip


def _lines(side: str, per_source: int = 60) -> list[str]:
    lines: list[str] = []
    for name in SOURCES:
        path = sorted((CORPUS / name / side).glob("*.log"))[0]
        lines += [line for line in path.read_text(errors="replace").splitlines() if line.strip()][:per_source]
    return lines


STABLE, CANARY = _lines("stable"), _lines("canary")
PROPERTY = settings(
    derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _insert(line: str, text: str, where: int) -> str:
    """`text` between two words of `line` (or at its start or end). A multi-line text (a PEM block)
    goes at the end, as a program prints one: its last line is never glued to the next record."""
    words = line.split(" ")
    at = len(words) if "\n" in text else where % (len(words) + 1)
    return " ".join([*words[:at], text, *words[at:]])


def _placed(placed: list[tuple[tuple[str, int], int, int]]) -> tuple[list[str], list[str]]:
    """The canary's real lines with the secrets placed in them, and the parts that must not leak."""
    lines = list(CANARY)
    hidden: list[str] = []
    for (kind, seed), row, where in placed:
        text, parts = KINDS[kind].make(random.Random(seed))
        lines[row] = _insert(lines[row], text, where)
        hidden += parts
    return lines, hidden


secrets = st.tuples(st.sampled_from(sorted(KINDS)), st.integers(0, 2**32))
# (kind and seed, line, word position): one secret a line, so no secret splits another from its name
PLACED = st.tuples(secrets, st.integers(0, len(CANARY) - 1), st.integers(0, 40))


@settings(PROPERTY, max_examples=200)
@given(placed=st.lists(PLACED, min_size=1, max_size=4, unique_by=lambda p: p[1]))
def test_a_secret_anywhere_in_a_real_line_is_redacted(placed: list[tuple[tuple[str, int], int, int]]) -> None:
    lines, hidden = _placed(placed)
    out = "\n".join(redact_lines("\n".join(lines).split("\n")))
    for part in hidden:
        assert leaked({"lines": out}, part) == []


@settings(PROPERTY, max_examples=15)
@given(
    placed=st.lists(PLACED, min_size=1, max_size=3, unique_by=lambda p: p[1]),
    failure=st.sampled_from(["5xx", "panic"]),
    fmt=st.integers(0, len(FORMATS) - 1),
)
def test_no_secret_in_any_output_and_a_failing_canary_never_passes(
    placed: list[tuple[tuple[str, int], int, int]], failure: str, fmt: int
) -> None:
    lines, hidden = _placed(placed)
    rng = random.Random(len(hidden))
    if failure == "5xx":  # a burst of HTTP 500s, each carrying a secret of the first kind
        kind = placed[0][0][0]
        for i in range(80):
            text, parts = KINDS[kind].make(rng)
            lines.append(FORMATS["access"](text.replace("\n", " "), i))
            hidden += parts
    else:  # a crash whose message carries a secret
        text, parts = KINDS[placed[0][0][0]].make(rng)
        lines.append(FORMATS["go-panic"](text, 1))
        hidden += parts
    last = KINDS[placed[-1][0][0]]
    text, parts = last.make(rng)
    formats = formats_for(last)
    lines.append(FORMATS[formats[fmt % len(formats)]](text, 2))
    hidden += parts
    found = outputs("\n".join(STABLE) + "\n", "\n".join(lines) + "\n")
    for part in hidden:
        assert leaked(found, part) == []
    assert json.loads(found["json"])["verdict"] != "pass"

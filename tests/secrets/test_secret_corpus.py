"""Every kind of secret in tests/secrets/corpus.py, in every log format it shows up in, is
redacted as it is read and reaches none of the tool's outputs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from job.evidence.lines import LineReader
from job.evidence.redact import REDACTED, redact_lines
from tests.sample_logs import web_log
from tests.secrets.corpus import FORMATS, KINDS, formats_for
from tests.secrets.outputs import leaked, outputs

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CASES = [(kind, fmt) for kind in sorted(KINDS) for fmt in formats_for(KINDS[kind])]


def test_the_corpus_has_at_least_30_kinds_in_several_formats() -> None:
    assert len(KINDS) >= 30
    assert all(len(formats_for(kind)) >= 5 for kind in KINDS.values())


def read(text: str) -> list[str]:
    """The lines as the evidence stage reads them: bytes in, redacted lines out."""
    return list(redact_lines(LineReader([text.encode()])))


@pytest.mark.parametrize(("kind", "fmt"), CASES)
def test_secret_is_redacted_as_it_is_read(kind: str, fmt: str) -> None:
    message, secrets = KINDS[kind].make(random.Random(f"{kind}/{fmt}"))
    record = FORMATS[fmt](message, 7)
    lines = read(record)
    text = "\n".join(lines)
    for secret in secrets:
        assert leaked({"lines": text}, secret) == []
    assert REDACTED in text
    assert len(lines) == sum(1 for line in record.split("\n") if line.strip())  # one line out per line in
    if fmt == "json":
        assert json.loads(lines[0])["level"] == "error"  # still JSON, still an error


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_secret_reaches_no_output_and_the_failure_stays_visible(kind: str) -> None:
    rng = random.Random(kind)
    records, secrets = [], []
    for i, fmt in enumerate(formats_for(KINDS[kind]) * 2):
        message, hidden = KINDS[kind].make(rng)
        records.append(FORMATS[fmt](message, i))
        secrets += hidden
    found = outputs(web_log(150, 1), web_log(150, 2) + "\n".join(records) + "\n")
    for secret in secrets:
        assert leaked(found, secret) == [], kind
    document = json.loads(found["json"])
    assert REDACTED in found["json"]
    assert document["verdict"] != "pass"  # redaction hid no error, crash or 5xx


def test_real_logs_without_secrets_pass_unchanged() -> None:
    """The 100k lines of tests/corpus (real programs, no secrets): redaction changes none, so no
    template loses a word to a false alarm."""
    changed = []
    for path in sorted(CORPUS.glob("*/*/*.log")):
        lines = [line for line in path.read_text(errors="replace").split("\n") if line.strip()]
        changed += [(path.name, a) for a, b in zip(lines, redact_lines(lines), strict=True) if a != b]
    assert changed == []

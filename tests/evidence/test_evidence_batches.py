"""The evidence stage reads a stream's events in batches (job/evidence/__init__.py, BATCH_EVENTS):
the Evidence must be the same whatever the batch's size, and a batch of long lines stays small."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import job.evidence
from job.evidence import _batches, build_evidence
from job.evidence.events import Event
from job.evidence.parse import Parsed
from job.model import Evidence, LogStream, SideSnapshot, Snapshot
from tests.sample_logs import web_log

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _stream(name: str, text: bytes, requests_only: bool = False) -> LogStream:
    # small chunks, so that batches and chunks end at different events
    return LogStream(
        name=name,
        open=lambda: (text[i : i + 997] for i in range(0, len(text), 997)),
        requests_only=requests_only,
    )


def _scenario(name: str) -> Snapshot:
    def side(folder: str) -> SideSnapshot:
        files = sorted((CORPUS / name / folder).glob("*.log"))
        return SideSnapshot(streams=[_stream(f.name, f.read_bytes()) for f in files])

    return Snapshot(stable=side("stable"), canary=side("canary"))


def _with_proxy() -> Snapshot:
    """A canary pod of two streams: the app's own log and its mesh proxy's, whose own lines (no
    request) are left out."""
    proxy = "".join(
        f'[2024-05-01T12:00:{i % 60:02d}.000Z] "GET /color HTTP/1.1" {500 if i % 3 else 200} '
        f'- 0 7 {i} - "-"\n'
        f"[2024-05-01 12:00:{i % 60:02d}.500][15][info][upstream] cds: add 1 cluster(s)\n"
        for i in range(300)
    ).encode()
    return Snapshot(
        stable=SideSnapshot(streams=[_stream("app", web_log(300, 1).encode())]),
        canary=SideSnapshot(
            streams=[_stream("app", web_log(300, 2).encode()), _stream("proxy", proxy, requests_only=True)]
        ),
    )


def _evidence(snapshot: Snapshot, batch: int, monkeypatch: pytest.MonkeyPatch) -> Evidence:
    monkeypatch.setattr(job.evidence, "BATCH_EVENTS", batch)
    return build_evidence(snapshot)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: _scenario("restart-loop-segfault"), id="restarts"),
        pytest.param(lambda: _scenario("restart-pods-concatenated-good"), id="pods-concatenated"),
        pytest.param(lambda: _scenario("py-canary-goes-quiet"), id="quiet-canary"),
        pytest.param(_with_proxy, id="mesh-proxy"),
    ],
)
def test_the_evidence_does_not_depend_on_the_batch_size(make, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    whole = _evidence(make(), 256, monkeypatch)
    # what each case is there for is in its Evidence: restarts, start-ups, activity, the proxy's requests
    assert whole.activity is not None and whole.canary.events > 0
    for size in (1, 7):
        assert dataclasses.asdict(_evidence(make(), size, monkeypatch)) == dataclasses.asdict(whole), size


def test_the_cases_cover_what_batches_could_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases above hold restarts, a quiet canary and a proxy's requests (so the equality above
    is not over Evidence without them)."""
    restarts = _evidence(_scenario("restart-loop-segfault"), 256, monkeypatch)
    assert restarts.canary.log_restarts > 0
    quiet = _evidence(_scenario("py-canary-goes-quiet"), 256, monkeypatch)
    assert (
        quiet.activity is not None
        and quiet.activity.quiet_p_value is not None
        and quiet.activity.quiet_p_value < 0.01
    )
    proxy = _evidence(_with_proxy(), 256, monkeypatch)
    assert proxy.canary.requests == 300 + 300 and proxy.canary.http_status["500"] == 200


def _event(head: str, status: int | None = 200, extra: list[str] | None = None) -> Event:
    return Event(head, Parsed("info", head[:20], status, None), 1 + len(extra or []), extra, False)


def test_a_batch_of_long_lines_ends_at_its_text_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job.evidence, "BATCH_CHARS", 1000)
    events = [_event("x" * 400) for _ in range(7)] + [_event("y", extra=["z" * 2000]), _event("w")]
    batches = list(_batches(iter(events), requests_only=False))
    assert [len(b) for b in batches] == [3, 3, 2, 1]  # 1200 chars, 1200, 400 + 1 + 2000, the rest
    assert [e for b in batches for e in b] == events  # each event once, in order


def test_batches_hold_at_most_batch_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job.evidence, "BATCH_EVENTS", 4)
    events = [_event(f"line {i}") for i in range(10)]
    assert [len(b) for b in _batches(iter(events), requests_only=False)] == [4, 4, 2]


def test_a_proxy_stream_keeps_only_its_requests() -> None:
    events = [_event("a"), _event("own line", status=None), _event("b")]
    assert [e.head for b in _batches(iter(events), requests_only=True) for e in b] == ["a", "b"]
    assert [e.head for b in _batches(iter(events), requests_only=False) for e in b] == ["a", "own line", "b"]

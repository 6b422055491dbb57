from __future__ import annotations

from collections.abc import Callable

import pytest

from job.evidence import build_evidence
from job.model import Evidence, LogStream, SideSnapshot, Snapshot


def snapshot(stable: str | bytes, canary: str | bytes, chunk: int = 4096) -> Snapshot:
    def stream(name: str, data: str | bytes) -> LogStream:
        raw = data.encode() if isinstance(data, str) else data
        return LogStream(name=name, open=lambda: (raw[i : i + chunk] for i in range(0, len(raw), chunk)))

    return Snapshot(stable=SideSnapshot(streams=[stream("stable", stable)]),
                    canary=SideSnapshot(streams=[stream("canary", canary)]))  # fmt: skip


@pytest.fixture
def evidence_of() -> Callable[[str | bytes, str | bytes], Evidence]:
    return lambda stable, canary: build_evidence(snapshot(stable, canary))

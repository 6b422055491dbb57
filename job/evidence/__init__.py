"""Evidence stage: Snapshot in, Evidence out (templates, per-side rates, tests, redaction)."""

from __future__ import annotations

from job.model import Evidence, Snapshot


def build_evidence(snapshot: Snapshot) -> Evidence:
    raise NotImplementedError("evidence stage: issue 2")

"""Evidence for rule and policy tests: from realistic generated logs, or by hand for edge cases."""

from __future__ import annotations

import random

from job.evidence import build_evidence
from job.model import DurationStats, Evidence, LogStream, PodSignal, SideSnapshot, SideStats, Snapshot


def json_service(
    events: int, seed: int, errors: dict[str, float] | None = None, new_info: bool = False
) -> str:
    """A JSON-logging service; `errors` maps an error message to its share of events."""
    rng = random.Random(seed)
    out = []
    for i in range(events):
        roll, message, level = rng.random(), "order placed", "info"
        for text, share in (errors or {}).items():
            if roll < share:
                message, level = text, "error"
                break
            roll -= share
        if level == "info" and new_info and rng.random() < 0.1:
            message = "feature flag new-checkout evaluated"
        out.append(
            f'{{"ts":"2024-05-01T12:00:{i % 60:02d}Z","level":"{level}","msg":"{message}",'
            f'"order_id":"{rng.getrandbits(48):012x}","user":{rng.randrange(10**6)}}}'
        )
    return "\n".join(out) + "\n"


def evidence_from_logs(stable: str, canary: str) -> Evidence:
    def stream(name: str, text: str) -> LogStream:
        data = text.encode()
        return LogStream(name=name, open=lambda: iter([data]))

    return build_evidence(
        Snapshot(stable=SideSnapshot(streams=[stream("stable", stable)]),
                 canary=SideSnapshot(streams=[stream("canary", canary)]))
    )  # fmt: skip


def side(
    events: int = 1000,
    errors: int = 0,
    http: dict[str, int] | None = None,
    durations: DurationStats | None = None,
    crashes: int = 0,
    signals: list[PodSignal] | None = None,
) -> SideStats:
    stats = SideStats(
        streams=1, lines=events, events=events, levels={"info": events - errors, "error": errors}
    )
    stats.http_status = dict(http or {})
    stats.requests = sum(stats.http_status.values())
    if stats.requests:
        stats.http_5xx_share = sum(n for c, n in stats.http_status.items() if c[0] == "5") / stats.requests
        stats.http_4xx_share = sum(n for c, n in stats.http_status.items() if c[0] == "4") / stats.requests
    stats.error_share = errors / events if events else 0.0
    stats.durations = durations
    stats.crashes = crashes
    stats.crash_examples = ["panic: boom\ngoroutine 1 [running]:"] * min(crashes, 3)
    stats.signals = list(signals or [])
    return stats


def evidence(stable: SideStats | None = None, canary: SideStats | None = None, **fields: object) -> Evidence:
    return Evidence(stable=stable or side(), canary=canary or side(), **fields)  # type: ignore[arg-type]

"""Generated pod logs that tests of several stages read."""

from __future__ import annotations

import random
from pathlib import Path

from job.judge.known import parse_text
from job.model import AnalysisRequest, FileSource, LLMConfig, Verdict


def web_log(
    requests: int, seed: int, error_share: float = 0.0, slow: float = 1.0, colour: str = "blue"
) -> str:
    """A Go web service: an access line and an app line per request (rollouts-demo behind nginx)."""
    rng = random.Random(seed)
    lines = ["2024/05/01 12:00:00 Started server on :8080"]
    for i in range(requests):
        status = 500 if rng.random() < error_share else 200
        ms = rng.lognormvariate(2.5, 0.3) * slow
        lines.append(
            f"10.0.{rng.randrange(9)}.{rng.randrange(255)} - - "
            f"[01/May/2024:12:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
            f'"GET /color HTTP/1.1" {status} 7 "-" "Go-http-client/1.1" rt={ms / 1000:.3f}'
        )
        lines.append(
            f"2024/05/01 12:{i // 60 % 60:02d}:{i % 60:02d} request_id={rng.getrandbits(64):016x} "
            f"colour={colour} took {ms:.2f}ms"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- known noise (acknowledge files)

NOISE = "metrics export to otel-collector:{n} failed: connection refused (attempt {n})"
NOISE_PATTERN = "metrics export to otel-collector:<NUM> failed: connection refused (attempt <NUM>)"
REAL = "order {n} failed: KeyError 'coupon'"


def service_log(
    requests: int,
    seed: int,
    extra: tuple[tuple[str, str, float], ...] = (),
    status5xx: float = 0.0,
    status404: float = 0.0,
) -> str:
    """A logfmt web service: one access line per request, and `extra` (level, message, share) lines."""
    rng = random.Random(seed)
    lines = []
    for i in range(requests):
        ts = f"2024-05-01T12:{i // 60 % 60:02d}:{i % 60:02d}Z"
        roll = rng.random()
        status = 500 if roll < status5xx else 404 if roll < status5xx + status404 else 200
        route = "/favicon.ico" if status == 404 else f"/api/cart/{i % 17}"
        lines.append(
            f'time="{ts}" level=info msg="GET {route} {status}" status={status} duration_ms={20 + i % 7}'
        )
        for level, message, share in extra:
            if rng.random() < share:
                lines.append(f'time="{ts}" level={level} msg="{message.format(n=rng.randrange(1, 9999))}"')
    return "\n".join(lines) + "\n"


def judged(tmp_path: Path, stable: str, canary: str, acks: str | None) -> Verdict:
    (tmp_path / "stable.log").write_text(stable)
    (tmp_path / "canary.log").write_text(canary)
    source = FileSource((str(tmp_path / "stable.log"),), (str(tmp_path / "canary.log"),))
    from job.pipeline import analyze  # the whole pipeline: imported when used, like bench/accuracy.py

    known = parse_text(acks, "acknowledge file 'acks.yaml'") if acks is not None else None
    return analyze(AnalysisRequest(source=source, llm=LLMConfig(enabled=False), acknowledgements=known))


IGNORE_NOISE = f"""
acknowledge:
  - pattern: '{NOISE_PATTERN}'
    action: ignore
    reason: the collector is not deployed in this cluster yet (OBS-77)
    expires: 2999-12-31
"""
STABLE = service_log(400, 1)
NOISY_CANARY = service_log(400, 2, (("error", NOISE, 0.3),))

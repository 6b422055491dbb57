"""Generated pod logs that tests of several stages read."""

from __future__ import annotations

import random


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

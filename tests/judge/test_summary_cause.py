"""The summary names the top finding and its most likely cause; a route only when it concentrates."""

from __future__ import annotations

import random

from judge_helpers import evidence_from_logs

from job.judge.policy import decide
from job.judge.rules import http_5xx, run_rules

ROUTES = ("/api/items/{}", "/api/users/{}", "/api/orders/{}", "/api/cart/{}", "/api/search")


def service(
    requests: int,
    seed: int,
    fail_share: float = 0.0,
    failing_routes: tuple[int, ...] = (0, 1, 2, 3, 4),
    cause: str | None = None,
) -> str:
    """JSON access lines over five routes; `fail_share` of the requests on `failing_routes` answer 500,
    each preceded by the error `cause` when given."""
    rng = random.Random(seed)
    lines = []
    for _ in range(requests):
        route = rng.randrange(len(ROUTES))
        path = ROUTES[route].format(rng.randrange(1000))
        status = 500 if route in failing_routes and rng.random() < fail_share else 200
        if status == 500 and cause:
            lines.append(f'{{"level":"error","msg":"{cause}","request_id":"{rng.getrandbits(32):08x}"}}')
        lines.append(f'{{"level":"info","method":"GET","path":"{path}","status":{status},"duration_ms":12}}')
    return "\n".join(lines) + "\n"


def test_errors_spread_evenly_over_routes_name_no_route() -> None:
    found = evidence_from_logs(service(1000, 1), service(600, 2, fail_share=0.15))
    [finding] = http_5xx(found)
    assert finding.severity in ("critical", "major") and "most on" not in finding.message


def test_errors_on_one_route_name_it() -> None:
    found = evidence_from_logs(service(1000, 1), service(600, 2, fail_share=0.6, failing_routes=(1,)))
    [finding] = http_5xx(found)
    assert "most on GET /api/users/<NUM>" in finding.message


def test_the_summary_names_the_5xx_and_the_error_behind_it_in_one_sentence() -> None:
    cause = "upstream inventory: dial tcp 10.0.0.7:8080: connect: connection refused"
    found = evidence_from_logs(service(1000, 1), service(600, 2, fail_share=0.2, cause=cause))
    verdict = decide(found, run_rules(found))
    assert verdict.verdict == "fail"
    first = verdict.summary.split(". ")[0]
    assert first.startswith("Canary returns HTTP 5xx") and "most likely cause: upstream inventory" in first
    assert "connection refused" in first and "never in stable" in first


def test_a_finding_that_quotes_its_message_gets_no_extra_cause() -> None:
    crash = (
        "panic: runtime error: invalid memory address or nil pointer dereference\ngoroutine 1 [running]:\n"
    )
    found = evidence_from_logs(service(500, 1), service(500, 2) + crash)
    verdict = decide(found, run_rules(found))
    assert verdict.summary.startswith("Canary has 1 crash") and "most likely cause" not in verdict.summary

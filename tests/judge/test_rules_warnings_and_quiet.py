"""Failing warnings, quiet services and start-up failures: signals a thin or warning-only log carries."""

import random

import pytest
from judge_helpers import evidence, evidence_from_logs, json_service, side

from job.judge.policy import decide
from job.judge.rules import error_share, failing_warnings, new_templates, run_rules, too_few_data
from tests.sample_logs import web_log


def db_log(sessions: int, seed: int, warning: str | None = None, warnings: int = 0) -> str:
    """A database server's error log: start-up notes, one line per session, `warnings` extra warnings."""
    lines = [
        "2026-11-26 06:43:33 0 [Note] Starting MariaDB 10.11.19 as process 15730",
        "2026-11-26 06:43:33 0 [Note] InnoDB: Completed initialization of buffer pool",
        "2026-11-26 06:43:33 0 [Warning] Could not increase number of max_open_files to more than 20000",
        "2026-11-26 06:43:33 0 [Note] mariadbd: ready for connections.",
    ]
    lines += [f"2026-11-26 06:43:{i % 60:02d} {i + seed} [Note] session {i} closed" for i in range(sessions)]
    lines += [f"2026-11-26 06:44:{i % 60:02d} {i + 100} [Warning] {warning}" for i in range(warnings)]
    lines.append("2026-11-26 06:45:00 0 [Note] mariadbd: Shutdown complete")
    return "\n".join(lines) + "\n"


def verdict_of(ev):  # type: ignore[no-untyped-def]
    return decide(ev, run_rules(ev))


DENIED = "Access denied for user 'shop'@'localhost' (using password: YES)"


def test_a_burst_of_new_failure_warnings_is_major_and_fails_even_against_a_short_stable_log() -> None:
    ev = evidence_from_logs(db_log(20, 1), db_log(20, 2, DENIED, 80))
    assert ev.stable.events < 30  # the stable logged its lifecycle only
    [finding] = failing_warnings(ev)
    assert (
        finding.severity == "major"
        and "Access denied" in finding.message
        and "never in stable" in finding.message
    )
    assert not [f for f in new_templates(ev) if f.kind == "new-warning"]  # reported once, not twice
    assert verdict_of(ev).verdict == "fail"


def test_memory_pressure_warnings_are_major() -> None:
    heap = "Heap usage 91% (233MB of the 256MB limit), render cache holds 753 documents"
    ev = evidence_from_logs(web_log(400, 1), web_log(400, 2) + "".join(
        f"2024-05-01 12:00:{i % 60:02d}.000  WARN 1 --- [memory-watcher] c.e.MemoryWatcher : {heap}\n"
        for i in range(30)
    ))  # fmt: skip
    assert [f.severity for f in failing_warnings(ev)] == ["major"]
    assert verdict_of(ev).verdict == "fail"


def test_a_new_warning_without_a_failure_word_stays_minor() -> None:
    note = "DeprecationWarning: Buffer() is deprecated; use Buffer.from()"
    ev = evidence_from_logs(db_log(200, 1), db_log(200, 2, note, 40))
    assert failing_warnings(ev) == []
    assert [f.severity for f in new_templates(ev) if f.kind == "new-warning"] == ["minor"]
    assert verdict_of(ev).verdict == "pass"


def test_a_rare_failure_warning_is_not_major() -> None:
    ev = evidence_from_logs(db_log(3000, 1), db_log(3000, 2, "connection refused by replica, retrying", 4))
    assert failing_warnings(ev) == []


def test_a_quiet_service_alike_on_both_sides_passes() -> None:
    ev = evidence_from_logs(db_log(20, 1), db_log(20, 2))
    assert 20 <= ev.canary.events < 30
    assert [f.kind for f in too_few_data(ev)] == ["quiet-service"]
    assert verdict_of(ev).verdict == "pass"


def test_a_canary_far_quieter_than_its_stable_is_still_thin() -> None:
    result = verdict_of(evidence_from_logs(db_log(400, 1), db_log(20, 2)))
    assert result.verdict == "inconclusive" and "canary has" in result.summary


def test_a_handful_of_lines_on_both_sides_is_still_thin() -> None:
    result = verdict_of(evidence_from_logs(db_log(5, 1), db_log(5, 2)))
    assert result.verdict == "inconclusive"


def test_a_major_finding_with_enough_canary_events_fails_against_a_thin_stable() -> None:
    from job.model import Finding

    major = Finding("http-5xx", "major", "canary", "canary returns HTTP 5xx on 12% of requests")
    assert decide(evidence(stable=side(events=12), canary=side(events=800)), [major]).verdict == "fail"
    assert (
        decide(evidence(stable=side(events=800), canary=side(events=12)), [major]).verdict == "inconclusive"
    )


def test_a_canary_that_logs_nothing_but_the_same_start_up_error_is_critical() -> None:
    failure = 'ERROR:    Error loading ASGI app. Could not import module "asgi_app".\n'
    ev = evidence_from_logs(web_log(300, 1), failure * 3)
    [finding] = error_share(ev)
    assert finding.severity == "critical" and "100%" in finding.message
    assert verdict_of(ev).verdict == "fail"


def test_two_errors_among_three_lines_are_not_enough_for_error_share() -> None:
    canary = "INFO: started\nERROR: cache warm-up failed\nERROR: cache warm-up failed\n"
    assert error_share(evidence_from_logs(web_log(300, 1), canary)) == []


def test_a_full_connection_pool_warning_is_not_a_failing_one() -> None:
    note = "Connection pool is full, discarding connection: payments.internal. Connection pool size: 10"
    ev = evidence_from_logs(db_log(200, 1), db_log(200, 2, note, 40))
    assert failing_warnings(ev) == [] and verdict_of(ev).verdict == "pass"


def go_log(requests: int, seed: int, failing: str | None = None, share: float = 0.0) -> str:
    """A Go service logging with the stdlib `log` (no level): `failing` for `share` of the charges."""
    rng = random.Random(seed)
    out = []
    for i in range(requests):
        stamp = f"2026/11/27 19:{i // 60 % 60:02d}:{i % 60:02d}"
        charge = rng.randrange(1000, 9999)
        if failing and rng.random() < share:
            out.append(f"{stamp} charge {charge}: {failing}")
        else:
            out.append(f"{stamp} charge {charge} accepted for {rng.randrange(1, 500)} cents")
    return "\n".join(out) + "\n"


REFUSED = 'Post "http://127.0.0.1:9099/v1/charge": dial tcp 127.0.0.1:9099: connect: connection refused'


GO_FAILURES = [REFUSED, "context deadline exceeded", "read tcp 10.0.0.8:443: i/o timeout"]


@pytest.mark.parametrize("failing", GO_FAILURES)
def test_a_go_error_logged_without_a_level_fails_the_canary(failing: str) -> None:
    """Go's errors rarely say "error": a burst of them, new in the canary, is a failure."""
    ev = evidence_from_logs(go_log(400, 1), go_log(400, 2, failing, 0.3))
    [finding] = failing_warnings(ev)
    assert finding.severity == "major" and "no level" in finding.message
    assert verdict_of(ev).verdict == "fail"


def test_a_new_line_without_a_level_that_names_no_failure_passes() -> None:
    ev = evidence_from_logs(go_log(400, 1), go_log(400, 2, "cache warmed: 512MB heap, 40000 entries", 0.3))
    assert failing_warnings(ev) == [] and verdict_of(ev).verdict == "pass"


def retry_log(requests: int, seed: int, timeout_share: float) -> str:
    """A Python service whose client retries a dependency after a timeout (a WARNING), then serves."""
    rng = random.Random(seed)
    out = []
    for i in range(requests):
        stamp = f"2026-11-27 19:{i // 60 % 60:02d}:{i % 60:02d},{rng.randrange(1000):03d}"
        if rng.random() < timeout_share:
            out.append(f"{stamp} WARNING [payments.client] call to ledger timed out after 2.0s, retrying")
        out.append(f"{stamp} INFO [payments.api] POST /charge 200 in {rng.randrange(10, 40)}ms")
    return "\n".join(out) + "\n"


def test_a_failure_warning_the_stable_has_now_and_then_on_every_other_canary_request_fails() -> None:
    """The retries keep every answer a 200: the warning's rise is the only sign."""
    ev = evidence_from_logs(retry_log(400, 1, 0.01), retry_log(400, 2, 0.5))
    [finding] = [f for f in run_rules(ev) if f.kind == "template-increase"]
    assert finding.severity == "major" and "timed out" in finding.message
    assert verdict_of(ev).verdict == "fail"


def test_a_failure_warning_at_the_stable_rate_or_a_small_rise_is_not_major() -> None:
    same = evidence_from_logs(retry_log(2000, 1, 0.02), retry_log(2000, 2, 0.02))
    assert verdict_of(same).verdict == "pass"
    small = evidence_from_logs(retry_log(3000, 1, 0.001), retry_log(3000, 2, 0.004))
    assert all(f.severity != "major" for f in run_rules(small)) and verdict_of(small).verdict == "pass"


RETRIED = ["audit write for order 4411 gave up after 3 attempts", "inventory call slow, retrying (2/3)"]


@pytest.mark.parametrize("note", RETRIED)
def test_a_new_warning_that_gave_up_or_retries_is_a_failing_one(note: str) -> None:
    """A canary that only logs its retries: the calls fail, the answers may not show it."""
    ev = evidence_from_logs(db_log(200, 1), db_log(200, 2, note, 40))
    assert [f.severity for f in failing_warnings(ev)] == ["major"]


def test_a_retry_warning_the_stable_has_now_and_then_on_a_tenth_of_the_canary_is_major() -> None:
    """The payment call fails 15x as often in the canary; its retries may hide it from the answers."""
    warn = '{"level":"warn","msg":"retrying payment call"}\n'
    ev = evidence_from_logs(json_service(1500, 1) + warn * 10, json_service(1500, 2) + warn * 150)
    assert [f.severity for f in run_rules(ev) if f.kind == "template-increase"] == ["major"]

"""Failing warnings, quiet services and start-up failures: signals a thin or warning-only log carries."""

from judge_helpers import evidence, evidence_from_logs, side

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

"""A canary that goes quiet, met as real logs have it: times the clock cannot read on one side or
both, a canary that logged only at its start, a date in a message read as a line's time, a clock
that jumps. None of them may pass silently: a finding, or a note that says why it cannot be seen."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from job.evidence import build_evidence
from job.judge import judge
from job.model import LLMConfig
from tests.evidence.test_evidence_activity import T0, at, snapshot, traffic, verdict_of


def _untimed(text: str) -> str:
    """The same log without the time at the head of each line (`2026/11/26 06:00:00 `)."""
    return re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", "", text, flags=re.M)


def _month_first(text: str) -> str:
    """The same log with its dates written month first (`11/26/2026`), a format the clock leaves alone."""
    return re.sub(r"^(\d{4})/(\d\d)/(\d\d) ", r"\2/\3/\1 ", text, flags=re.M)


def _shifted(text: str, seconds: float) -> str:
    def move(found: re.Match[str]) -> str:
        when = datetime.strptime(found[0], "%Y/%m/%d %H:%M:%S").replace(tzinfo=UTC).timestamp() + seconds
        return datetime.fromtimestamp(when, UTC).strftime("%Y/%m/%d %H:%M:%S")

    return re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", move, text, flags=re.M)


def _notes(stable: str, canary: str) -> list[str]:
    return build_evidence(snapshot(stable, canary)).notes


def test_a_canary_whose_times_cannot_be_read_is_never_a_silent_pass() -> None:
    """It hangs after 2 of 10 minutes, but its lines carry no time the clock reads: the quiet test
    cannot run, and the result says so and how to fix it."""
    stable, hung = traffic(4, 600, 1), traffic(1, 600, 2, until=120)
    for canary in (_untimed(hung), _month_first(hung)):
        [note] = [n for n in _notes(stable, canary) if "went quiet" in n]
        assert "canary's log lines" in note and "carry no time" in note and "--timestamps" in note
    [note] = [n for n in _notes(_untimed(stable), _untimed(hung)) if "went quiet" in n]
    assert "both sides" in note


def test_a_canary_that_logged_only_its_start_up_then_nothing_is_never_a_pass() -> None:
    """40 start-up lines in one second, then nothing for ten minutes while the stable serves: its
    share before the silence cannot be measured, so the silence alone makes it inconclusive, in
    file mode (the window from the lines) and in cluster mode (the window known)."""
    stable = traffic(4, 600, 3)
    start_up = f"{at(2)} Started server on :8080\n" + "".join(
        f"{at(2)} INFO loading module {i}\n" for i in range(40)
    )
    for window in ({}, {"window_end": T0 + 600, "window": 600}):
        verdict, [finding] = verdict_of(stable, start_up, **window)
        assert verdict == "inconclusive" and finding.severity == "minor", window
        assert "cannot be told" in finding.message and "no events in the last" in finding.message


def test_a_canary_that_answered_in_one_second_then_hung_fails() -> None:
    """Its requests all in one second (whole-second times) still give it a share of that second."""
    stable = traffic(4, 600, 4)
    burst = f"{at(2)} Started server on :8080\n" + "".join(f"{at(2)} 200 - yellow\n" for _ in range(40))
    verdict, [finding] = verdict_of(stable, burst, window_end=T0 + 600, window=600)
    assert verdict == "fail" and finding.severity == "major"


def test_a_date_in_a_message_does_not_stretch_the_window_over_a_silence() -> None:
    """A worker (no requests) stops after 2 minutes; one line without a time of its own names a
    date days ahead, which the clock reads as its time: the window still ends with the stable."""

    def worker(per_second: float, until: float) -> str:
        return traffic(per_second, 600, int(per_second * 10), until=until).replace(
            " 200 - blue", " INFO job done"
        )

    canary = worker(1, 120) + "next full sync scheduled 2026-12-01 00:00:00\n"
    verdict, [finding] = verdict_of(worker(4, 600), canary)
    assert verdict == "fail" and finding.severity == "major" and "went quiet" in finding.message
    healthy = worker(1, 600) + "next full sync scheduled 2026-12-01 00:00:00\n"
    assert verdict_of(worker(4, 600), healthy) == ("pass", [])


def test_a_canary_clock_that_jumps_an_hour_ahead_is_a_doubt_whether_it_hung_or_not() -> None:
    """A zone change in the middle of the canary's log (daylight saving, a TZ fix): its later lines
    run an hour past the stable's. A hung canary is not passed, a healthy one not failed."""
    stable = traffic(4, 600, 5)
    for until in (120, None):
        lines = traffic(1, 600, 6, until=until).splitlines(keepends=True)
        canary = "".join(line if line[11:16] == "06:00" else _shifted(line, 3600) for line in lines)
        evidence = build_evidence(snapshot(stable, canary))
        result = judge(evidence, LLMConfig(enabled=False))
        [finding] = [f for f in result.findings if f.kind == "quiet-canary"]
        assert result.verdict == "inconclusive" and finding.severity == "minor", until
        assert "timed after the stable's last line" in finding.message
        assert any("judged up to the stable's last line" in note for note in evidence.notes)


def test_a_canary_log_taken_a_few_minutes_after_the_stables_is_no_finding() -> None:
    stable = traffic(4, 600, 7)
    assert verdict_of(stable, traffic(1, 900, 8)) == ("pass", [])


def test_sides_that_do_not_overlap_say_why_they_are_not_compared() -> None:
    """The canary writes local time without a zone (an hour off the stable's UTC) and hangs: its
    silence cannot be seen, and the note names the likely cause."""
    evidence = build_evidence(snapshot(traffic(4, 600, 9), _shifted(traffic(1, 600, 10, until=120), 3600)))
    [note] = [n for n in evidence.notes if "cover different times" in n]
    assert "local time without a zone" in note and "cannot be seen" in note

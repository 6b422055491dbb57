"""Per-side activity over the window: timestamps, bounded slices, and the quiet-canary tests."""

from __future__ import annotations

import calendar
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from job.evidence import build_evidence
from job.evidence.activity import MAX_BUCKETS, SLICES, ActivityCounter, binomial_lower_tail
from job.evidence.clock import SCAN_CHARS, LineClock, _find, could_hold_time, parse_time
from job.judge import judge
from job.judge.rules import quiet_canary
from job.model import LLMConfig, LogStream, SideSnapshot, Snapshot

T0 = calendar.timegm((2026, 11, 26, 6, 0, 0, 0, 0, 0))


def at(seconds: float) -> str:
    return datetime.fromtimestamp(T0 + seconds, UTC).strftime("%Y/%m/%d %H:%M:%S")


def traffic(
    per_second: float, seconds: float, seed: int, *, until: float | None = None, start: float = 0.0
) -> str:
    """rollouts-demo's log: a start line, then one line per request at random moments (Poisson),
    from `start` to `until` (the pod stops answering) or the end of the window."""
    rng = random.Random(seed)
    lines = [f"{at(start)} Started server on :8080"]
    moment = start
    stop = seconds if until is None else until
    while True:
        moment += rng.expovariate(per_second)
        if moment >= stop:
            break
        lines.append(f"{at(moment)} 200 - blue")
    return "\n".join(lines) + "\n"


def snapshot(
    stable: str, canary: str, *, window_end: float | None = None, window: float | None = None
) -> Snapshot:
    def side(name: str, text: str) -> SideSnapshot:
        data = text.encode()
        return SideSnapshot(
            streams=[LogStream(name, lambda: iter([data]))], window_seconds=window, window_end=window_end
        )

    return Snapshot(stable=side("stable", stable), canary=side("canary", canary))


def verdict_of(stable: str, canary: str, **window: float) -> tuple[str, list]:
    evidence = build_evidence(snapshot(stable, canary, **window))
    result = judge(evidence, LLMConfig(enabled=False))
    return result.verdict, [f for f in result.findings if f.kind == "quiet-canary"]


# ---------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2026-11-26T06:32:19.250Z level=info msg=x", "2026-11-26T06:32:19.250"),
        ("2026-11-26T07:32:19+01:00 info x", "2026-11-26T06:32:19"),
        ("2026-11-26 06:32:19,500 INFO [main] x", "2026-11-26T06:32:19.500"),
        ("2026/11/26 06:32:19 200 - blue", "2026-11-26T06:32:19"),
        ("2026-11-26  6:32:19 0 [Note] InnoDB: x", "2026-11-26T06:32:19"),
        ("2026-11-26 06:32:19.244 UTC [9736] LOG:  ready", "2026-11-26T06:32:19.244"),
        ('10.0.0.1 - - [26/Nov/2026:07:32:19 +0100] "GET / HTTP/1.1" 200 5', "2026-11-26T06:32:19"),
        ('127.0.0.1 - - [26/Nov/2026 06:32:19] "GET /api HTTP/1.1" 200 -', "2026-11-26T06:32:19"),
        ("127.0.0.1:35288 [26/Nov/2026:06:32:19.048] public api/api1", "2026-11-26T06:32:19.048"),
        ("9070:M 26 Nov 2026 06:32:19.057 * Ready to accept connections", "2026-11-26T06:32:19.057"),
        ("[Thu Nov 26 06:32:19.123456 2026] [core:error] [pid 9] AH00124", "2026-11-26T06:32:19.123456"),
        ("Nov 26, 2026 6:32:19 AM Svc handle", "2026-11-26T06:32:19"),
        ("Nov 26, 2026 6:32:19 PM Svc handle", "2026-11-26T18:32:19"),
        ("I1126 06:32:19.526458   28477 main.go:149] synced", "2026-11-26T06:32:19.526458"),
        ("Nov 26 06:32:19 host app[1]: started", "2026-11-26T06:32:19"),
        ('{"level":"info","ts":1795674739.5,"msg":"x"}', "2026-11-26T06:32:19.500"),
        ('{"level":30,"time":1795674739500,"msg":"x"}', "2026-11-26T06:32:19.500"),
        ('{"time":"2026-11-26T06:32:19Z","msg":"x"}', "2026-11-26T06:32:19"),
    ],
)
def test_the_time_of_a_record_is_read_from_common_formats(line: str, expected: str) -> None:
    want = datetime.fromisoformat(expected).replace(tzinfo=UTC).timestamp()
    assert parse_time(line, year=2026) == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # java.util.logging's SimpleFormatter as JDK 17 prints it under each locale (-Duser.language=..)
        ("Nov. 27, 2026 11:06:51 PM com.shop.Cart charge", "2026-11-27T23:06:51"),  # de
        ("nov. 27, 2026 11:06:51 AM com.shop.Cart charge", "2026-11-27T11:06:51"),  # fr, pt-BR
        ("nov 27, 2026 11:06:52 P. M. com.shop.Cart charge", "2026-11-27T23:06:52"),  # es
        ("nov. 27, 2026 11:06:52 EM com.shop.Cart charge", "2026-11-27T23:06:52"),  # sv
        ("nov. 27, 2026 11:06:53 P.M. com.shop.Cart charge", "2026-11-27T23:06:53"),  # nl
        ("März 3, 2026 9:06:51 AM com.shop.Cart charge", "2026-03-03T09:06:51"),  # de
        ("févr. 3, 2026 12:06:51 AM com.shop.Cart charge", "2026-02-03T00:06:51"),  # fr
        ("lis 27, 2026 11:06:54 PM com.shop.Cart charge", "2026-11-27T23:06:54"),  # pl
        ("нояб. 27, 2026 11:06:53 PM com.shop.Cart charge", "2026-11-27T23:06:53"),  # ru
        ("11月 27, 2026 11:06:52 午後 com.shop.Cart charge", "2026-11-27T23:06:52"),  # ja
        ("11月 27, 2026 11:06:53 下午 com.shop.Cart charge", "2026-11-27T23:06:53"),  # zh
        ("11월 27, 2026 11:06:53 오후 com.shop.Cart charge", "2026-11-27T23:06:53"),  # ko
        # Tomcat's OneLineFormatter (catalina.out); log4j/logback with a dd.MM.yyyy pattern
        ("27-Nov-2026 14:03:01.123 INFO [main] org.apache.catalina.startup.Catalina.start Server startup",
         "2026-11-27T14:03:01.123"),
        ("27.11.2026 14:03:01,250 ERROR [main] c.s.Cart - boom", "2026-11-27T14:03:01.250"),
        ("[27.11.2026 14:03:01.250] ERROR boom", "2026-11-27T14:03:01.250"),
        # epoch seconds first (Python's %(created)f, Squid's access log)
        ("1795806026.123 ERROR something broke", "2026-11-27T19:00:26.123"),
        ("1795806026.123456\tINFO x", "2026-11-27T19:00:26.123456"),
    ],
)  # fmt: skip
def test_times_of_other_locales_and_layouts(line: str, expected: str) -> None:
    want = datetime.fromisoformat(expected).replace(tzinfo=UTC).timestamp()
    assert parse_time(line) == pytest.approx(want, abs=1e-6)
    assert LineClock().time(line) == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize(
    "line",
    [
        "1795806026 rows copied",  # an epoch-sized number first, no fraction: a count, not a time
        "1795806026.5rows",
        "27.11.2026 is the release date",
        "abc 27, 2026 11:06:51 PM x",  # no month
        "11/27/2026 14:03:01 x",  # month or day first: ambiguous, not read
    ],
)
def test_ambiguous_or_partial_times_are_not_read(line: str) -> None:
    assert parse_time(line) is None


def test_epoch_seconds_with_two_decimals_are_seconds_not_milliseconds() -> None:
    """Thirteen characters like a time in ms: a JSON logger rounding to ms drops a trailing zero."""
    assert parse_time('{"timestamp":1795674739.19,"level":3}') == pytest.approx(1795674739.19)
    assert LineClock().time('{"ts":1795674739.19,"msg":"x"}') == pytest.approx(1795674739.19)


@pytest.mark.parametrize(
    "line",
    [
        'INFO:     127.0.0.1:1 - "GET / HTTP/1.1" 200 OK',
        "order 1234567890 placed",
        "2026-13-45 99:99:99 x",
        "",
    ],
)
def test_a_line_without_a_time_has_none(line: str) -> None:
    assert parse_time(line) is None


def test_a_time_is_the_first_of_the_line_whatever_the_formats_in_it() -> None:
    assert parse_time('{"ts":1795674739.5,"msg":"at 2024-05-01 12:00:00"}') == 1795674739.5
    assert parse_time("Nov 26 06:32:19 host app: retry at 2024-05-01 12:00:00", year=2026) == T0 + 1939
    assert parse_time("x 2024-05-01 x 2026-11-26 06:00:01 y") == T0 + 1


def test_a_stream_clock_gives_each_line_its_time_within_the_second() -> None:
    """Lines of the same second as the line before cost a comparison; every other line is read."""
    lines = [
        "2026-11-26T06:00:00.100Z a",
        "2026-11-26T06:00:00.900Z b",  # same second: the line before's time
        "2026-11-26T06:00:01.000Z c",
        '{"ts":"2026-11-26T06:00:05Z"}',
        "no time here",
        "[26/Nov/2026:06:00:07 +0000] d",
        "[26/Nov/2026:06:00:07 +0000] e",
        "2026-11-26T07:00:00+01:00 f",  # a zone: the second read with it
        "2026-11-26T07:00:00+01:00 g",
    ]
    clock = LineClock()
    for line in lines:
        exact, memo = parse_time(line), clock.time(line)
        assert (exact is None) == (memo is None)
        assert exact is None or 0 <= exact - memo < 1  # type: ignore[operator]
    assert [clock.time(line) for line in lines[-2:]] == [T0, T0]


def test_a_slow_stream_has_each_line_read_to_its_second_and_fraction() -> None:
    """A line a second or so apart shares the line before's minute: its seconds and fraction are
    read as its format writes them, and anything else there has the line read in full."""
    formats = [
        "2026-11-26T06:{m:02d}:{s:02d}.{f}Z level=info msg=x",
        "2026-11-26 06:{m:02d}:{s:02d},{f} INFO [main] x",  # Python logging: a comma
        '{{"time": "2026-11-26T06:{m:02d}:{s:02d}Z", "level": "info"}}',
        "10.0.0.1 - - [26/Nov/2026:06:{m:02d}:{s:02d}.{f} +0000] x",
        "I1126 06:{m:02d}:{s:02d}.{f}   1 main.go:1] synced",
        "Nov 26 06:{m:02d}:{s:02d} host app[1]: started",
        "Nov 26, 2026 6:{m:02d}:{s:02d} AM Svc handle",  # AM/PM after the seconds: read in full
        '{{"ts":17956{m:02d}{s:02d}.5,"msg":"x"}}',  # an epoch: read in full
    ]
    rng = random.Random(3)
    for layout in formats:
        clock = LineClock(year=2026)
        lines = [layout.format(m=m, s=s, f=rng.randrange(1, 999_999)) for m in (0, 1) for s in range(60)]
        lines += [layout.format(m=1, s=59, f=5).replace(":59", ":5x"), layout.format(m=1, s=58, f=5)]
        lines.insert(30, layout.format(m=0, s=61, f=1))  # no real second: no time, like parse_time
        for line in lines:
            exact = parse_time(line, year=2026)
            assert clock.time(line) == (None if exact is None else pytest.approx(exact, abs=1e-9)), line


def test_interleaved_formats_have_each_line_read_to_its_second_and_fraction() -> None:
    """One stdout with an access log, the app's records and klog lines in turn: each line is read
    against its own format's minute (FORMATS_KEPT of them), and a new minute or a line unlike them
    all is read in full, exactly as parse_time reads it."""
    rng = random.Random(5)
    layouts = [
        '10.0.0.1 - - [26/Nov/2026:06:{m:02d}:{s:02d} +0000] "GET /x HTTP/1.1" 200 5',
        "2026-11-26 06:{m:02d}:{s:02d},{f} INFO [main] x",
        "I1126 06:{m:02d}:{s:02d}.{f}   1 main.go:1] synced",
        '{{"time": "2026-11-26T06:{m:02d}:{s:02d}.{f}Z", "level": "info"}}',
        "time=2026-11-26T06:{m:02d}:{s:02d}.{f}Z level=info msg=x",
        "no time on this line",
    ]
    clock = LineClock(year=2026)
    for m in (0, 1, 2):
        for s in range(0, 60, 3):
            for layout in rng.sample(layouts, len(layouts)):
                line = layout.format(m=m, s=s, f=rng.randrange(1, 999_999))
                exact = parse_time(line, year=2026)
                assert clock.time(line) == (None if exact is None else pytest.approx(exact, abs=1e-9)), line


def _mixed_stdout(rng: random.Random) -> list[str]:
    """One stdout of interleaved formats over a minute and an hour's rollover: access logs whose time
    moves with the client address, HAProxy, Python logging (a comma before the fraction), klog,
    JSON, logfmt, Go, syslog and an epoch; 20 more places of the access log's time (more than the
    clock keeps, so a format seen early is met again after 20 others); lines without a time, and
    seconds no format has. A fraction is the same for every line of one second, so a line given
    the line before's time (same second, same place) has exactly its own."""

    def fields(moment: int) -> dict[str, object]:
        when = datetime.fromtimestamp(moment, UTC)
        return {"m": when.minute, "s": when.second, "h": when.hour, "f": moment * 7919 % 1000,
                "us": moment * 104729 % 1_000_000, "ip": ".".join(str(rng.randrange(256)) for _ in range(4)),
                "port": rng.randrange(10_000, 65_536), "dots": "." * rng.randrange(1, 21), "epoch": moment,
                "tens": when.second // 10}  # fmt: skip

    layouts = [
        '{ip} - - [26/Nov/2026:{h:02d}:{m:02d}:{s:02d} +0000] "GET /x HTTP/1.1" 200 5',
        "haproxy[12]: {ip}:{port} [26/Nov/2026:{h:02d}:{m:02d}:{s:02d}.{f:03d}] public api/a 0/0/0/1/1 200 5",
        "2026-11-26 {h:02d}:{m:02d}:{s:02d},{f:03d} - app - INFO - cache hit",
        "I1126 {h:02d}:{m:02d}:{s:02d}.{us:06d}   1 main.go:1] synced",
        '{{"time": "2026-11-26T{h:02d}:{m:02d}:{s:02d}.{f:03d}Z", "level": "info"}}',
        "time=2026-11-26T{h:02d}:{m:02d}:{s:02d}.{f:03d}Z level=info msg=x",
        "2026/11/26 {h:02d}:{m:02d}:{s:02d} handled x in 3ms",
        '{{"ts":{epoch}.{f:03d},"msg":"x"}}',
        "{dots}[26/Nov/2026:{h:02d}:{m:02d}:{s:02d} +0000] ping",
        "no time on this line",
        "2026-11-26 {h:02d}:{m:02d}:6{f:01d},{f:03d} - app - INFO - no such second",
        "I1126 {h:02d}:{m:02d}:{tens}x   1 main.go:1] not a second",
    ]
    syslog = "Nov 26 {h:02d}:{m:02d}:{s:02d} host app[1]: started"
    moment = calendar.timegm((2026, 11, 26, 6, 58, 50, 0, 0, 0))
    lines = [syslog.format(**fields(moment))]
    lines += [layouts[8].replace("{dots}", "." * k).format(**fields(moment)) for k in range(1, 21)]
    while moment < calendar.timegm((2026, 11, 26, 7, 1, 10, 0, 0, 0)):
        moment += rng.choice((0, 0, 0, 1, 1, 2))
        timed_twice = [*layouts[:9], *layouts[:9], *layouts[9:], syslog]  # lines with times are most
        lines += [rng.choice(timed_twice).format(**fields(moment)) for _ in range(rng.randrange(1, 4))]
    return lines


def test_interleaved_formats_at_moving_places_give_every_line_its_exact_time() -> None:
    """The clock's shortcuts (the line before's second, a kept format's minute, a character compared
    first, a second told by its text) give each line bit for bit the time parse_time reads in it,
    or none where it has none."""
    for seed in range(3):
        lines = _mixed_stdout(random.Random(seed))
        clock = LineClock(year=2026)
        assert [clock.time(line) for line in lines] == [parse_time(line, year=2026) for line in lines]


def test_a_second_told_by_the_text_after_its_minute_is_the_one_the_match_reads() -> None:
    """A kept format's second is told by the text after its minute as an earlier line of it had it
    there; a line written otherwise (a mark ending a sentence, then a fraction; more or fewer
    fraction digits than before) has it read by the match: the time parse_time reads."""
    other = "I1126 06:00:{:02d}.5   1 main.go:1] x"  # another format between: the line before is not theirs
    lines = [
        "2026/11/26 06:00:01 a",
        "2026/11/26 06:00:05. done",  # "05." then a space: a second without a fraction
        other.format(6),
        "2026/11/26 06:00:05.250 b",  # that second again, with a fraction
        "2026-11-26 06:00:01,123 c",
        "2026-11-26 06:00:02,123 d",  # a fraction of 3 digits
        other.format(7),
        "2026-11-26 06:00:02,1234 e",  # the same second with 4
        other.format(8),
        "2026-11-26 06:00:02,12 f",  # and with 2
        "2026-11-26 06:00:00,5 g",  # a line out of order: not the second before's
    ]
    clock = LineClock(year=2026)
    assert [clock.time(line) for line in lines] == [parse_time(line, year=2026) for line in lines]
    assert (parse_time(lines[3]), parse_time(lines[7])) == (T0 + 5.25, T0 + 2.1234)


def test_a_line_that_cannot_hold_a_time_is_never_one_that_holds_one() -> None:
    """could_hold_time skips the full scan only where no format can match: checked against the scan
    itself on lines made of the pieces times are written with (digits, colons, quotes, month
    names, brackets) and on every line of the corpus."""
    arabic_indic = "\u0661\u0662:\u0663\u0664:\u0665\u0666"  # digits `\d` matches too
    pieces = ["1", "12", "2026", ":", ":0", '"ts":', '"', "-", "/", " ", ".", ",", "T", "Z", "Nov", "Thu",
              "a", "[", "{", "I1126 ", "1795674739.5 ", "06:32:19", arabic_indic]  # fmt: skip
    rng = random.Random(7)
    lines = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(20_000)]
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    for log in sorted(corpus.glob("*/*/*.log")):
        lines += [line for line in log.read_bytes().decode("utf-8", "replace").splitlines() if line]
    for line in lines:
        if not could_hold_time(line):
            assert _find(line[:SCAN_CHARS]) is None, line


def test_a_timed_line_after_many_untimed_ones_gets_its_time() -> None:
    """A stream that starts without times (or stops writing them) loses no line that has one."""
    clock = LineClock()
    untimed = [f'level=info msg="request {i} done: ok"' for i in range(500)]
    assert all(clock.time(line) is None for line in untimed)
    assert clock.time("2026-11-26T06:00:01Z level=info msg=x") == T0 + 1
    assert all(clock.time(line) is None for line in untimed)
    assert clock.time("2026-11-26T06:00:02Z level=info msg=x") == T0 + 2
    assert clock.time('{"ts":1795674739.5,"msg":"x"}') == 1795674739.5
    assert clock.time("1795674740.25 ERROR x") == 1795674740.25


# ---------------------------------------------------------------- bounded slices


def test_the_counter_stays_bounded_and_loses_no_event_over_any_span() -> None:
    counter = ActivityCounter()
    rng = random.Random(1)
    for _ in range(50_000):
        counter.add(
            T0 + rng.uniform(0, 30 * 86400),
            error=rng.random() < 0.1,
            status=rng.choice([200, 503, 404, None]),
        )
    assert len(counter.buckets) <= MAX_BUCKETS
    assert counter.timed == 50_000 == sum(b[0] for b in counter.buckets.values())
    assert counter.width >= 30 * 86400 / MAX_BUCKETS


def test_slices_count_events_errors_and_status_classes_per_side() -> None:
    stable = "".join(f"{at(i)} 200 - blue\n{at(i)} 503 - blue\n" for i in range(0, 600, 2))
    canary = "".join(f"{at(i)} 200 - yellow\n{at(i)} 404 - yellow\n" for i in range(0, 600, 4))
    act = build_evidence(snapshot(stable, canary)).activity
    assert act is not None and act.window == "lines"
    assert len(act.stable.events) == SLICES and act.slice_seconds == pytest.approx(598 / SLICES)
    assert sum(act.stable.events) == 600 and sum(act.stable.http_5xx) == 300 and sum(act.stable.http_4xx) == 0
    assert sum(act.canary.requests) == 300 and sum(act.canary.http_4xx) == 150
    assert act.unit == "requests" and act.concurrent_share == 1.0


def test_binomial_lower_tail_is_exact_for_small_values() -> None:
    assert binomial_lower_tail(0, 10, 0.5) == pytest.approx(0.5**10)
    assert binomial_lower_tail(10, 10, 0.3) == 1.0
    assert binomial_lower_tail(1, 3, 0.5) == pytest.approx(0.5)


def test_lines_without_times_give_no_activity_and_no_finding() -> None:
    stable = "".join('INFO:     10.0.0.1:1 - "GET /x HTTP/1.1" 200 OK\n' for _ in range(300))
    evidence = build_evidence(snapshot(stable, stable))
    assert evidence.activity is None and quiet_canary(evidence) == []


# ---------------------------------------------------------------- the quiet canary


def test_a_canary_that_stops_while_the_stable_goes_on_fails() -> None:
    # 20% of 5 req/s; the canary serves for 2 of the 10 minutes, then hangs
    verdict, [finding] = verdict_of(traffic(4, 600, 1), traffic(1, 600, 2, until=120))
    assert verdict == "fail" and finding.severity == "major"
    assert "went quiet" in finding.message and "no requests in the last 8 min" in finding.message


def test_a_canary_with_a_small_share_all_along_passes() -> None:
    for weight, seed in ((0.10, 3), (0.15, 4), (0.20, 5)):
        verdict, found = verdict_of(traffic(5 * (1 - weight), 600, seed), traffic(5 * weight, 600, seed + 10))
        assert (verdict, found) == ("pass", []), weight


def test_a_quiet_service_where_both_sides_log_little_passes() -> None:
    verdict, found = verdict_of(traffic(0.08, 900, 6), traffic(0.08, 900, 7))
    assert found == [] and verdict == "pass"


def test_both_sides_going_quiet_together_is_no_finding_in_a_known_window() -> None:
    # traffic ends for everyone after 5 of the 10 minutes; the window (cluster mode) runs to the end
    evidence = build_evidence(
        snapshot(
            traffic(4, 600, 8, until=300), traffic(1, 600, 9, until=300), window_end=T0 + 600, window=600
        )
    )
    assert evidence.activity is not None and evidence.activity.window == "known"
    assert quiet_canary(evidence) == []


def test_in_a_known_window_the_canary_going_quiet_before_its_end_is_seen() -> None:
    # cluster mode: the canary's last line is 6 minutes before the collection time, the stable's is recent
    evidence = build_evidence(
        snapshot(traffic(4, 600, 10), traffic(1, 600, 11, until=240), window_end=T0 + 600, window=600)
    )
    [finding] = quiet_canary(evidence)
    assert finding.severity == "major" and evidence.activity and evidence.activity.window == "known"


def test_a_canary_that_slows_to_a_trickle_is_a_finding_not_a_pass() -> None:
    # for the last quarter the canary answers a tenth of what it did: a collapse, not a silence
    canary = traffic(1, 450, 12) + traffic(0.1, 600, 13, start=450).split("\n", 1)[1]
    verdict, [finding] = verdict_of(traffic(4, 600, 14), canary)
    assert "collapsed" in finding.message and verdict in ("fail", "inconclusive")


def test_a_short_silence_is_inconclusive_never_a_pass() -> None:
    # silent for the last 80 s of 10 minutes: too short to fail on, too long to be chance
    verdict, [finding] = verdict_of(traffic(4, 600, 15), traffic(1, 600, 16, until=520))
    assert finding.severity == "minor" and verdict == "inconclusive"


def test_sides_recorded_at_different_times_are_not_compared() -> None:
    # the stable was recorded first, the canary later: the canary's "silence" is no evidence
    stable = traffic(4, 600, 17, start=0)
    canary = traffic(1, 900, 18, start=590)
    _verdict, found = verdict_of(stable + traffic(4, 1200, 19, start=1150).split("\n", 1)[1], canary)
    assert found == []


def test_times_outside_a_known_window_fall_back_to_the_lines_with_a_note() -> None:
    # the app writes local time 5 hours off UTC: its times cannot be set against the collection clock
    evidence = build_evidence(
        snapshot(traffic(4, 600, 20), traffic(1, 600, 21), window_end=T0 + 600 + 5 * 3600, window=600)
    )
    assert evidence.activity is not None and evidence.activity.window == "lines"
    assert any("outside the collection window" in note for note in evidence.notes)
    assert quiet_canary(evidence) == []


def test_the_runtime_timestamp_of_kubectl_logs_is_used_when_the_app_prints_none() -> None:
    def stamped(per_second: float, until: float, seed: int) -> str:
        rng, moment, out = random.Random(seed), 0.0, []
        while (moment := moment + rng.expovariate(per_second)) < until:
            stamp = datetime.fromtimestamp(T0 + moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
            out.append(f'{stamp} stdout F INFO:     10.0.0.1:1 - "GET /x HTTP/1.1" 200 OK')
        return "\n".join(out) + "\n"

    evidence = build_evidence(
        snapshot(stamped(4, 600, 22), stamped(1, 150, 23), window_end=T0 + 600, window=600)
    )
    assert evidence.activity is not None and evidence.activity.canary.timed > 100
    [finding] = quiet_canary(evidence)
    assert finding.severity == "major"


def test_a_window_under_a_minute_has_slices_of_a_second() -> None:
    stable = "".join(f"{at(i)} 200 - blue\n" for i in range(20))
    act = build_evidence(snapshot(stable, stable)).activity
    assert act is not None and len(act.stable.events) == 19 and act.slice_seconds == pytest.approx(1.0)


def test_both_sides_durations_share_one_bounded_grid() -> None:
    from job.evidence.distribution import BINS

    def timed(ms: float, n: int) -> str:
        return "".join(f"{at(i)} 200 - blue ({ms * (1 + i % 7 / 10) / 1000:f}s)\n" for i in range(n))

    evidence = build_evidence(
        snapshot(timed(40, 3000), timed(800, 500) + f"{at(1)} 200 - blue (0.000000s)\n")
    )
    hist = evidence.latency_histogram
    assert hist is not None and len(hist.stable) == len(hist.canary) == BINS == len(hist.edges_ms) - 1
    assert sum(hist.stable) == 3000 and sum(hist.canary) == 501
    assert hist.edges_ms[0] >= hist.edges_ms[-1] / 1.2e4, "a 0 ms request does not stretch the scale"
    heaviest = max(range(BINS), key=hist.canary.__getitem__)
    assert hist.edges_ms[heaviest] <= 800 * 1.6 and hist.edges_ms[heaviest + 1] >= 800


def test_each_event_keeps_the_runtime_timestamp_of_its_own_head_line() -> None:
    """The line reader strips a runtime-style stamp (`...Z ` before the text) and says so for the
    line it gave last; an event is built once the line after it is read, and must keep its own."""
    from job.evidence.events import group_events
    from job.evidence.lines import LineReader

    text = (
        "2024-05-01T12:00:00Z WARN retrying the payment call\n"
        "plain progress line with no time\n"
        "2024-05-01T12:00:05Z ERROR payment call failed\n"
        "\tat com.example.Pay.call(Pay.java:42)\n"
        "another plain line\n"
        "2024-05-01T12:00:09Z WARN retrying the payment call\n"
    )
    events = list(group_events(LineReader([text.encode()])))
    assert [e.stamp for e in events] == [
        "2024-05-01T12:00:00Z ",
        "",
        "2024-05-01T12:00:05Z ",
        "",
        "2024-05-01T12:00:09Z ",
    ]
    # so the stamped records are the timed ones, each at its own time
    pairs = "".join(
        f"2024-05-01T12:{i // 60:02d}:{i % 60:02d}Z WARN retrying the payment call\nplain progress line\n"
        for i in range(0, 600, 10)
    )
    activity = build_evidence(snapshot(pairs, pairs)).activity
    assert activity is not None and activity.canary.timed == 60
    assert activity.canary.last - activity.canary.first == 590

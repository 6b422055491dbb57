from job.evidence.events import group_events

GO_PANIC = """\
2024/05/01 12:00:01 listening on :8080
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6a1b2c]

goroutine 34 [running]:
main.colorHandler(0xc0000a6000, 0xc0000b2000)
\t/go/src/app/main.go:88 +0x1d
net/http.HandlerFunc.ServeHTTP(...)
\t/usr/local/go/src/net/http/server.go:2047 +0x44
exit status 2
2024/05/01 12:00:03 listening on :8080
"""

PY_LOGGED = """\
2024-05-01 12:00:00,001 ERROR app.views: payment failed for order 42
Traceback (most recent call last):
  File "/app/views.py", line 31, in pay
    charge(order)
  File "/app/billing.py", line 12, in charge
    raise TimeoutError("gateway timed out")
TimeoutError: gateway timed out
2024-05-01 12:00:01,002 INFO app.views: order 43 paid
"""

PY_UNCAUGHT = """\
2024-05-01 12:00:00,001 INFO app: starting worker
Traceback (most recent call last):
  File "/app/main.py", line 5, in <module>
    config = load()
KeyError: 'DATABASE_URL'
"""

JAVA = """\
2024-05-01 12:00:00.123 ERROR 1 --- [nio-8080-exec-3] c.e.shop.CartController : Request processing failed
java.lang.NullPointerException: Cannot invoke "Cart.items()" because "cart" is null
\tat com.example.shop.CartController.add(CartController.java:57)
\tat java.base/java.lang.Thread.run(Thread.java:833)
Caused by: java.lang.IllegalStateException: no session
\t... 12 more
2024-05-01 12:00:00.456  INFO 1 --- [nio-8080-exec-4] c.e.shop.CartController : cart updated
"""


# opentelemetry-sdk 1.45's ConsoleLogExporter (logging bridged to OTel), fields shortened
OTEL_CONSOLE = """\
{
    "body": "order 42 placed",
    "severity_number": 9,
    "severity_text": "INFO",
    "attributes": {
        "code.function.name": "<module>"
    },
    "timestamp": "2026-11-27T19:56:05.624256Z",
    "event_name": ""
}
{
    "body": "checkout failed for order 43",
    "severity_number": 17,
    "severity_text": "ERROR",
    "attributes": {
        "code.function.name": "<module>"
    },
    "timestamp": "2026-11-27T19:56:05.624773Z",
    "event_name": ""
}
"""


def events(text: str):  # type: ignore[no-untyped-def]
    return list(group_events(line for line in text.splitlines() if line.strip()))


def test_go_panic_and_goroutine_dump_are_one_crash_event() -> None:
    found = events(GO_PANIC)
    assert [e.head[:20] for e in found] == [
        "2024/05/01 12:00:01 ",
        "panic: runtime error",
        "2024/05/01 12:00:03 ",
    ]
    panic = found[1]
    assert panic.crash and panic.lines == 8  # the blank line is not counted
    assert any("main.go:88" in line for line in panic.extra or [])


def test_logged_python_traceback_belongs_to_its_error_line_and_is_no_crash() -> None:
    found = events(PY_LOGGED)
    assert len(found) == 2
    assert found[0].parsed.level == "error" and not found[0].crash
    assert found[0].lines == 7
    assert found[0].parsed.message.endswith("-> TimeoutError: gateway timed out")


def test_a_traceback_logged_with_a_warning_belongs_to_it_and_is_no_crash() -> None:
    """`logger.warning("...", exc_info=True)`: a handled exception, the service goes on."""
    logged = PY_LOGGED.replace("ERROR app.views: payment failed", "WARNING app.views: payment retried")
    found = events(logged)
    assert len(found) == 2 and not any(e.crash for e in found)
    assert found[0].parsed.level == "warn" and found[0].lines == 7
    assert found[0].parsed.message.endswith("-> TimeoutError: gateway timed out")


def test_uncaught_python_traceback_is_a_crash_named_by_its_exception() -> None:
    found = events(PY_UNCAUGHT)
    assert len(found) == 2
    crash = found[1]
    assert crash.crash
    assert crash.parsed.message == "Traceback: KeyError: 'DATABASE_URL'"


def test_java_stack_trace_with_cause_is_one_event() -> None:
    found = events(JAVA)
    assert len(found) == 2
    assert found[0].parsed.level == "error" and found[0].lines == 6
    assert found[0].parsed.message.endswith(
        '-> java.lang.NullPointerException: Cannot invoke "Cart.items()" because "cart" is null'
    )
    assert found[1].parsed.level == "info"


def test_indented_continuation_lines_join_the_record_above() -> None:
    found = events("INFO config loaded:\n  port: 8080\n  tls: false\nINFO ready\n")
    assert [e.lines for e in found] == [3, 1]


def test_plain_lines_are_one_event_each() -> None:
    text = "\n".join(f"2024/05/01 12:00:{i:02d} served /color in 3ms" for i in range(50))
    assert len(events(text)) == 50


NODE_CRASH = """\
ts=2026-05-01T12:00:00.000Z level=info msg="request" status=200
/app/server.js:24
  return { id, theme: profile.prefs.theme };
                                    ^

TypeError: Cannot read properties of undefined (reading 'prefs')
    at loadSession (/app/server.js:24:53)

Node.js v20.20.2
ts=2026-05-01T12:00:01.000Z level=info msg="session service listening"
"""


def test_node_uncaught_exception_is_a_crash_named_by_its_error() -> None:
    found = events(NODE_CRASH)
    assert len(found) == 3
    crash = found[1]
    assert crash.crash and crash.parsed.level == "fatal"
    assert (
        crash.parsed.message == "uncaught: TypeError: Cannot read properties of undefined (reading 'prefs')"
    )


def test_a_fatal_that_ends_one_session_is_an_error_not_a_crash() -> None:
    lines = [
        "2026-11-26 06:32:12.888 UTC [10845] FATAL:  sorry, too many clients already",
        '2026-11-26 06:32:13.001 UTC [10846] FATAL:  password authentication failed for user "app"',
        "2026-11-26 06:32:13.002 UTC [10847] FATAL:  terminating connection due to administrator command",
    ]
    for event in group_events(lines):
        assert (event.parsed.level, event.crash) == ("error", False), event.head


def test_a_fatal_that_stops_the_process_is_still_a_crash() -> None:
    lines = [
        '2026-11-26 06:32:12.888 UTC [1] FATAL:  lock file "postmaster.pid" already exists',
        "2024/05/01 12:00:00 FATAL: cannot load config: open /etc/app.yaml: no such file",
        '2026-11-26 06:32:12.888 UTC [1] PANIC:  could not write to file "pg_wal/xlogtemp.1"',
    ]
    for event in group_events(lines):
        assert event.crash, event.head


def test_a_json_record_printed_over_many_lines_is_one_record() -> None:
    """Line by line it was "{" and "}" events with no level: an ERROR record could not be seen."""
    found = events(OTEL_CONSOLE)
    assert [(e.parsed.level, e.parsed.message, e.lines) for e in found] == [
        ("info", "order 42 placed", 10),
        ("error", "checkout failed for order 43", 10),
    ]
    assert not any(e.crash for e in found)


def test_log4j2_json_layout_records_are_read_whole() -> None:
    """log4j2's <JsonLayout/> pretty-prints by default ("key" : value), with complete=true a comma after."""
    record = '{\n  "timeMillis" : 1547108632526,\n  "thread" : "main",\n  "level" : "ERROR",\n'
    record += '  "loggerName" : "com.example.Billing",\n  "message" : "invoice render failed",\n'
    record += '  "thrown" : {\n    "name" : "java.lang.NullPointerException"\n'
    record += "  }\n},\n"
    found = events(record * 2)
    expected = [("error", "invoice render failed")] * 2
    assert [(e.parsed.level, e.parsed.message[:21]) for e in found] == expected


def test_a_lone_brace_without_a_json_record_after_it_changes_nothing() -> None:
    found = events("{\n  not json at all\n2024-05-01 12:00:00 INFO next\n}\n")
    assert [e.head for e in found] == ["{", "2024-05-01 12:00:00 INFO next", "}"]


# java.util.logging's SimpleFormatter in a JVM with a French locale (JDK 17, -Duser.language=fr)
JUL_FR = """\
nov. 27, 2026 8:03:03 PM Svc handle
GRAVE: balance lookup failed for account acc35
java.lang.NullPointerException: currency is null
\tat Svc.handle(Svc.java:40)
nov. 27, 2026 8:03:03 PM Svc handle
INFOS: GET /balance/acc62 -> 200
nov. 27, 2026 8:03:04 PM Svc handle
AVERTISSEMENT: slow lookup for account acc7
"""


def test_java_logging_in_another_locale_keeps_its_records_and_levels() -> None:
    """After a stack trace the next record's localized date ("nov. 27,") was read as part of the
    stack, so one trace swallowed the rest of the log; the levels were unknown."""
    found = [e for e in events(JUL_FR) if not e.head.startswith("nov.")]
    assert [(e.parsed.level, e.lines) for e in found] == [("error", 3), ("info", 1), ("warn", 1)]
    assert found[0].parsed.message.endswith("-> java.lang.NullPointerException: currency is null")


def test_a_crash_inside_another_records_stack_is_a_crash_of_its_own() -> None:
    """Two writers on one stream: a Go panic's first line after a logged Python traceback's."""
    lines = PY_LOGGED.splitlines()
    spliced = "\n".join([*lines[:2], *GO_PANIC.splitlines()[1:6], *lines[2:]])
    found = events(spliced)
    assert [e.crash for e in found] == [False, True, False]
    assert found[1].head.startswith("panic: runtime error")


def test_every_dying_marker_is_found() -> None:
    """_dies scans a line for a few hints before its markers: no marker may be missed by them."""
    from job.evidence.events import _FATAL_MARKERS, _dies
    from job.evidence.parse import Parsed

    for marker in _FATAL_MARKERS:
        assert _dies(f"worker 3: {marker} (pid 7)", Parsed("unknown", "", None, None)), marker
    assert not _dies("worker 3: memory use 70% (pid 7)", Parsed("unknown", "", None, None))

"""Lines -> events: a multi-line record (traceback, Go panic with its goroutine dump, Java
stack trace, Node.js uncaught exception, indented continuation lines) becomes one event.

A Python traceback that follows an error or warning log line belongs to it (a handled exception,
`logger.exception`, `logger.warning(..., exc_info=True)`); a traceback on its own, or after an
info line, is an uncaught exception: a crash. Inside a
stack, unindented lines (`main.main()`, `KeyError: 'x'`) continue it until a line looks
like a new record (a timestamp, JSON, a level word...). A JSON record pretty-printed over lines
("{" ... "}") is joined and parsed as one record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import partial
from typing import NamedTuple

from job.evidence.lines import LineReader
from job.evidence.parse import CRASH_HEADS, LEVEL_RANK, Parsed, parse_line

EXTRA_KEPT = 12  # continuation lines kept for examples; the rest are only counted
# A JSON record printed over many lines ("{" alone, indented fields, "}" alone: log4j2's JsonLayout
# by default, OpenTelemetry's console exporters, JSON.stringify(record, null, 2)) is read as one
# record up to this many lines; its compact text up to PRETTY_JSON_HEAD characters is the event's head
PRETTY_JSON_LINES = 1000
PRETTY_JSON_HEAD = 2000
STACK_LIMIT = 2000  # a stack never swallows more lines than this

_STACK_HEADS = (*CRASH_HEADS, "goroutine ", "SIGQUIT", "SIGABRT", "SIGSEGV")
# a crash's first line that no stack continues with (a chained traceback does begin "Traceback"):
# inside another record's stack it starts a crash of its own, never hides in that record
_OTHER_CRASH_HEADS = tuple(head for head in CRASH_HEADS if not head.startswith("Traceback"))
_CONTINUATION_HEADS = (
    "Caused by: ",
    "During handling of the above exception",
    "The above exception was the direct cause",
    "Traceback (most recent call last)",
    "goroutine ",
    "[signal ",
    "created by ",
    "exit status ",
    "Node.js v",
)
# Node.js on an uncaught exception: "/app/server.js:24", the source line, "^", "TypeError: ...", "Node.js v20"
_NODE_CRASH_HEAD = re.compile(r"^(?:/|file://)\S*\.[cm]?[jt]s:\d+$")
_EXCEPTION_LINE = re.compile(r"^[\w.$]*(?:Error|Exception|Interrupt|Exit)\b.*")
# a new log record: a timestamp, JSON, a bracket, klog, a level word, logfmt or syslog prefix
_RECORD_START = re.compile(
    r"^(?:\d|\{|\[(?!signal)|[IWEF]\d{4} "
    r"|(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL|SEVERE)\b"
    r"|time=|ts=|level=|[A-Z][a-z]{2} [ \d]\d "
    r"|\S{1,12} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2})"  # java.util.logging, any locale: "nov. 27, 2026 8:02:30"
)
_JAVA_EXCEPTION = re.compile(r"^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable)\b")
_ERROR_RANK = LEVEL_RANK["error"]
_WARN_RANK = LEVEL_RANK["warn"]
# the process died or is about to, whatever level the line was logged at: the JVM or Python out of
# memory (OutOfMemoryError, MemoryError), Go's runtime out of memory, Node's heap limit, a segfault,
# a core dump, a worker killed by a signal
_FATAL_MARKERS = ("MemoryError", "out of memory", "Out of memory", "Segmentation fault", "core dumped",
                  "SIGSEGV", "SIGABRT", "SIGBUS", "SIGKILL")  # fmt: skip
_FATAL_HINTS = ("SIG", "emory", "Segmentation fault", "core dumped")  # every marker holds one
# A FATAL that ends one session or request, not the process: PostgreSQL logs a refused or dropped
# connection as "FATAL:  sorry, too many clients already", "FATAL:  password authentication failed
# for user ...", "FATAL:  terminating connection due to ..." while the server keeps running. An
# error for the service, not a crash (its rate still fails a canary); PANIC stays a crash.
_ONE_SESSION_FATAL = re.compile(
    r"too many (?:clients|connections)|connection slots are reserved|authentication failed"
    r"|no pg_hba\.conf entry|(?:role|database|user) \"[^\"]*\" does not exist|terminating connection"
    r"|canceling (?:authentication|statement)"
    r"|the database system is (?:starting up|shutting down|in recovery)"
    r"|connection to client lost|could not receive data from client",
    re.I,
)
_SHELL_KILLED = re.compile(r"^Killed\s*$|: line \d+: +\d+ Killed\b")  # sh: "Killed", "line 3: 7 Killed  java"


class Event(NamedTuple):
    head: str
    parsed: Parsed
    lines: int  # head + continuation lines
    extra: list[str] | None  # first continuation lines, for examples (the last slot: last unindented one)
    crash: bool
    stamp: str = ""  # the runtime's timestamp the line reader stripped from the head line ("" if none)


def group_events(lines: Iterable[str]) -> Iterator[Event]:
    # A LineReader says which runtime timestamp it stripped from the line it gave last. An event is
    # yielded only once the line after it is read, so its head's stamp is taken when the head comes.
    reader = lines if isinstance(lines, LineReader) else None
    stamp = ""
    head: str | None = None
    parsed: Parsed | None = None
    extra: list[str] | None = None
    count = 0
    in_stack = False
    stack_lines = 0
    record: list[str] | None = None  # a pretty-printed JSON record's lines, from its "{" line on
    for line in lines:
        if head is not None:
            first = line[0]
            continued = first == " " or first == "\t"
            if record is not None:
                if continued and len(record) < PRETTY_JSON_LINES:
                    record.append(line.strip())
                elif first == "}" and not continued:  # its closing brace: the record is whole
                    text = "".join(record) + line.strip().rstrip(",")  # log4j2 complete=true: "},"
                    yield _event(text[:PRETTY_JSON_HEAD], parse_line(text), count + 1, None, stamp)
                    head, record = None, None
                    continue
                else:
                    record = None  # too long, or no JSON after all: lines as they come
            if not continued:
                if in_stack and stack_lines < STACK_LIMIT:
                    continued = _RECORD_START.match(line) is None and not line.startswith(_OTHER_CRASH_HEADS)
                elif line.startswith(_CONTINUATION_HEADS):
                    continued = not line.startswith("Traceback") or LEVEL_RANK[parsed.level] >= _WARN_RANK  # type: ignore[union-attr]
                elif first.islower() and _JAVA_EXCEPTION.match(line) is not None:
                    continued = True
                if continued:
                    in_stack = True
            if continued:
                count += 1
                stack_lines += 1
                if extra is None:
                    extra = [line]
                elif len(extra) < EXTRA_KEPT:
                    extra.append(line)
                elif not line[0].isspace():
                    extra[-1] = line  # keep the last unindented line: the exception of a traceback
                continue
            yield _event(head, parsed, count, extra, stamp)  # type: ignore[arg-type]
        head, extra, count, stack_lines = line, None, 1, 0
        if reader is not None:
            stamp = reader.stamp
        if line == "{":
            record = [line]
        parsed = parse_line(line)
        in_stack = line.startswith(_STACK_HEADS) or (
            line[0] in "/f" and _NODE_CRASH_HEAD.match(line) is not None
        )
    if head is not None:
        yield _event(head, parsed, count, extra, stamp)  # type: ignore[arg-type]


_new_event = partial(tuple.__new__, Event)  # as parse.new_parsed: half the constructor's cost
_DOTNET_HEADS = frozenset(("info", "warn", "fail", "crit", "dbug", "trce"))


def _event(head: str, parsed: Parsed, count: int, extra: list[str] | None, stamp: str = "") -> Event:
    # (a head that starts like a crash was parsed as fatal: parse_line reads CRASH_HEADS so)
    if extra is None and parsed.level != "fatal" and not _dies(head, parsed):
        return _new_event((head, parsed, count, None, False, stamp))  # one line, no crash: most events
    if extra and head[4:6] == ": " and head[-1:] == "]" and head[:4] in _DOTNET_HEADS:
        parsed = _dotnet_record(parsed, extra[0].strip())
    if parsed.level == "fatal" and _ONE_SESSION_FATAL.search(parsed.message) is not None:
        parsed = parsed._replace(level="error")
    crash = parsed.level == "fatal" or head.startswith(CRASH_HEADS) or _dies(head, parsed)
    if extra and not crash and extra[-1].startswith("Node.js v"):
        crash = True  # Node prints its version as it exits on an uncaught exception
        parsed = parsed._replace(level="fatal")
    if crash and extra and (head.startswith("Traceback") or _NODE_CRASH_HEAD.match(head)):
        # name the crash by its exception line, e.g. "KeyError: 'id'", "TypeError: Cannot read..."
        error = next((line for line in reversed(extra) if _EXCEPTION_LINE.match(line)), None)
        if error is not None:
            kind = "Traceback" if head.startswith("Traceback") else "uncaught"
            parsed = parsed._replace(message=f"{kind}: {error}")
    elif extra and LEVEL_RANK[parsed.level] >= _WARN_RANK:
        # a logged exception: its type belongs to the shape ("Request failed -> KeyError: 'id'")
        error = next((line for line in reversed(extra) if _EXCEPTION_LINE.match(line)), None)
        if error is not None:
            parsed = parsed._replace(message=f"{parsed.message} -> {error[:200]}")
            crash = crash or _dies(error, parsed)
    if crash and parsed.level != "fatal":
        parsed = parsed._replace(level="fatal")
    return Event(head, parsed, count, extra, crash, stamp)


def _dotnet_record(parsed: Parsed, text: str) -> Parsed:
    """.NET's console logger: "info: Category[id]" then the message, indented, on the next line."""
    inner = parse_line(text)
    if inner.request:
        return parsed._replace(message=inner.message, status=inner.status, duration_ms=inner.duration_ms,
                               request=True)  # fmt: skip
    return parsed._replace(
        message=f"{parsed.message} {inner.message}",
        status=inner.status if inner.status is not None else parsed.status,
        duration_ms=inner.duration_ms if inner.duration_ms is not None else parsed.duration_ms,
    )


def _dies(text: str, parsed: Parsed) -> bool:
    """A marker of a dying process, in a line not logged at info/debug level (supervisord reports a
    crashed program at INFO: "exited: web (exit status 1; not expected)", "entered FATAL state")."""
    if parsed.level != "unknown" and LEVEL_RANK[parsed.level] < _WARN_RANK:
        return "; not expected)" in text or "entered FATAL state" in text
    if "Killed" in text and _SHELL_KILLED.search(text) is not None:
        return True
    for hint in _FATAL_HINTS:  # four scans of the line instead of nine, the nine only after a hit
        if hint in text:
            return any(marker in text for marker in _FATAL_MARKERS)
    return False

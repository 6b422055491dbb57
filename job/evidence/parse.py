"""One log record's head line -> (level, message, HTTP status, duration in ms).

Understood: JSON lines (level/lvl/severity/log.level, msg/message/error, access-log keys),
logfmt, klog/glog, Go `log`, Python logging, Java (logback/log4j/Spring), syslog-ish
prefixes, HTTP access logs (combined/common, uvicorn, gin...), durations written as
`(2.000000s)`, `took 120ms`, `latency=1.2s`, `duration_ms=15`, `"elapsed": 0.2`.

`message` is what the template miner sees: the record without its timestamp and level,
so two records that differ only in time and severity prefix share a shape.
This is the hot path: cheap substring checks guard every regex.
"""

from __future__ import annotations

import json
import json.scanner
import re
from functools import partial
from typing import Any, NamedTuple

from ahocorasick_rs import AhoCorasick, Implementation

LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
LEVEL_RANK["unknown"] = LEVEL_RANK["info"]

_LEVEL_ALIASES = {
    "trace": "trace", "finest": "trace", "finer": "trace", "fine": "debug",
    "debug": "debug", "dbug": "debug", "dbg": "debug", "d": "debug",
    "info": "info", "information": "info", "informational": "info", "notice": "info", "i": "info",
    "inf": "info", "config": "info",
    "warn": "warn", "warning": "warn", "wrn": "warn", "w": "warn",
    "error": "error", "err": "error", "eror": "error", "e": "error", "severe": "error",
    "critical": "fatal", "crit": "fatal", "alert": "fatal", "emerg": "fatal", "emergency": "fatal",
    "fatal": "fatal", "panic": "fatal", "dpanic": "fatal", "f": "fatal", "crt": "fatal",
    "fail": "error", "trce": "trace",  # .NET console logger: "fail: Microsoft.AspNetCore..."
}  # fmt: skip
# OpenTelemetry / syslog numbers
_NUMERIC_LEVELS = {10: "debug", 20: "info", 30: "info", 40: "warn", 50: "error", 60: "fatal"}


class Parsed(NamedTuple):
    level: str  # one of LEVELS or "unknown"
    message: str
    status: int | None
    duration_ms: float | None
    request: bool = False  # message is "<what> <status>" of a request record (see TemplateIndex.request_id)


# A NamedTuple's constructor is a generated Python function; the returns of every line build the
# tuple directly (every field given, in order) for about half the cost
new_parsed = partial(tuple.__new__, Parsed)

# the aliases as logs write them ("INFO", "Warning", "error"): one lookup for nearly every line
_LEVEL_AS_WRITTEN = {
    written: level
    for alias, level in _LEVEL_ALIASES.items()
    for written in (alias, alias.upper(), alias.capitalize())
}


def normalise_level(value: Any) -> str:
    if type(value) is str:
        found = _LEVEL_AS_WRITTEN.get(value)
        if found is not None:
            return found
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or value in (float("inf"), float("-inf")):
            return "unknown"
        return _NUMERIC_LEVELS.get(int(value) // 10 * 10, "unknown")
    return _LEVEL_ALIASES.get(str(value).strip().lower(), "unknown")


# ---------------------------------------------------------------- prefixes

_TIMESTAMP = re.compile(
    r"""^\[?(?:
        \d{4}[-/]\d{2}[-/]\d{2}[T\ ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\ ?Z|\ ?[+-]\d{2}:?\d{2}|\ UTC)?
      | \d{2}:\d{2}:\d{2}(?:[.,]\d+)?
      | [A-Z][a-z]{2}\ [\ \d]\d\ \d{2}:\d{2}:\d{2}
      | \d{1,2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}\ [+-]\d{4}
      | \d{2}(?:-[A-Z][a-z]{2}-|\.\d{2}\.)\d{4}\ \d{2}:\d{2}:\d{2}(?:[.,]\d+)?  # Tomcat, dd.MM.yyyy
      | \d{10}(?:\.\d+)?
    )\]?[\s|,:-]*""",
    re.X,
)
_STAMP_FIRST = frozenset("0123456789[JFMASOND")
_KLOG = re.compile(r"^([IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\]\s]+\] ?(.*)")
_KLOG_LETTER = {"I": "info", "W": "warn", "E": "error", "F": "fatal"}
_LEVEL_WORD = re.compile(
    r"""(?:^|[\s\[(<|:"'])(?:level=|lvl=|severity=)?"?
    (TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|SEVERE|CRIT(?:ICAL)?|FATAL|PANIC|ALERT|EMERG
     |trace|debug|info|notice|warn(?:ing)?|error|err|critical|fatal|panic
     |Trace|Debug|Info|Notice|Warn(?:ing)?|Error|Critical|Fatal|Panic)
    (?=[\s\])>|:"',]|$)[\])>|:"',]*\s*(?:-\s+)?""",
    re.X,
)
_LEVEL_NAMES = (
    "TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|ERR|SEVERE|CRIT(?:ICAL)?|FATAL|PANIC|ALERT|EMERG"
    "|trace|debug|info|notice|warn(?:ing)?|error|err|critical|fatal|panic"
)
# .NET's console logger starts a record with "fail: ", "crit: ", "dbug: " or "trce: "
_DOTNET_LEVELS = frozenset(("fail", "crit", "dbug", "trce"))
# (Celery writes "[time: WARNING/ForkPoolWorker-1] ...": the level, a slash, the process)
_LEVEL_AT_START = re.compile(r"[\[<]?(" + _LEVEL_NAMES + r")[\]>]?(?::|\s|$|/)[\s:]*(?:-\s+)?")
# a level word in the middle of a line is searched for only when one of these is there (one search
# for any of them: a third of the time of a substring scan for each)
_LEVEL_HINT = re.compile(r"ERR|WARN|INFO|DEBUG|FATAL|CRIT|PANIC|TRACE|SEVERE|NOTICE|ALERT|EMERG|\[|<")
# java.util.logging's SimpleFormatter writes the level as the JVM's locale names it ("GRAVE: ...",
# "SCHWERWIEGEND: ...", "重大: ..."): the names of the JDK's own translations (sun.util.logging
# .resources.logging_<locale>: de es fr it ja ko pt_BR sv zh_CN zh_TW)
_JUL_LOCALIZED = {
    **dict.fromkeys(("SCHWERWIEGEND", "GRAVE", "ALLVARLIG", "重大", "심각", "严重", "嚴重"), "error"),
    **dict.fromkeys(("WARNUNG", "ADVERTENCIA", "AVERTISSEMENT", "AVVERTENZA", "ADVERTÊNCIA", "VARNING",
                     "警告", "경고"), "warn"),
    **dict.fromkeys(("INFORMATION", "INFORMACIÓN", "INFOS", "INFORMAZIONI", "INFORMAÇÕES", "情報",
                     "정보", "信息", "資訊", "KONFIGURATION", "CONFIGURAR", "CONFIGURAZIONE",
                     "CONFIGURAÇÃO", "KONFIG", "構成", "구성", "配置", "組態"), "info"),
    **dict.fromkeys(("FEIN", "FEINER", "AM FEINSTEN", "DETALLADO", "MUY DETALLADO", "MÁS DETALLADO",
                     "PRÉCIS", "PLUS PRÉCIS", "LE PLUS PRÉCIS", "BUONO", "MIGLIORE", "OTTIMALE", "普通",
                     "詳細", "最も詳細", "미세", "보다 미세", "가장 미세", "DETALHADO", "MAIS DETALHADO",
                     "O MAIS DETALHADO", "FIN", "FINARE", "FINASTE", "详细", "较详细", "非常详细",
                     "較詳細", "最詳細"), "debug"),
}  # fmt: skip
_JUL_NAME_CHARS = 1 + max(len(name) for name in _JUL_LOCALIZED)
_LOGFMT_LEVEL = re.compile(r"(?:level|lvl|severity)=\"?(\w+)")
_LOGFMT_VALUE = re.compile(r"\"([^\"\\]*(?:\\.[^\"\\]*)*)\"|(\S+)")

# ---------------------------------------------------------------- HTTP and durations

_REQUEST = re.compile(
    r"(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT|TRACE) (\S+)(?: HTTP/[\d.]+)?\"?(?: ->| =>)? "
    r"(\d{3}|0(?= (?:[A-Z]{2}|-)))\b"
)
# Envoy writes response code 0 when no response was sent (the client gave up first, flag DC): counted
# as nginx's 499 "client closed request", a request that got no answer
NO_RESPONSE = 499
# gin: [GIN] 2024/01/02 - 15:04:05 | 500 |  2.000000s |  10.0.0.1 | GET      "/color"
# Fiber: 15:04:05 | 500 |   1.2ms |  10.0.0.1 | GET     | /color | -
_GIN = re.compile(
    r"\| (\d{3}) \|\s+(\d+(?:\.\d+)?)(ns|µs|us|ms|s|m)\s+\|[^|]*\|\s+([A-Z]+)\s+(?:\|\s+)?\"?([^\"\s]+)"
)
# a request time appended after the user agent: `... "curl/8" 250ms`, nginx `... "curl/8" 0.250`
# ($request_time, seconds) or Apache `... "curl/8" 1532` (%D, microseconds)
_TRAILING_DURATION = re.compile(r"\" (\d+\.\d+|\d+)(ns|us|µs|ms|s)?$")
# HAProxy httplog: `... backend/server TR/Tw/Tc/Tr/Ta status bytes ... "GET /x HTTP/1.1"` (status first)
_HAPROXY = re.compile(r" -?\d+/-?\d+/-?\d+/-?\d+/\+?(-?\d+) (\d{3}) ")
_QUOTED_REQUEST = re.compile(r"\"(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|CONNECT|TRACE) (\S+) HTTP/[\d.]+\"")
# Envoy/Istio default access log after the status: flags [details termination "failure"] rx tx duration
_ENVOY_TAIL = re.compile(
    r" (?:[A-Z]{2,5}(?:,[A-Z]{2,5})*|-) (?:\S+ \S+ \"[^\"]*\" )?\d+ \d+ (\d+) (?:\d+|-) "
)
# nginx `rt=$request_time`, `urt="$upstream_response_time"` (seconds) after the request
_KV_SECONDS = re.compile(r"\b(?:rt|request_time|urt|upstream_response_time)=\"?(\d+\.\d+)")
# ASP.NET Core: "Request finished HTTP/1.1 GET http://host/x - - - 500 - text/plain 10.5ms"
_DOTNET_FINISHED = re.compile(
    r"Request finished (?:HTTP/[\d.]+ |in \S+ )?([A-Z]+) (\S+) (?:- )+(\d{3}) .*?(\d+(?:\.\d+)?)ms$"
)
# go-chi: "GET http://localhost:3333/x HTTP/1.1" from 127.0.0.1:5432 - 500 12B in 19.71µs
_CHI = re.compile(r"\" from \S+ - (\d{3}) \d+B in (\d+(?:\.\d+)?)(ns|µs|us|ms|s)")
_CHI_REQUEST = re.compile(r"\"(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) (?:https?://[^/\s]+)?(\S+) HTTP/")
# uWSGI's request log: "... [Thu Nov 27 20:00:00 2026] GET /x => generated 21 bytes in 3 msecs
# (HTTP/1.1 500) 2 headers in 80 bytes ..."
_UWSGI = re.compile(r"\] ([A-Z]+) (\S+) => generated \d+ bytes in (\d+) msecs \(HTTP/[\d.]+ (\d{3})\)")
# morgan (Node): "GET /x 500 23 - 12.345 ms" (tiny, short); a time with its unit right after the status:
# morgan dev "GET /x 500 12.345 ms - 23", koa-logger "--> GET /x 500 3ms 2b"
_TRAILING_MS = re.compile(r" (\d+(?:\.\d+)?) ?ms$")
_TIME_AFTER_STATUS = re.compile(r" (\d+(?:\.\d+)?) ?(ms|µs|us|s)(?= |$)")
# Rails: "Completed 500 Internal Server Error in 12ms (Views: ...)"; Phoenix: "Sent 500 in 431µs"
_RAILS = re.compile(r"(?:Completed (\d{3}) [^\n]*?|Sent (\d{3})) in (\d+(?:\.\d+)?)(ms|µs|us)\b")
# a request's time at the end of a line that has its status: "/shop.Cart/Get StatusCode.NOT_FOUND 1.2ms"
_TRAILING_UNIT = re.compile(r"[ =](\d+(?:\.\d+)?) ?(ns|µs|us|ms|s)$")
_LEADING_STATUS = re.compile(r"([2-5]\d\d) +[-|:] +(.*)")
_STATUS_KV = re.compile(r"\b(?:status|status_code|statusCode|http_status|code)[=:] ?\"?(\d{3})\b")
_PAREN_DURATION = re.compile(r"\((\d+(?:\.\d+)?)(ns|us|µs|ms|s|m)\)")  # (2.000000s)
_DURATION_KEYS = ("took", "latency", "duration", "elapsed", "time", " in")
_AFTER_DURATION_KEY = re.compile(
    r"(_ms|_us|_ns|_s|_sec|_seconds)?[=: ] ?\"?(\d+(?:\.\d+)?) ?(ns|us|µs|ms|s|m)?\b"
)
_DONE_VERBS = ("ed", "done", "took", "complete")
_BARE_KEYS = frozenset(("duration", "latency", "elapsed"))
_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}
_SUFFIX_MS = {"_ms": 1.0, "_us": 1e-3, "_ns": 1e-6, "_s": 1000.0, "_sec": 1000.0, "_seconds": 1000.0}


def duration_ms(line: str) -> float | None:
    if "s)" in line:
        paren = _PAREN_DURATION.search(line)
        if paren is not None:
            return float(paren.group(1)) * _UNIT_MS[paren.group(2)]
    for key in _DURATION_KEYS:
        at = line.find(key)
        while at >= 0:
            if key == " in" and not line[:at].endswith(_DONE_VERBS):  # "shutting down in 1s" is no duration
                at = line.find(key, at + 1)
                continue
            after = _AFTER_DURATION_KEY.match(line, at + len(key))
            if after is not None:
                suffix, number, unit = after.groups()
                if unit:
                    return float(number) * _UNIT_MS[unit]
                if suffix:
                    return float(number) * _SUFFIX_MS[suffix]
                if key == "time" and (
                    line.startswith("request_", max(0, at - 8))
                    or line.startswith("response_", max(0, at - 9))
                ):
                    return float(number) * 1000.0  # nginx $request_time, $upstream_response_time: seconds
                if key in _BARE_KEYS and line[at + len(key) : at + len(key) + 1] in "=:":
                    # `duration=0.125` (structlog, seconds), `elapsed=12` (Node, ms): as in JSON, a
                    # fraction is seconds and an integer milliseconds
                    return float(number) * (1000.0 if "." in number else 1.0)
            at = line.find(key, at + 1)
    return None  # a bare number of unknown unit is not a duration we can compare


# ---------------------------------------------------------------- JSON

# key -> (role, priority): the first key of a role in this order wins
_J_ROLES: dict[str, tuple[str, int]] = {}
for _role, _keys in (
    ("level", ("level", "lvl", "severity", "levelname", "loglevel", "log_level", "@l", "sev", "log.level",
               "LogLevel", "Level", "s", "severity_text", "SeverityText")),  # s: MongoDB's "I"/"W"/"E"/"F"
    ("msg", ("msg", "message", "@m", "@mt", "event", "text", "log", "Message", "MessageTemplate",
             "short_message")),  # short_message: GELF
    ("error", ("error", "err", "exception", "error.message", "exc_info", "stack_trace", "@x", "Exception",
               "thrown")),
    ("status", ("status", "status_code", "statusCode", "StatusCode", "http.status_code",
                "http.response.status_code", "http_status", "response_status", "response_code",
                "DownstreamStatus", "OriginStatus", "code")),
    ("grpc", ("grpc.code", "grpc_code", "grpc.status_code", "grpc.status", "grpc_status", "grpc-status")),
    ("method", ("method", "http.method", "http.request.method", "request_method", "RequestMethod", "verb")),
    ("path", ("path", "url", "uri", "http.url", "url.path", "request_uri", "RequestPath", "request")),
):  # fmt: skip
    for _priority, _key in enumerate(_keys):
        _J_ROLES[_key] = (_role, _priority)
# duration keys -> milliseconds per unit; None: a string with its own unit ("35ms"), or a bare
# number: an integer is ms (Envoy JSON), a fraction is seconds (Caddy, zap's production encoder)
_J_DURATION: dict[str, float | None] = {
    "duration_ms": 1.0, "latency_ms": 1.0, "elapsed_ms": 1.0, "response_time_ms": 1.0, "took_ms": 1.0,
    "durationMs": 1.0, "latencyMs": 1.0, "elapsedMs": 1.0, "responseTimeMs": 1.0, "grpc.time_ms": 1.0,
    "responseTime": 1.0, "response-time": 1.0,  # pino-http, morgan: ms
    "Elapsed": 1.0, "ElapsedMilliseconds": 1.0,  # Serilog / ASP.NET Core request logging: ms
    "Duration": 1e-6, "event.duration": 1e-6,  # Traefik, Elastic Common Schema: ns
    "duration_us": 1e-3, "duration_ns": 1e-6, "duration_s": 1000.0, "duration_seconds": 1000.0,
    "request_time": 1000.0, "response_time": 1000.0, "upstream_response_time": 1000.0,
    "duration": None, "latency": None, "elapsed": None, "took": None,
}  # fmt: skip
# gRPC status codes as the HTTP status a gateway answers with (grpc-gateway's mapping), so a gRPC
# service's failures count with HTTP 5xx
_GRPC_HTTP = {
    "ok": 200, "canceled": 499, "cancelled": 499, "unknown": 500, "invalidargument": 400,
    "deadlineexceeded": 504, "notfound": 404, "alreadyexists": 409, "permissiondenied": 403,
    "resourceexhausted": 429, "failedprecondition": 400, "aborted": 409, "outofrange": 400,
    "unimplemented": 501, "internal": 500, "unavailable": 503, "dataloss": 500, "unauthenticated": 401,
}  # fmt: skip
_GRPC_NUMBERS = (
    "ok", "canceled", "unknown", "invalidargument", "deadlineexceeded", "notfound", "alreadyexists",
    "permissiondenied", "resourceexhausted", "failedprecondition", "aborted", "outofrange",
    "unimplemented", "internal", "unavailable", "dataloss", "unauthenticated",
)  # fmt: skip


# Status names that are gRPC's wherever a `status=`/`code=` key holds them: Go's codes.Code.String()
# and the proto names (Python's StatusCode, Java's Status.Code). The one-word names that ordinary logs
# also use (OK, Unknown, Canceled, Aborted: a Kubernetes condition is "Unknown") count only on a line
# that says gRPC, or as Python's `StatusCode.NAME`.
_GRPC_NAMES = frozenset(
    written
    for name in ("InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied",
                 "ResourceExhausted", "FailedPrecondition", "OutOfRange", "Unimplemented", "Internal",
                 "Unavailable", "DataLoss", "Unauthenticated")
    for written in (name, re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).upper())
)  # fmt: skip
_GRPC_NAMES_IN_CONTEXT = frozenset(
    ("OK", "Unknown", "UNKNOWN", "Canceled", "CANCELLED", "Aborted", "ABORTED")
)
_GRPC_CONTEXT = ("grpc", "gRPC", "GRPC", "StatusCode.")
_GRPC_TEXT = re.compile(
    r"\b(?:StatusCode\.([A-Z_]+)|(?:code|status)\s?[=:]\s?\"?(?:StatusCode\.)?([A-Za-z_]+)\b)"
)


def grpc_name_as_http(name: str, line: str) -> int | None:
    """A gRPC status name written as a `status`/`code` value, as an HTTP status, or None when the
    name is no gRPC name or is one that ordinary logs use too and nothing on the line says gRPC."""
    if name in _GRPC_NAMES or (
        name in _GRPC_NAMES_IN_CONTEXT and any(word in line for word in _GRPC_CONTEXT)
    ):
        return grpc_as_http(name)
    return None


def grpc_as_http(code: Any) -> int | None:
    """A gRPC status ("Unavailable", "UNAVAILABLE", 14) as an HTTP status, or None."""
    if isinstance(code, int) and not isinstance(code, bool):
        return _GRPC_HTTP[_GRPC_NUMBERS[code]] if 0 <= code < len(_GRPC_NUMBERS) else None
    if isinstance(code, str):
        text = code.strip()
        if text.isdigit():
            return grpc_as_http(int(text))
        return _GRPC_HTTP.get(text.replace("_", "").lower())
    return None


# pino/Caddy nest method, url, status here; Rust's tracing JSON nests the message and every field
# of the event (status, error) under "fields"
_J_REQ_RES = frozenset(("response", "request", "req", "res", "fields"))
_J_NESTED = frozenset(("log", "error", "http", *_J_REQ_RES))


def _roles(record: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    best: dict[str, int] = {}
    duration = None
    for key, value in record.items():
        if isinstance(value, dict):
            if key in _J_NESTED:
                for inner_key, inner_value in value.items():
                    role = _J_ROLES.get(f"{key}.{inner_key}") or (
                        _J_ROLES.get(inner_key) if key in _J_REQ_RES else None
                    )
                    if role and inner_value not in (None, "") and best.get(role[0], 99) > role[1]:
                        found[role[0]], best[role[0]] = inner_value, role[1]
            continue
        role = _J_ROLES.get(key)
        if role is not None:
            if value not in (None, "") and best.get(role[0], 99) > role[1]:
                found[role[0]], best[role[0]] = value, role[1]
        elif duration is None and key in _J_DURATION and not isinstance(value, bool):
            duration = _json_duration(key, value)
    if "latency_human" in record:  # Echo: "latency" is nanoseconds, "latency_human" says its unit
        duration = _json_duration("latency", record["latency_human"])
    found["duration"] = duration
    return found


def _json_duration(key: str, value: Any) -> float | None:
    scale = _J_DURATION[key]
    if isinstance(value, str):
        text = value.strip()
        if not text[:1].isdigit():
            return None
        if text.replace(".", "", 1).isdigit():  # nginx's JSON log writes "0.250": a number in a string
            value = float(text) if "." in text else int(text)
        else:
            return duration_ms(f"{key.lower()}={text}")
    if not isinstance(value, (int, float)) or value != value or value < 0:
        return None
    if scale is None:
        scale = 1000.0 if isinstance(value, float) and not value.is_integer() else 1.0
    return float(value) * scale


# json.loads without its two Python layers (a BOM check, two whitespace matches, the error's
# rewording): the same C scanner with the same settings, called on a line that starts with "{"
_SCAN_JSON = json.scanner.make_scanner(json.JSONDecoder())


def _decode(line: str) -> Any:
    """`json.loads(line)` for a line that starts with "{"; raises ValueError where it does."""
    try:
        record, end = _SCAN_JSON(line, 0)
    except StopIteration:
        raise ValueError("not JSON") from None
    if end != len(line) and line[end:].strip(" \t\n\r"):  # json's whitespace after the value
        raise ValueError("extra data after the JSON value")
    return record


def _parse_json(line: str) -> Parsed | None:
    try:
        record = _decode(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    inner = record.get("log")
    if isinstance(inner, str) and inner.startswith("{") and len(record) <= 4:  # docker json-file wrapping
        nested = _parse_json(inner.strip())
        if nested is not None:
            return nested
    found = _roles(record)
    raw_level = found.get("level")
    level = normalise_level(raw_level) if raw_level is not None else "unknown"
    status = None
    raw_status = found.get("status")
    # (isinstance with a tuple: `int | str` would build a union object on every record)
    if isinstance(raw_status, (int, str)) and str(raw_status).isdigit() and 100 <= int(raw_status) <= 599:
        status = int(raw_status)
    elif raw_status in (0, "0") and "response_flags" in record:  # Envoy's JSON access log: no response
        status = NO_RESPONSE
    elif isinstance(raw_status, str):  # "code": "StatusCode.UNAVAILABLE", "status": "DEADLINE_EXCEEDED"
        status = grpc_name_as_http(raw_status.removeprefix("StatusCode."), line)
    if "grpc" in found and (status is None or status == 200):  # gRPC answers HTTP 200 whatever its code
        status = grpc_as_http(found["grpc"]) or status
    message = found.get("msg")
    if message is None and ("severity_text" in record or "SeverityText" in record):
        message = _otel_body(record)
    error = found.get("error")
    request = False
    if message is not None and not isinstance(message, str):
        message = json.dumps(message, sort_keys=True)[:500]
    duration = found["duration"]
    if status is None and message and ("HTTP/" in message or "GET " in message or "POST " in message):
        # an access line as a JSON record's message: uvicorn's or gunicorn's access log through a JSON
        # formatter, nginx in a docker json-file log; its status is in the text
        access = _access_line(message.strip(), duration)
        if access is not None:
            status, duration, message, request = access.status, access.duration_ms, access.message, True
    if message is None and status is not None:
        method, path = found.get("method") or "", str(found.get("path") or "").split("?", 1)[0]
        message = f"{method} {path} {status}".strip()
        request = bool(method and path)
    if message is None:
        message = " ".join([f"{k}={v}" for k, v in sorted(record.items()) if k not in _TIME_KEYS])[:500]
    if level == "unknown" and "short_message" in record:  # GELF (Spring Boot's structured gelf, Graylog)
        level = _SYSLOG_SEVERITY.get(raw_level, "unknown") if type(raw_level) is int else level
    if level == "unknown" and status is not None:
        level = "info"
    if error is not None and level in ("unknown", "error", "fatal", "warn"):
        first_line = str(error).split("\n", 1)[0][:300]
        message = f"{message} error={first_line}"
        if level == "unknown":
            level = "error"
    return new_parsed((level, message, status, duration, request and error is None))


# GELF's level is a syslog severity: 0 emergency .. 3 error, 4 warning, 5 notice, 6 info, 7 debug
_SYSLOG_SEVERITY = dict(enumerate(("fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug")))


def _otel_body(record: dict[str, Any]) -> Any:
    """An OpenTelemetry log record's body (its message), as the SDKs' console/stdout exporters write
    it: `"body": "..."` (Python), `"Body": {"Type": "String", "Value": "..."}` (Go)."""
    body = record.get("body", record.get("Body"))
    return body.get("Value", body) if isinstance(body, dict) else body


_TIME_KEYS = frozenset(("ts", "time", "timestamp", "@timestamp", "@t", "t", "date", "datetime", "asctime"))


# ---------------------------------------------------------------- text

_ERROR_WORDS = re.compile(r"(?:[Ee]rror|ERROR|[Ee]xception|[Ff]ailed|FAILED|[Ff]atal|FATAL|[Pp]anic)\b")
_ERROR_HINTS = (
    "rror",
    "RROR",
    "xception",
    "ailed",
    "AILED",
    "atal",
    "ATAL",
    "anic",
)  # what any of them holds
_NOT_ERROR = re.compile(r"\b(?:0|no|zero|without) (?:errors?|failures?|exceptions?)\b", re.I)
# the first line of a crash in every runtime we read (events.py starts a stack at these too)
CRASH_HEADS = ("panic: ", "fatal error: ", "Traceback (most recent call last)", "Exception in thread ")


# What the text path looks for in a line's body, found in one Aho-Corasick pass (ahocorasick-rs, as
# the redactor uses) instead of a substring scan each (about twenty per line): a group's bit is set
# when one of its words is in the body, and the test or regex behind it runs only then.
_WORD_GROUPS: tuple[tuple[str, ...], ...] = (
    ("s)", *_DURATION_KEYS),  # duration_ms finds nothing without one
    ("HTTP/", "GET ", "POST "),  # an access line
    ("status", "code=", "code:", "StatusCode."),  # _status_kv finds nothing without one
    ("Completed ", "Sent "),  # Rails, Phoenix
    ("level=", "lvl=", "severity="),  # logfmt
    _ERROR_HINTS,  # _infer_level finds nothing without one
)
_DURATION_WORDS, _ACCESS_WORDS, _STATUS_WORDS, _RAILS_WORDS, _LOGFMT_WORDS, _ERROR_WORDS_HINT = (
    1 << group for group in range(len(_WORD_GROUPS))
)
_WORD_LIST = [word for group in _WORD_GROUPS for word in group]
_WORD_BITS = [1 << group for group, words in enumerate(_WORD_GROUPS) for _ in words]
_FIND_WORDS = AhoCorasick(_WORD_LIST, implementation=Implementation.DFA).find_matches_as_indexes


def parse_line(line: str) -> Parsed:
    if line[:1] == "{":
        try:
            parsed = _parse_json(line)
        except RecursionError:  # nested deeper than Python decodes or prints: read as text
            parsed = None
        if parsed is not None:
            return parsed
    if line.startswith(CRASH_HEADS):
        return Parsed("fatal", line, None, None)

    klog = _KLOG.match(line) if line[:1] in "IWEF" else None
    if klog is not None:
        body = klog.group(2)
        return new_parsed((_KLOG_LETTER[klog.group(1)], body, _status(body), duration_ms(body), False))

    if "| " in line and "|" in line[:40]:
        gin = _GIN.search(line)
        if gin is not None:
            code, value, unit, method, path = gin.groups()
            level = "info"
            path = path.split("?", 1)[0]
            return Parsed(level, f"{method} {path} {code}", int(code), float(value) * _UNIT_MS[unit], True)

    stamp = _TIMESTAMP.match(line) if line[0] in _STAMP_FIRST else None
    body = line[stamp.end() :] if stamp else line
    words = 0
    for index, _, _ in _FIND_WORDS(body, overlapping=True):
        words |= _WORD_BITS[index]
    duration = duration_ms(body) if words & _DURATION_WORDS else None

    if words & _ACCESS_WORDS:
        access = _access_line(body, duration)
        if access is not None:
            return access

    if body[:1] in "2345":
        leading = _LEADING_STATUS.match(body)
        if leading is not None:  # "500 - yellow": a status printed first, as argoproj/rollouts-demo does
            return Parsed(
                "info", f"{leading.group(2)} {leading.group(1)}", int(leading.group(1)), duration, True
            )

    status = _status_kv(body) if words & _STATUS_WORDS else None
    if status is None and words & _RAILS_WORDS:
        rails = _RAILS.search(body)
        if rails is not None:
            status = int(rails.group(1) or rails.group(2))
            duration = float(rails.group(3)) * _UNIT_MS[rails.group(4)]
    if status is not None and duration is None and body[-1:] == "s":
        duration = _trailing_duration(body)
    if words & _LOGFMT_WORDS:
        found = _LOGFMT_LEVEL.search(body)
        if found:
            message = _logfmt_message(body)
            if message is not None:
                return new_parsed((normalise_level(found.group(1)), message, status, duration, False))

    level = "unknown"
    if body[4:6] == ": " and body[:4] in _DOTNET_LEVELS:
        return Parsed(normalise_level(body[:4]), body[6:].strip(), status, duration)
    word = _LEVEL_AT_START.match(body)
    if word is None:
        window = body[:60]
        if _LEVEL_HINT.search(window) is not None:
            word = _LEVEL_WORD.search(window)
    if word is not None:
        written = word.group(1)
        level = _LEVEL_AS_WRITTEN.get(written) or normalise_level(written)
        body = body[: word.start()] + " " + body[word.end() :] if word.start() else body[word.end() :]
    elif status is not None:
        level = "info"
    elif (colon := body.find(": ", 0, _JUL_NAME_CHARS)) > 0 and body[:colon] in _JUL_LOCALIZED:
        level, body = _JUL_LOCALIZED[body[:colon]], body[colon + 2 :]
    elif words & _ERROR_WORDS_HINT:
        level = _infer_level(body)
    return new_parsed((level, body.strip(), status, duration, False))


def _trailing_duration(body: str) -> float | None:
    """The time at the end of a line that has a status; not a wait ("retrying in 5s")."""
    trailing = _TRAILING_UNIT.search(body)
    if trailing is None or body.endswith(" in", 0, trailing.start()):
        return None
    number, unit = trailing.groups()
    if unit == "s" and "." not in number:  # "5s" at the end is more often a wait or a count than a request
        return None
    return float(number) * _UNIT_MS[unit]


def _access_line(body: str, duration: float | None) -> Parsed | None:
    """An access log line: its shape is "<method> <path> <status>", not the client or the time."""
    request = _REQUEST.search(body)
    if request is not None:
        method, path, code = request.groups()
        code = code if code != "0" else str(NO_RESPONSE)
        end = request.end()
        if duration is None:
            duration = _access_duration(body, end)
    elif "Request finished" in body or '" from ' in body or " => generated " in body:
        return _framework_request(body)
    else:
        quoted = _QUOTED_REQUEST.search(body) if "/" in body else None
        if quoted is None:
            return None
        haproxy = _HAPROXY.search(body, 0, quoted.start())
        if haproxy is None:
            return None
        method, path = quoted.groups()
        total, code = haproxy.groups()
        if duration is None and total[:1] != "-":
            duration = float(total)  # Ta: total active time, ms (-1: the request never completed)
    word = _LEVEL_AT_START.match(body)
    level = normalise_level(word.group(1)) if word else "info"
    return new_parsed((level, f"{method} {path.split('?', 1)[0]} {code}", int(code), duration, True))


def _framework_request(body: str) -> Parsed | None:
    """Request lines of web frameworks whose status is not right after the request (ASP.NET, chi,
    uWSGI)."""
    found = _DOTNET_FINISHED.search(body) or _UWSGI.search(body)
    if found is not None:
        method, url, code, ms = found.groups() if found.re is _DOTNET_FINISHED else found.group(1, 2, 4, 3)
        duration = float(ms)
    else:
        chi, request = _CHI.search(body), _CHI_REQUEST.search(body)
        if chi is None or request is None:
            return None
        method, url = request.groups()
        code, value, unit = chi.groups()
        duration = float(value) * _UNIT_MS[unit]
    path = url.split("://", 1)[-1]
    path = "/" + path.split("/", 1)[1] if "://" in url and "/" in path else path
    word = _LEVEL_AT_START.match(body)
    level = normalise_level(word.group(1)) if word else "info"
    return Parsed(level, f"{method} {path.split('?', 1)[0]} {code}", int(code), duration, True)


def _access_duration(body: str, end: int) -> float | None:
    """The request time written after the status: Envoy's %DURATION%, nginx rt=, or a trailing number."""
    after = body[end + 1 : end + 2]
    if after.isupper() or after == "-":
        envoy = _ENVOY_TAIL.match(body, end)
        if envoy is not None:
            return float(envoy.group(1))
    if body.startswith(" in ", end):  # "GET /x -> 200 in 16 ms"
        after = _AFTER_DURATION_KEY.match(body, end + 3)
        if after is not None and after.group(3):
            return float(after.group(2)) * _UNIT_MS[after.group(3)]
    if "t=" in body:
        kv = _KV_SECONDS.search(body, end)
        if kv is not None:
            return float(kv.group(1)) * 1000.0
    if after.isdigit():
        right_after = _TIME_AFTER_STATUS.match(body, end)
        if right_after is not None:
            return float(right_after.group(1)) * _UNIT_MS[right_after.group(2)]
    if body[-2:] == "ms":
        trailing_ms = _TRAILING_MS.search(body, end)
        if trailing_ms is not None:
            return float(trailing_ms.group(1))
    if body[-1:] in "0123456789s":
        # its quote is the line's last one (nothing after it holds a quote): matched there, not
        # searched for from the status on
        quote = body.rfind('"', end)
        trailing = _TRAILING_DURATION.match(body, quote) if quote >= 0 else None
        if trailing is not None:
            value, unit = trailing.groups()
            if unit:
                return float(value) * _UNIT_MS[unit]
            return float(value) * (1000.0 if "." in value else 1e-3)  # seconds (nginx) or µs (Apache %D)
    return None


def _status(text: str) -> int | None:
    if "HTTP/" in text or "GET " in text or "POST " in text:
        request = _REQUEST.search(text)
        if request is not None:
            return int(request.group(3)) or NO_RESPONSE
    return _status_kv(text)


def _status_kv(text: str) -> int | None:
    if "status" in text or "code=" in text or "code:" in text or "StatusCode." in text:
        found = _STATUS_KV.search(text)
        if found is not None and 100 <= int(found.group(1)) <= 599:
            return int(found.group(1))
        if "grpc" in text:  # go-grpc-middleware in logfmt: grpc.code=Unavailable (also a number)
            value = _logfmt_value(text, _GRPC_KEYS)
            if value:
                return grpc_as_http(value)
        return _grpc_text(text)
    return None


_GRPC_KEYS = ("grpc.code=", "grpc_code=", "grpc.status=", "grpc_status=", "grpc-status=")


def _grpc_text(text: str) -> int | None:
    """A gRPC status in a text line: Python's `code=StatusCode.UNAVAILABLE` (or the enum alone),
    Java's `Status{code=UNAVAILABLE, ...}`, Go's `status=Internal`."""
    for found in _GRPC_TEXT.finditer(text):
        enum, value = found.groups()
        if enum is not None:
            return grpc_as_http(enum)
        status = grpc_name_as_http(value, text)
        if status is not None:
            return status
    return None


def _logfmt_value(body: str, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        at = body.find(key)
        while at >= 0:
            if at == 0 or body[at - 1] == " ":
                value = _LOGFMT_VALUE.match(body, at + len(key))
                if value is not None:
                    return value.group(1) if value.group(1) is not None else value.group(2)
            at = body.find(key, at + 1)
    return None


def _logfmt_message(body: str) -> str | None:
    message = _logfmt_value(body, ("msg=", "message="))
    if message is None:
        return None
    error = _logfmt_value(body, ("err=", "error="))
    return message if error is None else f"{message} error={error}"


def _infer_level(body: str) -> str:
    """Go `log` and print-style lines carry no level: an error word makes them an error."""
    if not any(hint in body for hint in _ERROR_HINTS):
        return "unknown"
    if _ERROR_WORDS.search(body) and not _NOT_ERROR.search(body):
        return "error"
    return "unknown"

import json
import random

import pytest

from job.evidence import parse
from job.evidence.parse import _decode, duration_ms, normalise_level, parse_line


@pytest.mark.parametrize(
    ("line", "level", "message"),
    [
        ('{"level":"error","msg":"db down","error":"dial tcp 10.0.0.1:5432: connection refused"}', "error",
         "db down error=dial tcp 10.0.0.1:5432: connection refused"),
        ('{"lvl":"WARN","message":"slow query","ts":"2024-05-01T12:00:00Z"}', "warn", "slow query"),
        ('{"severity":"CRITICAL","message":"disk full"}', "fatal", "disk full"),
        ('{"log":{"level":"info"},"message":"ready"}', "info", "ready"),
        ('{"@timestamp":"2024","log.level":"debug","message":"tick"}', "debug", "tick"),
        ('{"level":50,"msg":"pino error"}', "error", "pino error"),
        ('{"msg":"boom","err":"EOF"}', "error", "boom error=EOF"),
        ('time=2024-05-01T12:00:00Z level=warn msg="cache miss" key=user:42', "warn", "cache miss"),
        ('ts=2024 lvl=error msg="request failed" err="context deadline exceeded"', "error",
         "request failed error=context deadline exceeded"),
        ('E0501 12:00:00.123456   12345 reflector.go:138] "Failed to watch" err="forbidden"', "error",
         '"Failed to watch" err="forbidden"'),
        ("W0501 12:00:00.123456       1 main.go:10] low memory", "warn", "low memory"),
        ("2024-05-01 12:00:00,123 - app.db - ERROR - failed to commit", "error", "app.db - failed to commit"),
        ("ERROR:root:could not open socket", "error", "root:could not open socket"),
        ("2024-05-01T12:00:00.123Z  WARN 1 --- [main] o.s.b.Startup : slow start", "warn",
         "1 --- [main] o.s.b.Startup : slow start"),
        ("[2024-05-01 12:00:00 +0000] [7] [ERROR] Exception in worker process", "error",
         "[7]  Exception in worker process"),
        ("2024/05/01 12:00:00 [error] 29#29: *1 connect() failed (111: Connection refused)", "error",
         "29#29: *1 connect() failed (111: Connection refused)"),
        ("2024/05/01 12:00:00 Error dialing backend: timeout", "error", "Error dialing backend: timeout"),
        ("2024/05/01 12:00:00 failed to reach backend", "error", "failed to reach backend"),
        ("2024/05/01 12:00:00 finished with 0 errors", "unknown", "finished with 0 errors"),
        ("2024/05/01 12:00:00 listening on :8080", "unknown", "listening on :8080"),
        ("panic: assignment to entry in nil map", "fatal", "panic: assignment to entry in nil map"),
        ("1:M 01 May 2024 12:00:00.000 # Warning: no config file specified", "unknown",
         "1:M 01 May 2024 12:00:00.000 # Warning: no config file specified"),
    ],
)  # fmt: skip
def test_level_and_message(line: str, level: str, message: str) -> None:
    parsed = parse_line(line)
    assert (parsed.level, parsed.message) == (level, message)


@pytest.mark.parametrize(
    ("line", "status", "message"),
    [
        ('10.0.0.1 - - [01/May/2024:12:00:00 +0000] "GET /api/users/12?page=2 HTTP/1.1" 500 231 "-" "curl/8"',
         500, "GET /api/users/12 500"),
        ('10.0.0.1 - bob [01/May/2024:12:00:00 +0000] "POST /login HTTP/2.0" 302 0', 302, "POST /login 302"),
        ('INFO:     10.0.0.1:5432 - "GET /healthz HTTP/1.1" 200 OK', 200, "GET /healthz 200"),
        ('[GIN] 2024/05/01 - 12:00:00 | 503 |  2.000000s |  10.0.0.1 | GET      "/color"', 503,
         "GET /color 503"),
        ('{"status":404,"method":"GET","path":"/missing?x=1","duration_ms":3}', 404, "GET /missing 404"),
        ('{"http":{"status_code":502,"method":"POST","url":"/pay"},"level":"error","msg":"upstream"}', 502,
         "upstream"),
        ("time=x level=info msg=served status=201 path=/orders", 201, "served"),
        ("2024/05/01 12:00:00 500 - yellow", 500, "yellow 500"),
        ("2024/05/01 12:00:00 200 | /api/cart | 3ms", 200, "/api/cart | 3ms 200"),
    ],
)  # fmt: skip
def test_http_status(line: str, status: int, message: str) -> None:
    parsed = parse_line(line)
    assert (parsed.status, parsed.message) == (status, message)


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("GET /color (2.000000s)", 2000.0),
        ("request took 120ms", 120.0),
        ("done latency=1.2s", 1200.0),
        ("duration_ms=15 ok", 15.0),
        ("served in 350µs", 0.35),
        ("elapsed: 3m", 180000.0),
        ("request_time=0.25", 250.0),
        ("time=2024-05-01T12:00:00Z msg=x", None),
        ("retry in 5 attempts", None),
        ("Signal terminated caught. Shutting down in 1s", None),
        ("request completed in 12ms", 12.0),
        ("count=12", None),
    ],
)
def test_durations(text: str, ms: float | None) -> None:
    assert duration_ms(text) == pytest.approx(ms) if ms is not None else duration_ms(text) is None


def test_request_time_after_the_user_agent() -> None:
    line = '127.0.0.1 - - [26/Nov/2026:06:35:55 +0000] "GET /items/54 HTTP/1.1" 200 28 "-" "curl/8" '
    assert parse_line(line + "250ms").duration_ms == 250.0
    assert parse_line(line + "0.120").duration_ms == 120.0  # nginx $request_time, seconds
    assert parse_line(line + "1532").duration_ms == pytest.approx(1.532)  # Apache %D, microseconds


def test_json_duration_keys() -> None:
    assert parse_line('{"msg":"ok","latency_ms":12.5}').duration_ms == 12.5
    assert parse_line('{"msg":"ok","duration":"35ms"}').duration_ms == 35.0
    assert parse_line('{"msg":"ok","request_time":0.5}').duration_ms == 500.0


def test_json_that_is_not_an_object_is_plain_text() -> None:
    assert parse_line("[1, 2, 3]").message == "[1, 2, 3]"
    assert parse_line('{"broken": ').level == "unknown"


@pytest.mark.parametrize(
    ("line", "level", "message"),
    [
        # no message key: the record's other fields, sorted, its time left out, values as written
        ('{"time": "2024-05-01T12:00:00Z", "level": "info", "event": {"sku": "ab", "note": "c d"}}', "info",
         "event={'sku': 'ab', 'note': 'c d'} level=info"),
        ('{"ts": 1714564800, "b": [1, {"x": null}], "a": true, "n": 1.5, "@t": "x"}', "unknown",
         "a=True b=[1, {'x': None}] n=1.5"),
        ('{"level": "error", "payload": {"id": 7}, "error": "EOF"}', "error",
         "error=EOF level=error payload={'id': 7} error=EOF"),
        ('{"time": "2024-05-01T12:00:00Z"}', "unknown", ""),
        # a message key: its text; a list, as JSON; an object is a payload like any other
        ('{"level": "warn", "msg": "slow", "payload": {"id": 7}}', "warn", "slow"),
        ('{"level": "info", "msg": ["b", 1, {"y": 2, "x": 1}]}', "info", '["b", 1, {"x": 1, "y": 2}]'),
        ('{"level": "info", "message": {"b": 1, "a": [2, 3]}}', "info",
         "level=info message={'b': 1, 'a': [2, 3]}"),
    ],
)  # fmt: skip
def test_a_json_record_s_message(line: str, level: str, message: str) -> None:
    assert parse_line(line)[:2] == (level, message)


def test_a_json_record_s_message_is_cut_at_500_characters() -> None:
    parsed = parse_line('{"level": "info", "payload": "' + "x" * 2000 + '"}')
    assert parsed.message == "level=info payload=" + "x" * 481


@pytest.mark.parametrize("depth", [10, 990, 1500])
def test_json_nested_deeper_than_python_goes_is_read_as_text_not_an_error(depth: int) -> None:
    line = '{"level": "error", "a": ' + "[" * depth + "]" * depth + "}"
    parsed = parse_line(line)
    assert parsed.level == "error"
    assert "[[[[[[[[[[" in parsed.message
    assert parse_line('{"msg": ' + "{" * depth).level == "unknown"  # broken and deep: text


def test_a_json_line_is_decoded_exactly_as_json_loads_decodes_it() -> None:
    """Records cut, padded, with trailing text, NaN, big numbers, escapes: the same value, or an error
    where json.loads has one."""
    rng = random.Random(11)
    pieces = ['"a"', ":", ",", "1", "-0", "1e400", "NaN", "18446744073709551616", '"\\ud800"', '"é"', "[",
              "]", "{", "}", "null", "true", " ", "\t", "\r", "\n", "x", '"k"', "0.5",
              ".5", "01"]  # fmt: skip
    values = [
        1,
        -0.0,
        float("nan"),
        float("inf"),
        2**64,
        -(2**63) - 1,
        "\ud800",
        "é",
        None,
        [1, {"b": 2}],
        "x y",
    ]
    for _ in range(20_000):
        if rng.random() < 0.5:  # a record, with what may follow it
            record = {rng.choice("abc"): rng.choice(values) for _ in range(rng.randint(0, 3))}
            line = json.dumps(record) + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 2)))
        else:
            line = "{" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        try:
            want: object = json.loads(line)
        except ValueError:
            want = ValueError
        try:
            got: object = _decode(line)
        except ValueError:
            got = ValueError
        assert repr(got) == repr(want), line


def test_docker_json_file_wrapping_is_unwrapped() -> None:
    line = '{"log":"{\\"level\\":\\"error\\",\\"msg\\":\\"inner\\"}\\n","stream":"stderr","time":"x"}'
    assert parse_line(line)[:2] == ("error", "inner")


@pytest.mark.parametrize(
    ("raw", "level"), [("WARNING", "warn"), ("Err", "error"), (30, "info"), ("x", "unknown")]
)
def test_normalise_level(raw: object, level: str) -> None:
    assert normalise_level(raw) == level


def test_a_trailing_request_time_is_matched_at_the_last_quote_as_a_search_finds_it() -> None:
    """`_access_duration` matches the trailing `" <number>[unit]` at the line's last quote only:
    the same match as searching for it from the status on, on fuzzed tails."""
    rng = random.Random(7)
    pieces = ['"', " ", "1", "2", ".", "ms", "s", "us", "µs", "x", '"-"', " 0.023", '" 15']
    for _ in range(50_000):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        end = rng.randint(0, len(body))
        searched = parse._TRAILING_DURATION.search(body, end)
        quote = body.rfind('"', end)
        matched = parse._TRAILING_DURATION.match(body, quote) if quote >= 0 else None
        assert (searched and searched.groups()) == (matched and matched.groups()), (body, end)

import pytest

from job.evidence.parse import duration_ms, normalise_level, parse_line


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


def test_docker_json_file_wrapping_is_unwrapped() -> None:
    line = '{"log":"{\\"level\\":\\"error\\",\\"msg\\":\\"inner\\"}\\n","stream":"stderr","time":"x"}'
    assert parse_line(line)[:2] == ("error", "inner")


@pytest.mark.parametrize(
    ("raw", "level"), [("WARNING", "warn"), ("Err", "error"), (30, "info"), ("x", "unknown")]
)
def test_normalise_level(raw: object, level: str) -> None:
    assert normalise_level(raw) == level

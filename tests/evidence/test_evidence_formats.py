"""Real-world log formats: one realistic line of each, and what the parser must read from it."""

import pytest

from job.evidence.events import group_events
from job.evidence.parse import grpc_as_http, parse_line

HAPROXY = (
    "10.0.3.7:35282 [26/Nov/2026:06:43:04.031] public api/api2 0/0/0/15/17 {status} 127 - - ---- "
    '4/4/3/1/0 0/0 "GET /api/search?q=216 HTTP/1.1"'
)


@pytest.mark.parametrize(
    ("line", "status", "message", "ms"),
    [
        (HAPROXY.format(status=200), 200, "GET /api/search 200", 17.0),
        (HAPROXY.format(status=503), 503, "GET /api/search 503", 17.0),
        ('127.0.0.1:47668 [26/Nov/2026:06:43:15.680] public api/<NOSRV> 0/-1/-1/-1/0 503 217 - - SC-- '
         '2/2/0/0/0 0/0 "GET /api/search?q=171 HTTP/1.1"', 503, "GET /api/search 503", 0.0),
        ('Nov 26 06:43:04 lb haproxy[812]: 10.0.0.9:4410 [26/Nov/2026:06:43:04.100] fe be/s1 '
         '1/0/1/250/252 +502 0 - - SH-- 1/1/0/0/0 0/0 "POST /pay HTTP/1.1"', None, None, None),
        # Envoy default format: status, flags, bytes in, bytes out, duration (ms), upstream time
        ('[2026-11-26T06:43:04.031Z] "GET /api/v1/items HTTP/1.1" 503 UF 0 91 12 - "-" "curl/8.4.0" '
         '"5b6a9a52-1c1e-4d9c-a0a1-4c1cde0b5f54" "items:8080" "10.0.4.2:8080"',
         503, "GET /api/v1/items 503", 12.0),
        ('[2026-11-26T06:43:04.031Z] "GET /api/v1/items HTTP/1.1" 200 - 0 1042 35 33 "-" "curl/8.4.0" '
         '"5b6a9a52" "items:8080" "10.0.4.2:8080"', 200, "GET /api/v1/items 200", 35.0),
        # Istio: response code details, termination details and the upstream failure come before the bytes
        ('[2026-11-26T06:43:04.031Z] "GET /status/418 HTTP/1.1" 418 - via_upstream - "-" 0 135 4 4 "-" '
         '"curl/7.73.0" "a8f2e0e5" "httpbin:8000" "10.44.1.27:80"', 418, "GET /status/418 418", 4.0),
        # Envoy/Istio: no response at all (code 0): the client gave up after 10 s (DC); as nginx's 499
        ('[2026-11-26T06:43:04.031Z] "GET /api/cart/7 HTTP/1.1" 0 DC downstream_remote_disconnect - "-" 0 0 '
         '10001 - "-" "curl/7.88.1" "a8f2e0e5" "cart:8080" "10.244.0.7:8080"',
         499, "GET /api/cart/7 499", 10001.0),
        # nginx with the docs' upstream-timing tail (seconds)
        ('127.0.0.1 - - [26/Nov/2026:07:00:32 +0000] "GET /api/search?q=a HTTP/1.1" 200 12 "-" "curl/8" '
         'rt=0.482 uct="0.000" urt="0.481"', 200, "GET /api/search 200", 482.0),
        ('10.0.0.1 - - [26/Nov/2026:07:00:32 +0000] "GET / HTTP/1.1" 502 157 "-" "curl/8" '
         'request_time=1.250 upstream_response_time=1.249', 502, "GET / 502", 1250.0),
        # Apache with %D (microseconds) last
        ('127.0.0.1 - - [26/Nov/2026:06:42:26 +0000] "GET / HTTP/1.1" 200 58 "-" "Python-urllib/3.11" 222',
         200, "GET / 200", 0.222),
        # Django runserver
        ('[26/Nov/2026 06:42:26] "GET /api/cart/3 HTTP/1.1" 500 145', 500, "GET /api/cart/3 500", None),
    ],
)  # fmt: skip
def test_access_logs(line: str, status: int | None, message: str | None, ms: float | None) -> None:
    parsed = parse_line(line)
    if status is None:  # "+502": logasap; a `+` before the status is not HAProxy's layout, nothing read
        assert parsed.status is None
        return
    assert (parsed.status, parsed.message, parsed.request) == (status, message, True)
    assert parsed.duration_ms == (pytest.approx(ms) if ms is not None else None)


@pytest.mark.parametrize(
    ("line", "status", "ms", "message"),
    [
        # pino-http: status and route nested in req/res, responseTime in ms
        ('{"level":30,"time":1795676378591,"pid":1,"hostname":"q","reqId":"req-1","req":{"method":"GET",'
         '"url":"/quotes/288","remoteAddress":"127.0.0.1"},"res":{"statusCode":200},"responseTime":840,'
         '"msg":"request completed"}', 200, 840.0, "request completed"),
        # Caddy: duration as fractional seconds, request nested
        ('{"level":"error","ts":1732600000.1,"logger":"http.log.access","msg":"handled request",'
         '"request":{"method":"GET","uri":"/api"},"duration":0.25,"size":12,"status":502}', 502, 250.0,
         "handled request"),
        # Traefik: DownstreamStatus, Duration in nanoseconds, no msg
        ('{"ClientHost":"10.0.0.1","DownstreamStatus":503,"Duration":120000000,"RequestMethod":"GET",'
         '"RequestPath":"/v1/x?y=1","time":"2026-11-26T06:00:00Z"}', 503, 120.0, "GET /v1/x 503"),
        # Envoy JSON access log: response_code, duration in integer ms
        ('{"start_time":"2026-11-26T06:00:00.000Z","method":"POST","path":"/pay","response_code":500,'
         '"response_flags":"-","duration":41}', 500, 41.0, "POST /pay 500"),
        # zap production: latency in fractional seconds
        ('{"level":"info","ts":1732600000.5,"caller":"http/log.go:20","msg":"served","status":200,'
         '"latency":0.012}', 200, 12.0, "served"),
        # nginx JSON (escape=json writes every value as a string)
        ('{"time":"2026-11-26T06:00:00+00:00","status":"504","request_method":"GET","request_uri":"/a",'
         '"request_time":"1.500","upstream_response_time":"1.499"}', 504, 1500.0, "GET /a 504"),
        # Serilog request logging: Elapsed in ms
        ('{"@t":"2026-11-26T06:00:00Z","@mt":"HTTP {RequestMethod} {RequestPath} responded {StatusCode} in '
         '{Elapsed:0.0000} ms","RequestMethod":"GET","RequestPath":"/","StatusCode":500,"Elapsed":12.5}',
         500, 12.5, None),
        # ECS: nested-by-name status, event.duration in ns
        ('{"@timestamp":"2026-11-26T06:00:00Z","log.level":"info","message":"request",'
         '"http.response.status_code":404,"event.duration":3000000}', 404, 3.0, "request"),
    ],
)  # fmt: skip
def test_json_access_records(line: str, status: int, ms: float, message: str | None) -> None:
    parsed = parse_line(line)
    assert parsed.status == status
    assert parsed.duration_ms == pytest.approx(ms)
    if message is not None:
        assert parsed.message == message


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ('{"level":"error","msg":"finished unary call with code Unavailable","grpc.code":"Unavailable",'
         '"grpc.method":"GetQuote","grpc.time_ms":3.2}', 503),
        ('{"level":"info","msg":"finished unary call with code OK","grpc.code":"OK","grpc.time_ms":1.1}',
         200),
        ("time=2026-11-26T06:00:00Z level=error msg=\"finished call\" grpc.code=Internal grpc.method=Pay",
         500),
    ],
)  # fmt: skip
def test_grpc_codes_count_as_http(line: str, status: int) -> None:
    assert parse_line(line).status == status


def test_envoy_json_access_log_without_a_response_is_a_request_that_got_none() -> None:
    line = '{"method":"GET","path":"/cart","response_code":0,"response_flags":"DC","duration":10001}'
    assert parse_line(line)[2:4] == (499, 10001.0)
    assert parse_line('{"msg":"retry budget","code":0}')[2] is None


def test_grpc_code_names_and_numbers() -> None:
    assert grpc_as_http(14) == grpc_as_http("UNAVAILABLE") == grpc_as_http("14") == 503
    assert grpc_as_http("DeadlineExceeded") == 504 and grpc_as_http("INVALID_ARGUMENT") == 400
    assert grpc_as_http(99) is None and grpc_as_http("nonsense") is None and grpc_as_http(None) is None


@pytest.mark.parametrize(
    ("line", "level", "status", "ms"),
    [
        # Rails: the status and time are on the "Completed" line
        ("I, [2026-11-26T06:00:00.123456 #1]  INFO -- : [4f2a] Completed 500 Internal Server Error in 12ms "
         "(ActiveRecord: 1.2ms | Allocations: 345)", "info", 500, 12.0),
        ("fail: Microsoft.AspNetCore.Server.Kestrel[13]", "error", None, None),
        ("crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]", "fatal", None, None),
        ("info: Microsoft.Hosting.Lifetime[14]", "info", None, None),
        ("[ALERT]    (13916) : backend 'api' has no server available!", "fatal", None, None),
        ("2026-11-26 06:43:45 5 [Warning] Access denied for user 'shop'@'localhost' (using password: YES)",
         "warn", None, None),
        ("2026-11-26 06:32:12.888 UTC [9801] FATAL:  sorry, too many clients already", "fatal", None, None),
        ("2026-11-26 06:32:12.888 UTC [9801] ERROR:  relation \"orders\" does not exist", "error",
         None, None),
        ("2026-11-26 06:00:00.000 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet] : "
         "Servlet.service() for servlet [dispatcherServlet] threw exception", "error", None, None),
        ("26-Nov-2026 06:00:00.000 SEVERE [http-nio-8080-exec-1] org.apache.catalina.core."
         "StandardWrapperValve.invoke Servlet.service() threw exception", "error", None, None),
        ("SEVERE: Servlet.service() for servlet [jsp] threw exception", "error", None, None),
    ],
)  # fmt: skip
def test_levels_status_and_times_in_text(line: str, level: str, status: int | None, ms: float | None) -> None:
    parsed = parse_line(line)
    assert (parsed.level, parsed.status) == (level, status)
    assert parsed.duration_ms == (pytest.approx(ms) if ms is not None else None)


@pytest.mark.parametrize(
    "lines",
    [
        ["Killed"],
        ["/docker-entrypoint.sh: line 12:    42 Killed                  java -jar /app.jar"],
        ["Segmentation fault (core dumped)"],
        ["2026-11-26 06:00:01,234 INFO exited: web (exit status 1; not expected)"],
        ["2026-11-26 06:00:09,001 INFO gave up: web entered FATAL state, too many start retries too quickly"],
        ["2026-11-26 06:00:00,123 ERROR app: render failed", "Traceback (most recent call last):",
         '  File "/app/render.py", line 9, in render', "MemoryError"],
        ["fatal error: runtime: out of memory"],
        ["Terminating due to java.lang.OutOfMemoryError: Java heap space"],
        ["FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"],
        ['Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
         "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)"],
        ["2026-11-26 06:00:00.000 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[dispatcherServlet] : "
         "Servlet.service() threw exception", "java.lang.OutOfMemoryError: Java heap space",
         "\tat com.example.Render.pdf(Render.java:42)"],
    ],
)  # fmt: skip
def test_a_dying_process_is_a_crash(lines: list[str]) -> None:
    (event,) = list(group_events(lines))
    assert event.crash and event.parsed.level == "fatal"


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-26 06:00:00 INFO cache evicted 20 entries: out of memory budget for tenant 7",
        "2026-11-26 06:00:00 INFO worker Killed by the scheduler is restarted",
        "2026-11-26 06:00:00 INFO 1 --- [main] Killed switch disabled",
        "Killed 3 idle sessions older than 1h",
        "2026-11-26 06:00:01,234 INFO exited: web (exit status 0; expected)",
    ],
)
def test_info_lines_mentioning_memory_or_kills_are_not_crashes(line: str) -> None:
    (event,) = list(group_events([line]))
    assert not event.crash


def test_app_request_lines_with_an_arrow_and_a_spaced_unit() -> None:
    line = (
        "2026-11-26 06:57:22.037  INFO 26800 --- [io-8080-exec-21] c.e.b.w.InvoiceController"
        "                : GET /api/invoices/1039 -> 503 in 16 ms"
    )
    parsed = parse_line(line)
    assert (parsed.status, parsed.message, parsed.duration_ms) == (503, "GET /api/invoices/1039 503", 16.0)


def test_rust_tracing_json_fields() -> None:
    """tracing-subscriber's JSON format nests the message and the event's fields under "fields"."""
    line = (
        '{"timestamp":"2026-11-27T20:00:00.123456Z","level":"INFO","fields":{"message":"finished processing '
        'request","latency":"3 ms","status":503},"target":"tower_http::trace::on_response","span":{"method":'
        '"GET","uri":"/cart/3","name":"request"}}'
    )
    assert parse_line(line)[:3] == ("info", "finished processing request", 503)
    error = '{"level":"ERROR","fields":{"message":"inventory lookup failed","error":"connection refused"}}'
    assert parse_line(error)[:2] == ("error", "inventory lookup failed error=connection refused")


def test_opentelemetry_log_records() -> None:
    """The OTel SDKs' console/stdout exporters: severity_text and body (Python), SeverityText and a
    typed Body (Go); the level was lost and the message was every field at once."""
    python = '{"body": "checkout failed for order 43", "severity_number": 17, "severity_text": "ERROR"}'
    go = '{"Severity":17,"SeverityText":"ERROR","Body":{"Type":"String","Value":"card declined"}}'
    assert parse_line(python)[:2] == ("error", "checkout failed for order 43")
    assert parse_line(go)[:2] == ("error", "card declined")
    assert parse_line('{"method":"POST","path":"/x","status":201,"body":{"item":3}}')[1] == "POST /x 201"


@pytest.mark.parametrize(
    ("line", "level", "message"),
    [
        ('{"t":{"$date":"2026-11-26T06:00:00.000+00:00"},"s":"E","c":"NETWORK","id":23256,"ctx":"conn12",'
         '"msg":"SSL handshake failed"}', "error", "SSL handshake failed"),
        ('{"EventId":13,"LogLevel":"Error","Category":"Microsoft.AspNetCore.Server.Kestrel","Message":'
         '"Connection id \\"0HN\\" application error.","Exception":"System.InvalidOperationException: boom"}',
         "error", 'Connection id "0HN" application error. error=System.InvalidOperationException: boom'),
    ],
)  # fmt: skip
def test_more_json_layouts(line: str, level: str, message: str) -> None:
    assert parse_line(line)[:2] == (level, message)


def test_a_worker_killed_by_a_signal_is_a_crash() -> None:
    line = (
        "[26-Nov-2026 06:00:00] WARNING: [pool www] child 12 exited on signal 11 (SIGSEGV) after 1.2 seconds"
    )
    (event,) = list(group_events([line]))
    assert event.crash


@pytest.mark.parametrize(
    ("line", "message", "status", "ms"),
    [
        ("[pid: 12|app: 0|req: 7/7] 10.0.0.1 () {34 vars in 512 bytes} [Thu Nov 27 20:00:00 2026] "
         "GET /api/items/7?x=1 => generated 21 bytes in 3 msecs (HTTP/1.1 500) 2 headers in 80 bytes "
         "(1 switches on core 0)", "GET /api/items/7 500", 500, 3.0),
        ("info: Microsoft.AspNetCore.Hosting.Diagnostics[2] Request finished HTTP/1.1 GET "
         "http://localhost:5000/weatherforecast?x=1 - - - 500 - application/json;+charset=utf-8 49.8137ms",
         "GET /weatherforecast 500", 500, 49.8137),
        ('2026/11/26 06:00:00 "GET http://localhost:3333/api/x HTTP/1.1" from 127.0.0.1:54321 - 503 12B '
         "in 1.5ms",
         "GET /api/x 503", 503, 1.5),
        ("GET /api/x 500 23 - 12.345 ms", "GET /api/x 500", 500, 12.345),  # morgan tiny
    ],
)  # fmt: skip
def test_framework_request_lines(line: str, message: str, status: int, ms: float) -> None:
    parsed = parse_line(line)
    assert (parsed.message, parsed.status, parsed.request) == (message, status, True)
    assert parsed.duration_ms == pytest.approx(ms)


def test_dotnet_two_line_records_read_the_message_line() -> None:
    lines = [
        "info: Microsoft.AspNetCore.Hosting.Diagnostics[2]",
        "      Request finished HTTP/1.1 GET http://localhost:5000/cart/7 - - - 503 - text/plain 10.5ms",
        "info: Shop.Cart[0]",
        "      Cart 7 priced in 3 ms",
    ]
    request, app = list(group_events(lines))
    assert (request.parsed.message, request.parsed.status, request.parsed.duration_ms) == (
        "GET /cart/7 503",
        503,
        10.5,
    )
    assert app.parsed.message == "Shop.Cart[0] Cart 7 priced in 3 ms" and app.parsed.status is None


@pytest.mark.parametrize(
    ("line", "level", "message"),
    [("SCHWERWIEGEND: request failed", "error", "request failed"),
     ("重大: request failed", "error", "request failed"), ("AVERTISSEMENT: slow query", "warn", "slow query"),
     ("INFORMACIÓN: served", "info", "served"),
     ("GRAVE: échec du paiement", "error", "échec du paiement")],
)  # fmt: skip
def test_java_logging_level_names_in_the_jdks_translations(line: str, level: str, message: str) -> None:
    assert parse_line(line)[:2] == (level, message)


def test_celery_worker_levels() -> None:
    """Celery's worker log: "[%(asctime)s: %(levelname)s/%(processName)s] %(message)s"."""
    line = "[2026-11-27 20:00:00,123: WARNING/ForkPoolWorker-1] Task shop.charge[ab12] retry: Retry in 5s"
    assert parse_line(line)[0] == "warn"
    done = "[2026-11-27 20:00:00,123: INFO/ForkPoolWorker-2] Task shop.charge[ab12] succeeded in 0.01s: None"
    assert parse_line(done)[0] == "info"


def test_gelf_records_use_syslog_severities() -> None:
    """GELF (Spring Boot's logging.structured.format.console=gelf): level 3 is an error, 4 a warning."""
    error = '{"version":"1.1","short_message":"invoice render failed","timestamp":1795806026.19,"level":3}'
    warn = '{"version":"1.1","short_message":"pool nearly full","timestamp":1795806026.2,"level":4}'
    assert parse_line(error)[:2] == ("error", "invoice render failed")
    assert parse_line(warn)[:2] == ("warn", "pool nearly full")
    assert parse_line('{"level":30,"msg":"pino info"}')[0] == "info"


@pytest.mark.parametrize(
    ("line", "level", "message", "status"),
    [('{"asctime": "2026-11-27 20:00:00,123", "levelname": "INFO", "name": "uvicorn.access", '
      '"message": "10.0.0.7:51234 - \\"GET /items/3?x=1 HTTP/1.1\\" 500"}', "info", "GET /items/3 500", 500),
     ('{"log":"10.0.0.1 - - [27/Nov/2026:20:00:00 +0000] \\"GET /x HTTP/1.1\\" 502 157 \\"-\\" '
      '\\"curl/8\\"\\n","stream":"stdout","time":"2026-11-27T20:00:00.1Z"}', "info", "GET /x 502", 502)],
)  # fmt: skip
def test_an_access_line_inside_a_json_record_keeps_its_status(
    line: str, level: str, message: str, status: int
) -> None:
    """python-json-logger on uvicorn's access log, a docker json-file log of nginx: the status was lost."""
    parsed = parse_line(line)
    assert (parsed.level, parsed.message, parsed.status, parsed.request) == (level, message, status, True)


@pytest.mark.parametrize(
    ("line", "status"),
    [
        # Python: str(grpc.StatusCode.X) from a server interceptor, with and without a key
        ("2026-11-27 10:00:00,123 INFO [access] /shop.Cart/Get code=StatusCode.UNAVAILABLE", 503),
        ("2026-11-27 10:00:00,123 INFO [access] /shop.Cart/Get StatusCode.DEADLINE_EXCEEDED 3.0ms", 504),
        ("2026-11-27 10:00:00,123 INFO [access] /shop.Cart/Get code=StatusCode.OK", 200),
        ("2026-11-27 10:00:00,123 INFO [access] /shop.Cart/Get code=StatusCode.INVALID_ARGUMENT", 400),
        ("2026-11-27 10:00:00,123 INFO [access] /shop.Cart/Get code=StatusCode.CANCELLED", 499),
        # Go: codes.Code.String() under a plain key; grpc-middleware's other keys
        ("2026/11/27 10:00:00 finished /shop.Cart/Get status=Internal", 500),
        ("2026/11/27 10:00:00 finished /shop.Cart/Get status=ResourceExhausted", 429),
        ("level=info msg=\"finished call\" grpc_code=DataLoss", 500),
        ("level=info msg=\"finished call\" grpc.code=14", 503),
        ("2026/11/27 10:00:00 grpc call /shop.Cart/Get done status=Unknown", 500),
        # Java: io.grpc.Status's toString
        ("WARN c.s.Cart - call failed: Status{code=UNAVAILABLE, description=io exception, cause=null}", 503),
        # JSON: the Python enum as a value; Envoy's %GRPC_STATUS% beside its HTTP 200
        ('{"level":"info","msg":"rpc done","code":"StatusCode.UNAVAILABLE"}', 503),
        ('{"response_code":200,"grpc_status":"Unavailable","method":"POST","path":"/shop.Cart/Get"}', 503),
        ('{"response_code":200,"grpc_status":"0","method":"POST","path":"/shop.Cart/Get"}', 200),
    ],
)  # fmt: skip
def test_grpc_status_names_in_text_and_json(line: str, status: int) -> None:
    assert parse_line(line).status == status


@pytest.mark.parametrize(
    "line",
    [
        "level=info msg=\"node condition\" type=Ready status=Unknown",  # a Kubernetes condition
        '{"level":"info","msg":"probe","status":"Unknown"}',
        "2026/11/27 10:00:00 job finished status=Aborted",
        "2026/11/27 10:00:00 health status=OK",
    ],
)  # fmt: skip
def test_one_word_status_names_are_grpc_only_on_a_grpc_line(line: str) -> None:
    assert parse_line(line).status is None


@pytest.mark.parametrize(
    ("line", "status", "ms"),
    [
        # morgan dev (Node): the time right after the status, the length last
        ("GET /api/items/7 500 12.345 ms - 123", 500, 12.345),
        ("GET / 304 2.100 ms - -", 304, 2.1),
        # koa-logger (Node): "-->", the time and the length after the status
        ("  --> GET /api/items 500 3ms 2b", 500, 3.0),
        ("  --> GET /api/items 200 1.2s 15.3kb", 200, 1200.0),
        # Fiber (Go)
        ("15:04:05 | 500 |      1.2ms |       127.0.0.1 | GET     | /api/items      | -", 500, 1.2),
        # Phoenix (Elixir)
        ("12:00:00.123 request_id=F3x9 [info] Sent 500 in 431µs", 500, 0.431),
        ("12:00:00.123 request_id=F3x9 [info] Sent 200 in 12ms", 200, 12.0),
        # structlog / Node key=value with a bare number: a fraction is seconds, an integer ms
        ("2026-11-27 10:00:00 [info] request handled duration=0.125 path=/x status=200", 200, 125.0),
        ("level=info msg=done elapsed=12 status=200", 200, 12.0),
        # a status line ending in its time
        ("2026-11-27 10:00:00,123 INFO /shop.Cart/Get code=StatusCode.OK 0.012s", 200, 12.0),
        # Echo: "latency" is ns, "latency_human" says its unit
        ('{"time":"2026-11-27T10:00:00Z","method":"GET","uri":"/","status":500,"latency":12345678,'
         '"latency_human":"12.345678ms"}', 500, 12.345678),
    ],
)  # fmt: skip
def test_request_times_in_more_formats(line: str, status: int, ms: float) -> None:
    parsed = parse_line(line)
    assert (parsed.status, parsed.duration_ms) == (status, pytest.approx(ms))


@pytest.mark.parametrize(
    "line",
    ["status=200 retrying in 5s", "status=200 retrying in 2.5s", "status=200 batch of 5s", "took 3 attempts"],
)
def test_a_wait_or_a_count_is_no_request_time(line: str) -> None:
    assert parse_line(line).duration_ms is None

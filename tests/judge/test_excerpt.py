"""Examples for the model: the lines that name the problem and the application's own frames."""

from __future__ import annotations

from job.judge.excerpt import excerpt, headline

JAVA = """SEVERE: balance lookup failed for account acc35
java.lang.NullPointerException: Cannot invoke "String.toUpperCase()" because "<local1>" is null
\tat Svc.balance(Svc.java:24)
\tat Svc.handle(Svc.java:35)
\tat jdk.httpserver/com.sun.net.httpserver.Filter$Chain.doFilter(Filter.java:95)
\tat jdk.httpserver/sun.net.httpserver.AuthFilter.doFilter(AuthFilter.java:82)
... (6 more lines)
Nov 26, 2026 6:28:10 AM Svc handle"""

PYTHON = """Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/uvicorn/protocols/http/h11_impl.py", line 403, in run_asgi
    result = await app(scope, receive, send)
  File "/srv/app/views/profile.py", line 12, in profile
    theme = settings["theme"]
KeyError: 'settings'"""

GO = """panic: assignment to entry in nil map
goroutine 14 [running]:
net/http.(*conn).serve.func1()
\t/usr/lib/go-1.19/src/net/http/server.go:1850 +0xbf
panic({0x63d180, 0x6e8180})
\t/usr/lib/go-1.19/src/runtime/panic.go:890 +0x262
main.checkout({0x6ea840?, 0xc000124540}, 0xc0000c6a00)
\t/build/src/checkout/main.go:42 +0x5e
created by net/http.(*Server).Serve"""


def test_a_java_trace_keeps_the_exception_and_the_applications_frames() -> None:
    kept = excerpt(JAVA).splitlines()
    assert kept[:4] == JAVA.splitlines()[:4]
    assert not any("jdk.httpserver" in line or "more lines" in line for line in kept)


def test_a_python_trace_keeps_the_applications_frame_and_the_exception() -> None:
    kept = excerpt(PYTHON)
    assert 'File "…/views/profile.py", line 12, in profile' in kept and 'settings["theme"]' in kept
    assert "site-packages" not in kept and "await app(" not in kept
    assert kept.endswith("KeyError: 'settings'")


def test_a_go_panic_keeps_main_frames_without_pointer_dumps() -> None:
    assert excerpt(GO).splitlines() == [
        "panic: assignment to entry in nil map",
        "main.checkout(…)",
        "\t…/checkout/main.go:42 +0x5e",
    ]


def test_a_single_line_is_left_alone() -> None:
    line = 'ERROR req=81f2 GET /api/cart -> 500 upstream connect error at "/usr/lib/x.py"'
    assert excerpt(line) == line


def test_the_headline_of_a_python_traceback_is_its_exception() -> None:
    assert headline(PYTHON) == "KeyError: 'settings'"
    assert headline(GO) == "panic: assignment to entry in nil map"

"""Hostile and careless clients (issue 17, item 7): each case failed before the fix.

A real `python -m job serve` process (tests/web/web_service.py) with the fake analysis.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from test_web_http import Q, analyse, checked, raw
from web_service import HERE, ROOT, Service

ANALYZE = "/analyze?namespace=shop&stableHash=a&canaryHash=pass"


def wait_closed(sock: socket.socket, seconds: float) -> bytes:
    """Whatever the service sends until it closes the connection (at most `seconds`)."""
    sock.settimeout(seconds)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (TimeoutError, ConnectionError):
        pass
    return b"".join(chunks)


# ---------------------------------------------------------------- strict headers, JSON 400


@pytest.mark.parametrize(
    ("head", "words"),
    [
        ("Content-Length: \N{SUPERSCRIPT THREE}", "Content-Length"),  # isdigit() but not a number
        ("Content-Length: \N{ARABIC-INDIC DIGIT FIVE}", "Content-Length"),
        ("Content-Length: -5", "Content-Length"),
        ("Content-Length: 1" + "0" * 5000, "Content-Length"),  # more digits than int() takes
        ("Content-Length: 2\r\nContent-Length: 3", "Content-Length"),
        ("Content-Length: 2\r\nTransfer-Encoding: chunked", "Transfer-Encoding"),
        ("Content-Length : 2", "header"),  # space before the colon: a request-smuggling trick
        ("this line is no header\r\nAuthorization: Bearer x", "header"),
        ("X-Folded: one\r\n  two", "header"),  # obsolete line folding
    ],
)
def test_malformed_headers_are_json_400(service: Service, head: str, words: str) -> None:
    text = f"POST {ANALYZE} HTTP/1.1\r\nHost: x\r\n{head}\r\n\r\n{{}}"
    # Latin-1 where it can: that is how the server decodes header bytes, so b"\xb3" arrives as "³".
    data = text.encode("latin-1") if text.isascii() or max(map(ord, text)) < 256 else text.encode()
    status, document = raw(service, data)
    assert status in (400, 411, 413), document
    assert words in document["error"] and document["status"] == status
    assert service.analyses() == []


def test_a_huge_content_length_is_413(service: Service) -> None:
    status, document = raw(service, f"POST {ANALYZE} HTTP/1.1\r\nContent-Length: {10**30}\r\n\r\n".encode())
    assert status == 413 and "larger than the limit" in document["error"]


# ---------------------------------------------------------------- auth scheme


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_case_insensitive(service_factory: Any, tmp_path: Path, scheme: str) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    service = service_factory("--no-llm", "--token-file", str(token_file))
    answer = analyse(service, "pass", headers={"Authorization": f"{scheme} s3cret"})
    assert answer.status_code == 200
    for wrong in (f"{scheme}s3cret", f"{scheme} s3cre", "Basic s3cret", "s3cret", f"{scheme}  "):
        assert analyse(service, "pass", headers={"Authorization": wrong}).status_code == 401, wrong


# ---------------------------------------------------------------- probes at the connection cap


def test_probes_are_answered_while_slow_clients_hold_every_slot(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--max-connections", "2", "--read-timeout", "5")
    holders = [socket.create_connection(("127.0.0.1", service.port), timeout=10) for _ in range(2)]
    try:
        for sock in holders:
            sock.sendall(b"GET /analyze?namespace=shop")  # and never more
        time.sleep(0.3)
        for path in ("/healthz", "/readyz", "/metrics"):
            answer = requests.get(service.url + path, timeout=3)
            assert answer.status_code == 200, (path, answer.text)
        assert checked(requests.get(service.url + "/healthz", timeout=3)).json() == {"status": "ok"}
        # Real work still waits for a slot: the cap holds for everything but the probes.
        status, document = raw(service, f"GET {ANALYZE} HTTP/1.1\r\n\r\n".encode())
        assert status == 503 and "too many connections" in document["error"]
    finally:
        for sock in holders:
            sock.close()
    assert service.analyses() == []


def test_a_probe_that_dribbles_at_the_cap_is_cut_too(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--max-connections", "1", "--read-timeout", "5")
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as holder:
        holder.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(0.3)
        with socket.create_connection(("127.0.0.1", service.port), timeout=10) as slow:
            slow.sendall(b"GET /heal")
            started = time.monotonic()
            answer = wait_closed(slow, 10)
            assert time.monotonic() - started < 4
            assert answer == b"" or b" 408 " in answer.split(b"\r\n", 1)[0] or b" 503 " in answer[:20]
        assert requests.get(service.url + "/healthz", timeout=3).status_code == 200


# ---------------------------------------------------------------- cut requests are dropped


@pytest.mark.parametrize(
    "partial",
    [
        f"GET {ANALYZE}",  # the request line itself is cut (would be read as HTTP/0.9)
        f"GET {ANALYZE} HTTP/1.1\r\nHost: x\r\n",  # the headers never end
        "POST /analyze HTTP/1.1\r\nContent-Length: 200\r\n\r\n"
        + json.dumps({**Q, "canaryHash": "pass"}),  # the body is short
    ],
)
def test_a_request_cut_by_the_watchdog_is_not_handled(service_factory: Any, partial: str) -> None:
    service = service_factory("--no-llm", "--read-timeout", "1")
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
        sock.sendall(partial.encode())
        answer = wait_closed(sock, 5)
    assert not answer.startswith(b"HTTP/1.0 200"), answer
    time.sleep(0.3)
    assert service.analyses() == []
    assert analyse(service, "fail").status_code == 200  # the service itself is fine


def test_a_request_ended_mid_headers_by_the_client_is_not_handled(service: Service) -> None:
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
        sock.sendall(f"GET {ANALYZE} HTTP/1.1\r\nHost: x\r\n".encode())
        sock.shutdown(socket.SHUT_WR)
        answer = wait_closed(sock, 5)
    assert answer == b"" or answer.startswith(b"HTTP/1.0 400"), answer
    time.sleep(0.3)
    assert service.analyses() == []


# ---------------------------------------------------------------- typed parameters


@pytest.mark.parametrize(
    "since",
    ["%C2%B3", "%D9%A5m", "99999999999999999999h", "1e3", "-5m", "%20"],
)
def test_bad_since_in_the_query_is_400(service: Service, since: str) -> None:
    answer = checked(requests.get(f"{service.url}{ANALYZE}&since={since}", timeout=10))
    assert answer.status_code == 400 and "since" in answer.json()["error"].lower()
    assert service.analyses() == []


@pytest.mark.parametrize(
    "since", ["1e400", "-1e400", "NaN", "Infinity", "1.5", "true", "null", "10" + "0" * 30, "-60", "0"]
)
def test_bad_since_in_a_json_body_is_400(service: Service, since: str) -> None:
    body = f'{{"namespace": "shop", "stableHash": "a", "canaryHash": "pass", "since": {since}}}'
    answer = checked(requests.post(service.url + "/analyze", data=body, timeout=10))
    assert answer.status_code == 400, answer.text
    assert service.analyses() == []


def test_since_as_a_json_integer_is_seconds(service: Service) -> None:
    body = {**Q, "canaryHash": "pass", "since": 600}
    answer = checked(requests.post(service.url + "/analyze", json=body, timeout=10))
    assert answer.status_code == 200
    assert json.loads(answer.json()["summary"])["source"]["since_seconds"] == 600


# ---------------------------------------------------------------- a bad model address stops the start


@pytest.mark.parametrize(
    ("flags", "env"),
    [
        (("--ollama-host", "http://[::1"), {}),
        ((), {"OLLAMA_HOST": "::::garbage"}),
    ],
)
def test_a_malformed_model_address_stops_serve_at_start(flags: tuple[str, ...], env: dict[str, str]) -> None:
    """Not a service that starts and then answers 500 to every /analyze (issue 17, item 5)."""
    command = [sys.executable, "-m", "job", "serve", "--host", "127.0.0.1", "--port", "0", *flags]
    command += ["--analysis-function", "fake_analysis:analyze"]
    full_env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}", **env}
    if not env:
        full_env.pop("OLLAMA_HOST", None)
    result = subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1

"""The web service over real HTTP, as a real process, with the fake analysis (tests/web/fake_analysis.py)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from web_service import HERE, ROOT, Service

from job.model import WEB_MODEL
from tests.fake_ollama import FakeOllama, ollama_reply

VERDICTS = {"pass", "fail", "inconclusive"}
Q = {"namespace": "shop", "stableHash": "aaa111"}


def analyse(service: Service, canary: str, method: str = "GET", **kw: Any) -> requests.Response:
    params = {**Q, "canaryHash": canary}
    if method == "GET":
        answer = requests.get(service.url + "/analyze", params=params, timeout=20, **kw)
    else:
        answer = requests.post(service.url + "/analyze", json=params, timeout=20, **kw)
    return checked(answer)


def checked(answer: requests.Response) -> requests.Response:
    """Every answer is JSON; a 2xx from /analyze always carries a verdict Argo can evaluate."""
    assert answer.headers["Content-Type"] == "application/json", answer.text
    document = answer.json()
    if answer.status_code < 300 and answer.url.split("?")[0].endswith("/analyze"):
        assert document["verdict"] in VERDICTS
    if answer.status_code >= 400:
        assert set(document) == {"error", "status"} and document["status"] == answer.status_code
        assert "verdict" not in document
    return answer


def raw(service: Service, data: bytes, read_timeout: float = 10) -> tuple[int, dict[str, Any]]:
    """Send bytes as they are; return the status and JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", service.port), timeout=read_timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head, head
    return int(head.split()[1]), json.loads(body)


# ---------------------------------------------------------------- verdicts


@pytest.mark.parametrize("verdict", sorted(VERDICTS))
def test_every_verdict_is_200_with_the_result_document(service: Service, verdict: str) -> None:
    for method in ("GET", "POST"):
        answer = analyse(service, verdict, method)
        assert answer.status_code == 200
        document = answer.json()
        assert document["verdict"] == verdict
        assert {"score", "confidence", "summary", "findings", "llm", "version"} <= set(document)


def test_parameters_reach_the_analysis_in_camel_case(service: Service) -> None:
    body = {
        "namespace": "shop",
        "stableSelector": "app=shop,track=stable",
        "canarySelector": "app=shop,track=canary",
        "container": "web",
        "since": "5m",
        "extraPrompt": "checkout is critical",
    }
    answer = checked(requests.post(service.url + "/analyze", json=body, timeout=10))
    assert answer.status_code == 200
    echo = json.loads(answer.json()["summary"])
    assert echo["source"]["stable_selector"] == "app=shop,track=stable"
    assert echo["source"]["canary_selector"] == "app=shop,track=canary"
    assert echo["source"]["container"] == "web"
    assert echo["source"]["since_seconds"] == 300
    assert echo["extra"] == "checkout is critical"
    query = {**Q, "canaryHash": "bbb222", "selector": "app=shop", "since": "90"}
    echo = json.loads(
        checked(requests.get(service.url + "/analyze", params=query, timeout=10)).json()["summary"]
    )
    assert echo["source"]["selector"] == "app=shop" and echo["source"]["since_seconds"] == 90


# ---------------------------------------------------------------- analysis could not run


@pytest.mark.parametrize(
    ("behaviour", "status", "words"),
    [
        ("error", 502, "could not analyse: cannot list pods"),
        ("input", 400, "no pods match"),
        ("boom", 500, "internal error"),
        # A 2xx Argo could not parse (NaN is not JSON) or without a verdict would count as Successful.
        ("nan", 500, "cannot be written as JSON"),
        ("junk", 500, "no valid verdict"),
    ],
)
def test_an_analysis_without_a_verdict_is_never_2xx(
    service: Service, behaviour: str, status: int, words: str
) -> None:
    answer = analyse(service, behaviour)
    assert answer.status_code == status
    assert words in answer.json()["error"]


def test_errors_are_not_cached(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--cache-seconds", "60")
    assert analyse(service, "error").status_code == 502
    assert analyse(service, "error").status_code == 502
    assert len(service.analyses()) == 2


# ---------------------------------------------------------------- bad requests


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b'{"namespace": "shop", "stableHash": ', "application/json", 400, "not valid JSON"),
        (b'["shop"]', "application/json", 400, "must be a JSON object"),
        (
            b'{"namespace": 5, "stableHash": "a", "canaryHash": "b"}',
            "application/json",
            400,
            "must be a string",
        ),
        (b'{"namespace": "shop", "canaryHash": ["b"]}', "application/json", 400, "must be a string"),
        (b'{"stableLogs": "/etc/passwd", "canaryLogs": "/etc/passwd"}', "application/json", 400, "unknown"),
        (b'{"ollamaHost": "http://evil:11434"}', "application/json", 400, "unknown parameter 'ollamaHost'"),
        (b'{"model": "big"}', "application/json", 400, "--allow-request-model"),
        (b'{"namespace": "Shop!", "stableHash": "a", "canaryHash": "b"}', "", 400, "not a valid Kubernetes"),
        (
            b'{"namespace": "shop", "since": "soon", "stableHash": "a", "canaryHash": "b"}',
            "",
            400,
            "duration",
        ),
        (b'{"namespace": "shop", "stableHash": "a"}', "application/json", 400, "needs both"),
        (b'{"namespace": "shop"}', "application/json", 400, "no source given"),
        (b"namespace=shop", "text/plain", 415, "must be JSON"),
    ],
)
def test_bad_bodies_are_4xx_json(
    service: Service, body: bytes, content_type: str, status: int, words: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = checked(requests.post(service.url + "/analyze", data=body, headers=headers, timeout=10))
    assert answer.status_code == status
    assert words in answer.json()["error"]
    assert service.analyses() == []


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("namespace=shop&stableHash=a&canaryHash=b&colour=red", "unknown parameter 'colour'"),
        ("namespace=shop&stableHash=a&canaryHash=b&canaryHash=c", "more than once"),
        ("namespace=shop&stableHash=a&canaryHash=a", "the same"),
        ("namespace=shop&stableHash=a&canaryHash=b&stableSelector=x", "not both"),
    ],
)
def test_bad_queries_are_400(service: Service, query: str, words: str) -> None:
    answer = checked(requests.get(f"{service.url}/analyze?{query}", timeout=10))
    assert answer.status_code == 400
    assert words in answer.json()["error"]


def test_query_and_body_together_are_refused(service: Service) -> None:
    answer = checked(
        requests.post(service.url + "/analyze?namespace=shop", json={"stableHash": "a"}, timeout=10)
    )
    assert answer.status_code == 400 and "not both" in answer.json()["error"]


def test_huge_body_is_413_and_the_client_reads_the_answer(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--max-body-bytes", "1024")
    ok = json.dumps({**Q, "canaryHash": "pass", "extraPrompt": "x" * 700}).encode()
    assert checked(requests.post(service.url + "/analyze", data=ok, timeout=10)).status_code == 200
    head = (
        "POST /analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
    ).encode()
    status, document = raw(service, head + b"{" + b" " * 200_000)
    assert status == 413 and "larger than the limit of 1024" in document["error"]
    big = json.dumps({**Q, "canaryHash": "pass", "extraPrompt": "x" * 5000}).encode()
    assert checked(requests.post(service.url + "/analyze", data=big, timeout=10)).status_code == 413
    assert service.analyses() == ["pass"]


def test_body_shorter_than_its_content_length_is_refused(service: Service) -> None:
    body = json.dumps({**Q, "canaryHash": "pass"}).encode()
    head = f"POST /analyze HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body) + 10}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    assert answer.startswith(b"HTTP/1.0 400") and b"body ended after" in answer
    assert service.analyses() == []


def test_chunked_body_is_411(service: Service) -> None:
    data = b"POST /analyze HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    status, document = raw(service, data)
    assert status == 411 and "Content-Length" in document["error"]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"NONSENSE\r\n\r\n", 400),
        (b"GET /analyze HTTP/1.1\r\nContent-Length: lots\r\n\r\n", 400),
        (b"BREW /analyze HTTP/1.1\r\n\r\n", 501),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n", 431),
    ],
)
def test_protocol_errors_are_json_too(service: Service, data: bytes, status: int) -> None:
    assert raw(service, data)[0] == status


def test_unknown_path_and_wrong_method(service: Service) -> None:
    answer = checked(requests.get(service.url + "/analyse", timeout=10))
    assert answer.status_code == 404 and "/analyze" in answer.json()["error"]
    answer = checked(requests.delete(service.url + "/analyze", timeout=10))
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST"
    answer = checked(requests.post(service.url + "/healthz", timeout=10))
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET"


# ---------------------------------------------------------------- safety


def test_namespace_allow_list(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--allow-namespace", "shop", "--allow-namespace", "cart")
    assert analyse(service, "pass").status_code == 200
    answer = checked(
        requests.get(service.url + "/analyze", params={**Q, "namespace": "kube-system"}, timeout=10)
    )
    assert answer.status_code == 403 and "kube-system" in answer.json()["error"]
    answer = checked(
        requests.get(service.url + "/analyze", params={"stableHash": "a", "canaryHash": "b"}, timeout=10)
    )
    assert answer.status_code == 400 and "namespace" in answer.json()["error"]
    assert service.analyses() == ["pass"]


def test_bearer_token_from_a_file_and_its_rotation(service_factory: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-one\n")
    service = service_factory("--no-llm", "--token-file", str(token_file))
    missing = analyse(service, "pass")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert analyse(service, "pass", headers={"Authorization": "Bearer s3cret-on"}).status_code == 401
    assert analyse(service, "pass", headers={"Authorization": "Basic s3cret-one"}).status_code == 401
    assert analyse(service, "pass", headers={"Authorization": "Bearer s3cret-one"}).status_code == 200
    # Probes and scrapes carry no token.
    assert requests.get(service.url + "/healthz", timeout=10).status_code == 200
    assert requests.get(service.url + "/metrics", timeout=10).status_code == 200
    time.sleep(0.01)
    token_file.write_text("s3cret-two")
    assert analyse(service, "fail", headers={"Authorization": "Bearer s3cret-one"}).status_code == 401
    assert analyse(service, "fail", headers={"Authorization": "Bearer s3cret-two"}).status_code == 200
    assert service.analyses() == ["pass", "fail"]


def test_missing_token_file_stops_the_start(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "job", "serve", "--port", "0", "--no-llm"]
    command += ["--token-file", str(tmp_path / "none"), "--analysis-function", "fake_analysis:analyze"]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "cannot read token file" in result.stderr and "Traceback" not in result.stderr


def test_port_in_use_is_a_usage_error(service: Service) -> None:
    command = [sys.executable, "-m", "job", "serve", "--host", "127.0.0.1", "--port", str(service.port)]
    command += ["--no-llm", "--analysis-function", "fake_analysis:analyze"]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "cannot listen on 127.0.0.1" in result.stderr and "Traceback" not in result.stderr


def test_client_hanging_up_early_leaves_no_traceback(service: Service) -> None:
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
            sock.sendall(
                b"GET /analyze?namespace=shop&stableHash=a&canaryHash=sleep0.3-pass HTTP/1.1\r\n\r\n"
            )
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    time.sleep(1)
    assert analyse(service, "pass").status_code == 200
    assert "Traceback" not in service.stderr()


def test_request_may_choose_the_model_only_when_allowed(service_factory: Any) -> None:
    service = service_factory(
        "--allow-request-model", "--ollama-host", "http://127.0.0.1:9", "--model", "small"
    )
    body = {**Q, "canaryHash": "pass", "model": "qwen2.5:7b"}
    echo = json.loads(
        checked(requests.post(service.url + "/analyze", json=body, timeout=10)).json()["summary"]
    )
    assert echo["model"] == "qwen2.5:7b"
    body = {**Q, "canaryHash": "pass", "model": "http://evil/x y"}
    assert checked(requests.post(service.url + "/analyze", json=body, timeout=10)).status_code == 400


def test_slow_client_is_cut_off_and_others_are_served(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--read-timeout", "1")
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
        closed_after = None
        for byte in b"GET /analyze?namespace=shop&stableHash=a&canaryHash=b HTTP/1.1\r\n":
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                closed_after = time.monotonic() - started
                break
            # Meanwhile the service answers everyone else at once.
            if byte == ord("?"):
                fast = time.monotonic()
                assert analyse(service, "pass").status_code == 200
                assert time.monotonic() - fast < 0.5
            sock.settimeout(0.2)
            try:
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                pass
    assert closed_after is not None, "the service kept a dribbling client for ever"
    assert closed_after < 4


def test_too_many_connections_get_503_json(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--max-connections", "1", "--read-timeout", "3")
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as idle:
        idle.sendall(b"GET /healthz HTTP/1.1\r\n")  # holds the only slot
        time.sleep(0.2)
        status, document = raw(service, b"GET /analyze?namespace=shop HTTP/1.1\r\n\r\n")
        assert status == 503 and "too many connections" in document["error"]
        # probes are still answered (tests/web/test_web_strict.py)


# ---------------------------------------------------------------- sharing work


def test_twenty_identical_concurrent_requests_share_one_analysis(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--cache-seconds", "0")
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: analyse(service, "sleep1-fail"), range(20)))
    assert [a.status_code for a in answers] == [200] * 20
    assert len({a.content for a in answers}) == 1
    assert sorted(a.headers["X-Rollouts-AI-Answer"] for a in answers) == ["analysed"] + ["joined"] * 19
    assert service.analyses() == ["sleep1-fail"]
    metrics = requests.get(service.url + "/metrics", timeout=10).text
    assert 'rollouts_ai_analysis_answers_total{how="joined"} 19.0' in metrics
    assert 'rollouts_ai_verdicts_total{verdict="fail"} 1.0' in metrics
    # Without the cache a later identical request runs a new analysis.
    assert analyse(service, "sleep1-fail").headers["X-Rollouts-AI-Answer"] == "analysed"
    assert len(service.analyses()) == 2


def test_short_cache_per_key(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--cache-seconds", "1")
    assert analyse(service, "pass").headers["X-Rollouts-AI-Answer"] == "analysed"
    assert analyse(service, "pass").headers["X-Rollouts-AI-Answer"] == "cached"
    assert analyse(service, "fail").headers["X-Rollouts-AI-Answer"] == "analysed"  # another key
    time.sleep(1.2)
    assert analyse(service, "pass").headers["X-Rollouts-AI-Answer"] == "analysed"
    assert service.analyses() == ["pass", "fail", "pass"]


def test_saturated_service_answers_503_with_retry_after(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--max-concurrent", "1")
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(analyse, service, "sleep1.5-pass")
        time.sleep(0.4)
        busy = analyse(service, "pass")
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) >= 1
        joined = analyse(service, "sleep1.5-pass")  # the same question is not refused: it joins
        assert joined.status_code == 200 and joined.headers["X-Rollouts-AI-Answer"] == "joined"
        assert slow.result().status_code == 200
    assert analyse(service, "pass").status_code == 200


def test_deadline_is_504_and_the_retry_reads_the_result(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--analysis-deadline", "0.5", "--cache-seconds", "30")
    started = time.monotonic()
    late = analyse(service, "sleep3-fail")
    assert late.status_code == 504 and time.monotonic() - started < 2.5
    retry = analyse(service, "sleep3-fail")  # still running: joins it, and also times out
    assert retry.status_code == 504
    while (done := analyse(service, "sleep3-fail")).status_code == 504:
        assert time.monotonic() - started < 15
    assert done.status_code == 200 and done.json()["verdict"] == "fail"
    assert done.headers["X-Rollouts-AI-Answer"] in ("cached", "joined")
    assert service.analyses() == ["sleep3-fail"]


# ---------------------------------------------------------------- health, readiness, metrics


def test_health_and_readiness(service_factory: Any) -> None:
    no_model = service_factory("--no-llm")
    assert checked(requests.get(no_model.url + "/healthz", timeout=10)).json() == {"status": "ok"}
    assert checked(requests.get(no_model.url + "/readyz", timeout=10)).status_code == 200

    assert "rollouts_ai_model_reachable" not in requests.get(no_model.url + "/metrics", timeout=10).text

    unreachable = service_factory("--ollama-host", "http://127.0.0.1:9")
    assert checked(requests.get(unreachable.url + "/healthz", timeout=10)).status_code == 200
    answer = checked(requests.get(unreachable.url + "/readyz", timeout=10))
    assert answer.status_code == 503 and "model server not reachable" in answer.json()["error"]
    metrics = requests.get(unreachable.url + "/metrics", timeout=10).text
    assert "rollouts_ai_model_reachable 0.0" in metrics.splitlines()
    # Not ready for the model, still answering analyses (the Deployment's readinessProbe is /healthz).
    assert analyse(unreachable, "pass").status_code == 200

    with FakeOllama([ollama_reply("{}")], models=(WEB_MODEL,)) as ollama:
        reachable = service_factory("--ollama-host", ollama.url)
        assert checked(requests.get(reachable.url + "/readyz", timeout=10)).json()["llm"] is True
        metrics = requests.get(reachable.url + "/metrics", timeout=10).text
        assert "rollouts_ai_model_reachable 1.0" in metrics.splitlines()

    with FakeOllama([ollama_reply("{}")], models=("some-other-model:latest",)) as ollama:
        not_pulled = service_factory("--ollama-host", ollama.url)
        answer = checked(requests.get(not_pulled.url + "/readyz", timeout=10))
        assert answer.status_code == 503 and f"ollama pull {WEB_MODEL}" in answer.json()["error"]


def test_metrics_are_prometheus_text(service: Service) -> None:
    analyse(service, "pass")
    analyse(service, "error")
    requests.get(service.url + "/nowhere", timeout=10)
    answer = requests.get(service.url + "/metrics", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain")
    text = answer.text
    for line in [
        'rollouts_ai_http_requests_total{path="/analyze",status="200"} 1.0',
        'rollouts_ai_http_requests_total{path="/analyze",status="502"} 1.0',
        'rollouts_ai_http_requests_total{path="other",status="404"} 1.0',
        'rollouts_ai_verdicts_total{verdict="pass"} 1.0',
        'rollouts_ai_analysis_errors_total{reason="analysis"} 1.0',
        "rollouts_ai_analysis_duration_seconds_count 2.0",
        "rollouts_ai_http_requests_in_flight 1.0",  # this scrape itself
    ]:
        assert line in text, line


def test_access_logs_are_json_lines_and_quiet_by_default(service: Service, service_factory: Any) -> None:
    analyse(service, "pass")
    # the access line is written once the answer has been sent: wait for it, boundedly
    deadline = time.monotonic() + 10
    while True:
        complete_lines = service.stderr().split("\n")[:-1]
        entries = [json.loads(line) for line in complete_lines if line]
        access = [e for e in entries if e["logger"] == "job.server.access"]
        if access or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert access and access[-1]["status"] == 200 and access[-1]["path"] == "/analyze"
    assert "canaryHash" not in json.dumps(access)  # the query string is not logged

    quiet = service_factory("--no-llm", log_level="warning")
    analyse(quiet, "pass")
    assert quiet.stderr() == ""


# ---------------------------------------------------------------- shutdown


def test_sigterm_finishes_in_flight_requests_then_exits_0(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--shutdown-grace", "10")
    with ThreadPoolExecutor(2) as pool:
        in_flight = pool.submit(analyse, service, "sleep1.5-pass")
        time.sleep(0.4)
        service.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        with pytest.raises(requests.ConnectionError):
            requests.get(service.url + "/healthz", timeout=2)
        assert in_flight.result().status_code == 200
    assert service.proc.wait(10) == 0
    assert '"msg": "stopped"' in service.stderr()


def test_sigterm_with_drain_keeps_serving_but_is_not_ready(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--drain-seconds", "1")
    service.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    answer = checked(requests.get(service.url + "/readyz", timeout=5))
    assert answer.status_code == 503 and answer.json()["error"] == "shutting down"
    assert analyse(service, "pass").status_code == 200
    assert service.proc.wait(10) == 0


def test_keep_alive_clients_get_one_answer_per_connection(service: Service) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    connection.request("GET", "/healthz")
    answer = connection.getresponse()
    assert answer.status == 200 and answer.getheader("Connection") == "close"
    answer.read()
    connection.close()


def test_after_a_504_the_retry_reads_the_result_whatever_the_cache(service_factory: Any) -> None:
    service = service_factory("--no-llm", "--analysis-deadline", "0.5", "--cache-seconds", "0")
    assert analyse(service, "sleep1-fail").status_code == 504
    time.sleep(2)  # the analysis ends meanwhile; Argo's retry comes 10 s after the 504
    done = analyse(service, "sleep1-fail")
    assert done.status_code == 200 and done.json()["verdict"] == "fail"
    assert done.headers["X-Rollouts-AI-Answer"] == "cached"
    assert service.analyses() == ["sleep1-fail"]

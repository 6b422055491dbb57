"""End-to-end verdicts on generated logs of formats the labelled corpus does not hold (yet)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from judge_helpers import evidence_from_logs

from job.judge.policy import decide
from job.judge.rules import run_rules


def verdict(stable: str, canary: str) -> str:
    ev = evidence_from_logs(stable, canary)
    return decide(ev, run_rules(ev)).verdict


def envoy(n: int, seed: int, bad_share: float = 0.0) -> str:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        bad = rng.random() < bad_share
        code, flags = (503, "UF") if bad else (200, "-")
        out.append(
            f'[2026-11-26T06:00:{i % 60:02d}.{i % 1000:03d}Z] "GET /api/items/{rng.randrange(999)} HTTP/1.1" '
            f'{code} {flags} 0 {rng.randrange(90, 900)} {rng.randrange(2, 30)} - "-" "curl/8.4.0" '
            f'"{rng.getrandbits(64):016x}" "items:8080" "10.0.4.{rng.randrange(255)}:8080"'
        )
    return "\n".join(out) + "\n"


def traefik(n: int, seed: int, slow: float = 1.0) -> str:
    rng = random.Random(seed)
    return "".join(
        json.dumps({
            "ClientHost": f"10.0.0.{rng.randrange(255)}", "DownstreamStatus": 200,
            "Duration": int(rng.lognormvariate(17, 0.3) * slow), "RequestMethod": "GET",
            "RequestPath": f"/v1/catalog/{rng.randrange(500)}", "time": f"2026-11-26T06:00:{i % 60:02d}Z",
        }) + "\n"
        for i in range(n)
    )  # fmt: skip


def grpc_zap(n: int, seed: int, unavailable: float = 0.0) -> str:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        code = "Unavailable" if rng.random() < unavailable else "OK"
        level = "error" if code != "OK" else "info"
        out.append(json.dumps({
            "level": level, "ts": 1795676378.5 + i, "caller": "server/interceptor.go:41",
            "msg": "finished unary call", "grpc.method": "GetQuote", "grpc.code": code,
            "grpc.time_ms": round(rng.uniform(1, 9), 3),
        }))  # fmt: skip
    return "\n".join(out) + "\n"


def grpc_python(n: int, seed: int, unavailable: float = 0.0) -> str:
    """A Python gRPC server's logging interceptor: the method, str(context.code()) and the time."""
    rng = random.Random(seed)
    return "".join(
        f"2026-11-27 10:{i // 60 % 60:02d}:{i % 60:02d},{rng.randrange(1000):03d} INFO [access] "
        f"/shop.Quote/Get code=StatusCode.{'UNAVAILABLE' if rng.random() < unavailable else 'OK'} "
        f"{rng.uniform(1, 9):.1f}ms\n"
        for i in range(n)
    )


def morgan_dev(n: int, seed: int, slow: float = 1.0) -> str:
    rng = random.Random(seed)
    return "".join(
        f"GET /api/items/{rng.randrange(500)} 200 {rng.lognormvariate(2, 0.3) * slow:.3f} ms - "
        f"{rng.randrange(200, 900)}\n"
        for _ in range(n)
    )


def jul_german(seconds: int, quiet_after: int | None = None) -> str:
    """java.util.logging under a German JVM: "Nov. 27, 2026 2:03:01 PM" and INFORMATION/SCHWERWIEGEND;
    a record every 2 s, none after `quiet_after` seconds."""
    out = []
    for second in range(0, seconds, 2):
        if quiet_after is not None and second >= quiet_after:
            break
        minute, sec = divmod(second, 60)
        out += [f"Nov. 27, 2026 2:{minute:02d}:{sec:02d} PM com.shop.Cart charge",
                f"INFORMATION: cart {second} charged"]  # fmt: skip
    return "\n".join(out) + "\n"


def dotnet(n: int, seed: int, failures: float = 0.0) -> str:
    rng = random.Random(seed)
    out = ["info: Microsoft.Hosting.Lifetime[14]", "      Now listening on: http://[::]:8080"]
    for _ in range(n):
        if rng.random() < failures:
            out += [
                "fail: Microsoft.AspNetCore.Server.Kestrel[13]",
                f'      Connection id "0HN{rng.getrandbits(32):08X}", Request id "0HN:00000002": '
                "An unhandled exception was thrown by the application.",
                "      System.NullReferenceException: Object reference not set to an instance of an object.",
                "         at Shop.Cart.Total() in /src/Cart.cs:line 42",
            ]
        else:
            out += [
                "info: Shop.Cart[0]",
                f"      Cart {rng.randrange(10**5)} priced in {rng.uniform(1, 9):.1f} ms",
            ]
    return "\n".join(out) + "\n"


CASES: list[tuple[str, Callable[[], tuple[str, str]], str]] = [
    ("envoy good", lambda: (envoy(600, 1), envoy(600, 2)), "pass"),
    ("envoy 503 UF", lambda: (envoy(600, 1), envoy(600, 2, bad_share=0.3)), "fail"),
    ("traefik good", lambda: (traefik(500, 1), traefik(500, 2)), "pass"),
    ("traefik 4x slower", lambda: (traefik(500, 1), traefik(500, 2, slow=4.0)), "fail"),
    ("grpc good", lambda: (grpc_zap(500, 1), grpc_zap(500, 2)), "pass"),
    ("grpc unavailable", lambda: (grpc_zap(500, 1), grpc_zap(500, 2, unavailable=0.4)), "fail"),
    ("python grpc good", lambda: (grpc_python(500, 1), grpc_python(500, 2)), "pass"),
    ("python grpc unavailable", lambda: (grpc_python(500, 1), grpc_python(500, 2, unavailable=0.3)), "fail"),
    ("morgan dev good", lambda: (morgan_dev(500, 1), morgan_dev(500, 2)), "pass"),
    ("morgan dev 4x slower", lambda: (morgan_dev(500, 1), morgan_dev(500, 2, slow=4.0)), "fail"),
    ("JUL German good", lambda: (jul_german(600), jul_german(600)), "pass"),
    ("JUL German quiet canary", lambda: (jul_german(600), jul_german(600, quiet_after=200)), "fail"),
    (".NET good", lambda: (dotnet(400, 1), dotnet(400, 2)), "pass"),
    (".NET unhandled exceptions", lambda: (dotnet(400, 1), dotnet(400, 2, failures=0.2)), "fail"),
]


def test_verdicts_on_formats_outside_the_corpus() -> None:
    got = {name: verdict(*make()) for name, make, _ in CASES}
    assert got == {name: expected for name, _, expected in CASES}

"""Restarts read from a log: the program's start-up line again after its first start (file mode)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from job.evidence.parse import parse_line
from job.evidence.restarts import is_startup
from job.model import Evidence

EvidenceOf = Callable[[str, str], Evidence]


def spring_boot(minute: int, requests: int = 20) -> str:
    """One start of a Spring Boot service (as it prints it) and the requests it served after."""
    stamp = f"2026-11-27T10:{minute:02d}"
    lines = [
        f"{stamp}:00.101Z  INFO 1 --- [           main] c.e.billing.BillingApplication   : "
        "Starting BillingApplication v2.8.0 using Java 17.0.9 with PID 1",
        f"{stamp}:03.412Z  INFO 1 --- [           main] o.s.b.w.embedded.tomcat.TomcatWebServer  : "
        "Tomcat started on port 8080 (http) with context path ''",
        f"{stamp}:03.430Z  INFO 1 --- [           main] c.e.billing.BillingApplication   : "
        "Started BillingApplication in 3.71 seconds (process running for 4.2)",
    ]
    lines += [
        f"{stamp}:{4 + i % 50:02d}.000Z  INFO 1 --- [nio-8080-exec-{i % 9 + 1}] "
        f"c.e.billing.InvoiceController : invoice {9000 + i} loaded"
        for i in range(requests)
    ]
    return "\n".join(lines) + "\n"


def served(minutes: range) -> str:
    return "".join(
        f"2026-11-27T10:{m:02d}:{s:02d}.000Z  INFO 1 --- [nio-8080-exec-1] c.e.billing.InvoiceController "
        f": invoice {m * 100 + s} loaded\n"
        for m in minutes
        for s in range(0, 60, 3)
    )


def test_a_crash_looping_log_counts_its_restarts(evidence_of: EvidenceOf) -> None:
    stable = spring_boot(0) + served(range(1, 6))
    canary = "".join(spring_boot(minute) for minute in range(6))
    evidence = evidence_of(stable, canary)
    assert (evidence.stable.log_restarts, evidence.canary.log_restarts) == (0, 5)
    assert evidence.canary.log_restarts_untimed == 0
    assert evidence.canary.log_restart_examples == [
        "1 --- [           main] o.s.b.w.embedded.tomcat.TomcatWebServer  : "
        "Tomcat started on port 8080 (http) with context path ''"
    ]


def test_one_start_at_the_top_or_none_is_no_restart(evidence_of: EvidenceOf) -> None:
    # the canary started in the window; the stable's log is a window cut from a longer run
    evidence = evidence_of(served(range(6)), spring_boot(0) + served(range(1, 6)))
    assert (evidence.stable.log_restarts, evidence.canary.log_restarts) == (0, 0)


def test_a_start_after_requests_is_a_restart_even_at_the_top(evidence_of: EvidenceOf) -> None:
    # a rolling window: the log begins mid-run, then the program starts again
    evidence = evidence_of(served(range(6)), served(range(3)) + spring_boot(3) + served(range(4, 6)))
    assert evidence.canary.log_restarts == 1


def test_pods_written_one_after_another_are_not_restarts(evidence_of: EvidenceOf) -> None:
    # `kubectl logs -l app=billing > canary.log`: each pod's log from its start, time going back
    one_pod = spring_boot(0) + served(range(1, 4))
    evidence = evidence_of(one_pod, one_pod * 3)
    assert evidence.canary.log_restarts == 0


def test_untimed_starts_count_apart(evidence_of: EvidenceOf) -> None:
    start = "Listening on port 8080\n" + "".join(f"invoice {i} loaded\n" for i in range(12))
    evidence = evidence_of(start, start * 4)
    assert (evidence.canary.log_restarts, evidence.canary.log_restarts_untimed) == (3, 3)


def test_start_up_lines_printed_together_are_one_start(evidence_of: EvidenceOf) -> None:
    dotnet = (
        "info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: http://[::]:8080\n"
        "info: Microsoft.Hosting.Lifetime[14]\n      Now listening on: https://[::]:8443\n"
        "info: Microsoft.Hosting.Lifetime[0]\n      Application started. Press Ctrl+C to shut down.\n"
    )
    work = "".join(f"info: Shop.Cart[0]\n      Cart {i} priced\n" for i in range(30))
    evidence = evidence_of(dotnet + work, dotnet + work)
    assert (evidence.stable.log_restarts, evidence.canary.log_restarts) == (0, 0)


@pytest.mark.parametrize(
    "line",
    [
        "2026-11-27 10:00:03.430  INFO 1 --- [main] c.e.App : Started App in 3.71 seconds (process running for 4.2)",  # noqa: E501
        "[2026-11-27 10:00:00 +0000] [1] [INFO] Listening at: http://0.0.0.0:8000 (1)",
        "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
        "1:M 27 Nov 2026 10:00:00.123 * Ready to accept connections tcp",
        "2026-11-27 10:00:00.123 UTC [1] LOG:  database system is ready to accept connections",
        "2026/11/27 10:00:00 listening on :8080",
        "Server listening on port 3000",
        "12:00:00.123 [info] Running ShopWeb.Endpoint with cowboy 2.10.0 at :::4000 (http)",
        "/docker-entrypoint.sh: Configuration complete; ready for start up",
    ],
)
def test_start_up_lines_of_common_servers(line: str) -> None:
    assert is_startup(parse_line(line))


@pytest.mark.parametrize(
    "line",
    [
        "[2026-11-27 10:00:00 +0000] [7] [INFO] Booting worker with pid: 7",  # one per worker
        "2026/11/27 10:00:00 [notice] 1#1: start worker processes",  # nginx: a reload prints it too
        'level=error msg="server listening on :8080 failed" err="address in use"',
        '127.0.0.1 - - [27/Nov/2026:10:00:00 +0000] "GET /listening on HTTP/1.1" 200 2',
        "consumer started processing batch 7",
    ],
)
def test_other_lines_are_not_start_ups(line: str) -> None:
    assert not is_startup(parse_line(line))


def test_a_banner_twice_in_a_row_a_second_apart_is_two_starts(evidence_of: EvidenceOf) -> None:
    # the process died on its first request (nothing logged) and was started again a second later
    banner = "2026-11-27 23:13:{:02d},141 INFO thumbs: thumbs 2.4.0 listening on http://127.0.0.1:42613\n"
    served = "".join(
        f'2026-11-27 23:13:{10 + i // 10:02d},500 INFO thumbs: 127.0.0.1 "GET /t/{i}.jpg HTTP/1.1" 200 -\n'
        for i in range(40)
    )
    evidence = evidence_of(banner.format(8) + served, banner.format(8) + banner.format(9) + served)
    assert evidence.canary.log_restarts == 1
    # the same lines a few milliseconds apart (.NET's one per address) stay one start
    same_start = banner.format(8) + banner.format(8).replace(",141", ",150")
    assert evidence_of(served, same_start + served).canary.log_restarts == 0


def test_restarts_among_free_text_count_though_they_are_other_shapes(evidence_of: EvidenceOf) -> None:
    """A service logging what its users type (every line a new shape): once the template index
    treats the side as free text, its lines are "other shapes", and a start-up line first met
    there is judged line by line instead of once per template."""
    import random
    import string

    rng = random.Random(4)

    def chatter(minute: int) -> str:
        word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))  # noqa: E731
        return "".join(
            f"2026-11-27T10:{minute:02d}:{s // 10:02d}.{s % 10}00Z  INFO 1 --- [nio-8080-exec-1] "
            f'c.e.search.SearchController : search "{word()} {word()} {word()}"\n'
            for s in range(600)
        )

    stable = "".join(chatter(m) for m in range(4))
    canary = chatter(0) + chatter(1) + spring_boot(2, requests=0) + chatter(2) + spring_boot(3, requests=0)
    canary += chatter(3)
    evidence = evidence_of(stable, canary)
    assert evidence.canary.other_shapes > 2000  # the start-up lines came as other shapes
    assert (evidence.stable.log_restarts, evidence.canary.log_restarts) == (0, 2)

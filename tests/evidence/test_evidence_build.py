"""build_evidence on realistic log pairs: what reaches the rules, and how much."""

import random

import pytest

from job.errors import AnalysisError
from job.evidence import build_evidence
from job.evidence.compare import MAX_TEMPLATES_IN_EVIDENCE
from job.model import LogStream, PodSignal, SideSnapshot, Snapshot
from tests.sample_logs import web_log


def test_counts_rates_and_durations(evidence_of) -> None:  # type: ignore[no-untyped-def]
    evidence = evidence_of(web_log(300, 1), web_log(200, 2, error_share=0.5, slow=3))
    s, c = evidence.stable, evidence.canary
    assert (s.lines, s.events, c.events) == (601, 601, 401)  # two lines a request + the start line
    assert s.requests == 300 and c.requests == 200
    assert s.http_5xx_share == 0.0 and 0.35 < c.http_5xx_share < 0.65
    assert c.http_status["500"] + c.http_status["200"] == 200
    assert s.durations is not None and c.durations is not None
    assert 2.5 < c.durations.p50_ms / s.durations.p50_ms < 3.5
    assert evidence.latency_p_value is not None and evidence.latency_p_value < 1e-6
    assert evidence.canary_above_stable_p90 is not None and evidence.canary_above_stable_p90 > 0.8


def test_templates_are_shared_and_the_500_template_is_significant(evidence_of) -> None:  # type: ignore[no-untyped-def]
    evidence = evidence_of(web_log(300, 1), web_log(300, 2, error_share=0.3))
    by_template = {t.template: t for t in evidence.templates}
    ok = by_template["GET /color 200"]
    assert ok.stable == 300 and ok.canary > 150
    failing = by_template["GET /color 500"]
    assert failing.stable == 0 and failing.canary > 50 and failing.significant
    assert failing.examples and '"GET /color HTTP/1.1" 500' in failing.examples[0]


def test_request_ids_and_a_new_colour_make_no_new_template(evidence_of) -> None:  # type: ignore[no-untyped-def]
    evidence = evidence_of(web_log(300, 1, colour="blue"), web_log(300, 2, colour="green"))
    assert not [t for t in evidence.templates if t.stable == 0]
    assert evidence.template_total == 3  # access line, app line, start line


def test_crashes_are_counted_with_redacted_examples(evidence_of) -> None:  # type: ignore[no-untyped-def]
    canary = web_log(50, 3) + (
        "panic: failed to open db postgres://shop:hunter2@db:5432/shop\n\ngoroutine 1 [running]:\n"
        "main.main()\n\t/app/main.go:20 +0x1d\nexit status 2\n"
    )
    evidence = evidence_of(web_log(50, 1), canary)
    assert evidence.canary.crashes == 1 and evidence.stable.crashes == 0
    example = evidence.canary.crash_examples[0]
    assert "hunter2" not in example and "[REDACTED]" in example and "main.go:20" in example
    assert evidence.canary.levels["fatal"] == 1


def test_everything_that_leaves_is_redacted(evidence_of) -> None:  # type: ignore[no-untyped-def]
    leak = "".join(
        f"2024/05/01 12:00:{i:02d} error: login failed password=hunter{i} token=abc{i}xyz\n"
        for i in range(30)
    )
    evidence = evidence_of(web_log(50, 1), web_log(50, 2) + leak)
    text = repr(evidence)
    assert "hunter" not in text and "abc1xyz" not in text


def test_evidence_stays_bounded_whatever_the_number_of_shapes(evidence_of) -> None:  # type: ignore[no-untyped-def]
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    # a different first word each: drain3 keeps them apart
    canary = "".join(
        f"2024/05/01 12:00:00 {a}{b} failed: {c} unavailable\n"
        for a in words
        for b in words
        for c in words[:3]
    )
    evidence = evidence_of(web_log(100, 1), canary)
    assert len(evidence.templates) <= MAX_TEMPLATES_IN_EVIDENCE
    assert all(len(t.examples) <= 3 for t in evidence.templates)
    assert any("templates kept" in note for note in evidence.notes)


def test_pod_signals_pass_through_redacted() -> None:
    snapshot = Snapshot(
        stable=SideSnapshot(),
        canary=SideSnapshot(
            pods=["web-canary-1"],
            signals=[PodSignal("web-canary-1", "oomkilled", 2, "OOMKilled, env PASSWORD=hunter2")],
        ),
    )
    evidence = build_evidence(snapshot)
    assert evidence.canary.pods == ["web-canary-1"]
    signal = evidence.canary.signals[0]
    assert (signal.kind, signal.count) == ("oomkilled", 2) and "hunter2" not in signal.message


def test_empty_sides_give_zero_counts(evidence_of) -> None:  # type: ignore[no-untyped-def]
    evidence = evidence_of("", "")
    assert evidence.stable.events == evidence.canary.events == 0
    assert evidence.templates == [] and evidence.latency_p_value is None


def test_a_read_error_names_the_stream() -> None:
    def broken():  # type: ignore[no-untyped-def]
        yield b"ok line\n"
        raise OSError("Input/output error")

    snapshot = Snapshot(stable=SideSnapshot(streams=[LogStream("pod-a/app", broken)]), canary=SideSnapshot())
    with pytest.raises(AnalysisError, match=r"pod-a/app.*Input/output error"):
        build_evidence(snapshot)


def test_non_utf8_and_crlf_input(evidence_of) -> None:  # type: ignore[no-untyped-def]
    latin1 = "".join(f"2024-05-01 12:00:{i:02d} INFO caf\xe9 servi \xe0 {i}\r\n" for i in range(40)).encode(
        "latin-1"
    )
    evidence = evidence_of(latin1, latin1)
    assert evidence.canary.events == 40 and evidence.template_total == 1


def test_random_bytes_never_raise(evidence_of) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    for _ in range(20):
        noise = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 5000)))
        fragments = [
            b"{",
            b'{"level":',
            b"panic: ",
            b"Traceback (most recent call last):\n",
            b"\tat x\n",
            b'" 500 ',
        ]
        data = b"".join(rng.choice(fragments) + noise[i : i + 50] for i in range(0, len(noise), 50))
        evidence = evidence_of(data, data[::-1])
        assert evidence.stable.bytes == len(data)


def test_several_streams_per_side_add_up() -> None:
    def stream(name: str, text: str) -> LogStream:
        return LogStream(name=name, open=lambda: iter([text.encode()]))

    snapshot = Snapshot(
        stable=SideSnapshot(streams=[stream("a", web_log(10, 1)), stream("b", web_log(20, 2))]),
        canary=SideSnapshot(streams=[stream("c", web_log(5, 3))]),
    )
    evidence = build_evidence(snapshot)
    assert (evidence.stable.streams, evidence.stable.requests, evidence.canary.requests) == (2, 30, 5)


def test_non_finite_numbers_never_reach_the_document(evidence_of) -> None:  # type: ignore[no-untyped-def]
    import json

    from job.judge.policy import decide
    from job.judge.rules import run_rules
    from job.report import render

    weird = "".join(
        f'{{"level":{v},"msg":"x","duration_ms":{v},"status":{v}}}\nGET /a 200 took {"9" * 400}ms\n'
        for v in ("NaN", "Infinity", "-Infinity", "1e999")
    )
    evidence = evidence_of(weird * 10, weird * 10)
    verdict = decide(evidence, run_rules(evidence))
    json.loads(render(verdict, "json"))
    json.dumps(verdict.to_dict(), allow_nan=False)


def test_high_cardinality_canary_is_bounded_and_keeps_its_errors(evidence_of) -> None:  # type: ignore[no-untyped-def]
    import random
    import string

    from job.evidence.templates import ERROR_RESERVE, SIDE_BUDGET

    rng = random.Random(3)
    word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))  # noqa: E731
    stable = "".join(f'level=info msg="served request {i}"\n' for i in range(2000))
    lines = [
        f'level={"error" if i % 2 == 0 else "info"} msg="{word()} {word()} {word()}"' for i in range(4000)
    ]
    evidence = evidence_of(stable, "\n".join(lines) + "\n")
    canary = evidence.canary
    assert canary.levels["error"] == 2000  # every error is still an error
    # free text: info shapes stop reaching drain3 early, errors keep theirs up to budget + reserve
    assert canary.other_shapes == 4000 - SIDE_BUDGET - ERROR_RESERVE
    assert evidence.stable.other_shapes == 0
    assert evidence.template_total <= 2 * (SIDE_BUDGET + ERROR_RESERVE)
    other_errors = [
        t for t in evidence.templates if t.template.startswith("(other shapes") and t.level == "error"
    ]
    assert other_errors and other_errors[0].canary > 0 and other_errors[0].examples  # examples kept
    assert any("past the budget" in note and note.startswith("canary") for note in evidence.notes)


def test_a_new_error_amid_free_text_keeps_its_template_and_fails_the_canary(evidence_of) -> None:  # type: ignore[no-untyped-def]
    """Both versions log free text (every line a new shape, so the index stops mining info shapes
    early); the canary also starts failing a lookup. The error keeps its own template, and fails."""
    import random
    import string

    from job.judge.policy import decide
    from job.judge.rules import run_rules

    rng = random.Random(8)
    word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))  # noqa: E731
    chatter = lambda n: [f'level=info msg="search {word()} {word()} {word()}"' for _ in range(n)]  # noqa: E731
    stable = chatter(3000)
    canary = chatter(3000)
    for i in range(1000, 3000, 20):
        canary.insert(i, 'level=error msg="stock lookup failed: connection refused by inventory-db"')
    evidence = evidence_of("\n".join(stable) + "\n", "\n".join(canary) + "\n")
    assert evidence.canary.other_shapes > 2000 and evidence.stable.other_shapes > 2000
    refused = [t for t in evidence.templates if "connection refused" in t.template]
    assert len(refused) == 1 and refused[0].canary == 100 and refused[0].level == "error"
    assert decide(evidence, run_rules(evidence)).verdict == "fail"

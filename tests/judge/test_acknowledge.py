"""A team's acknowledge file applied to real analyses: what an ignore neutralises, what it never
can (fail closed), always-fail, expiry, over-broad entries, and what the result shows."""

from __future__ import annotations

import datetime
import random
import string
from pathlib import Path
from typing import Any

from job.judge.acknowledge import apply
from job.judge.known import Matcher, parse_text
from job.model import Evidence, Finding, LLMConfig, TemplateStat, Verdict
from job.report import render
from tests.judge.judge_helpers import evidence, side
from tests.sample_logs import (
    IGNORE_NOISE,
    NOISE,
    NOISE_PATTERN,
    NOISY_CANARY,
    REAL,
    STABLE,
    judged,
    service_log,
)


def test_known_noise_fails_without_the_ack_and_passes_with_it_still_visible_as_info(tmp_path: Path) -> None:
    without = judged(tmp_path, STABLE, NOISY_CANARY, None)
    assert without.verdict == "fail"
    assert {f.kind for f in without.findings if f.severity == "major"} == {"error-share", "new-error"}

    verdict = judged(tmp_path, STABLE, NOISY_CANARY, IGNORE_NOISE)
    assert verdict.verdict == "pass", verdict.summary
    acknowledged = [f for f in verdict.findings if f.acknowledged]
    assert {(f.kind, f.severity, f.acknowledged["severity"]) for f in acknowledged} == {
        ("error-share", "info", "major"),
        ("new-error", "info", "major"),
    }
    for finding in acknowledged:
        assert finding.acknowledged["entry"] == 1
        assert finding.acknowledged["reason"] == "the collector is not deployed in this cluster yet (OBS-77)"
        assert finding.acknowledged["expires"] == "2999-12-31"
        assert finding.acknowledged["source"] == "acknowledge file 'acks.yaml'"
        assert finding.templates[0]["pattern"] == NOISE_PATTERN
    assert "2 finding(s) acknowledged as known noise" in verdict.summary
    # the healthy sentence's figures leave the noise out; the sentence says what the table counts
    raw_share = verdict.evidence.canary.error_share if verdict.evidence else 0.0
    assert "error-level share 0.0% vs" in verdict.summary
    assert (
        f"with the noise counted, the canary's error-level share {raw_share * 100:.1f}% "
        "(judged without the noise: 0.0%)" in verdict.summary
    ), verdict.summary
    # the evidence still counts the lines as they were; the template says which entry ignored it
    assert verdict.evidence is not None and verdict.evidence.canary.levels["error"] > 100
    [noise] = [t for t in verdict.evidence.templates if t.template == NOISE_PATTERN]
    assert noise.acknowledged is not None and noise.acknowledged["entry"] == 1
    assert any("judged as known noise (entry 1)" in note for note in verdict.notes)


def test_the_same_ack_by_template_id_or_regex_works_too(tmp_path: Path) -> None:
    without = judged(tmp_path, STABLE, NOISY_CANARY, None)
    [key] = {f.templates[0]["template"] for f in without.findings if f.kind == "new-error"}
    for selector in (f"template: {key}", "regex: 'otel-collector:\\S+ failed'"):
        verdict = judged(
            tmp_path, STABLE, NOISY_CANARY, f"acknowledge:\n  - {selector}\n    action: ignore\n"
        )
        assert verdict.verdict == "pass", (selector, verdict.summary)
        assert all(f.acknowledged["reason"] == "no reason given" for f in verdict.findings if f.acknowledged)


def test_a_real_new_error_beside_acknowledged_noise_still_fails(tmp_path: Path) -> None:
    canary = service_log(400, 3, (("error", NOISE, 0.3), ("error", REAL, 0.05)))
    verdict = judged(tmp_path, STABLE, canary, IGNORE_NOISE)
    assert verdict.verdict == "fail"
    live = [f for f in verdict.findings if not f.acknowledged and f.severity in ("critical", "major")]
    assert any(f.kind == "new-error" and "KeyError" in f.message for f in live)
    [share] = [f for f in live if f.kind == "error-share"]
    # the share is recomputed on the new errors alone: the noise no longer counts as errors
    assert share.templates and all("KeyError" in ref["pattern"] for ref in share.templates)
    assert share.count < 40  # ~5% of 400, not the ~35% with the noise
    assert [f.kind for f in verdict.findings if f.acknowledged] == ["new-error"]  # the noise's own finding


def test_an_ignore_never_hides_a_crash(tmp_path: Path) -> None:
    canary = NOISY_CANARY + (
        'time="2024-05-01T12:07:00Z" level=error msg="metrics export to otel-collector:4318 failed: '
        'connection refused (attempt 9)"\npanic: runtime error: index out of range [3] with length 3\n\n'
        "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:12 +0x1d\nexit status 2\n"
    )
    acks = IGNORE_NOISE + "  - regex: 'panic'\n    action: ignore\n    reason: trying to hide it\n"
    verdict = judged(tmp_path, STABLE, canary, acks)
    assert verdict.verdict == "fail"
    [crash] = [f for f in verdict.findings if f.kind == "crash"]
    assert crash.severity == "critical" and crash.acknowledged is None
    assert any("entry 2 is not applied to 'panic: runtime error" in note for note in verdict.notes)


def test_an_uncaught_exception_at_error_level_is_a_crash_and_never_ignored(tmp_path: Path) -> None:
    """A Python traceback is logged at error level, but it is a crash: its template is refused."""
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "/app/server.py", line 41, in handle\n'
        "    total = order['coupon']\n"
        "KeyError: 'coupon'\n"
    )
    canary = NOISY_CANARY + traceback * 3
    acks = IGNORE_NOISE + "  - regex: 'coupon'\n    action: ignore\n    reason: trying to hide it\n"
    verdict = judged(tmp_path, STABLE, canary, acks)
    assert verdict.verdict == "fail"
    assert [f.severity for f in verdict.findings if f.kind == "crash"] == ["critical"]
    assert any("crashes and fatal-level messages are never ignored" in note for note in verdict.notes)
    coupon = [t for t in verdict.evidence.templates if "coupon" in t.template]
    assert coupon and all(t.crashes and t.acknowledged is None for t in coupon)


def test_5xx_answers_and_fatal_messages_are_never_ignored(tmp_path: Path) -> None:
    canary = service_log(400, 4, status5xx=0.4)
    without = judged(tmp_path, STABLE, canary, None)
    assert without.verdict == "fail"
    acks = "acknowledge:\n  - pattern: 'GET /api/cart/<NUM> 500'\n    action: ignore\n"
    verdict = judged(tmp_path, STABLE, canary, acks)
    assert verdict.verdict == "fail"
    [http] = [f for f in verdict.findings if f.kind == "http-5xx"]
    assert http.severity == "critical" and http.acknowledged is None
    assert any("HTTP 500 answers are failures users see, never ignored" in note for note in verdict.notes)

    fatal = service_log(400, 5, (("fatal", "lost leadership of lease {n}", 0.05),))
    verdict = judged(
        tmp_path, STABLE, fatal, "acknowledge:\n  - regex: 'lost leadership'\n    action: ignore\n"
    )
    assert verdict.verdict == "fail"
    assert any("crashes and fatal-level messages are never ignored" in note for note in verdict.notes)
    assert not [f for f in verdict.findings if f.acknowledged]


def test_a_known_404_shape_can_be_ignored_and_the_4xx_share_is_judged_without_it(tmp_path: Path) -> None:
    canary = service_log(400, 6, status404=0.3)
    without = judged(tmp_path, STABLE, canary, None)
    assert [f.severity for f in without.findings if f.kind == "http-4xx"] == ["major"]
    verdict = judged(
        tmp_path, STABLE, canary, "acknowledge:\n  - pattern: 'GET /favicon.ico 404'\n    action: ignore\n"
    )
    assert verdict.verdict == "pass", verdict.summary
    [http] = [f for f in verdict.findings if f.kind == "http-4xx"]
    assert http.acknowledged is not None and http.acknowledged["severity"] == "major"


def test_an_expired_entry_stops_applying_and_says_so(tmp_path: Path) -> None:
    acks = IGNORE_NOISE.replace("2999-12-31", "2020-01-31")
    verdict = judged(tmp_path, STABLE, NOISY_CANARY, acks)
    assert verdict.verdict == "fail"
    assert not [f for f in verdict.findings if f.acknowledged]
    [note] = [n for n in verdict.notes if "expired" in n]
    assert "entry 1" in note and "expired on 2020-01-31" in note and "renew" in note
    assert "matches 1" in note or "canary line(s)" in note


def test_an_over_broad_ignore_is_refused_with_a_note(tmp_path: Path) -> None:
    shapes = (
        "cache warmup finished in {n} ms",
        "connection pool resized to {n}",
        "retrying upstream call {n}",
    )
    messages = tuple(("warn", text, 0.1) for text in shapes)
    canary = service_log(400, 7, (*messages, ("error", NOISE, 0.3)))
    verdict = judged(tmp_path, STABLE, canary, "acknowledge:\n  - regex: '\\w+ \\w+'\n    action: ignore\n")
    assert verdict.verdict == "fail"
    assert not [f for f in verdict.findings if f.acknowledged]
    assert any("too broad to be known noise" in note and "entry 1" in note for note in verdict.notes)


def test_always_fail_fails_on_one_line_even_when_the_stable_has_it_too(tmp_path: Path) -> None:
    leak = (("warn", "heap usage {n} MB above soft limit", 0.01),)
    stable, canary = service_log(400, 8, leak), service_log(400, 9, leak)
    assert judged(tmp_path, stable, canary, None).verdict == "pass"
    acks = (
        "acknowledge:\n  - regex: 'above soft limit'\n    action: always-fail\n"
        "    reason: a leak must never ship (INC-4)\n"
    )
    verdict = judged(tmp_path, stable, canary, acks)
    assert verdict.verdict == "fail"
    [finding] = [f for f in verdict.findings if f.kind == "always-fail"]
    assert finding.severity == "critical" and finding.count >= 1
    assert (
        "entry 1 says this message must fail the rollout: a leak must never ship (INC-4)" in finding.message
    )
    assert finding.templates[0]["pattern"].startswith("heap usage")
    # absent from the canary: no finding
    assert judged(tmp_path, canary, STABLE, acks).verdict == "pass"


def test_always_fail_wins_over_an_ignore_of_the_same_message(tmp_path: Path) -> None:
    acks = IGNORE_NOISE + "  - regex: 'otel-collector'\n    action: always-fail\n"
    verdict = judged(tmp_path, STABLE, NOISY_CANARY, acks)
    assert verdict.verdict == "fail"
    assert any(f.kind == "always-fail" for f in verdict.findings)
    assert not [f for f in verdict.findings if f.acknowledged]
    assert any("always-fail wins" in note for note in verdict.notes)


def test_findings_read_apart_from_templates_are_never_neutralised() -> None:
    """A quiet canary (or any protected kind) that the rules would not make again on the adjusted
    evidence is kept as it was, never turned into an acknowledged info."""
    noise = TemplateStat(id="1:error", template="cache refresh failed", level="error", stable=0, canary=50,
                         key="error-0123456789")  # fmt: skip
    quiet = Finding("quiet-canary", "major", "canary", "canary went quiet", 1,
                    templates=[{"template": noise.key, "pattern": noise.template}])  # fmt: skip
    acks = parse_text("acknowledge:\n  - pattern: 'cache refresh failed'\n    action: ignore\n", "f")
    applied = apply(
        evidence(side(), side(errors=50), templates=[noise]),
        [quiet],
        Matcher(acks),
        datetime.date(2026, 1, 1),
    )
    [kept] = [f for f in applied.findings if f.kind == "quiet-canary"]
    assert kept.severity == "major" and kept.acknowledged is None


def test_the_text_report_and_json_show_what_to_copy_and_an_acknowledged_section(tmp_path: Path) -> None:
    verdict = judged(tmp_path, STABLE, service_log(400, 3, (("error", NOISE, 0.3), ("error", REAL, 0.05))),
                     IGNORE_NOISE)  # fmt: skip
    text = render(verdict, "text")
    findings, acknowledged = text.split("Acknowledged (known noise, not counted in the verdict):")
    assert (
        "to acknowledge: template: error-" in findings
        and "pattern: 'order <NUM> failed: KeyError ''coupon'''" in findings
    )
    assert (
        "[was major   ] new-error" in acknowledged
        and "by acknowledge file 'acks.yaml' entry 1, expires 2999-12-31" in acknowledged
    )
    assert f"pattern: '{NOISE_PATTERN}'" in acknowledged
    import json

    document = json.loads(render(verdict, "json"))
    [ack] = [f for f in document["findings"] if f["acknowledged"]]
    assert ack["severity"] == "info" and ack["acknowledged"]["entry"] == 1
    assert all("templates" in f for f in document["findings"])
    assert all(t["key"] for t in document["evidence"]["templates"])


def test_the_model_sees_the_evidence_without_the_ignored_noise(tmp_path: Path, monkeypatch: Any) -> None:
    """A model cannot cite an acknowledged template to escalate: its prompt is built from the
    evidence the verdict was decided on (the noise's findings only as info, which never support an
    escalation), and the result still shows every template as counted."""
    import job.judge.llm as llm_module
    from job.judge import judge
    from job.judge.llm import ModelAnswer, build_prompt
    from job.model import LLMResult
    from tests.judge.judge_helpers import evidence_from_logs

    seen: list[str] = []

    def consult(evidence: Evidence, floor: Verdict, cfg: LLMConfig) -> ModelAnswer:
        seen.append(build_prompt(evidence, floor, "", cfg.prompt_token_budget).user)
        return ModelAnswer(result=LLMResult(), error="no model here")

    monkeypatch.setattr(llm_module, "consult", consult)
    full = evidence_from_logs(STABLE, NOISY_CANARY)
    acks = parse_text(IGNORE_NOISE, "acknowledge file 'acks.yaml'")
    verdict = judge(full, LLMConfig(enabled=True), Matcher(acks))
    assert verdict.verdict == "pass"
    # no template of the noise to cite; its findings only as info, marked acknowledged
    assert seen and '"templates":[]' in seen[0]
    assert '"severity":"info","side":"canary","kind":"new-error"' in seen[0]
    assert "[acknowledged as known noise: entry 1" in seen[0]
    assert any(t.template == NOISE_PATTERN and t.acknowledged for t in verdict.evidence.templates)


def test_an_ignore_covers_its_message_when_the_stable_logs_it_too_but_less(tmp_path: Path) -> None:
    stable = service_log(400, 11, (("error", NOISE, 0.02),))
    canary = service_log(400, 12, (("error", NOISE, 0.3),))
    without = judged(tmp_path, stable, canary, None)
    assert without.verdict == "fail"
    assert any(f.kind == "template-increase" and f.severity == "major" for f in without.findings)
    verdict = judged(tmp_path, stable, canary, IGNORE_NOISE)
    assert verdict.verdict == "pass", verdict.summary
    assert {f.kind for f in verdict.findings if f.acknowledged} >= {"template-increase", "error-share"}


def test_ignoring_the_start_up_line_never_hides_restarts(tmp_path: Path) -> None:
    def starts(count: int) -> str:
        return "".join(
            f"2026-11-27 10:{n:02d}:00,141 INFO thumbs: thumbs 2.4.0 listening on http://0.0.0.0:8080\n"
            + "".join(
                f'2026-11-27 10:{n:02d}:{1 + i:02d},500 INFO thumbs: 10.0.0.{i} "GET /t/{i} HTTP/1.1" 200 -\n'
                for i in range(40)
            )
            for n in range(count)
        )

    acks = """
acknowledge:
  - pattern: 'thumbs: thumbs <*> listening on <*>'
    action: ignore
    reason: we know it starts
"""
    verdict = judged(tmp_path, starts(1), starts(6), acks)
    [restarts] = [f for f in verdict.findings if f.kind == "log-restarts"]
    assert (verdict.verdict, restarts.severity, restarts.acknowledged) == ("fail", "major", None)
    assert any("judged as known noise" in note for note in verdict.notes), "the ignore was applied"


def test_always_fail_finds_its_message_among_free_text_past_the_template_budget(tmp_path: Path) -> None:
    """A canary that logs free text (payloads, user input) stops mining new shapes: a must-fail
    message that first appears after that still fails the rollout, whatever its level."""
    rng = random.Random(1)
    words = [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9))) for _ in range(5000)
    ]
    free_text = "".join(
        f'time="2024-05-01T12:00:{i % 60:02d}Z" level=info msg="{" ".join(rng.sample(words, 4))}"\n'
        for i in range(3000)
    )
    fallback = 'time="2024-05-01T12:05:00Z" level={level} msg="falling back to the legacy payment provider"\n'
    acks = """
acknowledge:
  - regex: 'falling back to the legacy payment provider'
    action: always-fail
    reason: the legacy provider charges twice
"""
    for level in ("info", "warn", "error"):
        verdict = judged(tmp_path, STABLE, STABLE + free_text + fallback.format(level=level) * 3, acks)
        assert any(f.kind == "other-shapes" for f in verdict.findings), (
            "the canary's free text is past the budget"
        )
        [finding] = [f for f in verdict.findings if f.kind == "always-fail"]
        assert (verdict.verdict, finding.count) == ("fail", 3), level


def test_always_fail_is_not_crowded_out_by_a_busy_ignore(tmp_path: Path) -> None:
    """The evidence keeps a bounded number of the templates entries match; an ignore that matches
    many busy ones must not push the always-fail message (one line) out of sight."""
    rng = random.Random(2)
    names = ["".join(rng.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(120)]
    routine = "".join(
        f'time="2024-05-01T12:00:00Z" level=info msg="{n} settings reloaded"\n' for n in names[60:] * 3
    )
    shards = "".join(
        f'time="2024-05-01T12:00:01Z" level=info msg="{n} cache shard rebalanced"\n' for n in names[:60] * 5
    )
    fallback = 'time="2024-05-01T12:05:00Z" level=info msg="falling back to the legacy payment provider"\n'
    acks = """
acknowledge:
  - regex: 'cache shard rebalanced'
    action: ignore
    reason: the shards move on every deploy
  - pattern: 'falling back to the legacy payment provider'
    action: always-fail
    reason: the legacy provider charges twice
"""
    verdict = judged(tmp_path, STABLE + routine, STABLE + routine + shards + fallback, acks)
    [finding] = [f for f in verdict.findings if f.kind == "always-fail"]
    assert verdict.verdict == "fail" and finding.count == 1


def test_an_ignored_message_does_not_hide_a_new_one_the_miner_merges_with_it(tmp_path: Path) -> None:
    """drain3 mines "payment failed: card declined" and a new "payment failed: gateway timeout" as
    one template, "payment failed: <*> <*>": an ignore of the first (a literal) does not match it,
    so the new error class still fails the canary."""
    known = "payment failed: card declined"
    stable = service_log(400, 1, (("error", known, 0.05),))
    canary = service_log(400, 2, (("error", known, 0.05), ("error", "payment failed: gateway timeout", 0.2)))
    acks = f"acknowledge:\n  - pattern: '{known}'\n    action: ignore\n    reason: customers' cards\n"
    verdict = judged(tmp_path, stable, canary, acks)
    assert verdict.verdict == "fail" and not any(f.acknowledged for f in verdict.findings)
    assert verdict.evidence is not None
    assert [t.template for t in verdict.evidence.templates if "payment" in t.template] == [
        "payment failed: <*> <*>"
    ]

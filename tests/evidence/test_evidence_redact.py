import json
from collections.abc import Callable

import pytest

from job.evidence.redact import REDACTED, LineRedactor, redact, redact_lines
from job.model import Evidence

SECRETS = [
    ("Authorization: Bearer abcdef1234567890xyz", "Authorization: Bearer [REDACTED]", "abcdef1234567890xyz"),
    ("auth header Basic dXNlcjpwYXNzd29yZA==", "auth header Basic [REDACTED]", "dXNlcjpwYXNzd29yZA=="),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl", "jwt [REDACTED]", "eyJzdWIiOiIxMjMifQ"),
    ("dial postgres://app:s3cr3t@db:5432/shop", "dial postgres://app:[REDACTED]@db:5432/shop", "s3cr3t"),
    ("login password=hunter2 user=bob", "login password=[REDACTED] user=bob", "hunter2"),
    ('{"user":"bob","password":"hunter2"}', '{"user":"bob","password":"[REDACTED]"}', "hunter2"),
    ("{'api_key': 'k-123456'}", "{'api_key': '[REDACTED]'}", "k-123456"),
    ("GET /cb?code=1&access_token=abc123&x=1", "GET /cb?code=1&access_token=[REDACTED]&x=1", "abc123"),
    ("client_secret: s3cr3t-value", "client_secret: [REDACTED]", "s3cr3t-value"),
    ("aws key AKIAIOSFODNN7EXAMPLE used", "aws key [REDACTED] used", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=[REDACTED]",
     "wJalrXUtnFEMI"),
    ("gcp key AIzaSyA-1234567890abcdefghijklmnopqrstu", "gcp key [REDACTED]", "AIzaSyA"),
    ("AccountName=x;AccountKey=abc123==;EndpointSuffix=core.windows.net",
     "AccountName=x;AccountKey=[REDACTED];EndpointSuffix=core.windows.net", "abc123=="),
    ("blob https://x.blob.core.windows.net/c?sv=2020&sig=AbC%2Bdef", "blob https://x.blob.core.windows.net/c?sv=2020&sig=[REDACTED]",
     "AbC%2Bdef"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "token [REDACTED]", "ghp_"),
    ("pat github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "pat [REDACTED]", "github_pat_"),
    ("slack xoxb-1234567890-abcdefghij", "slack [REDACTED]", "xoxb-"),
    ("hook https://hooks.slack.com/services/T000/B000/XXXX", "hook https://hooks.slack.com/services/[REDACTED]",
     "T000/B000"),
    ("stripe sk_live_abcdefghijklmnop1234", "stripe [REDACTED]", "sk_live_"),
    ("gitlab glpat-abcdefghij1234567890", "gitlab [REDACTED]", "glpat-"),
    ("Cookie: session=abc; theme=dark", "Cookie: [REDACTED]", "session=abc"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected", "secret"), SECRETS)
def test_secret_is_redacted(text: str, expected: str, secret: str) -> None:
    result = redact(text)
    assert result == expected
    assert secret not in result


def test_private_key_block_is_redacted_even_when_cut() -> None:
    block = (
        "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\nafter"
    )
    assert "MIIEowIBAAKCAQEA" not in redact(block) and redact(block).endswith("after")
    cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA"
    assert "b3BlbnNzaC1rZXktdjEAAAAA" not in redact(cut)


@pytest.mark.parametrize(
    "text",
    [
        "GET /color 200 took 12ms",
        "token_count=12 cache=warm",
        "request failed: connection refused (10.0.0.1:5432)",
        "user 42 logged in",
    ],
)
def test_ordinary_text_is_untouched(text: str) -> None:
    assert redact(text) == text
    assert REDACTED not in redact(text)


# ---------------------------------------------------------------- lines as they are read
BODY = ["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun", "VTLw7onLRnrq0/IzW7yWR7Qk"]


def test_a_pem_block_over_lines_is_redacted_whole_one_line_out_per_line_in() -> None:
    lines = [
        "ERROR bad key: -----BEGIN RSA PRIVATE KEY-----",
        *BODY,
        "Ab1=",
        "-----END RSA PRIVATE KEY-----",
        "next",
    ]
    out = list(redact_lines(lines))
    assert len(out) == len(lines) and out[-1] == "next"
    assert out[0] == "ERROR bad key: -----BEGIN RSA PRIVATE KEY-----[REDACTED]"
    assert out[1:5] == ["  [REDACTED]"] * 3 + ["  [REDACTED]-----END RSA PRIVATE KEY-----"]  # one event


def test_a_block_cut_short_gives_back_the_lines_after_it(evidence_of: Callable[[str, str], Evidence]) -> None:
    """No END line (the log was cut): the block ends at the first line that is not base64, so a
    crash printed right after a key is still a crash."""
    out = list(
        redact_lines(["-----BEGIN OPENSSH PRIVATE KEY-----", BODY[0], "Ab1x", "panic: boom", "Killed"])
    )
    assert out == [
        "-----BEGIN OPENSSH PRIVATE KEY-----[REDACTED]",
        "  [REDACTED]",
        "Ab1x",
        "panic: boom",
        "Killed",
    ]
    canary = "\n".join(
        ["-----BEGIN OPENSSH PRIVATE KEY-----", *BODY, "panic: boom", "goroutine 1 [running]:"]
    )
    evidence = evidence_of("ok\n" * 50, canary)
    assert evidence.canary.crashes == 1


def test_a_block_after_another_on_the_same_line_is_redacted_too() -> None:
    begin, end = "-----BEGIN EC PRIVATE KEY-----", "-----END EC PRIVATE KEY-----"
    lines = [begin, BODY[0], f"{end} {begin}", BODY[1], end]
    assert not any(part in line for line in redact_lines(lines) for part in BODY)


def test_a_key_inside_a_json_string_keeps_the_line_json() -> None:
    record = {"level": "error", "status": 500, "key": "-----BEGIN PRIVATE KEY-----\n" + BODY[0],
              "dsn": "postgres://app:s3cr3t@db/x", "note": "Bearer abcdef123456 and a@b"}  # fmt: skip
    line = json.dumps(record)
    [out] = redact_lines([line])
    record = json.loads(out)  # still JSON: no rule reaches over a quote
    assert (record["level"], record["status"]) == ("error", 500)
    assert BODY[0] not in out and "s3cr3t" not in out and "abcdef123456" not in out


@pytest.mark.parametrize(
    "line",
    [
        "I0501 12:00:29.000029   3 controller.go:119] Synced auth key=default/auth-35210",
        "Access denied for user 'shop'@'localhost' (using password: YES)",
        "passwords_checked=3 bypass=on oauth=google token_count=12 max_tokens=512",
        "Basic auth failed for user bob",
        "digest sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945 pulled",
        "request 3fa85f64-5717-4562-b3fc-2c963f66afa6 done in 12ms",
        "GET /api/orders?page=2&sort=asc HTTP/1.1 200",
        "-----BEGIN CERTIFICATE----- is public, not a secret",
    ],
)
def test_ordinary_log_lines_pass_unchanged(line: str) -> None:
    assert list(redact_lines([line])) == [line]


# ---------------------------------------------------------------- batches, as the line reader hands them
def _batched(lines: list[str], cuts: list[int]) -> list[str]:
    redactor, out, last = LineRedactor(), [], 0
    for cut in [*cuts, len(lines)]:
        batch = lines[last:cut]
        redacted = redactor.batch(batch) if batch else []
        assert len(redacted) == len(batch)  # one line out per line in, within each batch
        out += redacted
        last = cut
    return out + list(redactor.finish())


STREAM = [
    "INFO start",
    "login password=hunter2 user=bob",
    "ERROR bad key: -----BEGIN RSA PRIVATE KEY-----",
    *BODY,
    "Ab1=",
    "-----END RSA PRIVATE KEY-----",
    "GET /x 200 auth ok",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    BODY[0],
    "panic: boom",
    "Authorization: Bearer abcdef1234567890xyz",
    "Straße token=geheim123",  # a character whose lowercase is longer: searched line by line
    "plain",
]


@pytest.mark.parametrize("cuts", [[], [1], [3], [4], [5], [6], [3, 5], [9, 10], list(range(1, len(STREAM)))])
def test_batches_redact_as_the_line_by_line_reading_does_wherever_blocks_end(cuts: list[int]) -> None:
    assert _batched(STREAM, cuts) == list(redact_lines(STREAM))


def test_a_short_key_line_at_the_end_of_a_batch_is_redacted_not_given_back() -> None:
    """ "Ab1x" inside a key waits for the next line to know if it is the key's last line; at the end
    of a batch it cannot wait (one line out per line in), so it is redacted: never a leak."""
    lines = ["-----BEGIN RSA PRIVATE KEY-----", BODY[0], "Ab1x", "-----END RSA PRIVATE KEY-----", "next"]
    out = _batched(lines, [3])
    assert "Ab1x" not in out and out[-1] == "next" and len(out) == len(lines)


def test_a_batch_without_keywords_comes_back_as_it_is() -> None:
    lines = ["GET /x 200", "user 42 logged in"]
    assert LineRedactor().batch(lines) is lines


def test_a_long_batch_is_searched_in_parts_with_the_same_result() -> None:
    lines = [f"GET /x/{i} 200" for i in range(250)] + STREAM * 3 + ["plain"] * 300
    assert LineRedactor().batch(lines) == list(redact_lines(lines))

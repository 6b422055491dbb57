import pytest

from job.evidence.redact import REDACTED, redact

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

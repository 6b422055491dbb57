"""Kinds of secret as they show up in real logs, and the log formats they show up in.

Every value is fake and made fresh from a seed (realistic formats: prefixes, lengths, alphabets
as the providers issue them, after gitleaks' rules and the providers' docs). `KINDS[name].make(rng)`
gives the text that goes into a log message and the parts of it that must appear in no output;
`FORMATS[name](message, i)` wraps a message the way one kind of program logs it.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    """`n` characters of `alphabet`, at least one digit and one letter when the alphabet has them."""
    while True:
        text = "".join(rng.choice(alphabet) for _ in range(n))
        has_digit = not set(alphabet) & set(string.digits) or any(c.isdigit() for c in text)
        if n < 8 or (has_digit and any(c.isalpha() for c in text)):
            return text


@dataclass(frozen=True)
class Kind:
    """`shape` holds `{s}` (the secret); `hidden` says which parts of the secret must not leak."""

    name: str
    secret: Callable[[random.Random], str]
    shape: str = "{s}"
    hidden: Callable[[str], list[str]] = lambda s: [s]

    def make(self, rng: random.Random) -> tuple[str, list[str]]:
        value = self.secret(rng)
        return self.shape.replace("{s}", value), self.hidden(value)


def _pem_body(rng: random.Random, lines: int = 6) -> str:
    full = [_pick(rng, B64, 64) for _ in range(lines)]
    return "\n".join([*full, _pick(rng, B64, 10) + "=="])  # the last line is short


def _body_lines(s: str) -> list[str]:
    return [line for line in s.replace("\\n", "\n").split("\n") if line]


def _jwt(rng: random.Random) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"sub": _pick(rng, ALNUM, 12), "iat": rng.randrange(10**9, 2 * 10**9), "role": "admin"}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{_pick(rng, URLSAFE, 43)}"


def _basic(rng: random.Random) -> str:
    return base64.b64encode(f"deploy:{_pick(rng, ALNUM, 14)}".encode()).decode()


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _hex(rng: random.Random, n: int) -> str:
    return _pick(rng, "0123456789abcdef", n)


def _upper(rng: random.Random, n: int) -> str:
    return _pick(rng, string.ascii_uppercase + string.digits, n)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        # private keys
        Kind(
            "pem-rsa-multiline",
            lambda r: _pem_body(r),
            "-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----",
            _body_lines,
        ),
        Kind(
            "pem-openssh-cut-short",
            lambda r: _pem_body(r, 4),
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{s}",
            _body_lines,
        ),
        Kind(
            "pem-ec-encrypted",
            lambda r: _pem_body(r, 3),
            "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
            "DEK-Info: AES-128-CBC,0F1E2D3C4B5A69788796A5B4C3D2E1F0\n"
            "{s}\n-----END EC PRIVATE KEY-----",
            _body_lines,
        ),
        Kind(
            "pem-pkcs8-in-json-string",
            lambda r: _pem_body(r, 4).replace("\n", "\\n"),
            'loaded credentials {"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n{s}'
            '\\n-----END PRIVATE KEY-----\\n", "client_email": "ci@shop.iam.gserviceaccount.com"}',
            _body_lines,
        ),
        # AWS
        Kind(
            "aws-access-key-id",
            lambda r: "AKIA" + _upper(r, 16),
            "using credentials {s} for s3://shop-assets",
        ),
        Kind(
            "aws-secret-key-free-text",
            lambda r: _pick(r, B64, 40),
            "auth failed for key AKIAIOSFODNN7EXAMPLE secret {s}",
        ),
        Kind(
            "aws-secret-key-env",
            lambda r: _pick(r, B64, 40),
            "env AWS_SECRET_ACCESS_KEY={s} AWS_REGION=eu-west-1",
        ),
        Kind(
            "aws-temporary-key-id",
            lambda r: "ASIA" + _upper(r, 16),
            "assumed role deployer, temporary key {s}",
        ),
        # source forges
        Kind("github-pat", lambda r: "ghp_" + _pick(r, ALNUM, 36), "pushing tags with {s}"),
        Kind(
            "github-fine-grained-pat",
            lambda r: "github_pat_" + _pick(r, ALNUM, 22) + "_" + _pick(r, ALNUM, 59),
            "GITHUB_TOKEN is {s}",
        ),
        Kind(
            "github-app-token",
            lambda r: "ghs_" + _pick(r, ALNUM, 36),
            "installation token {s} expires in 3600s",
        ),
        Kind("gitlab-pat", lambda r: "glpat-" + _pick(r, URLSAFE, 20), "PRIVATE-TOKEN: {s}"),
        # chat
        Kind(
            "slack-bot-token",
            lambda r: f"xoxb-{_digits(r, 12)}-{_digits(r, 13)}-{_pick(r, ALNUM, 24)}",
            "slack client init {s}",
        ),
        Kind(
            "slack-user-token",
            lambda r: f"xoxp-{_digits(r, 12)}-{_digits(r, 12)}-{_digits(r, 13)}-{_hex(r, 32)}",
            "as user {s}",
        ),
        Kind(
            "slack-webhook",
            lambda r: f"T{_upper(r, 10)}/B{_upper(r, 10)}/{_pick(r, string.ascii_letters, 24)}",
            "POST https://hooks.slack.com/services/{s} returned 404",
        ),
        # payments and cloud APIs
        Kind(
            "stripe-secret-key", lambda r: "sk_live_" + _pick(r, ALNUM, 24), "stripe charge with {s} declined"
        ),
        Kind(
            "stripe-restricted-key",
            lambda r: "rk_live_" + _pick(r, ALNUM, 24),
            "restricted key {s} lacks scope",
        ),
        Kind(
            "stripe-webhook-secret",
            lambda r: "whsec_" + _pick(r, ALNUM, 32),
            "webhook signature check with {s}",
        ),
        Kind(
            "google-api-key",
            lambda r: "AIza" + _pick(r, URLSAFE, 35),
            "maps geocode failed key={s} status=403",
        ),
        Kind("google-oauth-token", lambda r: "ya29." + _pick(r, URLSAFE, 60), "gcs upload as {s} forbidden"),
        Kind(
            "openai-legacy-key",
            lambda r: "sk-" + _pick(r, ALNUM, 20) + "T3BlbkFJ" + _pick(r, ALNUM, 20),
            "openai: 401 Incorrect API key provided: {s}",
        ),
        Kind(
            "openai-project-key",
            lambda r: "sk-proj-" + _pick(r, URLSAFE, 48) + "T3BlbkFJ" + _pick(r, URLSAFE, 48),
            "llm client init with {s} failed",
        ),
        Kind(
            "anthropic-key",
            lambda r: "sk-ant-api03-" + _pick(r, URLSAFE, 93) + "AA",
            "claude call with {s}: 529",
        ),
        Kind(
            "npm-token",
            lambda r: "npm_" + _pick(r, ALNUM, 36),
            "npm publish //registry.npmjs.org/:_authToken {s}",
        ),
        Kind(
            "pypi-token", lambda r: "pypi-AgEIcHlwaS5vcmc" + _pick(r, URLSAFE, 60), "twine upload using {s}"
        ),
        Kind(
            "sendgrid-key",
            lambda r: "SG." + _pick(r, URLSAFE, 22) + "." + _pick(r, URLSAFE, 43),
            "mail via {s}",
        ),
        Kind("vault-token", lambda r: "hvs." + _pick(r, URLSAFE, 90), "vault login with {s} denied"),
        Kind(
            "huggingface-token", lambda r: "hf_" + _pick(r, string.ascii_letters, 34), "model pull with {s}"
        ),
        Kind("digitalocean-token", lambda r: "dop_v1_" + _hex(r, 64), "doctl auth {s} invalid"),
        Kind("shopify-token", lambda r: "shpat_" + _hex(r, 32), "shopify admin api {s} throttled"),
        Kind(
            "grafana-service-account",
            lambda r: "glsa_" + _pick(r, ALNUM, 32) + "_" + _hex(r, 8),
            "dash sync {s}",
        ),
        Kind("age-secret-key", lambda r: "AGE-SECRET-KEY-1" + _upper(r, 58), "sops decrypt with {s} failed"),
        # tokens and headers
        Kind("jwt", _jwt, "jwt verify failed for {s}: signature invalid"),
        Kind(
            "bearer-header",
            lambda r: _pick(r, ALNUM, 32),
            "upstream request headers Authorization: Bearer {s}",
        ),
        Kind("basic-header-lowercase", _basic, "proxy sent authorization: Basic {s}"),
        Kind("x-api-key-header", lambda r: _pick(r, ALNUM, 40), "X-Api-Key: {s} rejected"),
        Kind("cookie-header", lambda r: _pick(r, URLSAFE, 32), "Cookie: sessionid={s}; theme=dark"),
        Kind("set-cookie-header", lambda r: _pick(r, URLSAFE, 32), "Set-Cookie: sid={s}; Path=/; HttpOnly"),
        Kind(
            "access-token-in-query",
            lambda r: _pick(r, URLSAFE, 40),
            "GET /oauth/done?access_token={s}&state=ok",
        ),
        # passwords in URLs and DSNs
        Kind(
            "url-password",
            lambda r: _pick(r, ALNUM + "_-.~", 16),
            "pull from https://deploy:{s}@registry.shop.internal/v2/ failed",
        ),
        Kind(
            "postgres-url",
            lambda r: _pick(r, ALNUM, 18),
            "dial postgres://app:{s}@db.internal:5432/shop?sslmode=off",
        ),
        Kind(
            "redis-url-no-user",
            lambda r: _pick(r, ALNUM, 24),
            "redis connect rediss://:{s}@cache:6380/0 refused",
        ),
        Kind(
            "mysql-go-dsn",
            lambda r: _pick(r, ALNUM, 16),
            "open app:{s}@tcp(mysql:3306)/orders?parseTime=true",
        ),
        Kind(
            "libpq-keyword-dsn",
            lambda r: _pick(r, ALNUM, 16),
            "connect host=db port=5432 user=app password={s} dbname=shop",
        ),
        Kind(
            "jdbc-password",
            lambda r: _pick(r, ALNUM, 16),
            "jdbc:sqlserver://db:1433;databaseName=shop;user=app;password={s};encrypt=true",
        ),
        Kind(
            "azure-storage-key",
            lambda r: _pick(r, B64, 86) + "==",
            "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={s};EndpointSuffix=core.windows.net",
        ),
        Kind(
            "azure-sas-signature",
            lambda r: _pick(r, ALNUM, 40) + "%3D",
            "GET https://shop.blob.core.windows.net/c/b.png?sv=2022-11-02&sr=b&sig={s} 403",
        ),
        # named values
        Kind(
            "json-password",
            lambda r: _pick(r, ALNUM + "!#$%", 14),
            'login payload {"user": "bob", "password": "{s}"}',
        ),
        Kind("logfmt-api-key", lambda r: _pick(r, ALNUM, 32), "call billing api_key={s} region=eu"),
        Kind("yaml-client-secret", lambda r: _pick(r, URLSAFE, 40), "oidc config client_secret: {s}"),
        Kind("xml-password", lambda r: _pick(r, ALNUM, 14), "soap fault for <Password>{s}</Password>"),
        Kind("password-free-text", lambda r: _pick(r, ALNUM, 12), "password {s} rejected for user admin"),
        Kind("cli-password-flag", lambda r: _pick(r, ALNUM, 16), "exec: pg_dump --password={s} --host=db"),
        Kind(
            "curl-user",
            lambda r: _pick(r, ALNUM, 16),
            "retrying curl -sS -u admin:{s} https://api.internal/health",
        ),
        Kind("signing-key-env", lambda r: _hex(r, 64), "JWT_SIGNING_KEY={s} loaded"),
    )
}


def _logfmt_quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _plain(message: str, i: int) -> str:
    return f"2026-11-26 06:30:{i % 60:02d},123 ERROR shop.payments: request failed: {message}"


def _json(message: str, i: int) -> str:
    record = {"timestamp": f"2026-11-26T06:30:{i % 60:02d}.123Z", "level": "error",
              "event": f"request failed: {message}", "request_id": f"req-{i}"}  # fmt: skip
    return json.dumps(record)


def _logfmt(message: str, i: int) -> str:
    return (
        f'time="2026-11-26T06:30:{i % 60:02d}Z" level=error msg="{_logfmt_quote(message)}" request_id=req-{i}'
    )


def _klog(message: str, i: int) -> str:
    error = _logfmt_quote(message)
    return f'E1126 06:30:{i % 60:02d}.123456   1 reconcile.go:88] "Reconcile failed" err="{error}"'


def _access(message: str, i: int) -> str:
    """nginx's combined format: a message without spaces is the request path, else the user agent."""
    where = (
        (f"GET /pay?note={message} HTTP/1.1", "-") if " " not in message else ("GET /pay HTTP/1.1", message)
    )
    return (f'10.0.3.{i % 250} - - [26/Nov/2026:06:30:{i % 60:02d} +0000] "{where[0]}" 500 12 "-" '
            f'"{where[1]}" '
            f"rt=0.012")  # fmt: skip


def _python_traceback(message: str, i: int) -> str:
    return (f"2026-11-26 06:30:{i % 60:02d},123 ERROR shop.api: charge failed\n"
            "Traceback (most recent call last):\n"
            f'  File "/app/pay.py", line 12, in charge\n    client.connect()\n'
            f"ConnectionError: {message}")  # fmt: skip


def _java_stack(message: str, i: int) -> str:
    return (f"2026-11-26 06:30:{i % 60:02d}.123 ERROR 1 --- [nio-8080-exec-{i % 9}] c.s.PayController : "
            "charge failed\n"
            f"java.lang.IllegalStateException: {message}\n\tat com.shop.Pay.charge(Pay.java:42)\n"
            "\tat com.shop.Api.handle(Api.java:17)")  # fmt: skip


def _go_panic(message: str, i: int) -> str:
    return (f"panic: {message}\n\ngoroutine {i} [running]:\nmain.charge(0xc000010000)\n"
            "\t/app/main.go:42 +0x1d\n"
            "exit status 2")  # fmt: skip


FORMATS: dict[str, Callable[[str, int], str]] = {
    "plain": _plain,
    "json": _json,
    "logfmt": _logfmt,
    "klog": _klog,
    "access": _access,
    "python-traceback": _python_traceback,
    "java-stack": _java_stack,
    "go-panic": _go_panic,
}


def formats_for(kind: Kind) -> list[str]:
    """The formats a kind shows up in. A multi-line value or one with quotes is never an nginx
    field as such (nginx escapes quotes as \\x22 and has one line per request)."""
    sample = kind.make(random.Random(0))[0]
    if "\n" in sample or '"' in sample:
        return [name for name in FORMATS if name != "access"]
    return list(FORMATS)

"""Secrets out of any text that a report or a model will see.

Applied to every example line, template, crash excerpt and pod message that leaves the
evidence stage. Patterns are specific first (a private key block, a JWT) then generic
(`password=...`), and each replaces only the secret, keeping enough context to read.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

_SECRET_KEYS = (
    r"pass(?:word|wd|phrase)?|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?"
    r"|secret[_-]?access[_-]?key|private[_-]?key|(?:access|refresh|id|auth|session|csrf|bearer)?[_-]?token"
    r"|authorization|auth|credentials?|cookie|set-cookie|x-api-key|signature|sig|accountkey|sharedaccesskey"
    r"|connection[_-]?string|dsn"
)

# "password": "x" and 'token': 'x' (JSON, Python reprs)
_QUOTED_KEY = r"""((["'])[\w.-]*(?:""" + _SECRET_KEYS + r""")[\w.-]*\2\s*:\s*)(["'])(?:\\.|(?!\3).)*\3"""
# password=x, token: x, api_key="x", ?access_token=x& (logfmt, query strings, headers), not twice
_PLAIN_KEY = (
    r"""(\b[\w.-]*(?:"""
    + _SECRET_KEYS
    + r""")\b\s*[=:]\s*)(?!\[REDACTED\]|(?:Bearer|Basic|Token|Digest)\s)"""
    r"""(?:"(?:\\.|[^"])*"|'[^']*'|[^\s&,;"'})\]]+)"""
)

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM private keys, also when the END line was cut off
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S),
     "-----BEGIN PRIVATE KEY-----" + REDACTED + "-----END PRIVATE KEY-----"),
    # JSON Web Tokens
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    # Authorization: Bearer/Basic/Token <credential>
    (re.compile(r"\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{8,}", re.I), r"\1 " + REDACTED),
    # credentials in URLs: scheme://user:password@host
    (re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+):[^@\s/]+@"), r"\1:" + REDACTED + "@"),
    # AWS access key ids, GCP API keys, GitHub, GitLab, Slack, Stripe, Google OAuth tokens
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), REDACTED),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})\b"), REDACTED),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), REDACTED),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), REDACTED),
    (re.compile(r"(https://hooks\.slack\.com/services/)[A-Za-z0-9/]+"), r"\1" + REDACTED),
    (re.compile(r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b"), REDACTED),
    (re.compile(r"\bya29\.[A-Za-z0-9_-]{20,}"), REDACTED),
    # Azure storage / service bus connection strings and SAS signatures
    (re.compile(r"((?:AccountKey|SharedAccessKey|SharedAccessSignature)=)[^;\s\"']+", re.I),
     r"\1" + REDACTED),
    (re.compile(r"([?&]sig=)[^&\s\"']+", re.I), r"\1" + REDACTED),
    # Cookie headers: every cookie may be a session
    (re.compile(r"\b((?:set-)?cookie\s*:\s*)[^\r\n]+", re.I), r"\1" + REDACTED),
    # "password": "x"  /  'token': 'x'  (JSON and Python reprs)
    (re.compile(_QUOTED_KEY, re.I), r"\1\3" + REDACTED + r"\3"),
    # password=x, token: x, api_key="x", ?access_token=x&  (logfmt, query strings, headers)
    (re.compile(_PLAIN_KEY, re.I), r"\1" + REDACTED),
)  # fmt: skip


def redact(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text

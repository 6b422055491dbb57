"""The rules that find secrets in log text: what each looks like and the keywords it needs.

Token prefixes and formats follow gitleaks' default rule set (config/gitleaks.toml, v8.30; MIT),
whose rule ids are given in brackets; the code is ours. Each rule names the lowercase keywords
without which it cannot match: `redact.py` finds them all in one Aho-Corasick pass and runs only
the rules whose keywords occur.
"""

from __future__ import annotations

import re
from typing import NamedTuple

REDACTED = "[REDACTED]"


class Rule(NamedTuple):
    name: str
    keywords: tuple[str, ...]  # lowercase; the rule runs only on lines holding one of them
    pattern: re.Pattern[str]
    replacement: str


def _rule(
    name: str, keywords: str | tuple[str, ...], pattern: str, replacement: str = REDACTED, flags: int = 0
) -> Rule:
    """`keywords`: a tuple, or one string of them separated by spaces."""
    words = tuple(keywords.split()) if isinstance(keywords, str) else keywords
    return Rule(name, words, re.compile(pattern, flags), replacement)


_I = re.IGNORECASE

# ---------------------------------------------------------------- names of secret values
# A name whose value is a secret, in `name=value`, `name: value`, `"name": "value"`, `<name>value</name>`
# (gitleaks' generic-api-key and detect-secrets' KeywordDetector follow the same idea). The name must
# end with the word ("db_password", "X-Auth-Token", "clientSecret"; not "token_count", "passwords");
# SHORT_NAMES only at the start of the name or after a separator ("db_pass", not "bypass").
_KEY_OWNERS = ("api", "access", "private", "secret", "signing", "encryption", "master", "account", "client",
               "app", "auth", "session")  # fmt: skip
LONG_NAMES = frozenset((
    "password", "passwd", "passphrase", "secret", "token", "credential", "credentials", "signature", "dsn",
    "connectionstring", "connection_string", "connection-string", "conn_str", "connstr",
    *(owner + sep + "key" for owner in _KEY_OWNERS for sep in ("", "_", ".", "-")),
))  # fmt: skip
SHORT_NAMES = frozenset(("pass", "pwd", "sig", "auth"))
# After these words a credential-looking value is a secret even with no `=` ("secret wJalr...").
FREE_TEXT_NAMES = frozenset(("secret", "password", "passwd", "token", "api key", "access key", "secret key",
                             "private key"))  # fmt: skip
_NAME_CHARS = r"[A-Za-z0-9_.-]"
# after the name: its closing quote, `=` or `:`, then a value (quoted, escaped-quoted inside a JSON
# string, or bare up to a separator) that is not already redacted, an auth scheme (the header rules
# keep the scheme) nor a flag (MySQL's "Access denied ... (using password: YES)")
ASSIGNED = re.compile(
    r"""(?!""" + _NAME_CHARS + r""")\\?["']?[ \t]*[=:][ \t]*"""
    r"""(?!\[REDACTED\]|(?:Bearer|Basic|Token|Digest|Negotiate|NTLM)\s|(?:yes|no|true|false|null|none|nil)\b)"""
    r"""(?P<value>"(?:\\.|[^"\\])*"|'[^'"\\]*'|\\"(?:(?!\\")[^"])*\\"|[^\s&,;"'})\]\\<>]+)""",
    re.IGNORECASE,
)
XML_VALUE = re.compile(r"(?!" + _NAME_CHARS + r")>(?P<value>[^<\"\\]+)</")
FREE_TEXT_VALUE = re.compile(
    r"(?!" + _NAME_CHARS + r")(?: (?:is|was|of \S+))?[ \t]+(?!\[REDACTED\])"
    r"(?P<value>(?=[A-Za-z0-9+/=_.~-]*[0-9+/])(?=[A-Za-z0-9+/=_.~-]*[A-Za-z])[A-Za-z0-9+/=_.~-]{8,})"
    r"(?![A-Za-z0-9+/=_.~-])"
)


RULES: tuple[Rule, ...] = (
    # -- provider tokens (gitleaks rule ids in brackets)
    # [aws-access-token]; an AWS secret access key is 40 base64 characters: on a line that holds an
    # access key id, any such standalone run is taken for one
    _rule("aws-access-key-id", "akia asia abia acca a3t",
          r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    _rule("aws-secret-beside-key-id", "akia asia abia acca a3t",
          r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
    # [github-pat, github-oauth, github-app-token, github-refresh-token, github-fine-grained-pat]
    _rule("github", "ghp_ gho_ ghu_ ghs_ ghr_ github_pat_",
          r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,})"),
    # [gitlab-pat, gitlab-pat-routable, gitlab-deploy-token, gitlab-ptt, gitlab-rrt, gitlab runner]
    _rule("gitlab", "glpat- gldt- glptt- glrt- gloas- gr1348941",
          r"\b(?:gl(?:pat|dt|rt|oas)-[\w-]{20,}(?:\.[0-9a-z]{2,})?|glptt-[0-9a-f]{40}|GR1348941[\w-]{20,})"),
    # [slack-bot-token, slack-user-token, slack-app-token, slack-legacy-*, slack-config-*]
    _rule("slack-token", "xoxa- xoxb- xoxe xoxo- xoxp- xoxr- xoxs- xapp-",
          r"\b(?:xox[abeoprs](?:\.xox[bp])?-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})"),
    # [slack-webhook-url]: keep the path that says what it is, drop the secret part
    _rule("slack-webhook", "hooks.slack.com",
          r"(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9+/_-]+", r"\1" + REDACTED),
    # [stripe-access-token] secret and restricted keys; webhook signing secrets
    _rule("stripe", "sk_ rk_ whsec_",
          r"\b(?:[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})"),
    # [gcp-api-key], Google OAuth access tokens and client secrets
    _rule("google", "aiza ya29. gocspx-",
          r"\b(?:AIza[\w-]{35}|ya29\.[\w-]{20,}|GOCSPX-[\w-]{20,})"),
    # [openai-api-key, anthropic-api-key, anthropic-admin-api-key, perplexity-api-key] and other
    # "sk-" keys (DeepSeek, OpenRouter, LiteLLM virtual keys): sk-, sk-proj-, sk-svcacct-, sk-ant-...
    _rule("sk-key", "sk- pplx-",
          r"\b(?:sk-(?:proj-|svcacct-|admin-|None-|ant-(?:api|admin)\d\d-|or-v1-)?|pplx-)[A-Za-z0-9_-]{20,}"),
    # [jwt]: header.payload.signature, base64url of JSON objects
    _rule("jwt", "eyj",
          r"\bey[JI][A-Za-z0-9_-]{5,}\.ey[JI][A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}"),
    # [npm-access-token, pypi-upload-token, sendgrid-api-token, vault-service-token,
    #  vault-batch-token, huggingface-access-token, digitalocean-*, shopify-*, databricks-api-token,
    #  grafana-*, age-secret-key, linear-api-key, pulumi-api-token, sentry-*, postman-api-token,
    #  rubygems-api-token, planetscale-*, doppler-api-token, dynatrace-api-token, new-relic-user-api-key,
    #  atlassian-api-token, heroku-api-key-v2, mailgun-private-api-token, twilio (in key context below)]
    _rule("provider-token",
          "npm_ pypi- sg. hvs. hvb. hf_ dop_v1_ doo_v1_ dor_v1_ shpat_ shpss_ shpca_ shppa_ dapi glsa_"
          " glc_ age-secret-key-1 lin_api_ pul- sntryu_ sntrys_ pmak- rubygems_ pscale_ dp.pt. dt0c01."
          " nrak- atatt3 hrku-",
          r"\b(?:npm_[A-Za-z0-9]{36}|pypi-AgE[\w-]{50,}|SG\.[\w-]{16,}\.[\w-]{16,}|hv[sb]\.[\w-]{24,}"
          r"|hf_[A-Za-z0-9]{30,}|do[opr]_v1_[a-f0-9]{64}|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"
          r"|dapi[a-f0-9]{32}(?:-\d)?|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,3}"
          r"|AGE-SECRET-KEY-1[A-Z0-9]{58}|lin_api_[A-Za-z0-9]{40}|pul-[a-f0-9]{40}"
          r"|sntry[us]_[A-Za-z0-9+/=_]{40,}|PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}|rubygems_[a-f0-9]{48}"
          r"|pscale_(?:tkn|pw|oauth)_[\w=.-]{32,}|dp\.pt\.[A-Za-z0-9]{40,}|dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}"
          r"|NRAK-[A-Za-z0-9]{27}|ATATT3[\w=-]{100,}|HRKU-AA[\w-]{58})"),
    # -- where credentials travel
    # Authorization / Proxy-Authorization headers, whatever the scheme
    _rule("authorization-header", "authorization",
          r"""(\b(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?)(?:((?:Bearer|Basic|Token|Digest|Negotiate|NTLM|ApiKey|AWS4-HMAC-SHA256|[A-Za-z][\w-]*(?=\s+\S)))\s+)?(?!\[REDACTED\])[^\s"'\\,;]+""",
          r"\1\2 " + REDACTED, _I),
    # a bearer or basic credential elsewhere ("sent Bearer eyJ...", a curl command line)
    _rule("bearer", "bearer basic",
          r"\b(Bearer\s+)(?!\[REDACTED\])[A-Za-z0-9._~+/-]{8,}=*|\b(Basic\s+)(?=[A-Za-z0-9+/]*[0-9+/=])[A-Za-z0-9+/]{8,}={0,2}",
          r"\1\2" + REDACTED, _I),
    # credentials in URLs: scheme://user:password@host (also redis://:password@host)
    _rule("url-credentials", "://",
          r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@\"'\\]*):[^@\s/\"'\\]+@", r"\1:" + REDACTED + "@"),
    # Go MySQL driver DSN: user:password@tcp(host:3306)/db
    _rule("mysql-dsn", "@tcp( @unix( @udp(",
          r"\b([\w.-]+):[^@\s:/\"'\\]+@(?=(?:tcp|unix|udp)\()", r"\1:" + REDACTED + "@"),
    # curl -u user:password  [curl-auth-user]
    _rule("curl-user", "curl",
          r"(\bcurl\b.*?\s(?:-u|--user)[ =]['\"]?[^\s:'\"]+):[^\s'\"]+", r"\1:" + REDACTED),
    # Azure storage / service bus connection strings and SAS signatures
    _rule("azure-connection-string", "accountkey sharedaccesskey sharedaccesssignature",
          r"((?:AccountKey|SharedAccessKey|SharedAccessSignature)=)[^;\s\"'\\]+", r"\1" + REDACTED, _I),
    # Cookie headers: every cookie may be a session; stop at a quote (the end of a JSON string)
    _rule("cookie-header", "cookie",
          r"\b((?:set-)?cookie\\?[\"']?\s*:\s*\\?[\"']?)(?!\[REDACTED\])[^\r\n\"\\]+", r"\1" + REDACTED, _I),
)  # fmt: skip

"""The leaks of issue 17 (item 3), each through every output of the tool.

Before raw-line redaction: the body lines of a multi-line PEM key reached the examples (only the
BEGIN line was redacted), an AWS secret access key in free text was kept, drain3 masked part of a
Slack webhook before redaction ran so the template kept the rest, and `sk-` keys were not known.
"""

from __future__ import annotations

import pytest

from tests.sample_logs import web_log
from tests.secrets.outputs import leaked, outputs

PEM_BODY = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
    "9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvre",
    "DuL1w1tYBWkalWlIbtxwxVhDMyUHeX3LXkKOWyHh2KDk/CFnTtSWfv1ZpDgRhtmq",
]
# its last part has no digit: drain3 did not mask it, and the template kept it
WEBHOOK_SECRET = "T04C8NN9P7M/B06M1J2R9KQ/fZsDwXkQvLmPzRtYcaHbNeUq"
CASES = {
    # (the line(s) mixed into the canary log, the secret parts that must appear nowhere)
    "multi-line PEM key": (
        "2024/05/01 12:00:01 ERROR tls: bad certificate pair, key was:\n-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(PEM_BODY)
        + "\n-----END RSA PRIVATE KEY-----",
        PEM_BODY,
    ),
    "AWS secret key in free text": (
        "2024/05/01 12:00:01 ERROR auth failed for key AKIAIOSFODNN7EXAMPLE secret "
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    ),
    "Slack webhook in a mined template": (
        f"2024/05/01 12:00:01 ERROR alert post to https://hooks.slack.com/services/{WEBHOOK_SECRET} "
        "failed: 404",
        [WEBHOOK_SECRET],
    ),
    "OpenAI project key": (
        "2024/05/01 12:00:01 ERROR openai: 401 Incorrect API key provided: "
        "sk-proj-Zx81hQm2PqL0vW7nR4tY9kS3dF6gH1jK5lM8bN2cV0xZ7aQ4wE9rT3yU6iO1pA5s",
        ["sk-proj-Zx81hQm2PqL0vW7nR4tY9kS3dF6gH1jK5lM8bN2cV0xZ7aQ4wE9rT3yU6iO1pA5s"],
    ),
    "OpenAI legacy key": (
        "2024/05/01 12:00:01 ERROR llm client init with "
        "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 failed",
        ["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"],
    ),
}


def _canary_with(lines: str, times: int = 30) -> str:
    """A failing canary: the healthy log, then the secret-bearing error `times` times."""
    return web_log(200, 2) + "\n".join([lines] * times) + "\n"


@pytest.mark.parametrize("case", sorted(CASES))
def test_secret_reaches_no_output(case: str) -> None:
    text, secrets = CASES[case]
    found = outputs(web_log(200, 1), _canary_with(text))
    assert "[REDACTED]" in found["json"]  # the secret-bearing lines did reach the result
    for secret in secrets:
        assert leaked(found, secret) == []

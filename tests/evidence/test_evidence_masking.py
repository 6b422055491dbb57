"""SpanMasker gives drain3's LogMasker's result, running the masks only on spans with a digit."""

from __future__ import annotations

import random

from drain3.masking import LogMasker, MaskingInstruction

from job.evidence.templates import MASKS, WORD_MASKS, new_masker

REALISTIC = [
    "user 1234 req-7f3a9c2d1e from 10.0.0.1:8080 at 2024-05-01T12:00:00Z took 12ms",
    "2024-05-01 12:00:00,123 id=550e8400-e29b-41d4-a716-446655440000",
    "sha=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b pointer 0x7ffd5e8c at [12:30:45.123] date 2024/05/01",
    "x=-5 y=+3.25 v1.2.3 abc123def http-nio-8080-exec-17",
    "Starting MariaDB 10.11.19-MariaDB-0+deb12u1 source revision 5843d8475120241667a7ce0f8a1abb6c9b43a273",
    "no digits at all, only words: connection refused by upstream",
    "[Sun Dec 04 04:47:44.123456 2022] [core:error] expires Sun, 04 Dec 2022 and on March 3rd, 2025",
    "ÄÖÜ ünïcödé ٣٤٥ digits ١٢:٣٤:٥٦ and 12:34:56",
]


def test_same_result_as_drain3s_masker() -> None:
    instructions = [(name, regex) for name, regex, _ in WORD_MASKS] + [
        (name, regex) for name, regex, _, _ in MASKS
    ]
    reference = LogMasker([MaskingInstruction(regex, name) for name, regex in instructions], "<", ">")
    ours = new_masker()
    rng = random.Random(2)
    alphabet = "0123456789abcdefxX-:./ ,+TZ@=_<>"
    alphabet = [*alphabet, " Dec ", "Sun ", ", ", "May", "th"]
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 70))) for _ in range(5000)]
    for message in REALISTIC + fuzz:
        assert ours.mask(message) == reference.mask(message), message


def test_typed_masks() -> None:
    assert new_masker().mask(REALISTIC[0]) == "user <NUM> <ID> from <IP> at <TS> took <NUM>ms"


def test_weekday_and_month_names_are_one_date() -> None:
    masker = new_masker()
    sunday = masker.mask(
        "[Sun Dec 04 04:47:44.123456 2022] [core:error] [pid 7] AH00037: Symbolic link not allowed"
    )
    monday = masker.mask(
        "[Mon Dec 05 10:11:12.000001 2022] [core:error] [pid 9] AH00037: Symbolic link not allowed"
    )
    assert sunday == monday and sunday.startswith("[<DATE> <TS> <NUM>]")
    assert masker.mask("cert expires Sun, 04 Dec 2022") == masker.mask("cert expires Tue, 17 Jan 2023")
    assert masker.mask("you may 3 times") == "you may <NUM> times"


def test_ascii_spans_found_from_their_digits_are_the_span_regex_s() -> None:
    """An ASCII message's spans are found from its digits; the result is the span regex's on any
    ASCII text (heads of letters and marks, dates with a space, spans at either end)."""
    masks = new_masker()._ascii
    rng = random.Random(5)
    alphabet = [*"0123456789aZ_.:/,+-x @=\"'[](){}#;", " 12", "abc", "Dec 04 ", "2024-05-01 12:00:00", " 7:"]
    fuzz = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(20_000)]
    for message in [text for text in REALISTIC if text.isascii()] + fuzz:
        assert masks.mask_ascii(message) == masks.mask(message), repr(message)

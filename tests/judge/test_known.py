"""The acknowledge file: strict schema (one line naming the file, the entry and the fix), matching."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from job.errors import InputError
from job.evidence.templates import template_key
from job.judge.known import Matcher, expired, load_file, parse_text, pattern_regex
from job.model import AckEntry, Acknowledgements, TemplateStat

WHERE = "acknowledge file 'acks.yaml'"


def parsed(text: str) -> Acknowledgements:
    return parse_text(text, WHERE)


def test_a_valid_file_gives_every_entry_with_its_selector_action_reason_and_date() -> None:
    acks = parsed(
        """
acknowledge:
  - pattern: 'Thread starvation or clock leap detected (housekeeper delta=<*>).'
    action: ignore
    reason: "GC pauses on the shared pool   (OPS-1)"
    expires: 2026-12-31
  - template: warn-3f9a2c1b7d
    action: ignore
  - regex: 'OutOfMemoryError|Killed process'
    action: always-fail
    reason: a leak must never ship
    expires: "2027-01-15"
"""
    )
    first, second, third = acks.entries
    assert (first.index, first.action, first.reason, first.expires) == (
        1, "ignore", "GC pauses on the shared pool (OPS-1)", "2026-12-31"
    )  # fmt: skip
    assert first.selector().startswith("pattern: Thread starvation")
    assert (second.template, second.reason, second.expires) == ("warn-3f9a2c1b7d", "", None)
    assert (third.index, third.action, third.regex, third.expires) == (
        3, "always-fail", "OutOfMemoryError|Killed process", "2027-01-15"
    )  # fmt: skip
    assert acks.source == WHERE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acknowledge:\n  - patern: 'x y z'\n    action: ignore\n", "entry 1: unknown key 'patern'"),
        (
            "acknowledge:\n  - regex: 'timeout('\n    action: ignore\n",
            "entry 1: regex 'timeout(' is not a valid",
        ),
        ("acknowledge:\n  - pattern: 'abc def'\n    action: hide\n", "entry 1: action is 'hide'; use one of"),
        (
            "acknowledge:\n  - pattern: 'abc def'\n    action: ignore\n    expires: 2026-13-01\n",
            "entry 1: expires",
        ),
        ("acknowledge:\n  - pattern: 'abc def'\n    action: ignore\n    expires: soon\n", "is not a date"),
        (
            "acknowledge:\n  - pattern: 'abc'\n    action: ignore\n  - action: ignore\n",
            "entry 2 needs one selector",
        ),
        (
            "acknowledge:\n  - pattern: 'abc def'\n    regex: 'abc'\n    action: ignore\n",
            "entry 1 has both pattern and regex",
        ),
        (
            "acknowledge:\n  - pattern: 'abc def'\n    action: ignore\n"
            "  - pattern: 'abc def'\n    action: always-fail\n",
            "entry 2 repeats entry 1",
        ),
        (
            "acknowledge:\n  - pattern: '<*> <NUM>'\n    action: ignore\n",
            "entry 1: pattern '<*> <NUM>' has almost no",
        ),
        ("acknowledge:\n  - regex: '.*'\n    action: ignore\n", "entry 1: regex '.*' matches any text"),
        ("acknowledge:\n  - regex: '.'\n    action: ignore\n", "entry 1: regex '.' matches any text"),
        # nearly everything: with few message shapes in an analysis, its over-broad check cannot tell
        ("acknowledge:\n  - regex: '[^x]'\n    action: ignore\n", "entry 1: regex '[^x]' matches any text"),
        ("acknowledge:\n  - regex: '(?i)e'\n    action: ignore\n", "entry 1: regex '(?i)e' matches any text"),
        (
            "acknowledge:\n  - template: '17:error'\n    action: ignore\n",
            "entry 1: template '17:error' is not",
        ),
        ("acknowledge:\n  - pattern: 42\n    action: ignore\n", "entry 1: pattern must be non-empty text"),
        ("acknowledge:\n  - pattern: 'abc def'\n", "entry 1: action is None"),
        (
            "acknowledge:\n  - pattern: 'abc def'\n    action: ignore\n    reason: [a]\n",
            "entry 1: reason must be",
        ),
        (
            "acknowledge:\n  - pattern: 'abc def'\n    action: ignore\n    expires: 2026-12-31T10:00:00Z\n",
            "is not a date such as 2026-12-31 (a day, no time)",
        ),
        ("acknowledge:\n  - just a string\n", "entry 1 must be a mapping"),
        ("acknowledgements: []\n", "unknown key 'acknowledgements'"),
        ("acknowledge: {pattern: x}\n", "`acknowledge` must be a list"),
        ("- pattern: 'abc def'\n  action: ignore\n", "must be a YAML mapping"),
        ("", "must be a YAML mapping"),
        ("acknowledge: [\n", "is not valid YAML"),
        ("acknowledge:\n  - pattern: 'abc def'\n    reason: !!int xyz\n", "quote the value or drop its tag"),
        ("acknowledge: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ],
)
def test_every_mistake_is_one_line_naming_the_file_the_entry_and_the_fix(text: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parsed(text)
    message = str(caught.value)
    assert message.startswith(WHERE) and expected in message, message
    assert "\n" not in message


def test_an_empty_list_is_valid_and_has_no_entries() -> None:
    assert parsed("acknowledge: []\n").entries == ()


def test_a_missing_or_non_utf8_file_is_an_error_never_no_acknowledgements(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read acknowledge file '.*nope.yaml': No such file"):
        load_file(str(tmp_path / "nope.yaml"))
    binary = tmp_path / "acks.yaml"
    binary.write_bytes(b"\xff\xfe\x00acknowledge")
    with pytest.raises(InputError, match="is not UTF-8 text"):
        load_file(str(binary))


def test_an_entry_applies_through_its_expiry_day_and_not_after() -> None:
    entry = AckEntry(index=1, action="ignore", pattern="abc def", expires="2026-06-30")
    assert not expired(entry, datetime.date(2026, 6, 30))
    assert expired(entry, datetime.date(2026, 7, 1))
    assert not expired(AckEntry(index=2, action="ignore", pattern="abc def"), datetime.date(2999, 1, 1))


# ---------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("pattern", "template", "matches"),
    [
        ("user <*> logged in from <IP>", "user <*> logged in from <IP>", True),
        # the same message mined once (a literal) or many times (drain3's <*>): both match
        ("user <*> logged in from <IP>", "user alice logged in from <*>", True),
        ("delta=<*>).", "delta=1m2s).", True),
        ("(node:<NUM>) [DEP0<NUM>] DeprecationWarning", "(node:<NUM>) [DEP0<NUM>] DeprecationWarning", True),
        ("user   <*>  logged in", "user bob logged in", True),  # runs of spaces are one
        # a wildcard is one token part, never several tokens; the pattern is the whole text
        ("user <*> logged in", "user bob smith logged in", False),
        ("user <*> logged in", "user bob logged in twice", False),
        ("user <*> logged in", "admin user bob logged in", False),
        # a literal of the pattern must be there: a template grown more general is not matched
        ("user alice logged in", "user <*> logged in", False),
        ("Payment <*> failed", "payment x failed", False),  # case matters
        ("a.b (c) [d]", "a.b (c) [d]", True),  # regex characters are literal
        ("a.b (c) [d]", "aXb (c) [d]", False),
        ("<html> not a mask", "<html> not a mask", True),
        ("<html> not a mask", "<body> not a mask", False),
    ],
)
def test_a_pattern_matches_the_whole_template_with_wildcards_for_token_parts(
    pattern: str, template: str, matches: bool
) -> None:
    assert (pattern_regex(pattern).fullmatch(template) is not None) is matches


def stat(
    template: str, level: str = "warn", canary: int = 5, stable: int = 0, id_: str = "1"
) -> TemplateStat:
    return TemplateStat(
        id=f"{id_}:{level}", template=template, level=level, stable=stable, canary=canary,
        key=template_key(level, template),
    )  # fmt: skip


def test_selectors_template_id_pattern_and_regex() -> None:
    acks = parsed(
        f"""
acknowledge:
  - template: {template_key("warn", "cache miss for <*>")}
    action: ignore
  - pattern: 'slow query took <NUM> ms'
    action: ignore
  - regex: 'DEP00\\d\\d'
    action: ignore
"""
    )
    by_id, by_pattern, by_regex = acks.entries
    matcher = Matcher(acks)
    assert matcher.matches(by_id, stat("cache miss for <*>"))
    assert not matcher.matches(by_id, stat("cache miss for <*>", level="error"))  # the id carries the level
    assert matcher.matches(by_pattern, stat("slow query took <*> ms", level="error"))
    assert not matcher.matches(by_pattern, stat("slow query took <*> ms on replica"))
    assert matcher.matches(by_regex, stat("(node:<NUM>) [DEP0005] DeprecationWarning: Buffer()"))
    assert not matcher.matches(by_regex, stat("[DEP0104] other"))


def test_the_other_shapes_bucket_is_never_matched_nor_kept() -> None:
    acks = parsed("acknowledge:\n  - regex: 'shapes'\n    action: ignore\n")
    matcher = Matcher(acks)
    bucket = stat("(other shapes: past the template budget)", level="error")
    assert not matcher.matches(acks.entries[0], bucket)
    assert not matcher.keep(bucket) and matcher.templates_seen == 0


def test_keep_counts_what_each_entry_matches_over_every_template() -> None:
    acks = parsed(
        "acknowledge:\n  - regex: 'cache'\n    action: ignore\n"
        "  - regex: 'nothing here'\n    action: ignore\n"
    )
    matcher = Matcher(acks)
    kept = [matcher.keep(stat(text, id_=str(i))) for i, text in enumerate(["cache a", "cache b", "db c"])]
    assert kept == [True, True, False]
    assert (matcher.templates_seen, matcher.hits) == (3, {1: 2})


def test_the_template_id_is_level_and_text_so_the_same_in_every_analysis() -> None:
    key = template_key("warn", "falling back to primary store")
    assert key == template_key("warn", "falling back to primary store")
    assert key.startswith("warn-") and len(key) == len("warn-") + 10
    assert key != template_key("error", "falling back to primary store")
    assert key != template_key("warn", "falling back to replica store")

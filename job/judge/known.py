"""A team's acknowledge file: known noise to ignore, messages that must fail the rollout.

    acknowledge:
      - pattern: "HikariPool-<NUM> - Thread starvation or clock leap detected (housekeeper delta=<*>)."
        action: ignore            # or always-fail
        reason: "GC pauses on the shared node pool; tracked in OPS-1234"
        expires: 2026-12-31       # optional: from the next day (UTC) it no longer applies

Each entry has exactly one selector, copied from a finding or the report:
  `template`: a template id ("warn-3f9a2c1b7d": its level and a hash of its text);
  `pattern`:  a template's text; `<*>` and the mask names (`<NUM>`, `<IP>`, ...) stand for any part
              of one token, the rest must be equal (runs of spaces are one space), the whole text;
  `regex`:    a Python regular expression searched in a template's text (as grep does).
The file is operator configuration (a file, a ConfigMap, the web service's start-up config), never
a request parameter. Every mistake is an InputError naming the file, the entry and the fix: a typo
must never silently drop an entry, nor turn a selector into one that matches everything.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

from job.config_file import load_yaml, read_config_text
from job.errors import InputError
from job.evidence.parse import LEVELS
from job.evidence.templates import MASKS, WORD_MASKS, is_other_shapes, template_key
from job.model import AckEntry, Acknowledgements, TemplateStat

TOP_KEY = "acknowledge"
ACTIONS = ("ignore", "always-fail")
SELECTORS = ("template", "pattern", "regex")
_ENTRY_KEYS = frozenset((*SELECTORS, "action", "reason", "expires"))
MAX_ENTRIES = 500
MAX_TEXT = 2000
MIN_LITERAL_CHARS = 3  # a pattern needs this much fixed text, or it matches nearly every template
_TEMPLATE_ID = re.compile(rf"(?:{'|'.join((*LEVELS, 'unknown'))})-[0-9a-f]{{10}}")
_WILDCARD_NAMES = sorted({"*", *(name for name, *_ in MASKS), *(name for name, *_ in WORD_MASKS)})
_WILDCARD = re.compile("(" + "|".join(re.escape(f"<{name}>") for name in _WILDCARD_NAMES) + ")")
# unrelated texts no acknowledgement of one message (or one family) matches most of: a regex that
# does (`[^x]`, `\w`, `(?i)e`) would ignore the analysis' every message, whatever few shapes it has
_UNRELATED = ("x", "0", "GET / 200", "-", "connection refused", "user <NUM> logged in", "KeyError: 'id'",
              "cache warmed in <NUM> ms", "Started server on :8080", "WARN disk <NUM>% full")  # fmt: skip


def load_file(path: str) -> Acknowledgements:
    """The acknowledge file at `path`; a missing, unreadable or invalid file is an InputError."""
    where = f"acknowledge file {path!r}"
    text = read_config_text(path, "acknowledge file", "check the path (or drop --acknowledge)")
    return parse_text(text, where)


def parse_text(text: str, where: str) -> Acknowledgements:
    return parse(load_yaml(text, where), where)


def parse(document: Any, where: str) -> Acknowledgements:
    example = 'e.g. acknowledge: [{pattern: "...", action: ignore, reason: "..."}]'
    if not isinstance(document, dict):
        raise InputError(f"{where} must be a YAML mapping with an `{TOP_KEY}:` list ({example})")
    unknown = sorted(str(k) for k in document if k != TOP_KEY)
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r}; the only key is `{TOP_KEY}` ({example})")
    raw = document.get(TOP_KEY)
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise InputError(f"{where}: `{TOP_KEY}` must be a list of entries ({example})")
    if len(raw) > MAX_ENTRIES:
        raise InputError(
            f"{where} has {len(raw)} entries, more than {MAX_ENTRIES}: merge some into one regex"
        )
    entries = tuple(_entry(item, index, where) for index, item in enumerate(raw, 1))
    seen: dict[str, int] = {}
    for entry in entries:
        key = entry.selector()
        if key in seen:
            raise InputError(
                f"{where}: entry {entry.index} repeats entry {seen[key]} ({_short(entry.selector())}): "
                "remove one of them"
            )
        seen[key] = entry.index
    return Acknowledgements(source=where, entries=entries)


def _entry(item: Any, index: int, where: str) -> AckEntry:
    at = f"{where}: entry {index}"
    if not isinstance(item, dict):
        raise InputError(f"{at} must be a mapping such as {{pattern: '...', action: ignore, reason: '...'}}")
    unknown = sorted(str(k) for k in item if k not in _ENTRY_KEYS)
    if unknown:
        raise InputError(f"{at}: unknown key {unknown[0]!r}; known keys are {', '.join(sorted(_ENTRY_KEYS))}")
    given = [key for key in SELECTORS if key in item]
    if not given:
        raise InputError(f"{at} needs one selector: template, pattern or regex (copy it from the report)")
    if len(given) > 1:
        raise InputError(f"{at} has both {given[0]} and {given[1]}: give one selector per entry")
    selector = given[0]
    value = item[selector]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{at}: {selector} must be non-empty text (quote it in YAML), not {value!r:.60}")
    if len(value) > MAX_TEXT:
        raise InputError(f"{at}: {selector} is longer than {MAX_TEXT} characters")
    value = value.strip()
    {"template": _check_template, "pattern": _check_pattern, "regex": _check_regex}[selector](value, at)
    action = item.get("action")
    if action not in ACTIONS:
        raise InputError(f"{at}: action is {action!r}; use one of {', '.join(ACTIONS)}")
    reason = item.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_TEXT:
        raise InputError(f"{at}: reason must be text (at most {MAX_TEXT} characters), not {reason!r:.60}")
    return AckEntry(
        index=index,
        action=action,
        reason=" ".join(reason.split()),
        expires=_expires(item.get("expires"), at),
        **{selector: value},
    )


def _check_template(value: str, at: str) -> None:
    if not _TEMPLATE_ID.fullmatch(value):
        raise InputError(
            f"{at}: template {value!r:.60} is not a template id such as 'warn-3f9a2c1b7d' (level, dash, "
            "10 hex digits, as the report shows it); to match a text use pattern or regex"
        )


def _check_pattern(value: str, at: str) -> None:
    literal = "".join(_WILDCARD.sub("", value).split())
    if len(literal) < MIN_LITERAL_CHARS:
        raise InputError(
            f"{at}: pattern {value!r:.60} has almost no fixed text, so it would match nearly every "
            "message: copy the template's whole text from the report"
        )


def _check_regex(value: str, at: str) -> None:
    try:
        compiled = re.compile(value)
    except re.error as error:
        raise InputError(f"{at}: regex {value!r:.60} is not a valid regular expression ({error})") from None
    unrelated = sum(1 for text in _UNRELATED if compiled.search(text))
    if compiled.search("") is not None or 2 * unrelated > len(_UNRELATED):
        raise InputError(
            f"{at}: regex {value!r:.60} matches any text (or most unrelated messages), so every message: "
            "name the message, e.g. regex: 'DeprecationWarning: Buffer\\(\\)'"
        )


def _expires(value: Any, at: str) -> str | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise InputError(f"{at}: expires {value!r:.40} is not a date such as 2026-12-31 (a day, no time)")
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError as error:
        raise InputError(f"{at}: expires {value!r:.40} is not a date such as 2026-12-31 ({error})") from None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def today_utc() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def expired(entry: AckEntry, today: datetime.date) -> bool:
    return entry.expires is not None and datetime.date.fromisoformat(entry.expires) < today


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A pattern as a regex over a whole template text: wildcards match any part of one token."""
    parts = []
    for i, piece in enumerate(_WILDCARD.split(pattern.strip())):
        if i % 2:
            parts.append(r"\S*")
        else:
            parts.append(r"\s+".join(re.escape(word) for word in re.split(r"\s+", piece)))
    return re.compile("".join(parts))


class Matcher:
    """Which entries match a template. As the evidence stage's `keep` it also counts, over every
    template of the analysis, how many each entry matches (an over-broad entry is refused)."""

    def __init__(self, acknowledgements: Acknowledgements) -> None:
        self.acknowledgements = acknowledgements
        self._compiled: dict[int, re.Pattern[str]] = {}
        for entry in acknowledgements.entries:
            if entry.pattern is not None:
                self._compiled[entry.index] = pattern_regex(entry.pattern)
            elif entry.regex is not None:
                self._compiled[entry.index] = re.compile(entry.regex)
        self.templates_seen = 0
        self.hits: dict[int, int] = {}
        # canary templates each always-fail entry matched, among all of the analysis' templates: the
        # evidence keeps a bounded number of matched ones, and a busy ignore must not crowd them out
        self.failing: dict[int, dict[str, TemplateStat]] = {}

    def matches(self, entry: AckEntry, template: TemplateStat) -> bool:
        if is_other_shapes(template.template):
            return False
        if entry.template is not None:
            return template.key == entry.template
        compiled = self._compiled[entry.index]
        if entry.pattern is not None:
            return compiled.fullmatch(template.template.strip()) is not None
        return compiled.search(template.template) is not None

    def keep(self, template: TemplateStat) -> bool:
        """True when any entry matches `template` (and counts it)."""
        if is_other_shapes(template.template):
            return False
        self.templates_seen += 1
        hit = False
        for entry in self.acknowledgements.entries:
            if self.matches(entry, template):
                self.hits[entry.index] = self.hits.get(entry.index, 0) + 1
                hit = True
                if entry.action == "always-fail" and template.canary:
                    self.failing.setdefault(entry.index, {})[template.id] = template
        return hit

    def must_fail_hook(self) -> Callable[[str, str], bool] | None:
        """For the evidence stage: does an always-fail entry match a shape (its masked text and
        level) that would otherwise count among "other shapes" (past the template budget, or in
        free text)? None without always-fail entries (nothing to look for)."""
        entries = [e for e in self.acknowledgements.entries if e.action == "always-fail"]
        if not entries:
            return None

        def must_fail(text: str, level: str) -> bool:
            shape = TemplateStat(
                id="", template=text, level=level, stable=0, canary=0, key=template_key(level, text)
            )
            return any(self.matches(entry, shape) for entry in entries)

        return must_fail

    def counted(self) -> bool:
        return self.templates_seen > 0


def describe(entry: AckEntry, source: str) -> Mapping[str, Any]:
    """The `acknowledged` object of a finding or template (see job/model.py Finding)."""
    return {
        "entry": entry.index,
        "source": source,
        "action": entry.action,
        "selector": entry.selector(),
        "reason": entry.reason or "no reason given",
        "expires": entry.expires,
    }

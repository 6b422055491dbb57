"""Template mining with drain3, behind a cache keyed on the masked message, within a budget.

drain3 (the Drain algorithm, IBM's maintained implementation) groups messages into
templates such as `user <NUM> logged in from <IP>`. One miner sees both sides, so a
template id means the same shape on stable and canary. Most lines repeat a shape already
seen, so the masked message is looked up in a dict first and drain3 runs only for shapes
it has not met: the cost per line is one regex substitution and one dict lookup.

Lines that never repeat (free text, payloads, ids no mask catches, random bytes) each reach
drain3, which `IndexedDrain` keeps linear (see miner.py). What reaches the miner is capped: each
side may bring it SIDE_BUDGET messages of a shape never seen (error-level ones ERROR_RESERVE
more, so errors keep their own shapes longest). Past that, such a message counts in the "other
shapes" bucket of its level (OTHER_ID): still counted per level, with examples, so errors stay
errors, and how many events land there is itself reported. No real service in the corpus comes
near the cap (the most is 32 new shapes on a side); a side past it logs free text, payloads or
garbage, and the cap turns drain3's time and memory from growing with the shapes into a constant.

Free text is also told apart before the cap: a side that has already mined FREE_TEXT_AFTER shapes
and whose latest lookups were mostly new shapes (at least FREE_TEXT_SHARE of them, counted over
blocks of FREE_TEXT_BLOCK) mines no more of them below error level while that lasts. Mining a
shape that will never be seen again costs drain3 ~40 µs and yields a template of one event, which
no test can call significant; it is what made a 10k-line side of free text spend a third of its
time in drain3. A service's real shapes come mostly in its first lines, then repeat, so its share
of new shapes falls far below that long before it mines FREE_TEXT_AFTER (the corpus's busiest side
mines 32); once a free-text stream gives way to repeating lines, mining resumes up to the cap.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from job.evidence.masking import DIGITS_AS_ZERO, SpanMasker
from job.evidence.miner import IndexedDrain

# Variable parts of a message, most specific first: (mask name, regex, what any match needs: one
# of these substrings, and this many characters). masking.py uses the needs to skip a regex.
MASKS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("TS", r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?", (":",), 19),
    ("TS", r"\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b", (":",), 8),
    ("DATE", r"\b\d{4}[-/]\d{2}[-/]\d{2}\b", ("-", "/"), 10),
    ("UUID", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", ("-",), 36),
    ("IP", r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d{1,5})?\b", (".",), 7),
    ("HASH", r"\b(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})\b", (), 32),
    ("HEX", r"\b0x[0-9a-fA-F]+\b", ("0x",), 3),
    ("ID", r"\b(?=[A-Za-z_-]*\d)(?=[0-9_-]*[A-Za-z])[A-Za-z0-9_-]{8,}\b", (), 8),
    ("HEX", r"\b(?=[a-f]*\d)[0-9a-f]{6,}\b", (), 6),
    ("NUM", r"(?<![A-Za-z])[-+]?\d+(?:\.\d+)?", (), 1),
)
_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
# Dates written with day and month names ("Sun Dec 04", "Sun, 04 Dec 2022", "March 3rd, 2025") are
# dates like 2022-12-04, or one message splits into a template per weekday: (name, regex, guard),
# run over the whole message before MASKS, only when the guard (a month name) is found.
WORD_MASKS: tuple[tuple[str, str, str], ...] = (
    (
        "DATE",
        rf"\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? +)?"
        rf"(?:(?:{_MONTHS})[a-z]*\.? +\d{{1,2}}(?:st|nd|rd|th)?\b(?:,? +\d{{4}}\b)?"
        rf"|\d{{1,2}} +(?:{_MONTHS})[a-z]*\.?(?: +\d{{4}}\b)?)",
        _MONTHS,
    ),
)
# The cache key masks every token that holds a digit: one cheap pass, and drain3 (with
# parametrize_numeric_tokens) treats such tokens as variables anyway, so equal keys mean
# one template. "/" and ":" split tokens so "/api/users/42" keeps its route. Written to scan each
# token once (its letters possessively up to a first digit, else no match, no backtracking) and
# with ASCII classes: twice as fast as `[\w.-]*\d[\w.-]*` on free text. A token with other letters
# or digits ("é42") only gets a finer key ("é<*>"), and drain3 still sees its digit.
_ANY_VARIABLE = re.compile(r"(?<![\w.-])[A-Za-z_.-]*+\d[\w.-]*+", re.ASCII)
# That pass tries a match at every character (about 250 instructions each), so mask() finds the
# same tokens on the UTF-8 bytes instead, where only a token's digits start a match: every digit
# made "0" (one table lookup a byte), the text is split at each token's tail from its first digit by
# a pattern with a literal first byte (found by a plain byte scan), and the letters before each tail
# (the token's head) are stripped off. UTF-8's multi-byte characters (bytes >= 0x80) are what the
# ASCII classes above do not match: the same tokens, the same key.
_TOKEN_TAIL = re.compile(rb"0[\w.-]*+")
_TOKEN_HEAD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.-"  # [A-Za-z_.-]
MAX_CACHED_CHARS = 2_000_000  # the key cache holds at most this much text (a few MB)
_HTTP_METHODS = ("GET ", "POST ", "PUT ", "DELETE ", "PATCH ", "HEAD ", "OPTIONS ", "CONNECT ", "TRACE ")
SIDE_BUDGET = 1000  # new shapes per side that reach drain3 (and new request shapes, apart)
ERROR_RESERVE = 200  # more for error-level messages
FREE_TEXT_AFTER = 200  # shapes a side mines before it can be judged free text
FREE_TEXT_BLOCK = 256  # lookups per judgement (at least: it is made on the first new shape after them)
FREE_TEXT_SHARE = 0.75  # new shapes among them that make it free text
# shapes past the budget or in free text that are mined all the same, because a team's acknowledge
# file says they must fail the rollout (`must_mine`): an always-fail message is never lost among
# "other shapes"; bounded, so a flood of them cannot grow the miner without end
MUST_MINE_MAX = 200
OTHER_ID = 0  # "other shapes": past the budget (drain3's cluster ids start at 1, request ids are < 0)
OTHER_TEMPLATE = "(other shapes: past the template budget)"
_PROBLEM_LEVELS = frozenset(("error", "fatal"))


def template_key(level: str, template: str) -> str:
    """The id a team acknowledges a template by, e.g. "warn-3f9a2c1b7d": its level and a hash of its
    text, so the same shape has the same id in every analysis (drain3's cluster numbers are not)."""
    digest = hashlib.sha256(template.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{level}-{digest[:10]}"


def is_other_shapes(template: str) -> bool:
    """The "other shapes" bucket (and its request templates): many messages, never one to name."""
    return template.startswith(OTHER_TEMPLATE)


def mask(message: str) -> str:
    """The cache key: every variable part (a token holding a digit) replaced by `<*>`, as
    `_ANY_VARIABLE.sub("<*>", message)` does (a message without a digit is its own key)."""
    try:
        data = message.encode()
    except UnicodeEncodeError:  # a lone surrogate (a JSON "\\ud800" escape): the regex on the text
        return _ANY_VARIABLE.sub("<*>", message)
    data = data.translate(DIGITS_AS_ZERO)
    if 48 not in data:  # no digit ("0"): the message is its own key
        return message
    parts = _TOKEN_TAIL.split(data)  # the text between the tokens' tails
    last = parts.pop()
    # each part before a tail ends with that token's head letters, if any: a part never ends with
    # another [\w.-] character (a tail takes all that follow its digit), so stripping is exact
    parts = [part.rstrip(_TOKEN_HEAD) for part in parts]
    parts.append(last)
    return b"<*>".join(parts).decode()


def new_masker() -> SpanMasker:
    return SpanMasker(MASKS, WORD_MASKS)


def new_drain() -> IndexedDrain:
    return IndexedDrain(depth=4, sim_th=0.5, max_children=100, parametrize_numeric_tokens=True)


class TemplateIndex:
    """message -> template id, shared by both sides; memory bounded by the budget, not the lines."""

    def __init__(
        self,
        side_budget: int = SIDE_BUDGET,
        error_reserve: int = ERROR_RESERVE,
        must_mine: Callable[[str, str], bool] | None = None,
    ) -> None:
        """`must_mine(masked text, level)`: a shape past the budget that is mined all the same."""
        self.must_mine = must_mine
        self._forced = 0
        self.masker = new_masker()
        self.drain = new_drain()
        self.side_budget = side_budget
        self.error_reserve = error_reserve
        self._ids: dict[str, int] = {}
        self._cached_chars = 0
        self._requests: dict[str, int] = {}
        self._request_parts: dict[int, tuple[int | str, str]] = {}  # id -> (cluster id or shape, status)
        self.other_ids: set[int] = {OTHER_ID}  # template ids that stand for "other shapes"
        self.drain_calls = 0
        self.next_side()

    def next_side(self) -> None:
        """The canary starts with its own budget: a busy stable cannot leave it none."""
        self._mined = self._new_requests = 0  # new shapes the current side brought
        self._lookups = 0  # id_for calls on this side
        self._block_start = self._block_new = 0  # where the current free-text block began; new shapes in it
        self._free_text = False

    def id_for(self, message: str, level: str = "info") -> int:
        key = mask(message)
        found = self._ids.get(key)
        self._lookups += 1
        if found is not None:
            return found
        if self._may_mine(level in _PROBLEM_LEVELS):
            self._mined += 1
            self.drain_calls += 1
            cluster_id = self.drain.add(self.masker.mask(message)).cluster_id
        elif self.must_mine is not None and self._must(masked := self.masker.mask(message), level):
            self.drain_calls += 1
            cluster_id = self.drain.add(masked).cluster_id
        else:
            cluster_id = OTHER_ID
        self._cache(self._ids, key, cluster_id)
        return cluster_id

    def _may_mine(self, problem: bool) -> bool:
        """A new shape of this side may reach drain3: within the budget, and (below error level)
        not while the side's lines are mostly new shapes, once it has mined FREE_TEXT_AFTER."""
        self._block_new += 1
        looked = self._lookups - self._block_start
        if looked >= FREE_TEXT_BLOCK:
            self._free_text = self._mined >= FREE_TEXT_AFTER and self._block_new >= FREE_TEXT_SHARE * looked
            self._block_start, self._block_new = self._lookups, 0
        if problem:
            return self._mined < self.side_budget + self.error_reserve
        return self._mined < self.side_budget and not self._free_text

    def _must(self, masked: str, level: str) -> bool:
        """A shape the budget would leave out is mined all the same (see MUST_MINE_MAX)."""
        must = self.must_mine
        if must is None or self._forced >= MUST_MINE_MAX or not must(masked, level):
            return False
        self._forced += 1
        return True

    def request_id(self, message: str, level: str = "info") -> int:
        """A request record, "<what> <status>", keeps its status code in its template (drain3 would
        merge "GET /x 200" with "GET /x 500"). "GET /api/users/42" is already a shape and skips
        drain3 (which would merge routes); free text ("yellow" of "500 - yellow") is mined."""
        prefix, _, code = message.rpartition(" ")
        if prefix.startswith(_HTTP_METHODS):
            key = mask(prefix) + " " + code
            part: int | str = key
        else:
            part = self.id_for(prefix, level)
            key = f"{part} {code}"
        found = self._requests.get(key)
        if found is not None:
            return found
        if (
            isinstance(part, str)
            and self._new_requests >= self.side_budget
            and not (self.must_mine is not None and self._must(f"{self.masker.mask(prefix)} {code}", level))
        ):
            part, key = OTHER_ID, f"{OTHER_ID} {code}"  # one "other shapes" request template per status
            found = self._requests.get(key)
            if found is not None:
                return found
        template_id = -1 - len(self._request_parts)
        self._cache(self._requests, key, template_id)
        if part == OTHER_ID:
            self.other_ids.add(template_id)
        elif isinstance(part, str):
            part = self.masker.mask(prefix)
            self._new_requests += 1
        self._request_parts[template_id] = (part, code)
        return template_id

    def _cache(self, cache: dict[str, int], key: str, template_id: int) -> None:
        if self._cached_chars < MAX_CACHED_CHARS:
            cache[key] = template_id
            self._cached_chars += len(key)

    def template(self, template_id: int) -> str | None:
        if template_id == OTHER_ID:
            return OTHER_TEMPLATE
        if template_id < 0:
            part, code = self._request_parts[template_id]
            text = part if isinstance(part, str) else self.template(part)
            return f"{text} {code}"
        cluster = self.drain.id_to_cluster.get(template_id)
        return None if cluster is None else cluster.get_template()

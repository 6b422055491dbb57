"""Secrets out of log text before anything reads it: parser, template miner, examples, prompt.

`redact_lines` runs on the raw lines as they are read, so no template, example, crash excerpt,
prompt, Event, termination message or log line of the tool can carry a secret. `redact` is the
same for one piece of text (pod messages, notes, error messages).

Speed: one Aho-Corasick pass (ahocorasick-rs) over the lowercased text finds every keyword of every
rule (`secret_rules.py`). The line reader hands each decoded block of lines to `LineRedactor.batch`:
one pass over the whole block, so a line without a keyword, nearly every line, costs no call of
its own. Only the rules whose keywords occur run on the others, and named values (`password=...`)
are checked right where their name was found instead of by a regex scanning the whole line.
Rules replace only the secret and keep the context readable: `password=[REDACTED]`,
`Authorization: Bearer [REDACTED]`.
Multi-line PEM private keys are redacted whole: inside a BEGIN ... END block every line is secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ahocorasick_rs import AhoCorasick, Implementation

from job.evidence.secret_rules import (
    ASSIGNED,
    FREE_TEXT_NAMES,
    FREE_TEXT_VALUE,
    LONG_NAMES,
    REDACTED,
    RULES,
    SHORT_NAMES,
    XML_VALUE,
)

__all__ = ["REDACTED", "LineRedactor", "redact", "redact_lines"]

# ---------------------------------------------------------------- private keys (PEM)
_PEM_BEGIN = r"-----BEGIN[ A-Z0-9_-]{0,100}?PRIVATE KEY(?: BLOCK)?-----"  # [private-key]
_PEM_END = re.compile(r"-----END[ A-Z0-9_-]{0,100}?PRIVATE KEY(?: BLOCK)?-----", re.IGNORECASE)
# one line: the body up to the END marker, or up to the end of a JSON string ("...\n...") or line
_PEM_ONE_LINE = re.compile(
    "(" + _PEM_BEGIN + r")(?:[^\"]*?(" + _PEM_END.pattern + r")|[^\"]*?(?=\"|$))", re.IGNORECASE
)
# a block that goes on after this line: its last BEGIN has no END after it (nor the end of a string)
_PEM_OPEN_AT_END = re.compile(_PEM_BEGIN + r"(?:(?!-----END)[^\"])*$", re.IGNORECASE)
# a body line of a PEM block: base64 (64 or 76 characters a line, the last one shorter), an RFC 1421
# header ("Proc-Type: 4,ENCRYPTED", PGP's "Version: ..."), or long base64 after a log prefix. A short
# line with `=` padding is the last one of a body
_PEM_BODY = re.compile(
    r"^\s*(?:[A-Za-z0-9+/=]{16,}|[A-Za-z0-9+/]{1,15}={1,2}"
    r"|(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset|Content-Domain): .*)\s*$"
    r"|^(.*\s)[A-Za-z0-9+/]{16,}={0,2}\s*$"
)
# the last body line of a block cut short, glued to what followed it (a closing quote, a field)
_PEM_TAIL = re.compile(r"^\s*(?:[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9+/]{1,15}={1,2})(?=[\"'`,;)\]}\s])")
# a short line without padding may be the last of the body, if the END line follows
_PEM_SHORT = re.compile(r"^\s*[A-Za-z0-9+/]{1,15}\s*$")
PEM_MAX_LINES = 1000  # a block longer than this is no key: stop treating lines as its body
SEARCH_LINES = 256  # lines per keyword search in LineRedactor.batch
_PEM_KEYWORD = "-----begin"


# ---------------------------------------------------------------- keywords -> rules
def _keyword_table() -> tuple[list[str], list[tuple[int, ...]]]:
    """Every keyword, and per keyword the indexes of the rules it enables (in rule order)."""
    names = LONG_NAMES | SHORT_NAMES | FREE_TEXT_NAMES
    keywords = sorted({k for rule in RULES for k in rule.keywords} | names | {_PEM_KEYWORD})
    return keywords, [tuple(i for i, rule in enumerate(RULES) if k in rule.keywords) for k in keywords]


_KEYWORDS, _ENABLES = _keyword_table()
_FIND = AhoCorasick(_KEYWORDS, implementation=Implementation.DFA).find_matches_as_indexes
_LONG = frozenset(i for i, k in enumerate(_KEYWORDS) if k in LONG_NAMES)
_SHORT = frozenset(i for i, k in enumerate(_KEYWORDS) if k in SHORT_NAMES)
_FREE = frozenset(i for i, k in enumerate(_KEYWORDS) if k in FREE_TEXT_NAMES)
_NAMES = _LONG | _SHORT | _FREE
_QUOTES = ('\\"', '"', "'")

Found = list[tuple[int, int, int]]  # (keyword index, start, end) in the lowercased text


def _lower(text: str) -> str:
    """Lowercase with the same length, so keyword positions are positions in `text`."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _apply(text: str, found: Found) -> str:
    if any(k in _NAMES for k, _, _ in found):
        text = _named_values(text, found)
    if "-----" in text:
        text = _PEM_ONE_LINE.sub(_pem_replacement, text)
    enabled: set[int] = set()
    for k, _, _ in found:
        enabled.update(_ENABLES[k])
    for i in sorted(enabled):
        rule = RULES[i]
        text = rule.pattern.sub(rule.replacement, text)
    return text


def _named_values(text: str, found: Found) -> str:
    """Redact the value after each secret name found: `password=x`, `"token": "x"`, `<pwd>x</pwd>`,
    `secret wJalr...`. Checked where the keyword was found, so the cost is per name, not per line."""
    cuts: list[tuple[int, int]] = []
    for k, start, end in found:
        if k not in _NAMES:
            continue
        if k in _SHORT and start and text[start - 1].isalnum():
            continue  # "bypass", "oauth": not the name "pass", "auth"
        match = None
        if k in _LONG or k in _SHORT:
            match = ASSIGNED.match(text, end) or XML_VALUE.match(text, end)
        if match is None and k in _FREE:
            match = FREE_TEXT_VALUE.match(text, end)
        if match is None:
            continue
        value_start, value_end = match.span("value")
        quote = len(_quote_of(match.group("value")))
        cuts.append((value_start + quote, value_end - quote))
    if not cuts:
        return text
    pieces = []
    last = 0
    for start, end in sorted(cuts):
        if start < last:
            continue  # overlapping names ("secret_key" and "key"): the first one did it
        pieces += (text[last:start], REDACTED)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _quote_of(value: str) -> str:
    """The quotes around a quoted value, kept around [REDACTED]; "" for a bare value."""
    for quote in _QUOTES:
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            return quote
    return ""


def _pem_replacement(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED + (match.group(2) or "")


def redact(text: str) -> str:
    """`text` with every secret the rules know replaced by [REDACTED]; multi-line text is one piece."""
    if "\n" in text:
        return "\n".join(redact_lines(text.split("\n")))
    found = _FIND(_lower(text), overlapping=True)
    return _apply(text, found) if found else text


def _opened(line: str) -> int:
    """PEM_MAX_LINES when a private key block begins in `line` and goes on after it, else 0."""
    return PEM_MAX_LINES if "-----" in line and _PEM_OPEN_AT_END.search(line) is not None else 0


def redact_lines(lines: Iterable[str]) -> Iterator[str]:
    """Each line redacted, one out per line in. Lines inside a PEM private key block (which
    begins on one line and ends lines later) become an indented "[REDACTED]", so the block stays
    one multi-line event with its BEGIN line; an END line keeps its marker, indented too. A block
    cut short (no END) ends at the first line that is not base64, which is redacted as usual."""
    redactor = LineRedactor()
    yield from redactor.lines(lines)
    yield from redactor.finish()


class LineRedactor:
    """`redact_lines` over consecutive batches of one stream: a PEM block open at the end of a
    batch goes on in the next. `batch` is what the line reader calls on each block it decoded."""

    def __init__(self) -> None:
        self._pem_left = 0  # lines still allowed inside an open PEM block
        self._held: str | None = None  # a short line inside a block: its last body line if END follows

    def batch(self, lines: list[str]) -> list[str]:
        """The lines redacted, as many as came in. One keyword search covers SEARCH_LINES lines at a
        time, so a line without a keyword (nearly all) costs no search of its own, and the text
        searched stays small."""
        if len(lines) > SEARCH_LINES:
            return [
                out
                for at in range(0, len(lines), SEARCH_LINES)
                for out in self.batch(lines[at : at + SEARCH_LINES])
            ]
        low = "\n".join(lines).lower()
        if len(low) != sum(map(len, lines)) + len(lines) - 1:
            flagged = None  # a character whose lowercase is longer: positions differ, search each line
        else:
            found = _FIND(low, overlapping=True)
            if not found and not self._pem_left:
                return lines
            flagged = set()
            line, at = 0, 0
            for _, start, _ in found:  # in the text's order; no keyword holds a newline
                if start > at:
                    line += low.count("\n", at, start)
                    at = start
                flagged.add(line)
        out = list(self.lines(lines, flagged))
        if self._held is not None:  # keep one line out per line in: a short line in a key is secret
            out.append("  " + REDACTED)
            self._held = None
        return out

    def finish(self) -> Iterator[str]:
        if self._held is not None:
            yield redact(self._held)
            self._held = None

    def lines(self, lines: Iterable[str], flagged: set[int] | None = None) -> Iterator[str]:
        """`flagged`: the indexes of the lines that hold a keyword, when known (others pass as they are)."""
        find = _FIND
        pem_left, held = self._pem_left, self._held
        for index, line in enumerate(lines):
            if pem_left:
                end = _PEM_END.search(line)
                if end is not None:
                    if held is not None:
                        yield "  " + REDACTED
                    pem_left, held = 0, None
                    rest = line[end.end() :]
                    yield "  " + REDACTED + end.group(0) + redact(rest)
                    pem_left = _opened(rest)  # "-----END ...----- -----BEGIN ...-----": the next block
                    continue
                if held is None:
                    body = _PEM_BODY.match(line)
                    if body is not None:
                        pem_left -= 1
                        prefix = body.group(1)
                        yield (prefix + REDACTED) if prefix and not prefix.isspace() else "  " + REDACTED
                        continue
                    if _PEM_SHORT.match(line) is not None:
                        held = line
                        continue
                    tail = _PEM_TAIL.match(line)
                    if tail is not None:
                        rest = line[tail.end() :]
                        yield "  " + REDACTED + redact(rest)
                        pem_left = _opened(rest)
                        continue
                pem_left = 0  # the block was cut short: the lines are ordinary again
                if held is not None:
                    yield redact(held)
                    held = None
            elif flagged is not None and index not in flagged:
                yield line
                continue
            low = line.lower()
            found = find(low if len(low) == len(line) else _lower(line), overlapping=True)
            if not found:
                yield line
                continue
            pem_left = _opened(line)
            yield _apply(line, found)
        self._pem_left, self._held = pem_left, held

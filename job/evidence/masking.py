"""Typed masks (`<IP>`, `<UUID>`, `<NUM>`...) applied only where a message holds a digit.

drain3's LogMasker runs every mask regex over the whole message: ten scans of every letter, the
largest cost of a line that is a new shape. Every mask here needs a digit, and can only match
characters of `[\\w.:/,+-]` (and the space of "2024-05-01 12:00:00"), so the message is cut into
spans made of those characters that hold a digit; the masks run on those spans alone, in the
same order, each skipped when its guard (a substring or length any match needs) is absent.
A span ends at a character no mask can match, which is also what `\\b` and the look-behinds see
at its edges, so the result is LogMasker's on the whole message. The one difference: a UUID or
hash written only with the letters a-f (no digit) is left as it is.

An ASCII message (nearly every one) is masked with the same regexes compiled with re.ASCII: on
ASCII text `\\w`, `\\d` and `\\b` mean the same, and a class of ASCII characters is a bitmap test
instead of a Unicode category lookup (the span search costs half as much), and its spans are
found from their digits (a byte scan) rather than by trying the span regex at every character.
"""

from __future__ import annotations

import re

# Runs of characters a mask can match, holding a digit; "date time" stays one span.
_SPAN = r"(?<![\w.:/,+-])[\w.:/,+-]*\d[\w.:/,+-]*(?: \d[\w.:/,+-]*)*"
# ...the same spans on ASCII text, without backtracking: the run's letters up to its first digit
# (possessive: a run without a digit fails at once), that digit, the rest of the run
_ASCII_SPAN = r"(?<![\w.:/,+-])[A-Za-z_.:/,+-]*+\d[\w.:/,+-]*+(?: \d[\w.:/,+-]*+)*"

# On ASCII text the span regex tries a match at every character. The spans are found from their
# digits instead, on the bytes with every digit made "0": a pattern with a literal first byte (a
# plain byte scan) finds each span's tail from its first digit, and the span's letters before that
# digit are the run of _SPAN_HEAD characters just before it (a tail takes every span character
# after its digit, so what lies between two tails never ends with any other span character).
_SPAN_TAIL = re.compile(rb"0[\w.:/,+-]*+(?: 0[\w.:/,+-]*+)*")
_SPAN_HEAD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_.:/,+-"  # [A-Za-z_.:/,+-]
DIGITS_AS_ZERO = bytes(ord("0") if ord("0") <= byte <= ord("9") else byte for byte in range(256))

_Step = tuple[re.Pattern[str], str, int, str | None, tuple[str, ...]]


class _Masks:
    """The compiled masks for one kind of text (any, or ASCII only)."""

    def __init__(
        self,
        masks: tuple[tuple[str, str, tuple[str, ...], int], ...],
        word_masks: tuple[tuple[str, str, str], ...],
        span: str,
        flags: int,
    ) -> None:
        self.words = [
            (re.compile(guard, flags), re.compile(regex, flags), f"<{name}>")
            for name, regex, guard in word_masks
        ]
        self.span = re.compile(span, flags)
        self.digit = re.compile(r"\d", flags)
        # (regex, replacement, least length, first need or None, other needs): a span costs a
        # substring test or two per mask, not a generator
        self.steps: list[_Step] = [
            (re.compile(regex, flags), f"<{name}>", least, needs[0] if needs else None, needs[1:])
            for name, regex, needs, least in masks
        ]

    def mask(self, message: str) -> str:
        return self.span.sub(self._mask_span, self.mask_words(message))

    def mask_words(self, message: str) -> str:
        for guard, regex, replacement in self.words:
            if guard.search(message) is not None:
                message = regex.sub(replacement, message)
        return message

    def mask_ascii(self, message: str) -> str:
        """`mask` of an ASCII message, its spans found from their digits (see _SPAN_TAIL)."""
        message = self.mask_words(message)
        data = message.encode().translate(DIGITS_AS_ZERO)
        pieces = []
        start = 0
        for found in _SPAN_TAIL.finditer(data):
            at, end = found.span()
            begin = start + len(data[start:at].rstrip(_SPAN_HEAD))  # the span's letters before its digit
            pieces.append(message[start:begin])
            pieces.append(self.mask_text(message[begin:end]))
            start = end
        if not start:
            return message
        pieces.append(message[start:])
        return "".join(pieces)

    def _mask_span(self, found: re.Match[str]) -> str:
        return self.mask_text(found.group())

    def mask_text(self, text: str) -> str:
        """The masks, in order, on one span."""
        digit = self.digit
        for regex, replacement, least, need, others in self.steps:
            if len(text) >= least and (
                need is None or need in text or (others and any(other in text for other in others))
            ):
                text, replaced = regex.subn(replacement, text)
                if replaced and digit.search(text) is None:
                    break  # every mask needs a digit
        return text


class SpanMasker:
    """`mask(message)`: drain3's masking (`LogMasker`) with the same instructions, in linear time."""

    def __init__(
        self,
        masks: tuple[tuple[str, str, tuple[str, ...], int], ...],
        word_masks: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        """`masks`: (name, regex, substrings one of which any match holds, least match length);
        `word_masks`: (name, regex, guard regex), run first over the whole message when the guard
        is found (masks that also match letters, such as "Sun Dec 04")."""
        self._any = _Masks(masks, word_masks, _SPAN, 0)
        self._ascii = _Masks(masks, word_masks, _ASCII_SPAN, re.ASCII)

    def mask(self, message: str) -> str:
        return self._ascii.mask_ascii(message) if message.isascii() else self._any.mask(message)

"""What a finding or a log template is a signal of, in words: a short label, and what a text must
say to name it.

An explanation that does not say what it explains is worth nothing to the engineer reading it
("The canary's stability was not as high as expected"). So the model's cause must name the
signal of an item it cites: its status class, its latency, its crash or panic, its silence, its
pod signal, or the exception and the words of the log message it is about. Everything here is
derived from the item's kind and its own text, never from a list of known messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from job.model import Finding, TemplateStat

# Words of a log message that say nothing about which message it is.
_STOP = frozenset((
    "error", "errors", "warn", "warning", "info", "debug", "fatal", "with", "from", "that", "this",
    "have", "been", "canary", "stable", "request", "requests", "message", "messages", "times",
    "never", "level", "levels", "events", "event", "http", "into", "than", "were", "when", "what",
    "which", "there", "their", "about", "after", "before", "other", "null", "true", "false",
    "none", "most", "line", "lines", "file",
))  # fmt: skip
_EXCEPTION = re.compile(r"\b[A-Za-z_][\w.$]*(?:Error|Exception|Panic|Fault|Failure)\b")
_WORD = re.compile(r"[a-z][a-z_]{3,}")
# A template's masks ("<NUM>", "<*>") and a source file's path are not words of the message.
_NOT_WORDS = re.compile(r"<[^<>\s]{1,12}>|(?:[\w.@+-]*/)+[\w.@+-]*\.[a-z]{1,5}\b")
LABEL_CHARS = 48

# What naming each kind of finding takes: its status class, its latency, its crash, its silence.
# An error-share or a message finding is named by its messages' exceptions and words instead.
_KIND_TERMS: dict[str, str] = {
    "http-5xx": r"\b5\d\d\b|\b5xx\b|server errors?|bad gateway|service unavailable|gateway timeout",
    "http-4xx": r"\b4\d\d\b|\b4xx\b|client errors?|not found|unauthori[sz]ed|forbidden|bad request|"
    r"too many requests",
    "latency": r"latenc|\bslow|\bp(50|90|99)\b|response times?|\d ?m?s\b|timed? ?outs?\b",
    "crash": r"crash|panic|fatal|\boom\b|out of memory|segfault|killed|abort|\bexit",
    "pod-": r"restart|crash ?loop|\boom|out of memory|evict|image|not ready|never ready|readiness|killed",
    "log-restarts": r"restart|start(?:s|ed|ing)? (?:again|over)|crash ?loop|start-?up|boot",
    "quiet-canary": r"quiet|silen|stopped (logging|serving|answering|responding)|no (requests|logs|traffic)|"
    r"(went|goes|gone) (dark|idle)|collaps|\bhang|\bhung|stall",
}
_KIND_LABELS = {
    "http-5xx": "HTTP 5xx",
    "http-4xx": "HTTP 4xx",
    "latency": "latency",
    "latency-tail": "tail latency",
    "quiet-canary": "canary went quiet",
    "log-restarts": "restarts",
}


@dataclass(frozen=True)
class Signal:
    """A finding's or template's signal: `label` to show, and what naming it takes."""

    label: str
    terms: re.Pattern[str] | None = None  # the kind's own words (status class, latency, crash...)
    exceptions: frozenset[str] = frozenset()  # exception names in its messages
    words: frozenset[str] = frozenset()  # the distinctive words of its messages

    def named_in(self, text: str) -> bool:
        """Does `text` name this signal: the kind's words, an exception it quotes, or two of the
        distinctive words of its messages (the one word, for a one-word message)?"""
        lower = text.lower()
        if self.label and plain(self.label).lower() in plain(lower):
            return True  # it quotes the label, as a cause the grammar opened with it does
        if self.terms is not None and self.terms.search(lower):
            return True
        if any(name.lower().rsplit(".", 1)[-1] in lower for name in self.exceptions):
            return True
        said = {_stem(w) for w in _WORD.findall(lower)}
        stems = {_stem(w) for w in self.words}
        return bool(stems) and len(stems & said) >= min(2, len(stems))


def plain(text: str) -> str:
    """`text` as a grammar opener writes it: no double quotes, backslashes, carets or closing
    brackets (pattern syntax), hyphens and runs of spaces as one space."""
    return re.sub(r"[-\s]+", " ", re.sub(r'[\]\\^"]', "", text))


def finding_signal(finding: Finding) -> Signal:
    """A finding's signal: its kind's, and its log messages' (the templates it is about, or the
    crash's first line), with their examples."""
    subject = [t["pattern"] for t in finding.templates if t.get("pattern")]
    if not subject and finding.kind == "crash" and "first: " in finding.message:
        subject = [finding.message.split("first: ", 1)[1].rsplit("; ", 1)[0]]
    return signal_of(finding.kind, subject or [finding.message], finding.examples[:2])


def template_signal(template: TemplateStat) -> Signal:
    """A log template's signal: its exceptions and words."""
    return signal_of("template", [template.template], template.examples[:2])


def signal_of(kind: str, messages: Iterable[str], examples: Iterable[str] = ()) -> Signal:
    """The signal of an item of `kind` ("http-5xx", "crash", "new-error", "template"...) about these
    log messages (or, with none, its own message) and examples."""
    messages = [_NOT_WORDS.sub(" ", m) for m in messages]
    text = " ".join([*messages, *(_NOT_WORDS.sub(" ", e) for e in examples)])
    exceptions = frozenset(e for e in _EXCEPTION.findall(text) if len(e) > 5)
    pattern = next((p for prefix, p in _KIND_TERMS.items() if kind.startswith(prefix)), None)
    terms = re.compile(pattern, re.I) if pattern else None
    return Signal(_label(kind, messages, text), terms, exceptions, frozenset(_distinctive(text)))


def _stem(word: str) -> str:
    """A word's rough stem, so "entries" names "entry" and "decode" names "decoded"."""
    for suffix, instead in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ing", ""), ("e", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + instead
            break
    return word[:6]


def _distinctive(text: str) -> list[str]:
    """The words of a message that tell it apart, in order, once each."""
    return list(dict.fromkeys(w for w in _WORD.findall(text.lower()) if w not in _STOP))


def _label(kind: str, messages: list[str], text: str) -> str:
    """A few words naming the signal: the kind's name, or the exception or the telling words of its
    message ("cache entry could not be decoded")."""
    if kind.startswith("pod-"):
        return f"pod {kind[4:]}"
    if kind in _KIND_LABELS:
        return _KIND_LABELS[kind]
    exception = next((e for e in _EXCEPTION.findall(text) if len(e) > 5), "")
    if exception:
        named = exception.rsplit(".", 1)[-1].rsplit("$", 1)[-1]  # java.lang.X, Billing$X: the X
    else:
        named = _phrase(messages[0] if messages else text)
    if not named:  # nothing telling: a finding's kind still says something, a template's no more
        return "" if kind == "template" else kind
    return _clip(f"crash: {named}" if kind == "crash" and "panic" not in named.lower() else named)


# Where a log line's fields part: brackets, "key=", " : ", " - ", runs of spaces.
_FIELD_BREAK = re.compile(r"[\[\]{}()<>|=]|:\s|\s-+\s|\s{2,}|\\n")
_TRACEBACK_HEAD = re.compile(r"Traceback \(most recent call last\):?")
_LEVEL_WORDS = re.compile(r"\b(ERROR|WARN(ING)?|INFO|DEBUG|FATAL|CRITICAL|SEVERE|ALERT|NOTICE)\b:?")


def _phrase(message: str) -> str:
    """The telling words of a log message: its part with the most plain words, level words aside."""
    parts = _FIELD_BREAK.split(_LEVEL_WORDS.sub(" ", _TRACEBACK_HEAD.sub(" ", message)))
    # Most words of four letters or more; on a tie the later part, where a message's detail goes
    # ("panic serving 10.0.0.1: assignment to entry in nil map").
    scored = [(len(_distinctive(part)), i, part) for i, part in enumerate(parts)]
    best = max(scored, default=(0, 0, ""))[2]
    return " ".join(best.split()).strip(" ,;.:-'\"") if re.search(r"[A-Za-z]{3,}", best) else ""


def _clip(text: str) -> str:
    text = re.sub(r"[\"\\\n]", "", text).strip()
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS].rsplit(" ", 1)[0]

"""Ground a model answer in the evidence before anyone sees it: accept it whole, or reject it with why.

A small model writes fluent falsehoods ("HTTP 500 on 20% of requests" for a canary with no 5xx,
"a significant improvement" for one with more errors). So every part of its explanation is
checked, deterministically, against what the prompt showed it and the figures behind it:

* the ids it cites exist in the prompt;
* every number it states (counts, percentages, status codes, milliseconds) is in the evidence,
  or is a share/ratio of its figures, within the rounding the answer used;
* every name it states (an exception, a dotted or snake_case identifier, a route, quoted text)
  is in the evidence;
* its direction words agree with the figures: no "fewer errors" or "improvement" for a canary
  that is worse, no "no errors" when it logs them, no crash or 5xx the data does not show;
* a claim about the stable side does not contradict the stable side's figures;
* the verdict is not judged here: it cannot lower the evidence's verdict (combine.py), and where
  the evidence already fails the canary it is not even asked for (`verdict` None); the cause must
  still not call the canary healthy, and an answer with no verdict must give a cause;
* no repetition loops, no echo of the instructions, no characters that are neither printable
  nor in the prompt's scripts.

A text the schema's length cap cut mid-sentence is trimmed to its last whole sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from job.evidence.stats import rate_increase_p
from job.judge.prompt import CAUSE_CHARS, REMEDIATION_CHARS, Prompt
from job.judge.rules import ALPHA, error_events, status_class
from job.model import Evidence, Finding, SideStats

# A figure: not part of a word ("F1", "p99", "v2"), of a route ("/items/42") or of a dotted name;
# a ratio's denominator ("517/600") is a figure too.
_NUMBER = re.compile(r"(?<![\w.,-])(?<![A-Za-z_]/)(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)([A-Za-z%\u00d7]*)")
_FIGURE = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)([A-Za-z%\u00d7]*)")
_MARKER = re.compile(r"<<<data \w+|data \w+>>>")
_UNITS = {"", "%", "ms", "s", "sec", "secs", "seconds", "x", "\u00d7", "k", "kb", "mb", "gb", "m", "min", "h"}
_NAME = re.compile(
    r"(?<![\w./-])("
    r"/[\w.-]+(?:/[\w.:{}-]*)*"  # a route or path
    r"|[A-Za-z_][\w$]*(?:\.[A-Za-z_$][\w$]*)+"  # a dotted name: java.lang.X, os.getenv, app.yaml
    r"|[A-Za-z]\w*_\w*"  # snake_case or an ENV_VAR
    r"|[A-Z]?[a-z0-9]+(?:[A-Z][a-z0-9]*)+"  # CamelCase: NullPointerException, KeyError
    r")"
)
# Single quotes only around a quotation, not the apostrophes of "the canary's … the stable's".
_QUOTED = re.compile(r"\"([^\"]{3,})\"|`([^`]{3,})`|(?<![A-Za-z])'([^']{4,})'(?![A-Za-z])")
_NOT_NAMES = {"e.g", "i.e", "etc", "vs"}
MIN_CLAUSE_WORDS = 5  # a cut sentence's first clauses stand alone only when they say this much
MATERIAL = 1.1  # a rate at least this many times the other side's is "more", not "the same"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# What a model may write in English that a log need not contain: curly quotes, dashes, ellipsis, times.
_TYPOGRAPHY = set("\u201c\u201d\u2018\u2019\u2013\u2014\u2026\u00d7")

# A number is a status code where the words around it say so ("HTTP 502", "returns 500", "500
# errors"), not wherever it is between 400 and 599 ("the stable logged 563").
_STATUS = (
    r"(?:https?|status|code|returns?|returning|returned|answers?|answered|answering|responds?|responded"
    r"|with|got|gets)\s+{first}\d\d\b(?!\s?(?:m?s|%|requests?|events?|lines?|times?)\b)"
    r"|\b{first}\d\d\s+(?:errors?|responses?|status)"
)

_STATUS_ERRORS = re.compile(r"(\b[45](\d\d|xx)|server|client)\s+errors?$", re.I)

# Topics a sentence may claim something about; a topic's figures come from `_Facts`.
_TOPICS: dict[str, re.Pattern[str]] = {
    "5xx": re.compile(rf"\b5xx\b|server errors?|{_STATUS.format(first=5)}", re.I),
    "4xx": re.compile(rf"\b4xx\b|client errors?|{_STATUS.format(first=4)}", re.I),
    "crash": re.compile(r"\bcrash\w*|\bpanic\w*|\bsegfault\w*|\bfatal\b", re.I),
    "restart": re.compile(r"\brestart\w*|\bcrash ?loop\w*", re.I),
    "oom": re.compile(r"\boom\w*|out of memory", re.I),
    "latency": re.compile(r"\blatenc\w*|\bslow\w*|\bfaster\b|response times?", re.I),
    "errors": re.compile(r"\berrors?\b|\bexceptions?\b", re.I),
}
_NEGATION = re.compile(
    r"\b(no|not|without|zero|never|none|nor|neither)\b|n't\b|(?<![\d.,])0%?(?![\d.,])", re.I
)
_WORSE = re.compile(
    r"\b(more|higher|increas\w*|ris(e|es|ing)|spik\w*|worse|elevated|jump\w*|slower|grew|doubl\w*)\b", re.I
)
_BETTER = re.compile(r"\b(fewer|less|lower|decreas\w*|drop\w*|better|improv\w*|reduc\w*|faster)\b", re.I)
_HEALTHY = re.compile(
    r"\b(improv\w*|healthier|healthy|safe to promote|behaves like|same as (the )?stable|as well as|"
    r"no (problems?|issues?|differences?|regressions?)|better|"
    r"(looks?|is|are|seems?|works?|runs?|behaves?) (fine|ok|okay|good|normal(ly)?|correctly|as expected)|"
    r"all (good|fine|ok)|promot\w*|roll (it )?out|ship it)\b",
    re.I,
)
_UNHEALTHY = re.compile(
    r"\b(worse|regress\w*|degrad\w*|unhealthy|broken|not safe|unsafe|fail(s|ing|ed)?)\b", re.I
)


@dataclass(frozen=True)
class Grounding:
    """An answer's explanation after the checks: accepted (rejected is None), or why not."""

    cause: str = ""
    remediation: str = ""
    cited: tuple[str, ...] = ()
    rejected: str | None = None
    kind: str | None = None  # the kind of rejection, for the benchmark: number, name, direction, ...


class _Reject(Exception):
    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


def ground(
    cause: str, remediation: str, cited: Iterable[str], verdict: str | None, prompt: Prompt,
    findings: list[Finding], evidence: Evidence, told: str = "",
) -> Grounding:  # fmt: skip
    """Check one answer; never raises. `told` is what else the model was told (a retry's reason
    for refusing the first answer), which it must not echo either."""
    cited = list(dict.fromkeys(c.strip() for c in cited))
    try:
        facts = _Facts(prompt, findings, evidence)
        cause = _whole_sentences(_unjoined(cause, facts), CAUSE_CHARS, "cause")
        remediation = _whole_remediation(_unjoined(remediation, facts))
        unknown = [c for c in cited if c not in prompt.references]
        if unknown:
            raise _Reject("unknown-id", f"it cites {', '.join(unknown)}, which the data does not contain")
        if verdict != "pass" and not cause:  # asked for no verdict, the cause is the whole answer
            said = f"it says {verdict} without naming a cause" if verdict else "it names no cause"
            raise _Reject("empty", said)
        for label, text in (("cause", cause), ("remediation", remediation)):
            _check_text(label, text, facts)
            _check_not_parroted(label, text, f"{prompt.system} {told}")
        _check_claims(cause, facts)
        _check_names_signal(cause, prompt)
        for sentence in _SENTENCE.split(remediation):
            if _side_named(sentence) != "stable":
                _check_not_healthy(sentence, facts)
        if cause and cause.lower() == remediation.lower():
            raise _Reject("repetition", "its cause and remediation are the same text")
    except _Reject as rejection:
        return Grounding(rejected=str(rejection), kind=rejection.kind)
    # A remediation that only copies the data ("yellow 200", "falling back to primary store") tells
    # the engineer nothing to do: not shown, though nothing in it is false.
    if facts.has_text(remediation.rstrip(".")):
        remediation = ""
    return Grounding(cause=cause, remediation=remediation, cited=tuple(cited))


_DANGLING = re.compile(
    r"\b(a|an|the|as|to|of|and|or|but|in|on|at|for|with|by|from|is|are|was|were|that|which|because|"
    r"than|into|its|their|when|if)$",
    re.I,
)


# A full stop no sentence ends with: "…, while the stable version has."
# "…with 139 events in the canary vs.": a comparison with nothing to compare to.
_STOPPED = re.compile(
    r"\b(a|an|the|has|have|had|be|been|while|whereas|because|and|or|but|than|vs|versus|which|with|of)[.!?]$",
    re.I,
)


def _check_names_signal(cause: str, prompt: Prompt) -> None:
    """A cause must say what it explains: when items in the prompt are against the canary, the signal
    of one of them: its status class, latency, crash, silence, pod signal, or its message's
    exception or words. "The canary's stability was not as high as expected" explains no 51% HTTP
    5xx. (Whether it cites that item is not asked: a cause that names the problem is worth showing.)"""
    signals = [r.signal for r in prompt.references.values() if r.canary_worse and r.signal is not None]
    if cause and signals and not any(signal.named_in(cause) for signal in signals):
        labels = " or ".join(dict.fromkeys(signal.label for signal in signals if signal.label))
        raise _Reject("unnamed", f"its cause does not name what it explains ({labels})")


# Two sentences run together ("…correctly.Additionally, …"): the one-sentence grammar lets a full stop
# stand inside a name, and a small model uses that to go on.
_JOIN = re.compile(r"(?<=[a-z])\.(?=[A-Z][a-z])")


def _unjoined(text: str, facts: _Facts) -> str:
    """The text up to the first full stop that ends a sentence with no space after it: kept when it
    sits in a name the evidence has ("java.lang.NullPointerException"), cut there otherwise."""
    for match in _JOIN.finditer(text):
        start = max(text.rfind(" ", 0, match.start()), 0)
        end = text.find(" ", match.end())
        name = text[start : len(text) if end < 0 else end].strip(" ,;:.!?()'\"`")
        if not facts.has_text(name):
            return text[: match.end()]
    return text


def _whole_remediation(text: str) -> str:
    """The remediation's whole sentences or clauses; none left, no remediation (the grounded cause
    is still worth showing: the 1.5B model's cause was refused for a remediation the cap cut)."""
    try:
        return _whole_sentences(text, REMEDIATION_CHARS, "remediation")
    except _Reject:
        return ""


def _whole_sentences(text: str, cap: int, label: str) -> str:
    """The text, or its whole sentences when it stops mid-sentence: cut by the length cap (even on a
    full stop: "…(3." is a figure cut in two), or closed early by the model ("It incorrectly
    identifies events as")."""
    text = " ".join(text.split())
    at_cap = len(text) >= cap - 1
    # "…, while the stable version has." or "…a potential issue with the `.": the model (or the
    # grammar's one-sentence pattern) closed the sentence before it was whole.
    # "…compared to the stable version, which,.": a full stop after a comma ends nothing either.
    stopped = _DANGLING.search(text.rstrip(",;:- ")) is not None or not _balanced(text)
    # ("…, which, ." too: the space before the stop does not make the clause whole)
    stopped = stopped or _STOPPED.search(text) is not None or text.rstrip(".!? ").endswith((",", ";", ":"))
    if not at_cap and not stopped:
        return text
    sentences = _SENTENCE.split(text)
    kept = " ".join(sentences[:-1]).strip()
    if kept:
        return kept
    # One long sentence: keep its whole clauses ("… on 51% of requests (254/500); stable 0% (0/500);
    # most on GET /balance/…" keeps the first two), when they say enough to stand alone. The
    # clauses kept are checked like any other text.
    clauses = re.split(r"(?<=[;,])\s+", text)[:-1]
    # "… (254 of 254," is not a whole clause, nor is "…, which," (a clause that ends on a dangling word)
    while clauses and (not _balanced(" ".join(clauses)) or _DANGLING.search(clauses[-1].rstrip(",;"))):
        clauses.pop()
    kept = " ".join(clauses).rstrip(",;").strip()
    if len(kept.split()) < MIN_CLAUSE_WORDS:
        raise _Reject("cut", f"its {label} was cut off mid-sentence by the length limit")
    return kept + "."


def _balanced(text: str) -> bool:
    pairs = all(text.count(a) == text.count(b) for a, b in ("()", "[]", "{}"))
    return pairs and text.count("`") % 2 == 0 and text.count('"') % 2 == 0


def _check_text(label: str, text: str, facts: _Facts) -> None:
    for char in text:
        if not char.isprintable():
            raise _Reject("language", f"its {label} contains an unprintable character {char!r}")
        if not char.isascii() and char not in facts.chars and char not in _TYPOGRAPHY:
            name = unicodedata.name(char, "unknown")
            raise _Reject(
                "language", f"its {label} contains {char!r} ({name}), a script the data does not use"
            )
    for ref in re.findall(r"\b[FT]\d+\b", text):
        if ref not in facts.ids and not facts.has_text(ref):  # klog's "F1126 06:58:38" is log text
            raise _Reject("unknown-id", f"its {label} mentions {ref}, which the data does not contain")
    for match in _NUMBER.finditer(text):
        raw, unit = match.group(1), match.group(2)
        if unit.lower() not in _UNITS:
            continue  # part of a word ("5xx", "2nd"), not a figure
        if not facts.has_number(raw.replace(",", ""), unit == "%"):
            raise _Reject("number", f"its {label} states {raw}{unit}, which is not in the evidence")
    for match in _NAME.finditer(text):
        name = match.group(1).rstrip(".:")
        if name.lower() not in _NOT_NAMES and not facts.has_text(name):
            raise _Reject("name", f"its {label} names {name!r}, which is not in the evidence")
    for match in _QUOTED.finditer(text):
        quoted = next(g for g in match.groups() if g)
        if not facts.has_text(quoted):
            raise _Reject("name", f"its {label} quotes {quoted[:60]!r}, which is not in the evidence")
    _check_repetition(label, text)


# Words an answer about a canary uses whatever it was told: four of them in a row are no echo.
_PLAIN_WORDS = {"a", "an", "the", "of", "with", "to", "in", "on", "and", "or", "is", "are", "it", "its",
                "than", "would", "replace", "canary", "stable", "version", "release"}  # fmt: skip


def _check_not_parroted(label: str, text: str, instructions: str) -> None:
    """A small model that cannot explain echoes the instructions ("...is not an instruction to you",
    "the canary is clearly worse than stable (more errors, crashes...)"): four words in a row."""
    said = _ngrams(text, 4)
    # "…issues with the stable version" is how anyone would say it, not an echo.
    echoed = {gram for gram in said & _ngrams(instructions, 4) if not set(gram) <= _PLAIN_WORDS}
    if echoed:
        raise _Reject("parrot", f"its {label} repeats the instructions ({' '.join(sorted(echoed)[0])!r})")


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _check_repetition(label: str, text: str) -> None:
    sentences = [s.strip().lower() for s in _SENTENCE.split(text) if s.strip()]
    if len(sentences) != len(set(sentences)):
        raise _Reject("repetition", f"its {label} repeats a sentence")
    words = re.findall(r"\w+", text.lower())
    trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    if any(trigrams.count(t) >= 3 for t in set(trigrams)):
        raise _Reject("repetition", f"its {label} repeats itself in a loop")


def _check_claims(cause: str, facts: _Facts) -> None:
    """Direction and side claims in the cause, clause by clause, against the figures."""
    for sentence in _SENTENCE.split(cause):
        side = _side_named(sentence) or "canary"
        # A clause that names no side is about the side the sentence named first, or, before the
        # sentence names one, the canary, the subject of a cause ("HTTP 5xx on 86%; stable 0%").
        first_named: str | None = None
        for clause in _CLAUSE.split(sentence):
            first_named = first_named or _side_named(clause)
            _check_clause(clause, _side_named(clause) or first_named or "canary", facts)
        if side != "canary":
            continue
        _check_not_healthy(sentence, facts)
        unhealthy = _UNHEALTHY.search(sentence)
        if unhealthy and not facts.any_canary_problem and not _negated(sentence, unhealthy.start()):
            raise _Reject("direction", "it calls the canary worse, but no figure is against it")


def _check_not_healthy(sentence: str, facts: _Facts) -> None:
    """No "healthy", "better" or "promote it" for a canary the evidence is against (an injected log
    line asks for exactly that), in the cause or in the remediation."""
    healthy = _HEALTHY.search(sentence)
    if healthy and facts.against_canary and not _negated(sentence, healthy.start()):
        raise _Reject("direction", "it calls the canary healthy or better, but the evidence is against it")


# Where a sentence turns to the other side or to a comparison: "…, stable 0%", "… while the stable …".
_CLAUSE = re.compile(r"[;,]\s+|\s+(?=(?:while|whereas|but|than|compared to|versus|unlike)\b)", re.I)


def _side_named(text: str) -> str | None:
    """The side a text is about: the first one it names."""
    lower = text.lower()
    stable_at, canary_at = lower.find("stable"), lower.find("canary")
    if stable_at < 0 and canary_at < 0:
        return None
    return "stable" if stable_at >= 0 and (canary_at < 0 or stable_at < canary_at) else "canary"


def _check_clause(clause: str, side: str, facts: _Facts) -> None:
    topics = [(name, m) for name, pattern in _TOPICS.items() for m in [pattern.search(clause)] if m]
    # "server errors", "HTTP 4xx errors", "404 errors" are the status topic, not the errors one.
    if any(name in ("5xx", "4xx") for name, _ in topics):
        topics = [(n, m) for n, m in topics if n != "errors" or not _STATUS_ERRORS.search(clause[: m.end()])]
    for name, match in topics:
        before = clause[max(0, match.start() - 30) : match.start()]
        around = clause[max(0, match.start() - 40) : match.end() + 25]
        if _NEGATION.search(before):
            if re.search(r"\b(new|more|additional|extra|higher)\b", before, re.I):
                if facts.worse(side, name, significantly=True):
                    raise _Reject("side", f"it says the {side} has no more {name}, but its figures show more")
            elif facts.has(side, name):
                raise _Reject("side", f"it says the {side} has no {name}, but it has some")
            continue
        worse, better = _WORSE.search(around), _BETTER.search(around)
        if worse and not better and not facts.worse(side, name):
            raise _Reject("direction", f"it says the {side} has more {name}, which its figures do not show")
        if better and not worse and facts.worse(side, name):
            raise _Reject("direction", f"it says the {side} has fewer {name}, but its figures show more")
        # A plain "the stable has 54 errors" is checked like one about the canary, unless the clause
        # denies it anywhere ("errors that are not present in the stable").
        plain = not worse and not better and not (side == "stable" and _NEGATION.search(clause))
        if plain and not facts.has(side, name):
            raise _Reject("side", f"it says the {side} has {name}, which its figures do not show")


def _negated(sentence: str, at: int) -> bool:
    return _NEGATION.search(sentence[max(0, at - 14) : at]) is not None


class _Facts:
    """What the answer may state: the prompt's text, the evidence's figures, and derived shares."""

    def __init__(self, prompt: Prompt, findings: list[Finding], evidence: Evidence) -> None:
        self.prompt, self.findings, self.evidence = prompt, findings, evidence
        e = evidence
        parts = [self.prompt.user, *(f.message for f in self.findings)]
        parts += [t.template for t in e.templates] + [x for t in e.templates for x in t.examples]
        parts += [x for f in self.findings for x in f.examples]
        parts += e.canary.crash_examples + e.stable.crash_examples
        self.text = " ".join(" ".join(parts).split()).lower()
        self.chars = set(self.prompt.user)
        self.ids = set(self.prompt.references)
        # The figures the text states; not the digits of a word, an id or the data block's marker.
        figures = _MARKER.sub(" ", self.text)
        self.numbers = {
            float(m.group(1).replace(",", ""))
            for m in _FIGURE.finditer(figures)
            if m.group(2).lower() in _UNITS
        }
        for side in (e.canary, e.stable):
            self.numbers |= _side_figures(side)
        self.numbers |= _ratios(e.canary, e.stable)
        for t in e.templates:
            if t.stable and t.canary:
                self.numbers.add(t.canary / t.stable)
                if e.stable.events and e.canary.events:
                    self.numbers.add((t.canary / e.canary.events) / (t.stable / e.stable.events))
        worst = [
            f for f in self.findings if f.side in ("canary", "both") and f.severity in ("critical", "major")
        ]
        self.against_canary = worst[0].severity if worst else ""
        self.any_canary_problem = any(
            f.side in ("canary", "both") and f.severity in ("critical", "major", "minor")
            for f in self.findings
        )

    def has_number(self, raw: str, percent: bool) -> bool:
        stated = float(raw)
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        # "9.8" rounds 9.77 or 9.84, "9000" rounds 9043 (two significant figures at least); a
        # number under 1000 is exact (a status code, a count), a percentage may be a share.
        step = 10.0**-decimals
        if decimals == 0 and stated >= 1000:
            zeros = len(raw) - len(raw.rstrip("0"))
            step = min(10.0**zeros, stated / 10)
        candidates = self.numbers | ({100 * n for n in self.numbers if n <= 1} if percent else set())
        return any(abs(n - stated) <= step / 2 + 1e-9 for n in candidates)

    def has_text(self, text: str) -> bool:
        wanted = " ".join(text.split()).lower()
        if wanted in self.text:
            return True
        # A quoted template with "<*>" masks, or a line whose masked parts were filled in.
        pieces = [p for p in re.split(r"<\*>|\.\.\.|…", wanted) if p.strip()]
        return len(pieces) > 1 and all(p.strip() in self.text for p in pieces)

    def has(self, side: str, topic: str) -> bool:
        """The side's figures show the topic at all."""
        s = self.evidence.canary if side == "canary" else self.evidence.stable
        kinds = {signal.kind.lower() for signal in s.signals}
        if topic in ("5xx", "4xx"):
            return status_class(s, topic[0]) > 0
        if topic == "errors":
            logged = error_events(s) > 0 or status_class(s, "5") > 0
            return logged or self._side_says(side, "error", "exception")
        if topic == "crash":
            return (
                s.crashes > 0
                or bool(kinds & {"crashloopbackoff", "oomkilled", "restart"})
                or self._side_says(side, "panic", "fatal", "crash", "segfault")
            )
        if topic == "restart":
            return bool(kinds & {"restart", "crashloopbackoff"}) or self._side_says(side, "restart")
        if topic == "oom":
            return "oomkilled" in kinds or self._side_says(side, "out of memory", "oom", "heap")
        if topic == "latency":
            return s.durations is not None or self._side_says(side, "latency", "slow", "took")
        return True

    def worse(self, side: str, topic: str, significantly: bool = False) -> bool:
        """The side's figures are worse than the other side's for the topic: at all, or by the
        rules' own one-sided test (what "no new errors" or "no more 5xx" has to contradict)."""
        mine, other = (
            (self.evidence.canary, self.evidence.stable)
            if side == "canary"
            else (self.evidence.stable, self.evidence.canary)
        )
        counts = {
            "5xx": (status_class(mine, "5"), mine.requests, status_class(other, "5"), other.requests),
            "4xx": (status_class(mine, "4"), mine.requests, status_class(other, "4"), other.requests),
            "errors": (error_events(mine), mine.events, error_events(other), other.events),
            "crash": (mine.crashes, mine.events, other.crashes, other.events),
        }
        if topic in counts:
            bad, total, other_bad, other_total = counts[topic]
            if significantly:
                p = rate_increase_p(other_bad, bad, other_total, total)
                rose = p is not None and p < ALPHA
            else:  # materially: 3 in 9,500 against 3 in 10,000 is not "more"
                rose = bad > 0 and _share(bad, total) > MATERIAL * _share(other_bad, other_total)
            if topic == "errors":
                return rose or self.worse(side, "5xx", significantly)
            if topic == "crash":
                return rose or (self.has(side, "crash") and not self.has(_other(side), "crash"))
            return rose
        if topic == "latency":
            a, b = mine.durations, other.durations
            if a is None:
                return False
            if significantly:
                p = self.evidence.latency_p_value
                return side == "canary" and p is not None and p < ALPHA
            return b is None or a.p90_ms > b.p90_ms or a.p50_ms > b.p50_ms or a.p99_ms > b.p99_ms
        return self.has(side, topic) and not self.has(_other(side), topic)

    def _side_says(self, side: str, *words: str) -> bool:
        """A word in the side's own templates, examples or findings."""
        texts = [
            t.template + " " + " ".join(t.examples)
            for t in self.evidence.templates
            if (t.canary if side == "canary" else t.stable)
        ]
        texts += [f.message + " " + " ".join(f.examples) for f in self.findings if f.side in (side, "both")]
        joined = " ".join(texts).lower()
        return any(word in joined for word in words)


def _side_figures(side: SideStats) -> set[float]:
    numbers: set[float] = {float(side.events), float(side.lines), float(side.requests), float(len(side.pods))}
    numbers |= {float(n) for n in side.levels.values()} | {float(n) for n in side.http_status.values()}
    for first in "2345":
        numbers.add(float(status_class(side, first)))
        numbers.add(_share(status_class(side, first), side.requests))
    numbers |= {side.error_share, side.http_5xx_share, side.http_4xx_share, float(side.crashes)}
    numbers |= {_share(n, side.events) for n in side.levels.values()}
    numbers |= {_share(n, side.requests) for n in side.http_status.values()}
    if side.durations:
        d = side.durations
        numbers |= {d.p50_ms, d.p90_ms, d.p99_ms, d.mean_ms, float(d.count)}
        numbers |= {d.p50_ms / 1000, d.p90_ms / 1000, d.p99_ms / 1000}
    return numbers


def _ratios(canary: SideStats, stable: SideStats) -> set[float]:
    """'3x the errors', '780 ms slower': the canary's figures over (or minus) the stable's, and back."""
    pairs = [
        (canary.error_share, stable.error_share),
        (canary.http_5xx_share, stable.http_5xx_share),
        (canary.http_4xx_share, stable.http_4xx_share),
        (float(canary.crashes), float(stable.crashes)),
    ]
    if canary.durations and stable.durations:
        c, s = canary.durations, stable.durations
        pairs += [(c.p50_ms, s.p50_ms), (c.p90_ms, s.p90_ms), (c.p99_ms, s.p99_ms), (c.mean_ms, s.mean_ms)]
    ratios = {a / b for a, b in pairs if a and b} | {b / a for a, b in pairs if a and b}
    return ratios | {a - b for a, b in pairs[4:]} | {b - a for a, b in pairs[4:]}


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _other(side: str) -> str:
    return "stable" if side == "canary" else "canary"

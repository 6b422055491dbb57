"""What naming a finding's signal takes: derived from its kind and its own messages, never a list."""

from __future__ import annotations

import pytest

from job.judge.signal import finding_signal, plain, template_signal
from job.model import Finding, TemplateStat


def finding(kind: str, message: str, examples: list[str] | None = None, patterns: list[str] = ()) -> Finding:
    templates = [{"template": f"error-{i}", "pattern": p} for i, p in enumerate(patterns)]
    return Finding(kind, "critical", "canary", message, 10, examples or [], templates=templates)


TRACEBACK = 'Traceback (most recent call last):\n  File "/srv/app/settings.py", line 3\n'
TRACEBACK += "KeyError: 'PAYMENT_API_KEY'"
FIVE_XX = finding("http-5xx", "canary returns HTTP 5xx on 51% of requests (254/500); stable 0% (0/500)")
LATENCY = finding("latency", "canary latency p50 848 ms / p90 883 ms / p99 895 ms vs stable 41 / 46 / 48 ms")
CRASH = finding(
    "crash",
    "canary has 1 crash/fatal event(s), first: KeyError: 'PAYMENT_API_KEY'; stable none",
    [TRACEBACK],
)
QUIET = finding("quiet-canary", "canary went quiet: no requests in the last 114 s of the 3 min window")
OOM = finding("pod-oomkilled", "canary pod signal oomkilled x2 on app-1")
SHARE = finding(
    "error-share",
    "error-level share: canary 9.3% (56/602 events), stable 0% (0/602)",
    ["ERROR cache entry could not be decoded: Expecting value: line 1 column 1"],
    ["ERROR cache entry could not be decoded: <*>"],
)


@pytest.mark.parametrize(
    ("item", "named", "unnamed"),
    [
        (FIVE_XX, "The canary answers HTTP 502 on half of its requests.", "The canary is unstable."),
        (FIVE_XX, "Half of the canary's requests fail with server errors.", "The canary fails a lot."),
        (LATENCY, "The canary's p99 is 895 ms against 48 ms.", "The canary behaves differently."),
        (LATENCY, "Canary requests are slower than the stable's.", "The canary differs from stable."),
        (CRASH, "The canary stops on KeyError PAYMENT_API_KEY at start-up.", "The canary stops at start-up."),
        (CRASH, "The canary crashes at start-up.", "The canary stops at start-up."),
        (QUIET, "The canary went silent after a minute.", "The canary changed after a minute."),
        (OOM, "The canary pods are OOM-killed.", "The canary pods misbehave."),
        (SHARE, "The canary cannot decode its cache entries.", "The canary logs more errors."),
    ],
)
def test_a_cause_names_the_signal_of_its_kind_or_its_messages(item: Finding, named: str, unnamed: str):
    signal = finding_signal(item)
    assert signal.named_in(named), (signal, named)
    assert not signal.named_in(unnamed), (signal, unnamed)


def test_a_template_is_named_by_its_exception_or_two_of_its_words() -> None:
    text = "ERROR pool <*> exhausted: PoolExhaustedException"
    template = TemplateStat(id="t1", template=text, level="error", stable=0, canary=9)
    signal = template_signal(template)
    assert signal.named_in("PoolExhaustedException on every request.")
    assert signal.named_in("The connection pool is exhausted.")
    assert not signal.named_in("The pool misbehaves.")


def test_labels_are_short_and_say_the_signal() -> None:
    assert finding_signal(FIVE_XX).label == "HTTP 5xx"
    assert finding_signal(LATENCY).label == "latency"
    assert finding_signal(CRASH).label == "crash: KeyError"
    assert finding_signal(OOM).label == "pod oomkilled"
    assert finding_signal(SHARE).label == "cache entry could not be decoded"


def test_paths_and_masks_are_not_words_of_a_message() -> None:
    """A source file's directories ("/srv/app/...") would let any cause that says "app" name the crash."""
    signal = finding_signal(CRASH)
    assert "srv" not in signal.words and "settings" not in signal.words
    assert "payment_api_key" in signal.words


def test_a_label_is_the_telling_part_of_a_message() -> None:
    """Not the words a message shares with every message ("with length 0"), not a traceback's
    header; a template with nothing telling gets no label (it opens no cause)."""
    first = "panic: runtime error: index out of range [0] with length 0"
    panic = finding("crash", f"canary has 2 crash/fatal event(s), first: {first}; stable none")
    assert finding_signal(panic).label == "crash: index out of range"
    text = "Traceback (most recent call last):"
    assert template_signal(TemplateStat(id="t", template=text, level="error", stable=0, canary=3)).label == ""
    unreadable = finding("crash", "canary has 6 crash/fatal event(s), first: F, [<*>]")
    assert finding_signal(unreadable).label == "crash"


def test_every_label_names_its_own_signal() -> None:
    """A cause the grammar opened with a label names that label's item, whatever the label's words."""
    pod = finding("pod-createcontainererror", "canary pod signal x1")
    handled = finding("new-error", "new error: handled request", patterns=["handled request <*>"])
    items = [FIVE_XX, LATENCY, CRASH, QUIET, OOM, SHARE, pod, handled]
    for item in items:
        signal = finding_signal(item)
        assert signal.label and signal.named_in(plain(signal.label) + " on most requests."), signal

"""The few lines of a log example a small model needs to name a cause and suggest a fix.

A multi-line example is mostly stack frames of the runtime, the web framework and the standard
library; what names the cause is the first line, the line with the exception or panic, and the
application's own frames (`Svc.balance(Svc.java:24)`, `main.checkout(...)`,
`File "/app/views.py", line 12, in profile`). Every prompt token costs time on a CPU, so an
example keeps those lines, in their order, and drops the rest; a line is never rewritten except
for the argument dumps of Go frames (hex pointers), which only cost tokens.
"""

from __future__ import annotations

import re

MAX_APP_FRAMES = 2

_FRAME = re.compile(  # Java, Python, Go's function and "created by" lines, JavaScript
    r"^\s*(at\s|File \")|^created by\s|^[\w./$*()-]+\(.*\)(\s\+0x[0-9a-f]+)?$"
)
# The line under a frame: Python's source line, Go's file:line.
_FOLLOWER = re.compile(r"^(\s{4,}|\t)(?!at\s|File \")")
# Frames of a runtime, a framework or a library, where the fix is not.
_LIBRARY = re.compile(
    r"site-packages|dist-packages|/usr/(local/)?lib/|\.pyenv/|/lib/python\d|node_modules|node:internal|"
    r"<frozen |\b(java|javax|jdk|sun|com\.sun|kotlin|scala|org\.springframework|io\.netty)\.|/src/runtime/|"
    r"^\s*(runtime|net/http|panic|reflect|sync|syscall|created by)\b|go/pkg/mod/",
)
_PROBLEM = re.compile(r"\w*(Error|Exception|Panic)\b|\bpanic\b|\bfatal\b|\bcaused by\b|\berror\b", re.I)
_ELIDED = re.compile(r"^\.\.\. \(\d+ more lines?\)$|^\.\.\. \d+ more$|^[\^~\s]+\)?:?$")
_GO_ARGUMENTS = re.compile(r"\((?:\{?0x[0-9a-f]+\??[,\s}]*)+[^)]*\)")
# An absolute path's leading directories: where the build ran, not where the fix is.
_DIRECTORIES = re.compile(r"(?<![\w.])/(?:[\w.@+-]+/)+(?=[\w.@+-]+/[\w.@+-]+\.\w+\b)")


def excerpt(example: str) -> str:
    """The lines of `example` that name the problem and where the application's code is."""
    lines = [line.rstrip() for line in example.split("\n") if line.strip()]
    if len(lines) <= 1:
        return example
    kept: list[str] = []
    app_frames = 0
    under_frame: bool | None = None  # the last line was a frame: kept (True) or dropped (False)
    for i, line in enumerate(lines):
        if _ELIDED.match(line.strip()):
            continue
        if under_frame is not None and _FOLLOWER.match(line) and not _FRAME.match(line):
            keep, under_frame = under_frame, None
            line = _DIRECTORIES.sub("…/", line)
            if keep and line not in kept:
                kept.append(line)
            continue
        under_frame = None
        if i > 0 and _FRAME.match(line):
            under_frame = not _LIBRARY.search(line) and app_frames < MAX_APP_FRAMES
            if not under_frame:
                continue
            app_frames += 1
            line = _DIRECTORIES.sub("…/", _GO_ARGUMENTS.sub("(…)", line))
        elif i not in (0, len(lines) - 1) and not _PROBLEM.search(line):
            continue
        if line not in kept:
            kept.append(line)
    return "\n".join(kept)


def headline(example: str) -> str:
    """The one line of a crash example that says what happened: its first line, except for a Python
    traceback, whose first line is "Traceback (most recent call last):" and whose last names the
    exception."""
    lines = [line.strip() for line in example.splitlines() if line.strip()]
    if not lines:
        return ""
    if lines[0].startswith("Traceback (most recent call last)"):
        return next((line for line in reversed(lines) if not line.startswith("Traceback")), lines[0])
    return lines[0]

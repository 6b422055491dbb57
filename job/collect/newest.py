"""Keep the newest bytes of a stream that may be longer than the budget.

A log stream is oldest-first, and a canary turns bad after traffic reaches it: the newest part
of the window is the one that must be judged. The Kubernetes API can only cut the *start* of a
window by bytes (`limitBytes`), so the whole window is read and only the last `keep` bytes are
held, from a line start on; memory stays at `keep` plus one chunk. What was dropped is counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


@dataclass
class Newest:
    """The kept chunks (oldest first) and what was dropped before them."""

    chunks: deque[bytes] = field(default_factory=deque)
    total: int = 0  # bytes the stream had
    dropped: int = 0  # bytes dropped from its start
    dropped_lines: int = 0  # newlines among them: the lines dropped whole or in part
    dropped_ends_line: bool = True  # the dropped bytes end at a line end, so the kept ones start a line

    def __iter__(self) -> Iterator[bytes]:
        while self.chunks:
            yield self.chunks.popleft()


def keep_newest(chunks: Iterable[bytes], keep: int) -> Newest:
    """Read `chunks` to the end and keep at most their last `keep` bytes, starting at a line start."""
    kept = Newest()
    for chunk in chunks:
        kept.chunks.append(chunk)
        kept.total += len(chunk)
        while kept.total - kept.dropped - len(kept.chunks[0]) >= keep:  # not needed to fill `keep`
            _drop(kept, kept.chunks.popleft())
    held = kept.total - kept.dropped
    if not kept.dropped and held <= keep:
        return kept
    cut = max(0, held - keep)  # bytes of the oldest kept chunk beyond `keep` (the loop kept it short)
    while kept.chunks and not (cut == 0 and kept.dropped_ends_line):
        first = kept.chunks.popleft()  # the kept part starts after the first newline at or past the cut
        newline = first.find(b"\n", max(cut - 1, 0))
        start = newline + 1 if newline >= 0 else len(first)
        _drop(kept, first[:start])
        if start < len(first):
            kept.chunks.appendleft(first[start:])
        cut = 0
    return kept


def _drop(kept: Newest, data: bytes) -> None:
    if data:
        kept.dropped += len(data)
        kept.dropped_lines += data.count(b"\n")
        kept.dropped_ends_line = data.endswith(b"\n")

"""Byte chunks -> text lines, with bounded memory whatever the input.

Chunks may split a line (or a UTF-8 character) anywhere. Bytes that are not UTF-8 are
decoded with U+FFFD so one bad byte never loses a line. A line longer than
`MAX_LINE_BYTES` keeps its first `MAX_LINE_BYTES` and the rest is dropped, so a file
without newlines cannot grow the buffer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

MAX_LINE_BYTES = 1 << 20  # 1 MiB: longer lines are cut here while reading
MINE_CHARS = 2000  # text beyond this is never looked at by the parser or the miner
# ...but a JSON record is kept whole up to this: cut, it is no JSON, and its status or level often
# follows a long field (pino's and Caddy's request headers with their cookies, a stack trace)
JSON_CHARS = 64 * 1024
# A longer text line keeps its start and its end, joined by CUT_MARK (no space, so a URL cut in its
# middle stays one token): an access line's status and request time come after the URL, which a
# GraphQL GET or a tracking query string can make kilobytes long
CUT_MARK = "…"
_HEAD_CHARS = MINE_CHARS // 2
_TAIL_CHARS = MINE_CHARS - _HEAD_CHARS - len(CUT_MARK)
# `kubectl logs --timestamps` and CRI log files put the runtime's time (and stream, partial flag)
# before the app's own text; without it a stack trace's "\tat ..." lines stay continuation lines
_RUNTIME_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z (?:std(?:out|err) [FP] )?")
# ...unless that time is the app's own, followed by its level padded to a column: Spring Boot 3 in
# UTC (`2026-11-27T19:00:00.123Z  INFO 1 --- [main] ...`), Rust's tracing (`...456Z  WARN app: ...`).
# Stripped, such a line would start with a space and be read as the previous record's continuation.
_PADDED_LEVEL = re.compile(r"\s+(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL)\s")
# ANSI escape sequences (ECMA-48 CSI: colours, bold, cursor moves): loggers that colour their output
# whatever the terminal (Rust's tracing, NestJS, a forced `--color`) would otherwise hide the level,
# `status=500` and the time behind them
_ANSI_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


class LineReader:
    """Iterates the lines of a byte stream and counts what it saw."""

    def __init__(
        self,
        chunks: Iterable[bytes],
        max_line_bytes: int = MAX_LINE_BYTES,
        clean: Callable[[list[str]], list[str]] | None = None,
    ) -> None:
        """`clean`: called on the lines of each decoded block before they are yielded (redaction),
        returning as many lines; one call per block instead of one per line."""
        self._chunks = chunks
        self._max = max_line_bytes
        self._clean = clean
        self.bytes = 0
        self.cut_lines = 0  # lines longer than max_line_bytes
        self.cut_bytes = 0  # the bytes dropped from them
        # the runtime timestamp stripped from the latest line (`kubectl logs --timestamps`), or "" when
        # it had none; group_events keeps each event's own (it reads one line past an event's end)
        self.stamp = ""

    def __iter__(self) -> Iterator[str]:
        pending = b""
        skipping = False  # inside the dropped tail of an over-long line
        for chunk in self._chunks:
            if not chunk:
                continue
            self.bytes += len(chunk)
            end = chunk.rfind(b"\n")
            if end < 0:
                if skipping:
                    self.cut_bytes += len(chunk)
                    continue
                pending += chunk
                if len(pending) > self._max:
                    yield from self._split(pending[: self._max])
                    self.cut_lines += 1
                    self.cut_bytes += len(pending) - self._max
                    pending, skipping = b"", True
                continue
            head, tail = chunk[:end], chunk[end + 1 :]
            if skipping:
                first_newline = head.find(b"\n")
                self.cut_bytes += end if first_newline < 0 else first_newline
                head = b"" if first_newline < 0 else head[first_newline + 1 :]
                skipping = False
                block = head
            else:
                block = pending + head if pending else head
            if block:
                yield from self._split(block)
            pending = tail
            if len(pending) > self._max:
                yield from self._split(pending[: self._max])
                self.cut_lines += 1
                self.cut_bytes += len(pending) - self._max
                pending, skipping = b"", True
        if pending and not skipping:
            yield from self._split(pending)

    def _split(self, block: bytes) -> Iterator[str]:
        text = block.decode("utf-8", "replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\x1b" in text:
            text = _ANSI_CSI.sub("", text)
        lines: list[str] = []
        stamps: dict[int, str] = {}  # line index -> the runtime timestamp stripped from it
        split, text = text.split("\n"), ""  # the block's text is not kept beside its lines
        for line in split:
            if not line or line.isspace():
                continue
            if line[10:11] == "T" and line[4:5] == "-":
                runtime = _RUNTIME_PREFIX.match(line)
                if runtime is not None and _PADDED_LEVEL.match(line, runtime.end()) is None:
                    stamp = line[: runtime.end()]
                    line = line[runtime.end() :]
                    stamps[len(lines)] = stamp  # the next line's, if it has none of its own
                    if not line or line.isspace():
                        continue
            if len(line) > MINE_CHARS:
                if line[0] == "{":
                    line = line[:JSON_CHARS]
                else:
                    line = line[:_HEAD_CHARS] + CUT_MARK + line[-_TAIL_CHARS:]
            lines.append(line)
        if self._clean is not None and lines:
            lines = self._clean(lines)
        if not stamps:
            self.stamp = ""
            yield from lines
            return
        for index, line in enumerate(lines):
            self.stamp = stamps.get(index, "")
            yield line


def read_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    return iter(LineReader(chunks))

"""Log files on disk -> Snapshot. Each path becomes one LogStream read in 1 MiB chunks.

Every path is checked before any reading starts, so a typo fails fast with the path and
the fix in the message. `.gz` files (rotated logs) are decompressed on the fly.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from functools import partial

from job.errors import AnalysisError
from job.model import FileSource, LogStream, SideSnapshot, Snapshot

CHUNK_BYTES = 1 << 20


def collect(source: FileSource) -> Snapshot:
    return Snapshot(
        stable=SideSnapshot(streams=[_stream(path, "stable") for path in source.stable_paths]),
        canary=SideSnapshot(streams=[_stream(path, "canary") for path in source.canary_paths]),
        source="files",
    )


def _stream(path: str, side: str) -> LogStream:
    _check(path, side)
    return LogStream(name=path, open=partial(_read, path))


def _check(path: str, side: str) -> None:
    flag = f"--{side}-logs"
    if not os.path.exists(path):
        raise AnalysisError(f"{side} log file {path!r} does not exist: check the path given to {flag}")
    if os.path.isdir(path):
        raise AnalysisError(
            f"{side} log path {path!r} is a directory: pass each log file with its own {flag} "
            f"(e.g. {flag} {os.path.join(path, 'app.log')})"
        )
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except PermissionError:
        raise AnalysisError(
            f"{side} log file {path!r} is not readable (permission denied): "
            "grant read access to the user running the job, or copy the file somewhere readable"
        ) from None
    except OSError as error:
        raise AnalysisError(f"cannot read {side} log file {path!r}: {error.strerror or error}") from None


def _read(path: str) -> Iterator[bytes]:
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise AnalysisError(f"reading log file {path!r} failed: {error}") from None

"""Log files on disk -> Snapshot. Each path becomes one LogStream read in 1 MiB chunks.

Every path is checked before any reading starts, so a typo fails fast with the path and the
fix in the message: only regular files are read (a FIFO without a writer would hang, /dev/zero
never ends), and the same file twice (also through another path or a symlink) is a usage error,
since a canary compared with itself always passes. Compressed files (gzip, bzip2, xz) are told
by their content, not their name, and decompressed on the fly; every chunk read must look like
text, so a binary file, or a text file with a binary tail, is refused with its name.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from functools import partial
from typing import BinaryIO

from job.collect.content import (
    DECODE_ERRORS,
    SNIFF_BYTES,
    UnsupportedCompression,
    compression,
    decompressing,
    not_text,
)
from job.errors import AnalysisError, InputError
from job.model import FileSource, LogStream, SideSnapshot, Snapshot

CHUNK_BYTES = 1 << 20

_KINDS = {
    stat.S_ISFIFO: "a FIFO (named pipe)",
    stat.S_ISSOCK: "a socket",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
}


def collect(source: FileSource) -> Snapshot:
    seen: dict[tuple[int, int], str] = {}
    sides = {}
    for side, paths in (("stable", source.stable_paths), ("canary", source.canary_paths)):
        streams = []
        for path in paths:
            identity = _check(path, side)
            if identity in seen:
                raise InputError(_same_file(path, side, seen[identity]))
            seen[identity] = f"{side}:{path}"
            streams.append(LogStream(name=path, open=partial(_read, path, side)))
        sides[side] = SideSnapshot(streams=streams)
    return Snapshot(stable=sides["stable"], canary=sides["canary"], source="files")


def _same_file(path: str, side: str, earlier: str) -> str:
    first_side, _, first_path = earlier.partition(":")
    if first_side != side:
        return (
            f"--{side}-logs {path!r} is the same file as --{first_side}-logs {first_path!r}: a canary "
            "compared with itself always passes; give the canary's and the stable's own logs"
        )
    return f"--{side}-logs names the same file twice ({first_path!r} and {path!r}): give each file once"


def _check(path: str, side: str) -> tuple[int, int]:
    """Refuse what cannot be read as a log file, before reading a byte; the file's (device, inode)."""
    flag = f"--{side}-logs"
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise AnalysisError(
            f"{side} log file {path!r} does not exist: check the path given to {flag}"
        ) from None
    except OSError as error:
        raise AnalysisError(f"cannot read {side} log file {path!r}: {error.strerror or error}") from None
    if stat.S_ISDIR(info.st_mode):
        raise AnalysisError(
            f"{side} log path {path!r} is a directory: pass each log file with its own {flag} "
            f"(e.g. {flag} {os.path.join(path, 'app.log')})"
        )
    _refuse_special(path, side, info.st_mode)
    with _open(path, side):
        pass
    return info.st_dev, info.st_ino


def _refuse_special(path: str, side: str, mode: int) -> None:
    kind = next((name for test, name in _KINDS.items() if test(mode)), None)
    if kind is not None or not stat.S_ISREG(mode):
        raise AnalysisError(
            f"{side} log path {path!r} is {kind or 'not a regular file'}: only regular files are read "
            "(a pipe or device may never end); save the log to a file first, e.g. kubectl logs POD > app.log"
        )


def _open(path: str, side: str) -> BinaryIO:
    """The file opened without blocking (a FIFO swapped in after the check cannot hang us)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError:
        raise AnalysisError(
            f"{side} log file {path!r} is not readable (permission denied): "
            "grant read access to the user running the job, or copy the file somewhere readable"
        ) from None
    except OSError as error:
        raise AnalysisError(f"cannot read {side} log file {path!r}: {error.strerror or error}") from None
    try:
        _refuse_special(path, side, os.fstat(fd).st_mode)
    except AnalysisError:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _read(path: str, side: str) -> Iterator[bytes]:
    offset = 0
    try:
        with _open(path, side) as raw:
            format_name = compression(raw.read(SNIFF_BYTES))
            raw.seek(0)
            handle = decompressing(raw, format_name) if format_name else raw
            while chunk := handle.read(CHUNK_BYTES):
                reason = not_text(chunk)
                if reason:
                    packed = f"its {format_name} content" if format_name else "it"
                    raise AnalysisError(
                        f"{side} log file {path!r} is not text: at byte {offset:,} of {packed}, {reason}; "
                        "pass plain-text (or gzip/bzip2/xz-compressed) log files"
                    )
                offset += len(chunk)
                yield chunk
    except UnsupportedCompression as error:
        raise AnalysisError(f"{side} log file {path!r} is {error}") from None
    except DECODE_ERRORS as error:
        raise AnalysisError(
            f"reading {side} log file {path!r} failed after {offset:,} bytes: {error or type(error).__name__}"
            + (" (a truncated or corrupt compressed file?)" if not isinstance(error, OSError) else "")
        ) from None

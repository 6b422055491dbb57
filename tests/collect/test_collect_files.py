import gzip
import os
from pathlib import Path

import pytest

from job.collect.files import collect
from job.errors import AnalysisError
from job.model import FileSource


def read(stream) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(stream.open())


def test_each_path_is_a_lazy_stream(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "c.log"
    a.write_bytes(b"stable 1\n")
    b.write_bytes(b"stable 2\n")
    c.write_bytes(b"canary\n")
    snapshot = collect(FileSource((str(a), str(b)), (str(c),)))
    assert [s.name for s in snapshot.stable.streams] == [str(a), str(b)]
    assert read(snapshot.canary.streams[0]) == b"canary\n"
    assert snapshot.source == "files"


def test_gzip_files_are_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "app.log.gz"
    path.write_bytes(gzip.compress(b"line one\nline two\n"))
    snapshot = collect(FileSource((str(path),), (__file__,)))
    assert read(snapshot.stable.streams[0]) == b"line one\nline two\n"


def test_large_files_are_read_in_bounded_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"x" * (3 * 1024 * 1024 + 5))
    chunks = list(collect(FileSource((str(path),), (__file__,))).stable.streams[0].open())
    assert len(chunks) == 4 and max(len(c) for c in chunks) == 1024 * 1024


def test_missing_file_names_the_path_and_the_flag(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.log")
    with pytest.raises(AnalysisError, match=r"canary log file .*nope\.log.* does not exist.*--canary-logs"):
        collect(FileSource((__file__,), (missing,)))


def test_directory_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match=r"is a directory: pass each log file with its own --stable-logs"):
        collect(FileSource((str(tmp_path),), (__file__,)))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_says_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.log"
    path.write_text("x\n")
    path.chmod(0)
    with pytest.raises(AnalysisError, match=r"not readable \(permission denied\)"):
        collect(FileSource((str(path),), (__file__,)))


def test_corrupt_gzip_fails_while_reading_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.log.gz"
    path.write_bytes(gzip.compress(b"line one\n" * 1000)[:-40])  # truncated: gzip magic, no end
    snapshot = collect(FileSource((str(path),), (__file__,)))
    with pytest.raises(AnalysisError, match=r"broken\.log\.gz"):
        read(snapshot.stable.streams[0])

"""What a byte stream really is, by its content and never by its name.

Compression is told by magic bytes (a rotated `canary.log.1` is often gzip), and text is told
from binary by the bytes themselves: random bytes, an image or an unknown compressed format read
as "log lines" would yield a few odd templates and no errors, which a canary gate must never
mistake for a healthy canary.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from typing import BinaryIO

# magic bytes -> format; stdlib decoders for all but zstd (Python 3.11 has none, and no
# maintained zstd package is among the tool's dependencies), which is refused with the fix
MAGIC: dict[bytes, str] = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
SNIFF_BYTES = 8
# what the decoders raise on corrupt or truncated data, beside OSError (gzip.BadGzipFile, bz2)
DECODE_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error, lzma.LZMAError)

# Bytes a text log holds besides printable ASCII: tab, LF, VT, FF, CR, backspace and ESC (ANSI colours).
_TEXT_ASCII = bytes([8, 9, 10, 11, 12, 13, 27, *range(32, 127)])
_HIGH = bytes(range(128, 256))
# Random or compressed bytes are ~12% control bytes; text has next to none. A legacy 8-bit
# encoding (Latin-1, CP1251) has no control bytes but many non-UTF-8 bytes, so that share is
# only refused when nearly everything is undecodable.
MAX_CONTROL_SHARE = 0.05
MAX_UNDECODABLE_SHARE = 0.75


class UnsupportedCompression(Exception):
    """A compression format this build cannot decode; the message says how to decompress it."""


def compression(head: bytes) -> str | None:
    """The compression format the first bytes announce, or None for plain data."""
    return next((name for magic, name in MAGIC.items() if head.startswith(magic)), None)


def decompressing(raw: BinaryIO, format_name: str) -> BinaryIO:
    """A reader of the decompressed bytes (`raw` positioned at the start)."""
    if format_name == "gzip":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if format_name == "bzip2":
        return bz2.BZ2File(raw)  # type: ignore[return-value]
    if format_name == "xz":
        return lzma.LZMAFile(raw)  # type: ignore[return-value]
    raise UnsupportedCompression(
        f"{format_name}-compressed: decompress it first (e.g. `{format_name} -dc FILE > app.log`)"
    )


def not_text(chunk: bytes) -> str | None:
    """Why `chunk` is not log text (the shares of control or undecodable bytes), or None if it is."""
    if not chunk:
        return None
    size = len(chunk)
    controls = len(chunk.translate(None, _TEXT_ASCII + _HIGH))
    if controls / size > MAX_CONTROL_SHARE:
        nul = chunk.count(0)
        hint = " (UTF-16? convert it: iconv -f UTF-16 -t UTF-8)" if nul * 3 > size else ""
        return f"{controls / size:.0%} of its bytes are NUL or other control bytes{hint}"
    if not chunk.isascii():
        undecodable = chunk.decode("utf-8", "replace").count("\ufffd")
        if undecodable / size > MAX_UNDECODABLE_SHARE:
            return f"{undecodable / size:.0%} of its bytes are not UTF-8"
    return None

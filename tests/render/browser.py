"""Debian's `chromium`, headless, driven by its command line: screenshots and the DOM after load.

Tests that need it skip with the reason where it is missing (`apt-get install chromium`;
`.ci/run` installs it). CHROMIUM names another binary.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

TIMEOUT = 90


def chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("no chromium: apt-get install chromium (the CI installs it)")
    return found


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        "--disable-extensions", "--disable-background-networking", f"--user-data-dir={profile}",
        "--force-device-scale-factor=1", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def screenshot(page: Path, out: Path, width: int = 1100, height: int = 1400) -> tuple[int, int]:
    """Render `page`, write a PNG; returns its (width, height)."""
    result = _run(
        [f"--window-size={width},{height}", f"--screenshot={out}", page.as_uri()], out.parent / "profile"
    )
    assert out.exists(), result.stderr[-2000:]
    return png_size(out)


def dump_dom(page: Path, width: int = 1100) -> str:
    """The DOM as the browser built it (scripts run), serialised."""
    result = _run([f"--window-size={width},900", "--dump-dom", page.as_uri()], page.parent / "profile")
    assert result.stdout.strip(), result.stderr[-2000:]
    return result.stdout


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def png_pixel(path: Path, x: int, y: int) -> tuple[int, int, int]:
    """One pixel's RGB of an 8-bit RGB/RGBA PNG (enough for chromium's screenshots)."""
    data = path.read_bytes()
    width, _height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    channels = 3 if colour == 2 else 4
    chunks, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    for row in range(y + 1):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = line
    return tuple(previous[x * channels : x * channels + 3])  # type: ignore[return-value]

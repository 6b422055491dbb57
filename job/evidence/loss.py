"""What each side lost on the way to the judge, as counts, a share and a note.

The collector counts what it cut or could not read (`SideSnapshot.loss`); the line reader
counts the tails of over-long lines it dropped. The share is what the policy weighs: the
larger of bytes lost over bytes seen and streams lost over streams.
"""

from __future__ import annotations

from job.model import DataLoss, SideStats


def account(collected: DataLoss, stats: SideStats) -> DataLoss:
    """The side's whole loss: the collector's plus the long-line tails already in `stats.loss.bytes`."""
    lost_bytes = collected.bytes + stats.loss.bytes
    seen = stats.bytes + collected.bytes  # stats.bytes (what the reader got) holds the dropped tails
    byte_share = lost_bytes / seen if seen else 0.0
    stream_share = collected.streams / stats.streams if stats.streams else float(bool(collected.streams))
    return DataLoss(
        bytes=lost_bytes,
        lines=collected.lines,
        streams=collected.streams,
        pods_skipped=collected.pods_skipped,
        share=round(min(1.0, max(byte_share, stream_share)), 4),
    )


def loss_note(side: str, loss: DataLoss) -> str | None:
    """One line for the notes when the side lost anything, else None."""
    if not loss.any():
        return None
    parts = []
    if loss.bytes:
        parts.append(f"{_size(loss.bytes)} ({loss.lines:,} whole lines) read but not judged")
    if loss.streams:
        parts.append(f"{loss.streams} log stream(s) could not be read")
    return f"{side}: {loss.share:.0%} of its log data lost: {', '.join(parts)}"


def _size(count: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"

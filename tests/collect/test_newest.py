"""keep_newest: the newest bytes of a stream, from a line start, whatever the chunking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from job.collect.newest import keep_newest

lines = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"") + b"\n"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(lines, st.binary(max_size=20).map(lambda b: b.replace(b"\n", b"")), st.data(), st.integers(1, 400))
def test_keeps_the_longest_line_aligned_tail_that_fits(
    body: list[bytes], unterminated: bytes, data: st.DataObject, keep: int
) -> None:
    stream = b"".join(body) + unterminated
    cuts = sorted(data.draw(st.sets(st.integers(0, len(stream)), max_size=6)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True) if stream[a:b]]

    kept = keep_newest(chunks, keep)
    out = b"".join(kept)

    starts = [i for i in range(len(stream) + 1) if i == 0 or stream[i - 1 : i] == b"\n"]
    best = max((len(stream) - i for i in starts if len(stream) - i <= keep), default=0)
    assert stream.endswith(out) and len(out) == best
    assert kept.total == len(stream) and kept.dropped == len(stream) - len(out)
    assert kept.dropped_lines == stream[: kept.dropped].count(b"\n")


def test_a_stream_within_the_budget_is_kept_whole() -> None:
    kept = keep_newest([b"a\nb", b"c\n"], 100)
    assert b"".join(kept) == b"a\nbc\n" and kept.dropped == 0

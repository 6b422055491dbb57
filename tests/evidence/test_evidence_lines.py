from job.evidence.lines import JSON_CHARS, MINE_CHARS, LineReader
from job.evidence.parse import parse_line


def lines_of(chunks: list[bytes], max_line: int = 1 << 20) -> tuple[list[str], LineReader]:
    reader = LineReader(chunks, max_line)
    return list(reader), reader


def test_lines_split_across_chunks_are_joined() -> None:
    lines, reader = lines_of([b"2024-05-01 INFO sta", b"rted\n2024-05-01 INFO rea", b"dy\n"])
    assert lines == ["2024-05-01 INFO started", "2024-05-01 INFO ready"]
    assert reader.bytes == 46


def test_crlf_and_lone_cr_end_lines() -> None:
    lines, _ = lines_of([b"GET / 200\r\nGET /x 404\r", b"\nPOST /y 500\rlast"])
    assert lines == ["GET / 200", "GET /x 404", "POST /y 500", "last"]


def test_invalid_utf8_is_replaced_not_lost() -> None:
    lines, _ = lines_of([b"caf\xe9 latin-1 line\n", b"ok \xf0\x9f\x98\x80 emoji\n"])
    assert lines == ["caf\ufffd latin-1 line", "ok \U0001f600 emoji"]


def test_a_multibyte_character_split_between_chunks_survives() -> None:
    data = "réponse reçue\n".encode()
    split = data.index(b"\xc3") + 1  # inside the two bytes of "é"
    lines, _ = lines_of([data[:split], data[split:]])
    assert lines == ["réponse reçue"]


def test_blank_lines_are_skipped() -> None:
    lines, _ = lines_of([b"a\n\n   \n\tb\n"])
    assert lines == ["a", "\tb"]


def test_an_overlong_line_is_cut_and_the_next_line_kept() -> None:
    chunks = [b"x" * 300, b"y" * 300, b"z" * 300 + b"\nnext line\n"]
    lines, reader = lines_of(chunks, max_line=500)
    assert reader.cut_lines == 1
    assert lines[-1] == "next line"
    assert len(lines) == 2 and set(lines[0]) <= {"x", "y"}


def test_a_file_without_newlines_does_not_grow_memory() -> None:
    chunks = (b"a" * 1000 for _ in range(10_000))  # 10 MB, no newline
    reader = LineReader(chunks, max_line_bytes=4096)
    lines = list(reader)
    assert len(lines) == 1 and len(lines[0]) <= MINE_CHARS
    assert reader.bytes == 10_000_000


def test_long_lines_are_truncated_for_mining() -> None:
    lines, _ = lines_of([b"E" * (MINE_CHARS * 3) + b"\n"])
    assert len(lines[0]) == MINE_CHARS


def test_a_long_text_line_keeps_its_end_where_an_access_line_has_its_status() -> None:
    """A GraphQL GET's query string made the line 5 KB: cut at its start, the status was lost."""
    url = "/graphql?query=" + "%7B%20field" * 500
    line = f'10.0.0.1 - - [27/Nov/2026:20:00:00 +0000] "GET {url} HTTP/1.1" 500 312 "-" "curl/8" rt=0.05'
    [kept], _ = lines_of([line.encode() + b"\n"])
    assert len(kept) == MINE_CHARS and kept.startswith("10.0.0.1 - - [27/Nov") and kept.endswith("rt=0.05")
    assert parse_line(kept)[2:] == (500, 50.0, True)


def test_a_long_json_record_is_kept_whole_up_to_its_own_limit() -> None:
    """Cut at MINE_CHARS it would be no JSON, and its status (after the request headers) lost."""
    record = b'{"req":{"headers":{"cookie":"' + b"a" * 5000 + b'"}},"res":{"statusCode":500}}\n'
    lines, _ = lines_of([record, b"{" + b"x" * (JSON_CHARS * 2) + b"\n"])
    assert lines[0] == record.decode().strip() and len(lines[1]) == JSON_CHARS


def test_kubectl_timestamps_and_cri_prefixes_are_removed() -> None:
    data = (
        b"2024-05-01T12:00:00.123456789Z ERROR request failed\n"
        b"2024-05-01T12:00:00.1234Z \tat com.example.Handler.run(Handler.java:12)\n"
        b"2024-05-01T12:00:01.5Z stderr F panic: boom\n"
        b'2024-05-01T12:00:02Z stdout P {"level":"info"}\n'
    )
    lines, _ = lines_of([data])
    assert lines == [
        "ERROR request failed",
        "\tat com.example.Handler.run(Handler.java:12)",
        "panic: boom",
        '{"level":"info"}',
    ]


def test_an_apps_own_utc_time_before_a_padded_level_is_kept() -> None:
    """Spring Boot 3 in UTC and Rust's tracing write `...Z  INFO`: their own time, not kubectl's.
    Stripped, every INFO line would start with a space and join the record before it."""
    data = (
        b"2026-11-27T19:00:00.123Z  INFO 1 --- [main] c.e.Billing : Started\n"
        b"2026-11-27T19:00:00.123456Z  WARN shop::cart: slow\n"
        b"2026-11-27T19:00:01.5Z 2026-11-27T19:00:01.499Z  INFO 1 --- [main] c.e.Billing : ready\n"
        b'2026-11-27T19:00:02.1Z   File "/app/x.py", line 3, in f\n'
    )
    lines, _ = lines_of([data])
    assert lines == [
        "2026-11-27T19:00:00.123Z  INFO 1 --- [main] c.e.Billing : Started",
        "2026-11-27T19:00:00.123456Z  WARN shop::cart: slow",
        "2026-11-27T19:00:01.499Z  INFO 1 --- [main] c.e.Billing : ready",
        '  File "/app/x.py", line 3, in f',
    ]


def test_ansi_colour_codes_are_removed() -> None:
    """Rust's tracing colours its output even into a pipe; NestJS unless NO_COLOR is set."""
    data = (
        b"\x1b[2m2026-11-27T19:00:00.1Z\x1b[0m \x1b[31mERROR\x1b[0m \x1b[2mapp\x1b[0m\x1b[2m:\x1b[0m failed "
        b"\x1b[3mstatus\x1b[0m\x1b[2m=\x1b[0m500\n\x1b[32m[Nest] 1  - \x1b[39mok\x1b[0K\n"
    )
    lines, _ = lines_of([data])
    assert lines == ["ERROR app: failed status=500", "[Nest] 1  - ok"]


def test_the_runtime_timestamp_belongs_to_its_line_only() -> None:
    """A line without the runtime's prefix has no stamp: it is not given an older line's."""
    reader = LineReader(
        [b"2024-05-01T12:00:00Z stdout F first\n", b"second\n", b"2024-05-01T12:00:09Z third\n"]
    )
    seen = [(line, reader.stamp) for line in reader]
    assert seen == [
        ("first", "2024-05-01T12:00:00Z stdout F "),
        ("second", ""),
        ("third", "2024-05-01T12:00:09Z "),
    ]


def test_each_block_goes_through_the_cleaner_before_its_lines_are_read() -> None:
    blocks: list[list[str]] = []

    def clean(lines: list[str]) -> list[str]:
        blocks.append(lines)
        return [line.upper() for line in lines]

    reader = LineReader([b"2024-05-01T12:00:00Z a\nb\n", b"c\n"], clean=clean)
    assert [(line, reader.stamp) for line in reader] == [("A", "2024-05-01T12:00:00Z "), ("B", ""), ("C", "")]
    assert blocks == [["a", "b"], ["c"]]

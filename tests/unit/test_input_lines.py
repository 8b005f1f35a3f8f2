"""The lines of an input file: UTF-8 with an optional byte-order mark, within a size limit."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from ledger.domain.errors import InvalidInput
from ledger.input_files.lines import MAX_LINE_BYTES, decoded_lines


def lines(data: bytes, max_bytes: int = 1000) -> list[str]:
    return list(decoded_lines(io.BytesIO(data), "order file 'o.csv'", max_bytes))


def refusal(data: bytes, max_bytes: int = 1000) -> str:
    with pytest.raises(InvalidInput) as refused:
        lines(data, max_bytes)
    assert "\n" not in refused.value.message
    return refused.value.message


def test_lines_keep_their_breaks_and_a_leading_byte_order_mark_is_dropped() -> None:
    data = "\ufeffa,b\r\nc,\u00e9\u20ac\n\ufeffd".encode()

    assert lines(data) == ["a,b\r\n", "c,\u00e9\u20ac\n", "\ufeffd"]


def test_a_lone_carriage_return_ends_a_line_as_text_mode_reads_it() -> None:
    assert lines(b"a\rb\r\nc\r") == ["a\r", "b\r\n", "c\r"]


@pytest.mark.parametrize(
    ("data", "byte"),
    [
        (b"ab\ncd\xe9f\n", 6),
        (b"\xef\xbb\xbfab\ncd\xe9f\n", 9),  # the byte-order mark counts: it is in the file
        (b"ok\n\xc3", 4),  # a character cut short at the end
    ],
)
def test_a_byte_that_is_not_utf8_is_named_by_its_position(data: bytes, byte: int) -> None:
    assert refusal(data) == f"order file 'o.csv' is not UTF-8 (byte {byte})"


def test_a_file_that_grows_past_the_limit_while_read_is_refused() -> None:
    assert refusal(b"a\n" * 10, max_bytes=15) == (
        "order file 'o.csv' grew past the limit of 15 bytes while read"
    )


def test_a_line_over_the_line_limit_is_refused() -> None:
    data = b"a\n" + b"x" * (MAX_LINE_BYTES + 1)

    assert refusal(data, max_bytes=2 * MAX_LINE_BYTES) == (
        f"order file 'o.csv' has a line over {MAX_LINE_BYTES} bytes (line 2)"
    )


class Endless(io.RawIOBase):
    """A file with no end: it counts how many bytes were asked of it."""

    given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = b"R-1,1\n" * (len(buffer) // 6)
        buffer[: len(chunk)] = chunk
        self.given += len(chunk)
        return len(chunk)


def test_lines_come_out_while_the_file_is_read_not_after() -> None:
    endless = Endless()
    found: Iterator[str] = decoded_lines(io.BufferedReader(endless), "f", max_bytes=10**12)

    assert [next(found) for _ in range(3)] == ["R-1,1\n"] * 3
    assert endless.given <= 64 * 1024

"""The lines of a user's input file, decoded as UTF-8, one at a time, within a size limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ledger.domain.errors import InvalidInput
from ledger.input_files.opening import MAX_BYTES, describe, open_regular

#: A physical line longer than this refuses the file: no line is held whole beyond it.
MAX_LINE_BYTES = 1024 * 1024
#: Line breaks as `open(newline="")` and `io.StringIO(newline="")` see them: \r\n, \r, \n.
_BREAKS = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


@contextmanager
def text_lines(path: Path, what: str, max_bytes: int = MAX_BYTES) -> Iterator[Iterator[str]]:
    """Open the file (see `open_regular`) and give its lines, each with its line break.

    The file is refused at once when it cannot be opened, is not a regular file or is over
    `max_bytes`; while it is read, when it grows past `max_bytes`, holds a byte that is not
    UTF-8 (its position is named) or a line over MAX_LINE_BYTES.
    """
    with open_regular(path, what, max_bytes) as binary:
        yield decoded_lines(binary, describe(path, what), max_bytes)


def decoded_lines(binary: BinaryIO, name: str, max_bytes: int = MAX_BYTES) -> Iterator[str]:
    """The lines of `binary` as text; a leading byte-order mark is dropped."""
    offset, number = 0, 0
    while raw := binary.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise InvalidInput(f"{name} has a line over {MAX_LINE_BYTES} bytes (line {number})")
        if offset + len(raw) > max_bytes:
            raise InvalidInput(f"{name} grew past the limit of {max_bytes} bytes while read")
        try:
            # UTF-8 never puts a newline byte inside a character: each line decodes alone.
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInput(f"{name} is not UTF-8 (byte {offset + error.start + 1})") from None
        if offset == 0:
            text = text.removeprefix("\ufeff")
        offset += len(raw)
        yield from split_breaks(text)


def split_breaks(text: str) -> Iterator[str]:
    """`text` cut after each \\r\\n, \\r or \\n (a lone \\r ends a line, as in old Mac files)."""
    if "\r" not in text:
        yield text
        return
    for found in _BREAKS.finditer(text):
        yield found.group()

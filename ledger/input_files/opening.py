"""Open a user's input file: a regular file only, never blocking, within a size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from ledger.domain.errors import InvalidInput

#: The default `--max-bytes` of a command that reads a file: 256 MiB.
MAX_BYTES = 256 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "Is a directory"),
    (stat.S_ISFIFO, "Is a named pipe (FIFO)"),
    (stat.S_ISCHR, "Is a character device"),
    (stat.S_ISBLK, "Is a block device"),
    (stat.S_ISSOCK, "Is a socket"),
)


def describe(path: Path, what: str) -> str:
    """How messages name the file: `settlement file 'in.csv'`."""
    return f"{what} {str(path)!r}"


def open_regular(path: Path, what: str, max_bytes: int = MAX_BYTES) -> BinaryIO:
    """The file at `path` opened for reading; InvalidInput unless it is a regular file of at
    most `max_bytes` bytes.

    The check is made on the open descriptor, so nothing can swap the file in between; the
    open does not block (O_NONBLOCK), so a FIFO without a writer is refused, not waited on.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        raise InvalidInput(f"cannot read {describe(path, what)}: {error.strerror}") from None
    try:
        _check(os.fstat(fd), path, what, max_bytes)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check(info: os.stat_result, path: Path, what: str, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "Is not a file")
        raise InvalidInput(f"cannot read {describe(path, what)}: {kind}, not a regular file")
    if info.st_size > max_bytes:
        raise InvalidInput(
            f"{describe(path, what)} has {info.st_size} bytes, over the limit of "
            f"{max_bytes} bytes (--max-bytes)"
        )

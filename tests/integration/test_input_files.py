"""Opening a user's input file: a regular file only, at once, within its size limit."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ledger.domain.errors import InvalidInput
from ledger.input_files.lines import text_lines
from ledger.input_files.opening import open_regular


def refusal(path: Path, max_bytes: int = 1000) -> str:
    with pytest.raises(InvalidInput) as refused:
        open_regular(path, "order file", max_bytes)
    assert "\n" not in refused.value.message
    return refused.value.message


def test_a_regular_file_and_a_symlink_to_one_are_read(tmp_path: Path) -> None:
    target = tmp_path / "o.csv"
    target.write_bytes(b"a\n")
    (tmp_path / "link.csv").symlink_to(target)

    for path in (target, tmp_path / "link.csv"):
        with open_regular(path, "order file", 2) as opened:
            assert opened.read() == b"a\n"


def test_a_fifo_without_a_writer_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    said: list[str] = []
    worker = threading.Thread(target=lambda: said.append(refusal(fifo)), daemon=True)
    worker.start()
    worker.join(timeout=20)

    if worker.is_alive():  # release the blocked open so that the test run can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("opening a FIFO blocked")
    assert said == [
        f"cannot read order file {str(fifo)!r}: Is a named pipe (FIFO), not a regular file"
    ]


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/dev/null", "Is a character device"), ("/dev/zero", "Is a character device")],
)
def test_a_device_is_refused(path: str, kind: str) -> None:
    assert refusal(Path(path)) == f"cannot read order file {path!r}: {kind}, not a regular file"


def test_a_directory_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path) == (
        f"cannot read order file {str(tmp_path)!r}: Is a directory, not a regular file"
    )
    missing = tmp_path / "nope.csv"
    assert refusal(missing) == f"cannot read order file {str(missing)!r}: No such file or directory"


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 1001)

    assert refusal(big) == (
        f"order file {str(big)!r} has 1001 bytes, over the limit of 1000 bytes (--max-bytes)"
    )


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path: Path) -> None:
    growing = tmp_path / "growing.csv"
    growing.write_bytes(b"a,b\n" * 200)  # 800 bytes: within the limit when opened

    with pytest.raises(InvalidInput) as refused, text_lines(growing, "order file", 1000) as lines:
        assert next(lines) == "a,b\n"
        with growing.open("ab") as more:
            more.write(b"a,b\n" * 100)
        for _ in lines:
            pass

    assert refused.value.message == (
        f"order file {str(growing)!r} grew past the limit of 1000 bytes while read"
    )

"""Files the CLI writes: never through a symlink, never over a file unless --force, never half.

`writing(path, force, private)` checks the target first (before any work), writes a temporary
file beside it (created with O_EXCL, mode 0600), and moves it into place at the end: without
--force with a hard link, which fails if the target appeared meanwhile; with --force by
`os.replace`, which replaces a name and follows no symlink. On any failure the temporary
file goes and the target is as it was.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click

from ledger.domain.errors import InvalidInput

F = TypeVar("F", bound=Callable[..., Any])
PRIVATE, PUBLIC = 0o600, 0o644
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP}


def force_option(target: str = "FILE") -> Callable[[F], F]:
    """The `--force` flag of a command that writes `target`."""
    return click.option(
        "--force",
        is_flag=True,
        help=f"Replace {target} if it exists (a symbolic link is never followed or replaced).",
    )


class TargetRefused(click.ClickException):
    """The target exists (without --force) or is a symbolic link: exit 1, nothing written."""

    exit_code = 1


def check_target(path: Path, force: bool) -> None:
    """Refuse a target that cannot be written: missing directory (exit 2), symlink or an
    existing file without `force` (exit 1)."""
    parent = path.parent
    if not parent.exists():
        raise InvalidInput(f"cannot write {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise InvalidInput(f"cannot write {path}: {parent} is not a directory")
    if path.is_symlink():
        raise TargetRefused(f"cannot write {path}: it is a symbolic link (not followed)")
    if path.is_dir():
        raise InvalidInput(f"cannot write {path}: it is a directory")
    if path.exists() and not force:
        raise TargetRefused(f"cannot write {path}: it exists (use --force to replace it)")


@contextmanager
def writing(path: Path, force: bool, private: bool) -> Iterator[BinaryIO]:
    """A binary file that becomes `path` when the block ends without an error.

    Mode 0600 when `private` (customer data), else 0644. OSErrors of the file system are one
    line: exit 2 before anything is written (as a missing directory), exit 1 after.
    """
    check_target(path, force)
    try:
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InvalidInput(f"cannot write {path}: {error.strerror or error}") from None
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, PRIVATE if private else PUBLIC)
        _place(temporary, path, force)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)


def _place(temporary: Path, path: Path, force: bool) -> None:
    if force:
        if path.is_symlink():  # appeared since the check: replace() would not follow it anyway
            raise TargetRefused(f"cannot write {path}: it is a symbolic link (not followed)")
        os.replace(temporary, path)
        return
    try:
        try:
            os.link(temporary, path)  # atomic, and fails when anything has the name meanwhile
        except OSError as error:
            if error.errno not in _NO_HARD_LINKS:
                raise
            _claim_and_replace(temporary, path)
    except FileExistsError:
        raise TargetRefused(f"cannot write {path}: it exists (use --force to replace it)") from None


def _claim_and_replace(temporary: Path, path: Path) -> None:
    """On a file system without hard links: claim the name (O_EXCL), then move over it."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE))
    try:
        os.replace(temporary, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise

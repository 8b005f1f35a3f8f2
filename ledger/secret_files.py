"""Files a setting names: a regular file this process can read, and, when it holds a secret
(a private key, a password), one that only its owner may read or write (mode 0600 or
stricter). Each refusal is one line naming the setting and the file."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

from ledger.domain.errors import LedgerError

Refusal = Callable[[str], LedgerError]  # the error to raise, from its message


def checked_file(label: str, path: str, private: bool, refused: Refusal) -> str:
    """`path`, once it is a regular file this process can read (and, `private`, only its
    owner's); `refused(message)` is raised otherwise."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise refused(f"{label} {path} is not a regular file")
        with open(path, "rb") as file:
            file.read(1)
    except OSError as error:
        raise refused(f"{label} {path} cannot be read: {error.strerror or error}") from None
    permissions = stat.S_IMODE(mode)
    if private and permissions & 0o077:
        raise refused(
            f"{label} {path} is open to group or others (mode {permissions:04o}): "
            "it holds a secret, chmod 600 it"
        )
    return path

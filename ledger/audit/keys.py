"""The log's signing key and its verifier key, as files outside the database.

`write_keys(DIR, origin)` makes `DIR/ledger.key` (the signer key, mode 0600, never logged)
and `DIR/ledger.pub` (the verifier key, to hand to auditors and witnesses). A key file is
refused when it is not a regular file or, for a private key, when group or others may read
it. The key name is the log's origin: the checkpoint's first line.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.audit.note import COSIGNATURE_V1, ED25519, NoteError, Signer, Verifier, valid_name
from ledger.domain.errors import InvalidInput
from ledger.secret_files import checked_file

DEFAULT_ORIGIN = "refund-ledger.local/log"
PRIVATE_NAME, PUBLIC_NAME = "ledger.key", "ledger.pub"


class InvalidKeyFile(InvalidInput):
    code = "invalid-key-file"


def write_keys(directory: Path, origin: str, witness: bool = False) -> tuple[Path, Path]:
    """A new key pair in `directory`; refuses to replace an existing key."""
    if not valid_name(origin):
        raise InvalidKeyFile(f"a key name has no spaces or '+', and is not empty: {origin!r}")
    if not directory.is_dir():
        raise InvalidKeyFile(f"directory {directory} does not exist")
    signer = Signer.generate(origin, COSIGNATURE_V1 if witness else ED25519)
    private, public = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    for path in (private, public):
        if path.exists() or path.is_symlink():
            raise InvalidKeyFile(f"{path} exists: a key is never overwritten")
    _write(private, signer.text() + "\n", 0o600)
    _write(public, signer.verifier.text() + "\n", 0o644)
    return private, public


def _write(path: Path, text: str, mode: int) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except OSError as error:
        raise InvalidKeyFile(f"{path} cannot be written: {error.strerror or error}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, mode)  # whatever the umask


def read_text(path: str, what: str, private: bool) -> str:
    """The text of a key file once it is a regular file (only its owner's, when private)."""
    checked_file(what, path, private, InvalidKeyFile)
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidKeyFile(f"{what} {path} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise InvalidKeyFile(f"{what} {path} is not UTF-8 text") from None


def load_signer(path: str, what: str = "LEDGER_SIGNING_KEY") -> Signer:
    try:
        return Signer.parse(read_text(path, what, private=True))
    except NoteError as error:
        raise InvalidKeyFile(f"{what} {path} is not a signing key: {error.message}") from None


def load_verifier(path_or_key: str, what: str = "--key") -> Verifier:
    """A verifier key from its file, or given as the key text itself."""
    if "+" in path_or_key and not Path(path_or_key).exists():
        text = path_or_key  # the key itself, as `audit keygen` prints it
    else:
        text = read_text(path_or_key, what, private=False)
    if text.lstrip().startswith("PRIVATE+KEY+"):
        raise InvalidKeyFile(
            f"{what} {path_or_key} is a signing key, a secret: give the verifier key "
            "(ledger.pub) instead"
        )
    try:
        return Verifier.parse(text)
    except NoteError as error:
        why = error.message
        raise InvalidKeyFile(f"{what} {path_or_key} is not a verifier key: {why}") from None

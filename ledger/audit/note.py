"""C2SP signed notes (signed-note), their Ed25519 keys, and witness cosignatures
(tlog-cosignature, `cosignature/v1`), the format Go's golang.org/x/mod/sumdb/note writes.

A note is a text ending in a newline, a blank line, then signature lines
`— <key name> base64(key ID || signature)`. A key ID is the first four bytes of
SHA-256(name || "\\n" || type || public key): type 0x01 for a log's Ed25519 signature of the
text, 0x04 for a cosignature, which signs "cosignature/v1\\ntime <t>\\n" || text and carries
the 8-byte time before the signature. Keys are written as Go writes them: the verifier key
`<name>+<hex key ID>+base64(type || public key)`, the signer key `PRIVATE+KEY+` the same with
the 32-byte seed. `cryptography` signs and verifies; only the text format is written here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ledger.domain.errors import InvalidInput

if TYPE_CHECKING:  # loaded only to sign or verify: the CLI's audit commands start without it
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014 "
MAX_SIGNATURES = 100  # as Go's note.Open: a note with more is refused unread
PRIVATE = "PRIVATE+KEY+"


class NoteError(InvalidInput):
    """A note, key or checkpoint that is malformed, or whose signature does not verify."""

    code = "invalid-note"


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: int
    raw: bytes  # what follows the key ID: the signature (a cosignature: time, then signature)

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id.to_bytes(4, "big") + self.raw).decode()
        return f"{DASH}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...] = ()  # verified by a known key, in the note's order
    unverified: tuple[Signature, ...] = field(default=(), compare=False)  # from unknown keys

    def signed(self) -> str:
        """The whole note: its text, the blank line, every signature line."""
        return self.text + "\n" + "".join(s.line() for s in (*self.signatures, *self.unverified))


def key_id(name: str, kind: int, public: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()
    return int.from_bytes(digest[:4], "big")


def valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A known public key: verifies the signatures made under its name and key ID."""

    name: str
    kind: int
    public: bytes

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.kind, self.public)

    def text(self) -> str:
        encoded = base64.b64encode(bytes([self.kind]) + self.public).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        """A verifier key `<name>+<hex key ID>+base64(type || key)`; NoteError otherwise."""
        name, kind, material = _key_parts(text.strip(), "verifier key")
        if len(material) != 32:
            raise NoteError(f"the verifier key's Ed25519 key has {len(material)} bytes, not 32")
        verifier = cls(name, kind, material)
        if f"{verifier.key_id:08x}" != text.strip().split("+", 2)[1]:
            raise NoteError("the verifier key's ID does not match its name and key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def accepts(self, text: str, signature: Signature) -> bool:
        """Does `signature` (under this key's name and ID) sign `text`?"""
        if self.kind == COSIGNATURE_V1:
            if len(signature.raw) != 8 + 64:
                return False
            moment = int.from_bytes(signature.raw[:8], "big")
            return moment < 2**63 and self.verify(cosigned_message(text, moment), signature.raw[8:])
        return len(signature.raw) == 64 and self.verify(text.encode(), signature.raw)


@dataclass(frozen=True)
class Signer:
    """A private key under a name: makes a note's signature (type 0x01) or, as a witness's
    key, its cosignature (type 0x04)."""

    name: str
    kind: int
    seed: bytes

    @classmethod
    def generate(cls, name: str, kind: int = ED25519) -> Signer:
        if not valid_name(name):
            raise NoteError(f"a key name must be non-empty, without spaces or '+': {name!r}")
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        seed = Ed25519PrivateKey.generate().private_bytes_raw()
        return cls(name, kind, seed)

    @property
    def _key(self) -> Ed25519PrivateKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.kind, _public_bytes(self._key.public_key()))

    def text(self) -> str:
        """The signer key, as Go's note.GenerateKey writes it: a secret."""
        encoded = base64.b64encode(bytes([self.kind]) + self.seed).decode()
        return f"{PRIVATE}{self.name}+{self.verifier.key_id:08x}+{encoded}"

    @classmethod
    def parse(cls, text: str) -> Signer:
        """A signer key `PRIVATE+KEY+<name>+<hex key ID>+base64(type || seed)`."""
        text = text.strip()
        if not text.startswith(PRIVATE):
            raise NoteError("a signing key starts with PRIVATE+KEY+")
        name, kind, material = _key_parts(text[len(PRIVATE) :], "signing key")
        if len(material) != 32:
            raise NoteError(f"the signing key's seed has {len(material)} bytes, not 32")
        signer = cls(name, kind, material)
        if f"{signer.verifier.key_id:08x}" != text[len(PRIVATE) :].split("+", 2)[1]:
            raise NoteError("the signing key's ID does not match its name and key")
        return signer

    def sign(self, text: str, moment: int | None = None) -> Signature:
        """This key's signature of `text`; a cosignature at `moment` (POSIX seconds)."""
        if self.kind == COSIGNATURE_V1:
            if moment is None or not 0 <= moment < 2**63:
                raise ValueError("a cosignature needs its time")
            raw = moment.to_bytes(8, "big") + self._key.sign(cosigned_message(text, moment))
        else:
            raw = self._key.sign(text.encode())
        return Signature(self.name, self.verifier.key_id, raw)


def _key_parts(text: str, what: str) -> tuple[str, int, bytes]:
    parts = text.split("+", 2)
    if len(parts) != 3 or not valid_name(parts[0]) or len(parts[1]) != 8:
        raise NoteError(f"a {what} reads <name>+<8 hex digits>+<base64>")
    try:
        int(parts[1], 16)
        material = base64.b64decode(parts[2], validate=True)
    except (ValueError, binascii.Error):
        raise NoteError(f"the {what} is not hex and base64 where it should be") from None
    if not material or material[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError(f"the {what} is not an Ed25519 key (type 0x01 or 0x04)")
    return parts[0], material[0], material[1:]


def cosigned_message(text: str, moment: int) -> bytes:
    """What a `cosignature/v1` signs: a header line, the time line, the note's text."""
    return f"cosignature/v1\ntime {moment}\n{text}".encode()


def sign(
    text: str, signer: Signer, keep: Sequence[Signature] = (), moment: int | None = None
) -> Note:
    """The note of `text` with `keep`'s signatures (but one by the same key) and `signer`'s."""
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    _check_text(text)
    made = signer.sign(text, moment)
    kept = tuple(s for s in keep if (s.name, s.key_id) != (made.name, made.key_id))
    return Note(text, (*kept, made))


def _check_text(text: str) -> None:
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a note holds no control characters but newlines")


def open_note(message: str, known: Sequence[Verifier]) -> Note:
    """Parse a signed note and check its signatures by `known` keys (signed-note's rules):
    a known key's signature that fails refuses the note, unknown keys' are kept unverified,
    and a note that no known key signed is refused."""
    _check_text(message)
    split = message.rfind("\n\n")
    if split < 0 or not message.endswith("\n"):
        raise NoteError("a signed note is a text, a blank line, then signature lines")
    text, lines = message[: split + 1], message[split + 2 :].splitlines()
    by_key = {(v.name, v.key_id): v for v in known}
    verified: list[Signature] = []
    unverified: list[Signature] = []
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a note with over {MAX_SIGNATURES} signatures is refused")
    for line in lines:
        signature = _signature(line)
        if signature in verified or signature in unverified:
            continue
        verifier = by_key.get((signature.name, signature.key_id))
        if verifier is None:
            unverified.append(signature)
        elif verifier.accepts(text, signature):
            verified.append(signature)
        else:
            raise NoteError(f"the signature of {signature.name} does not verify")
    if not verified:
        raise NoteError("no known key signed the note")
    return Note(text, tuple(verified), tuple(unverified))


def _signature(line: str) -> Signature:
    if not line.startswith(DASH):
        raise NoteError("a signature line starts with an em dash and a space")
    name, _, encoded = line[len(DASH) :].partition(" ")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise NoteError("a signature is not base64") from None
    if not valid_name(name) or len(raw) < 5:
        raise NoteError("a signature line names a key and holds its signature")
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint's text: the origin, the tree size, the base64 root hash."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise NoteError("a checkpoint is an origin, a size and a root hash, one per line")
        origin, size, root = lines[:3]
        if not size.isdigit() or (size.startswith("0") and size != "0"):
            raise NoteError(f"a checkpoint's size is a decimal number, not {size!r}")
        try:
            digest = base64.b64decode(root, validate=True)
        except binascii.Error:
            raise NoteError("a checkpoint's root hash is not base64") from None
        if len(digest) != 32:
            raise NoteError("a checkpoint's root hash is not 32 bytes")
        return cls(origin, int(size), digest)

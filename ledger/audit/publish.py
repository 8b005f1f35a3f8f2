"""Where a witness reads the log: a directory the ledger publishes its checkpoints into, or
the ledger's HTTP API.

A published directory holds `checkpoint` (the latest signed note), `checkpoints/<size>` (each
published one) and `proofs/<old>-<new>` (the consistency proof between two published in a
row, one base64 hash per line). `ledger audit checkpoint --publish DIR` writes them, the
latest last (renamed into place): a reader sees a whole directory or the one before.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from ledger.audit.checkpoints import parse_checkpoint
from ledger.audit.log import AuditLog
from ledger.audit.note import NoteError
from ledger.domain.errors import InvalidInput

Proof = Callable[[int], list[bytes]]  # the consistency proof from a kept size to this note


class LogUnreachable(InvalidInput):
    code = "log-unreachable"


def publish(log: AuditLog, note: str, directory: Path) -> None:
    """Add a signed checkpoint to the published directory (made when missing)."""
    new = parse_checkpoint(note)
    (directory / "checkpoints").mkdir(parents=True, exist_ok=True)
    (directory / "proofs").mkdir(exist_ok=True)
    latest = directory / "checkpoint"
    if latest.exists():
        old = parse_checkpoint(latest.read_text(encoding="utf-8"))
        if old.size == new.size:
            return
        with log.store.reading() as db:
            proof = log.consistency(db, old.size, new.size)
        _write(directory / "proofs" / f"{old.size}-{new.size}", _lines(proof))
    _write(directory / "checkpoints" / str(new.size), note)
    _write(latest, note)


def _lines(proof: list[bytes]) -> str:
    return "".join(base64.b64encode(p).decode() + "\n" for p in proof)


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _hashes(text: str) -> list[bytes]:
    try:
        return [base64.b64decode(line, validate=True) for line in text.split()]
    except binascii.Error:
        raise NoteError("a published proof is not base64 hashes") from None


class PublishedLog:
    """A published directory, read as a witness reads it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def notes_after(self, kept: int | None) -> Iterator[tuple[str, Proof]]:
        """Each published checkpoint after the kept size, oldest first, with the proof from
        the one before; the latest alone when the kept size was never published here."""
        try:
            sizes = sorted(int(p.name) for p in (self.directory / "checkpoints").iterdir())
            latest = (self.directory / "checkpoint").read_text(encoding="utf-8")
        except (OSError, ValueError) as error:
            raise LogUnreachable(f"{self.directory} is not a published log: {error}") from None
        if kept is None or kept not in sizes:
            yield latest, self._proof(kept, parse_checkpoint(latest).size)
            return
        previous = kept
        for size in (s for s in sizes if s > kept):
            note = (self.directory / "checkpoints" / str(size)).read_text(encoding="utf-8")
            yield note, self._proof(previous, size)
            previous = size

    def _proof(self, old: int | None, new: int) -> Proof:
        def proof(size: int) -> list[bytes]:
            path = self.directory / "proofs" / f"{size}-{new}"
            try:
                return _hashes(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                return []  # nothing joins them: the witness finds them inconsistent

        return proof


class HttpLog:
    """The ledger's HTTP API (`GET /audit/checkpoint`, `/audit/proofs/consistency`)."""

    def __init__(self, url: str, token: str | None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def notes_after(self, kept: int | None) -> Iterator[tuple[str, Proof]]:
        """The latest checkpoint, with the proof from the kept size, from one answer (so the
        proof is of that very checkpoint)."""
        if kept:
            status, body = self._get("/audit/proofs/consistency", {"old_size": str(kept)})
            if status == 200:
                found = json.loads(body)
                proof = [base64.b64decode(p) for p in found["proof"]]
                yield str(found["checkpoint"]), lambda size: proof
                return
        status, body = self._get("/audit/checkpoint", {})
        if status != 200:
            raise LogUnreachable(f"{self.url}/audit/checkpoint answered {status}: {body[:200]}")
        yield body, lambda size: []

    def _get(self, path: str, query: dict[str, str]) -> tuple[int, str]:
        address = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(address)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return int(answer.status), answer.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise LogUnreachable(f"the log at {self.url} cannot be reached: {reason}") from None


def source(where: str, token: str | None) -> PublishedLog | HttpLog:
    """The log at a URL (http:// or https://) or in a published directory."""
    if where.startswith(("http://", "https://")):
        return HttpLog(where, token)
    directory = Path(where)
    if not directory.is_dir():
        raise LogUnreachable(f"--log {where} is neither a URL nor a directory")
    return PublishedLog(directory)

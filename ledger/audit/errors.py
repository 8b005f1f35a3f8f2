"""Audit errors: a broken chain (exit 3), a file that is not a bundle (exit 2), no checkpoint
signed yet (exit 1)."""

from __future__ import annotations

from ledger.domain.errors import InvalidInput, LedgerError


class IntegrityFailure(LedgerError):
    """Stored events (or a bundle) were altered, removed, reordered or inserted."""

    code = "integrity-failure"


class InvalidBundle(InvalidInput):
    code = "invalid-bundle"

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path} is not a readable audit bundle: {why}")


class NoCheckpoint(LedgerError):
    code = "no-checkpoint"

    def __init__(self) -> None:
        super().__init__("no checkpoint has been signed yet (run `ledger audit checkpoint`)")

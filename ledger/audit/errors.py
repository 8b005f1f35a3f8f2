"""Audit errors: a broken chain (exit 3) and a file that is not a bundle (exit 2)."""

from __future__ import annotations

from ledger.domain.errors import InvalidInput, LedgerError


class IntegrityFailure(LedgerError):
    """Stored events (or a bundle) were altered, removed, reordered or inserted."""

    code = "integrity-failure"


class InvalidBundle(InvalidInput):
    code = "invalid-bundle"

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path} is not a readable audit bundle: {why}")

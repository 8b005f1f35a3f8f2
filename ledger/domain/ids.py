"""Deterministic ids: the same upstream key always names the same aggregate (UUID v5)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

LEDGER_NAMESPACE = uuid5(NAMESPACE_URL, "https://refund-ledger.invalid/")

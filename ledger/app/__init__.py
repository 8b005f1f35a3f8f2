"""Use cases: the refund ledger application."""

"""The `ledger` commands, one module per theme."""

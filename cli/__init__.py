"""The `ledger` command-line interface."""

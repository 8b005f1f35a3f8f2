"""The HTTP API (`ledger serve`)."""

"""Who may call the HTTP API: bearer tokens kept in the ledger's own database."""

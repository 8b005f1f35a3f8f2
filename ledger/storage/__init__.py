"""How the ledger meets its database: timeouts, connection pools, and what a failure means."""

"""Event-sourced refund ledger and audit trail."""

"""Reconciliation of the payouts view against a payment provider's settlement file."""

"""Downstream consumers of the relay's CloudEvents: finance (journal) and compliance."""

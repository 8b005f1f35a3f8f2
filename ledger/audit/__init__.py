"""Tamper evidence: the checkpoint of chain heads, `audit verify` and offline bundles."""

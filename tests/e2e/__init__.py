"""End-to-end tests: the installed `ledger` command in a subprocess, on both back ends."""

"""End-to-end tests: the installed `ledger` command in a process of its own, on both back ends
(forked by the worker's fork server, tests/e2e/zygote.py, where that changes nothing)."""

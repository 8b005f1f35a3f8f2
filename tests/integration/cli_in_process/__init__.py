"""The `ledger` CLI run in-process (tests/integration/in_process.py) on SQLite and PostgreSQL:
the rules a command enforces, its refusals, exit codes and output. The lifecycle paths
themselves run the installed command in tests/e2e."""

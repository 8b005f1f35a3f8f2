"""How long a test waits for what it polls (a log line, a row, a server that comes back).

Every poll returns as soon as its condition holds, so a generous bound costs a passing run
nothing; it only keeps a loaded machine (the suite beside another copy of itself, a CI box
at load 14) from failing a test that would have passed a moment later.
"""

PATIENCE = 60.0  # seconds

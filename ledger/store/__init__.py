"""Everything that touches the database beyond the domain: the recorders that keep the events
and their chain checkpoint, group commit, schema creation, the payloads' transcodings, the
side tables (view tracking, tokens), how far a tracked reader lags (`lag.py`), waiting for
new events (`wakeup.py`), the connection pools and their timeouts, and what a
failure means. `library.py` holds the code copied from eventsourcing; every library function
the store copies or overrides is fingerprinted in tests/unit/test_library_fence.py."""

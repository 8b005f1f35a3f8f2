"""/healthz's probe answers within its deadline even when the database hangs, and a hung
check is waited for again rather than started again (one thread, not one per probe)."""

from __future__ import annotations

import threading
import time

from ledger.app.health import Check, HealthProbe, HealthReport


class HangingProbe(HealthProbe):
    """The real probe, whose checks hang until released (as on a database that never answers)."""

    def __init__(self) -> None:
        super().__init__(projections=None, deadline=0.2)  # type: ignore[arg-type]
        self.release = threading.Event()
        self.started = 0

    def _run(self) -> HealthReport:
        self.started += 1
        self.release.wait(30)
        return HealthReport((Check("database", True, "answered at last"),), 0)


def test_a_hanging_database_is_reported_within_the_deadline_and_checked_once() -> None:
    probe = HangingProbe()
    try:
        began = time.monotonic()
        first, second = probe.check(), probe.check()
        elapsed = time.monotonic() - began

        for report in (first, second):
            failing = report.failing
            assert failing is not None and failing.name == "database"
            assert failing.detail == "did not answer within 0.2 s"
        assert elapsed < 5  # two deadlines of 0.2 s, not the hung check's 30 s
        assert probe.started == 1
    finally:
        probe.release.set()


def test_a_check_that_finished_is_started_afresh() -> None:
    probe = HangingProbe()
    probe.release.set()
    assert probe.check().failing is None
    assert probe.check().failing is None
    assert probe.started == 2

"""An in-process run leaves the test's process as it found it: a command that sets up logging
on stderr and stops on signals (`relay run`) changes neither for the next test."""

from __future__ import annotations

import logging
import signal

import pytest

from ..in_process import Ledger


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_run_that_configures_logging_and_signals_leaves_them_as_they_were(
    ledger: Ledger,
) -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level, logging.getLogger("kafka").level)
    handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))

    outcome = ledger.run("relay", "run", "--once", "--kafka", "127.0.0.1:1", "--timeout", "1")

    assert outcome.code == 0, outcome.describe()  # nothing stored: nothing to publish
    assert outcome.stdout.startswith("published 0 refund event(s)"), outcome.describe()
    assert (list(root.handlers), root.level, logging.getLogger("kafka").level) == before
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers

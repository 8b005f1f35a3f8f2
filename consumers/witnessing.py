"""The witness in the compliance side: each look at the log that finds it inconsistent (shrunk
or forked) raises a `checkpoint_inconsistent` alert in the compliance alerts, published to the
alerts topic like every alert. The same inconsistency is raised once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from psycopg import sql

from consumers import compliance_schema as tables
from ledger.audit.witness import ALERT, LogSource, Outcome, Witness, look
from ledger.domain.errors import InvalidInput, LedgerError
from ledger.projections.base import insert, time_key
from ledger.store.tracking import ViewStore

logger = logging.getLogger(__name__)


def witness_round(
    store: ViewStore, witness: Witness, log: LogSource, clock: Callable[[], datetime]
) -> list[Outcome]:
    """Look at the log once; store an alert for an inconsistency not raised before."""
    outcomes = look(witness, log, int(time.time()))
    for outcome in outcomes:
        if outcome.inconsistent is None:
            logger.info("cosigned checkpoint of size %d", outcome.checkpoint.size)
            continue
        logger.warning("%s", outcome.inconsistent)
        with store.writing() as db:
            seen = db.rows(
                sql.SQL("SELECT 1 FROM {} WHERE kind = %s AND detail = %s").format(
                    sql.Identifier(tables.ALERTS)
                ),
                (ALERT, outcome.inconsistent),
            )
            if not seen:
                db.execute(
                    insert(tables.ALERTS, tables.ALERT_COLUMNS),
                    (
                        ALERT,
                        "",
                        outcome.checkpoint.size,
                        "",
                        outcome.inconsistent,
                        time_key(clock()),
                    ),
                )
    return outcomes


class Witnessing:
    """The witness as the compliance consumer runs it: a look every `every` seconds; a log
    it cannot reach is logged and looked at again next time (the consumer goes on)."""

    def __init__(self, witness: Witness, log: LogSource, every: float) -> None:
        self.witness = witness
        self.log = log
        self.every = every
        self._next = 0.0

    def due(self) -> bool:
        return time.monotonic() >= self._next

    def look(self, store: ViewStore, clock: Callable[[], datetime]) -> None:
        self._next = time.monotonic() + self.every
        try:
            witness_round(store, self.witness, self.log, clock)
        except LedgerError as error:
            logger.warning("witness: %s", error.message)


def open_witness(
    where: str,
    key: str,
    log_key: str,
    state: str,
    token_file: str | None,
    names: tuple[str, str, str, str] = ("--key", "--log-key", "--state", "--token-file"),
) -> tuple[Witness, LogSource]:
    """The witness of the given key files and state directory, and the log it reads (a URL,
    with the bearer token in `token_file`, or a published directory); `names` are the
    options that gave them, for the refusals."""
    from ledger.audit.keys import load_signer, load_verifier, read_text
    from ledger.audit.publish import source

    key_name, log_key_name, state_name, token_name = names
    if not Path(state).is_dir():
        raise InvalidInput(f"{state_name} {state} is not a directory")
    token = None
    if token_file is not None:
        token = read_text(token_file, token_name, private=True).strip()
    signer, verifier = load_signer(key, key_name), load_verifier(log_key, log_key_name)
    return Witness(signer, verifier, Path(state)), source(where, token)

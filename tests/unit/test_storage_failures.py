"""What a database error means: read from its cause, as eventsourcing wraps it."""

from __future__ import annotations

import errno
import sqlite3

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError
from psycopg import errors
from psycopg_pool import PoolTimeout

from ledger.store.failures import DatabaseUnreachable, StorageFull, classify


def wrapped(cause: BaseException, wrapper: type[PersistenceError] = OperationalError) -> Exception:
    """The error as eventsourcing raises it: `raise OperationalError(e) from e`."""
    try:
        raise wrapper(str(cause)) from cause
    except PersistenceError as error:
        return error


def sqlite_error(*statements: str) -> sqlite3.Error:
    """A real SQLite error, from an in-memory database."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for statement in statements:
            connection.execute(statement)
    except sqlite3.Error as error:
        return error
    finally:
        connection.close()
    raise AssertionError("no error")


def test_sqlite_full_is_a_full_disk_failure_of_storage() -> None:
    error = sqlite_error(
        "CREATE TABLE t (b BLOB)",
        "PRAGMA max_page_count = 3",
        "INSERT INTO t VALUES (zeroblob(100000))",
    )
    failure = classify(wrapped(error))
    assert failure is not None and failure.kind == "full" and failure.of_storage
    assert failure.message == "the database's storage is full (database or disk is full)"


def test_sqlite_read_only_is_a_failure_of_storage() -> None:
    error = sqlite_error("PRAGMA query_only = ON", "CREATE TABLE t (a)")
    failure = classify(wrapped(error))
    assert failure is not None and failure.kind == "read-only" and failure.of_storage


def test_a_wrapper_that_kept_only_the_words_is_still_read() -> None:
    failure = classify(OperationalError("database or disk is full"))
    assert failure is not None and failure.kind == "full"


@pytest.mark.parametrize(
    ("cause", "kind"),
    [
        (errors.DiskFull("could not extend file: No space left on device"), "full"),
        (errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"),
         "read-only"),
        (errors.QueryCanceled("canceling statement due to statement timeout"), "timeout"),
        (errors.AdminShutdown("terminating connection due to administrator command"),
         "unreachable"),
        (errors.CannotConnectNow("the database system is starting up"), "unreachable"),
        (psycopg.OperationalError("connection to server failed: Connection refused"),
         "unreachable"),
        (PoolTimeout("couldn't get a connection after 3.00 sec"), "unreachable"),
        (DatabaseUnreachable("no database connection within 3 s"), "unreachable"),
        (OSError(errno.ENOSPC, "No space left on device"), "full"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
    ],
)  # fmt: skip
def test_postgres_and_os_errors_by_their_code(cause: BaseException, kind: str) -> None:
    failure = classify(wrapped(cause, PersistenceError))
    assert failure is not None and failure.kind == kind, failure
    assert failure.of_storage == (kind in ("full", "read-only"))


def test_a_full_postgres_disk_raised_as_storage_full_is_full_in_the_drivers_words() -> None:
    cause = errors.DiskFull('could not extend file "base/1/2": No space left on device')
    failure = classify(wrapped(cause, StorageFull))
    assert failure is not None and failure.kind == "full" and failure.of_storage
    assert failure.message == (
        'the database\'s storage is full (could not extend file "base/1/2": '
        "No space left on device)"
    )
    assert not isinstance(wrapped(cause, StorageFull), OperationalError)  # never retried


def test_errors_that_are_not_the_environment_are_not_classified() -> None:
    assert classify(wrapped(errors.UniqueViolation("duplicate key"), IntegrityError)) is None
    assert classify(wrapped(sqlite_error("SELECT * FROM missing"), PersistenceError)) is None
    assert classify(ValueError("no")) is None


def test_an_operational_error_of_unknown_cause_is_taken_as_unreachable() -> None:
    failure = classify(OperationalError("server closed the connection unexpectedly"))
    assert failure is not None and failure.kind == "unreachable" and not failure.of_storage

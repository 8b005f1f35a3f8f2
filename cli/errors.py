"""Turn every failure into one line on stderr and the exit code of docs/product.md §7."""

from __future__ import annotations

import logging
import os
import sqlite3
import traceback
from collections.abc import Callable

import click
import psycopg
from eventsourcing.persistence import PersistenceError

from ledger.audit.errors import IntegrityFailure
from ledger.domain.errors import InvalidInput, LedgerError, PolicyError
from ledger.store.failures import classify
from ledger.text import visible

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_INTEGRITY = 0, 1, 2, 3
EXIT_ENVIRONMENT = 4  # the database or the broker is unreachable, the disk is full
DATABASE_ERRORS = (PersistenceError, sqlite3.Error, psycopg.Error)

logger = logging.getLogger("ledger.cli")


# The options whose names are not their fields' (`--order` fills `order_id`); any other
# field `some_name` is the option `--some-name`.
FLAGS = {
    "order_id": "--order",
    "customer_id": "--customer",
    "items": "--item",
    "fail_reason": "--fail",
}


def flag(field: str) -> str:
    """The option that fills the application's input field `field`."""
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def exit_code_for(error: LedgerError) -> int:
    if isinstance(error, IntegrityFailure):
        return EXIT_INTEGRITY
    return EXIT_USAGE if isinstance(error, (InvalidInput, PolicyError)) else EXIT_REFUSED


def run_guarded(command: Callable[[], object]) -> int:
    """Run the click command; never let a traceback reach the user unless LEDGER_DEBUG is set."""
    try:
        command()
    except LedgerError as error:
        return _fail(error.worded(flag), exit_code_for(error))
    except click.exceptions.NoArgsIsHelpError as error:
        click.echo(error.ctx.get_help() if error.ctx else error.format_message())
        return EXIT_USAGE
    except click.UsageError as error:
        hint = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
        return _fail(_one_line(error.format_message()) + hint, EXIT_USAGE)
    except click.ClickException as error:
        return _fail(_one_line(error.format_message()), error.exit_code)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        return _fail("aborted", EXIT_REFUSED)
    except DATABASE_ERRORS as error:
        return _database_failure(error)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:  # the last line of defence: one line, not a traceback
        if os.environ.get("LEDGER_DEBUG"):
            traceback.print_exc()
        return _fail(
            f"unexpected failure ({type(error).__name__}: {_one_line(str(error))}); "
            "set LEDGER_DEBUG=1 to see the traceback",
            EXIT_REFUSED,
        )
    return EXIT_OK


def _database_failure(error: Exception) -> int:
    """A failure of the environment exits 4 and says what failed; any other database error
    (a bug, not the user's doing) keeps exit 1."""
    failure = classify(error)
    if failure is None:
        return _fail(f"database error: {_one_line(str(error)) or type(error).__name__}", 1)
    return _fail(failure.message, EXIT_ENVIRONMENT)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fail(message: str, code: int) -> int:
    # the last line of defence: a message quoting stored or typed text stays one inert line
    click.echo(f"error: {visible(message)}", err=True)
    return code

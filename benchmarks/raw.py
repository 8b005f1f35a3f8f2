"""Raw baselines for the command rows: one-row INSERT transactions, no application in between.

PostgreSQL through psycopg, one connection per client, each INSERT its own committed
transaction (autocommit); SQLite through `sqlite3` with the event store's own settings (WAL
journal, default synchronous), each INSERT its own transaction. The row is about the size of
a stored event.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager

import psycopg

PAYLOAD = os.urandom(400)
Insert = Callable[[], None]


def postgres_table(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_inserts "
            "(id bigserial PRIMARY KEY, key text NOT NULL, state bytea NOT NULL)"
        )


def postgres_inserter(url: str) -> AbstractContextManager[Insert]:
    """A client with its own connection; each call commits one single-row INSERT."""
    return _PostgresClient(url)


class _PostgresClient:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> Insert:
        self.conn = psycopg.connect(self.url, autocommit=True)
        return self.insert

    def insert(self) -> None:
        self.conn.execute(
            "INSERT INTO raw_inserts (key, state) VALUES (%s, %s)", ("k", PAYLOAD), prepare=True
        )

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def sqlite_table(path: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_inserts "
            "(id INTEGER PRIMARY KEY, key TEXT NOT NULL, state BLOB NOT NULL)"
        )
    finally:
        conn.close()


def sqlite_inserter(path: str) -> AbstractContextManager[Insert]:
    return _SQLiteClient(path)


class _SQLiteClient:
    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> Insert:
        self.conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=30, check_same_thread=False
        )
        return self.insert

    def insert(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("INSERT INTO raw_inserts (key, state) VALUES (?, ?)", ("k", PAYLOAD))
        self.conn.execute("COMMIT")

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

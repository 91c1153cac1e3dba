"""The PostgreSQL store: a review on a database server, for a team on several machines.

It runs the SQLite store's schema, migrations and queries (one definition of each), spoken
to PostgreSQL by :mod:`searchflow.store.pgdialect`; what is its own here is what a server
does differently: the connection, the schema version table, advisory locks instead of file
locks, the change counter, and the few queries no rewriting carries across. What each method
promises is said once, in :class:`searchflow.store.base.Store`.
"""
from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from . import sqlite as sqlite_store
from .base import StoreError
from .pgdialect import Connection, ddl
from .sqlite import MIGRATIONS, SCHEMA_VERSION, SQLiteStore

# Which PostgreSQL store's schema is at which version (SQLite keeps it in user_version).
_VERSION_TABLE = "CREATE TABLE searchflow_schema (version INTEGER NOT NULL)"
# One migration at a time, whoever opens the store first (any 64-bit number of our own).
_MIGRATION_LOCK = 0x5EA2C4F10


def is_postgres_url(location: str) -> bool:
    """Whether ``open_store`` should open ``location`` with this backend."""
    return location.startswith(("postgresql://", "postgres://"))


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^/:@]*):[^/@]*@", r"\1:***@", url)


def _lock_key(task: str) -> int:
    """A task's advisory lock: a signed 64-bit number from its name."""
    return int.from_bytes(hashlib.sha1(f"searchflow:{task}".encode()).digest()[:8], "big", signed=True)


class PostgresStore(SQLiteStore):
    """A connection to one project's store in a PostgreSQL database."""

    def __init__(self, conn: Connection, url: str):
        self.conn = conn            # the SQLite store's queries run through it unchanged
        self.url = url

    @property
    def location(self) -> str:
        return self.url

    # ------------------------------------------------------------ opening

    @classmethod
    def open(cls, url: str) -> "PostgresStore":   # type: ignore[override]
        import psycopg

        try:
            raw = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())
            raise StoreError(f"{shown_url(url)}: cannot connect to the store ({reason})") from None
        store = cls(Connection(raw), url)
        store.migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    def migrate(self) -> None:
        """Bring an older store to the current schema in one transaction, one process at a time."""
        with self.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
            if self.conn.execute("SELECT to_regclass('searchflow_schema')").fetchone()[0] is None:
                self.conn.execute(_VERSION_TABLE)      # a team's reviewers may not create tables
            version = self.schema_version
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{shown_url(self.url)}: store schema version {version} is newer than this searchflow "
                    f"understands ({SCHEMA_VERSION}); upgrade searchflow")
            for target in range(version, SCHEMA_VERSION):
                step = MIGRATIONS[target]
                if step.startswith("_"):
                    getattr(sqlite_store, step)(self.conn)
                else:
                    for statement in sqlite_store._split_sql(step):
                        self.conn.execute(ddl(statement))
            if version != SCHEMA_VERSION:
                self.conn.execute("DELETE FROM searchflow_schema")
                self.conn.execute("INSERT INTO searchflow_schema (version) VALUES (?) RETURNING version",
                                  (SCHEMA_VERSION,))

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT MAX(version) FROM searchflow_schema").fetchone()
        return row[0] or 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.conn.in_transaction:    # nested: the outer transaction decides
            yield
            return
        with self.conn.raw.transaction():
            yield

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    @contextmanager
    def exclusive(self, task: str, what: str) -> Iterator[None]:
        # a session advisory lock: the server releases it when the connection ends
        key = _lock_key(task)
        (taken,) = self.conn.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone()
        if not taken:
            raise StoreError(f"{shown_url(self.url)}: {what} is running in another process; "
                             f"wait for it to finish (or stop it) and run again")
        try:
            yield
        finally:
            if not self.conn.raw.closed:        # a closed connection's locks are gone already
                self.conn.execute("SELECT pg_advisory_unlock(?)", (key,))

    def change_counter(self) -> str:
        # The server's snapshot (oldest running transaction, next transaction id, those in
        # progress) changes whenever any writing transaction starts or commits, and never
        # because of a reader: read before the data, it can only report a change too many
        # (a write elsewhere on the server), never miss one. No counter row, so no lock
        # every writer would queue on.
        return self.conn.execute("SELECT pg_current_snapshot()::text").fetchone()[0]

    def ids_taken(self) -> None:
        # an identity column's sequence knows nothing of ids written explicitly
        for (table,) in self.conn.execute(
                """SELECT table_name FROM information_schema.columns
                   WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'""").fetchall():
            self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")

    # ------------------------------------------------------------ queries of its own

    def _among(self, ids: list[int]) -> tuple[str, Any]:
        return "= ANY(?)", list(ids)

    def _insert_records(self, rows: list[tuple]) -> None:
        """Records go in by COPY: one stream a batch, not a statement a record."""
        columns = ", ".join(sqlite_store.SOURCE_RECORD_COLUMNS)
        self.conn.copy_rows(f"COPY source_record ({columns}) FROM STDIN", rows)

    def _stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator:
        return self.conn.stream(sql, params)

    def _new_works(self, count: int, created: str) -> list[int]:
        if not count:
            return []
        return sorted(row[0] for row in self.conn.execute(
            "INSERT INTO work (created_at) SELECT ? FROM generate_series(1, ?) RETURNING id", (created, count)))

"""The embedded state store: one SQLite file (mode 0600), WAL journal, migrations.

Every write batch is one SQLite transaction (``BEGIN IMMEDIATE``), so a crash leaves
either all of a batch or none of it.  The ``serial`` is bumped inside the same
transaction whenever a batch changed order records; the ``lineage`` is set once.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.errors import StateError
from runner.state.sql import SQLReads, SQLTransaction

SCHEMA_VERSION = 1

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE orders (
      address TEXT PRIMARY KEY,
      campaign TEXT NOT NULL,
      panel TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      phase TEXT NOT NULL,
      order_id INTEGER,
      spec TEXT NOT NULL,
      estimated_cost TEXT,
      error TEXT,
      apply_id TEXT,
      status TEXT, remains INTEGER, start_count INTEGER, charge TEXT, currency TEXT,
      checked_at TEXT, status_error TEXT,
      cancel_requested_at TEXT, cancel_ok INTEGER, cancel_error TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE INDEX orders_campaign ON orders (campaign);
    CREATE TABLE refills (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      address TEXT NOT NULL,
      refill_id INTEGER,
      requested_at TEXT NOT NULL,
      error TEXT,
      status TEXT,
      checked_at TEXT
    );
    CREATE INDEX refills_address ON refills (address);
    CREATE TABLE events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      address TEXT NOT NULL,
      kind TEXT NOT NULL,
      detail TEXT NOT NULL
    );
    CREATE INDEX events_address ON events (address);
    """,
}


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class SQLiteStore(SQLReads):
    _db: sqlite3.Connection

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._lock = threading.RLock()
        try:
            if readonly:
                uri = f"file:{path}?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, check_same_thread=False, isolation_level=None, timeout=30.0
                )
            else:
                if not path.exists():
                    _create_private(path)
                self._db = sqlite3.connect(
                    str(path), check_same_thread=False, isolation_level=None, timeout=30.0
                )
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._db.row_factory = sqlite3.Row
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"state store {path}: {exc}") from None

    def close(self) -> None:
        self._db.close()

    # --- schema -----------------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StateError(
                f"state store {self.path} was written by a newer smm (schema {version}); "
                "upgrade smm"
            )
        if version == SCHEMA_VERSION:
            return
        if self.readonly:
            if version == 0:
                raise StateError(f"state store {self.path} is not initialised")
            raise StateError(
                f"state store {self.path} needs an upgrade: run smm apply or smm refresh once"
            )
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                current = self._db.execute("PRAGMA user_version").fetchone()[0]
                for step in range(current + 1, SCHEMA_VERSION + 1):
                    for statement in MIGRATIONS[step].split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                if current == 0:
                    self._db.execute("INSERT INTO meta VALUES ('lineage', ?)", (str(uuid.uuid4()),))
                    self._db.execute("INSERT INTO meta VALUES ('serial', '0')")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[SQLTransaction]:
        """One batch of writes, committed together or not at all.

        ``durable=False`` lets the commit skip the fsync (WAL, synchronous=NORMAL): it
        survives the process dying, not the machine losing power.  Only for writes whose
        loss is safe, like an outcome after ``submitting`` (lost, it reads as in doubt)."""
        if self.readonly:
            raise StateError("the state store was opened read-only")
        with self._lock:
            if not durable:
                self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    raise StateError(f"state store {self.path}: {exc}") from None
                txn = SQLTransaction(self._db)
                try:
                    yield txn
                    if txn.changed:
                        self._db.execute(
                            "UPDATE meta SET value = CAST(value AS INTEGER) + 1"
                            " WHERE key = 'serial'"
                        )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            finally:
                if not durable:
                    self._db.execute("PRAGMA synchronous=FULL")

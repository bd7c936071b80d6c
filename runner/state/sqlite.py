"""The embedded state store: one SQLite file (mode 0600), WAL journal, migrations.

Every write batch is one SQLite transaction (``BEGIN IMMEDIATE``), so a crash leaves
either all of a batch or none of it.  The serials are bumped inside the same transaction
whenever a batch changed order records; the ``lineage`` is set once.

Only a missing file starts a new state, and it appears whole (built aside, then linked
into place): an existing file that is not an smm state (empty, another database, a
damaged header) is refused, never re-initialised — that would order everything again.
A state file deleted or replaced while a store is open is noticed before every write.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runner.errors import StateError
from runner.state.model import Dump
from runner.state.sqlread import SQLReads, restore_rows
from runner.state.sqlwrite import SQLTransaction

SCHEMA_VERSION = 3

_V1 = """
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
"""

# Version 2: per-campaign serials, the evidence of each add (for reconciliation), the
# history of observed statuses, and observed balances.  Status changes recorded as
# events by version 1 become history.
_V2 = """
CREATE TABLE campaigns (name TEXT PRIMARY KEY, serial INTEGER NOT NULL);
INSERT INTO campaigns (name, serial)
  SELECT DISTINCT campaign, (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'serial')
  FROM orders;
ALTER TABLE orders ADD COLUMN sent_at TEXT;
ALTER TABLE orders ADD COLUMN gave_up_at TEXT;
ALTER TABLE orders ADD COLUMN known_below INTEGER;
CREATE TABLE history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  address TEXT NOT NULL,
  at TEXT NOT NULL,
  status TEXT, remains INTEGER, start_count INTEGER, charge TEXT, currency TEXT
);
CREATE INDEX history_address ON history (address, id);
INSERT INTO history (address, at, status, remains, start_count, charge, currency)
  SELECT address, COALESCE(json_extract(detail, '$.checked_at'), at),
    json_extract(detail, '$.status'), json_extract(detail, '$.remains'),
    json_extract(detail, '$.start_count'), json_extract(detail, '$.charge'),
    json_extract(detail, '$.currency')
  FROM events WHERE kind = 'status' AND json_extract(detail, '$.error') IS NULL ORDER BY id;
DELETE FROM events WHERE kind = 'status';
CREATE TABLE balances (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  panel TEXT NOT NULL,
  at TEXT NOT NULL,
  amount TEXT NOT NULL,
  currency TEXT
)
"""

# Version 3: the notifications claimed or sent (runner.notify), each event once.
_V3 = """
CREATE TABLE notices (
  key TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  claimed_at TEXT, claimed_by TEXT,
  sent_at TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0
)
"""

MIGRATIONS: dict[int, str] = {1: _V1, 2: _V2, 3: _V3}


def _statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


def _cause(exc: BaseException) -> str:
    """An SQLite or OS error as a person reads it."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    if "readonly" in text or "read-only" in text:
        return f"{text} (check the file's and its folder's permissions)"
    return text


def _new_state(path: Path) -> None:
    """Build an initialised state aside and link it into place, so the path never holds
    a half-made state; if another process made one meanwhile, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        db = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            db.execute("BEGIN")
            for step in sorted(MIGRATIONS):
                for statement in _statements(MIGRATIONS[step]):
                    db.execute(statement)
            db.execute("INSERT INTO meta VALUES ('lineage', ?)", (str(uuid.uuid4()),))
            db.execute("INSERT INTO meta VALUES ('serial', '0')")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        finally:
            db.close()
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection.  A WAL state in a folder smm may not write (a read-only
    checkout, a CI cache) cannot make its shared-memory file: it is then read as an
    immutable file, which is exact when its journal holds nothing (every smm that wrote
    it closed cleanly); a journal with content is an error, not a stale reading."""
    uri = path.resolve().as_uri()
    options: dict[str, Any] = {
        "uri": True,
        "check_same_thread": False,
        "isolation_level": None,
        "timeout": 30.0,
    }
    db: sqlite3.Connection = sqlite3.connect(f"{uri}?mode=ro", **options)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.OperationalError as exc:
        db.close()
        # What SQLite says when it cannot make the shared-memory file beside the state.
        if not any(w in str(exc) for w in ("readonly", "read-only", "unable to open")):
            raise
        failure = exc
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StateError(
            f"state store {path}: its journal ({wal.name}) holds writes not yet in the "
            "file, and its folder is not writable: open it once with write access (any "
            "smm command) to fold them in"
        )
    immutable: sqlite3.Connection = sqlite3.connect(f"{uri}?mode=ro&immutable=1", **options)
    try:
        immutable.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        immutable.close()
        raise failure from None
    return immutable


class SQLiteStore(SQLReads):
    _db: sqlite3.Connection

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self.created = False
        self._lock = threading.RLock()
        try:
            if not readonly and not path.exists():
                _new_state(path)
                self.created = True
            self._identity = self._stat()
            if readonly:
                self._db = _open_readonly(path)
            else:
                self._db = sqlite3.connect(
                    str(path), check_same_thread=False, isolation_level=None, timeout=30.0
                )
            self._db.row_factory = sqlite3.Row
            self._check_identity()
            self._check_is_state()
            if not readonly:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=30000")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StateError(f"state store {path}: {_cause(exc)}") from None

    @property
    def where(self) -> str:
        return str(self.path)

    # One file on one machine: one clock.
    clock_offset = 0.0
    clock_margin = 0.0

    def close(self) -> None:
        self._db.close()

    def _stat(self) -> tuple[int, int]:
        st = os.stat(self.path)
        return st.st_dev, st.st_ino

    def _check_identity(self) -> None:
        """The file at the path must be the one opened: a state deleted or replaced under
        a running smm would take every write that follows with it."""
        try:
            same = self._stat() == self._identity
        except FileNotFoundError:
            same = False
        if same:
            return
        saved = self._save_copy()
        raise StateError(
            f"state store {self.path} was deleted or replaced while smm was using it; "
            "stopped before writing more"
            + (f" (what this run recorded is saved in {saved})" if saved else "")
        )

    def _save_copy(self) -> Path | None:
        """The open (unlinked or replaced) state, copied beside the path, so nothing is
        lost."""
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = self.path.with_name(f"{self.path.name}.recovered-{stamp}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            copy = sqlite3.connect(str(target))
            try:
                self._db.backup(copy)
            finally:
                copy.close()
            os.chmod(target, 0o600)
        except (sqlite3.Error, OSError, AttributeError):
            return None
        return target

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return super()._rows(sql, params)
        except sqlite3.Error as exc:
            raise StateError(f"state store {self.path}: {_cause(exc)}") from None

    # --- schema -----------------------------------------------------------------

    def _check_is_state(self) -> None:
        """Before anything is written to it: is this file an smm state at all?"""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        if version == 0 or "meta" not in tables or "orders" not in tables:
            raise StateError(
                f"{self.path} is not an smm state (an empty file, or another database); "
                "refusing to use it. Move it away to start a new state, or point --state "
                "at the right file"
            )

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
            raise StateError(
                f"state store {self.path} needs an upgrade: run smm apply or smm refresh once"
            )
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                current = self._db.execute("PRAGMA user_version").fetchone()[0]
                for step in range(current + 1, SCHEMA_VERSION + 1):
                    for statement in _statements(MIGRATIONS[step]):
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # --- writes -----------------------------------------------------------------

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[SQLTransaction]:
        """One batch of writes, committed together or not at all.

        ``durable=False`` lets the commit skip the fsync (WAL, synchronous=NORMAL): it
        survives the process dying, not the machine losing power.  Only for writes whose
        loss is safe, like an outcome after ``submitting`` (lost, it reads as in doubt)."""
        if self.readonly:
            raise StateError("the state store was opened read-only")
        with self._lock:
            self._check_identity()
            try:
                if not durable:
                    self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StateError(f"state store {self.path}: {_cause(exc)}") from None
            try:
                txn = _SQLiteTransaction(self._db, self.path)
                try:
                    yield txn
                    txn.finish()
                    self._db.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StateError(
                    f"state store {self.path}: {_cause(exc)}; nothing of this write was recorded"
                ) from None
            finally:
                if not durable:
                    with contextlib.suppress(sqlite3.Error):
                        self._db.execute("PRAGMA synchronous=FULL")

    def restore(self, dump: Dump) -> None:
        with self.transaction() as txn:
            restore_rows(txn.db, dump)


class _SQLiteTransaction(SQLTransaction):
    db_errors = (sqlite3.Error,)

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        super().__init__(db)
        self.path = path

    def failed(self, exc: BaseException) -> StateError:
        return StateError(
            f"state store {self.path}: {_cause(exc)}; nothing of this write was recorded"
        )

"""The embedded state store: one SQLite file (mode 0600), WAL journal, migrations.

Every write batch is one SQLite transaction (``BEGIN IMMEDIATE``), so a crash leaves
either all of a batch or none of it.  The ``serial`` is bumped inside the same
transaction whenever a batch changed order records; the ``lineage`` is set once.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from runner.errors import SmmError
from runner.state import (
    CancelRecord,
    Event,
    LastStatus,
    OrderRecord,
    Phase,
    RefillRecord,
    StateInfo,
)

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


class StateError(SmmError):
    """The state store cannot be used."""


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class SQLiteStore:
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

    # --- reads ------------------------------------------------------------------

    def info(self) -> StateInfo:
        with self._lock:
            rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        return StateInfo(rows.get("lineage"), int(rows.get("serial", 0)))

    def _to_record(self, row: sqlite3.Row, refills: list[RefillRecord]) -> OrderRecord:
        last = None
        if row["checked_at"] is not None:
            last = LastStatus(
                status=row["status"] or "",
                remains=row["remains"],
                start_count=row["start_count"],
                charge=_dec(row["charge"]),
                currency=row["currency"],
                checked_at=row["checked_at"],
                error=row["status_error"],
            )
        cancel = None
        if row["cancel_requested_at"] is not None:
            cancel = CancelRecord(
                row["cancel_requested_at"], bool(row["cancel_ok"]), row["cancel_error"]
            )
        return OrderRecord(
            address=row["address"],
            campaign=row["campaign"],
            panel=row["panel"],
            fingerprint=row["fingerprint"],
            phase=Phase(row["phase"]),
            spec=json.loads(row["spec"]),
            order_id=row["order_id"],
            estimated_cost=_dec(row["estimated_cost"]),
            error=row["error"],
            last=last,
            refills=tuple(refills),
            cancel=cancel,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    def records(self, campaigns: set[str] | None = None) -> dict[str, OrderRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM orders ORDER BY address").fetchall()
            refill_rows = self._db.execute("SELECT * FROM refills ORDER BY id").fetchall()
        refills: dict[str, list[RefillRecord]] = {}
        for r in refill_rows:
            refills.setdefault(r["address"], []).append(
                RefillRecord(
                    r["requested_at"], r["refill_id"], r["error"], r["status"], r["checked_at"]
                )
            )
        return {
            row["address"]: self._to_record(row, refills.get(row["address"], []))
            for row in rows
            if campaigns is None or row["campaign"] in campaigns
        }

    def record(self, address: str) -> OrderRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM orders WHERE address = ?", (address,)).fetchone()
            if row is None:
                return None
            refills = [
                RefillRecord(
                    r["requested_at"], r["refill_id"], r["error"], r["status"], r["checked_at"]
                )
                for r in self._db.execute(
                    "SELECT * FROM refills WHERE address = ? ORDER BY id", (address,)
                )
            ]
        return self._to_record(row, refills)

    def apply_id(self, address: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT apply_id FROM orders WHERE address = ?", (address,)
            ).fetchone()
        return None if row is None else row[0]

    def events(self, address: str | None = None) -> list[Event]:
        with self._lock:
            if address is None:
                rows = self._db.execute("SELECT * FROM events ORDER BY id").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM events WHERE address = ? ORDER BY id", (address,)
                ).fetchall()
        return [Event(r["at"], r["address"], r["kind"], json.loads(r["detail"])) for r in rows]

    # --- writes -----------------------------------------------------------------

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[_Txn]:
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
                txn = _Txn(self._db)
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


class _Txn:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.changed = False
        self.at = now_iso()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        changed = self.changed
        self.db.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO part")
            self.db.execute("RELEASE part")
            self.changed = changed
            raise
        self.db.execute("RELEASE part")

    def _update(self, address: str, **fields: Any) -> None:
        fields["updated_at"] = self.at
        names = ", ".join(f"{k} = ?" for k in fields)
        cursor = self.db.execute(
            f"UPDATE orders SET {names} WHERE address = ?", (*fields.values(), address)
        )
        if cursor.rowcount != 1:
            raise StateError(f"{address}: not in the state")
        self.changed = True

    def event(self, address: str, kind: str, detail: Mapping[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO events (at, address, kind, detail) VALUES (?, ?, ?, ?)",
            (self.at, address, kind, json.dumps(dict(detail), sort_keys=True, default=str)),
        )

    def begin_submit(
        self,
        address: str,
        campaign: str,
        panel: str,
        fingerprint: str,
        spec: Mapping[str, Any],
        cost: Decimal | None,
        apply_id: str,
    ) -> None:
        existing = self.db.execute(
            "SELECT phase FROM orders WHERE address = ?", (address,)
        ).fetchone()
        if existing is not None and existing[0] != Phase.REJECTED:
            # Only a never-placed or rejected order may be submitted: anything else
            # would risk a second order.
            raise StateError(f"{address}: refusing to submit, it is recorded as {existing[0]}")
        self.db.execute("DELETE FROM orders WHERE address = ?", (address,))
        self.db.execute(
            "INSERT INTO orders (address, campaign, panel, fingerprint, phase, spec,"
            " estimated_cost, apply_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                address,
                campaign,
                panel,
                fingerprint,
                Phase.SUBMITTING,
                json.dumps(dict(spec), sort_keys=True),
                None if cost is None else str(cost),
                apply_id,
                self.at,
                self.at,
            ),
        )
        self.changed = True
        self.event(address, "submitting", {"panel": panel, "fingerprint": fingerprint})

    def placed(self, address: str, order_id: int, how: str = "add") -> None:
        self._update(address, phase=Phase.PLACED, order_id=order_id, error=None)
        self.event(address, "placed", {"order_id": order_id, "how": how})

    def rejected(self, address: str, reason: str, not_sent: bool = False) -> None:
        self._update(address, phase=Phase.REJECTED, error=reason)
        self.event(address, "rejected", {"reason": reason, "not_sent": not_sent})

    def in_doubt(self, address: str, reason: str) -> None:
        self._update(address, phase=Phase.IN_DOUBT, error=reason)
        self.event(address, "in_doubt", {"reason": reason})

    def abandon_submitting(self, reason: str, address: str | None = None) -> list[str]:
        """``submitting`` rows whose apply is gone become ``in_doubt``: the request may
        have reached the panel."""
        if address is None:
            rows = self.db.execute(
                "SELECT address FROM orders WHERE phase = ?", (Phase.SUBMITTING,)
            ).fetchall()
        else:
            rows = self.db.execute(
                "SELECT address FROM orders WHERE phase = ? AND address = ?",
                (Phase.SUBMITTING, address),
            ).fetchall()
        found = [r[0] for r in rows]
        for name in found:
            self.in_doubt(name, reason)
        return found

    def status(self, address: str, last: LastStatus) -> None:
        row = self.db.execute(
            "SELECT status, remains, charge, status_error FROM orders WHERE address = ?",
            (address,),
        ).fetchone()
        charge = None if last.charge is None else str(last.charge)
        self.db.execute(
            "UPDATE orders SET status = ?, remains = ?, start_count = ?, charge = ?,"
            " currency = ?, checked_at = ?, status_error = ? WHERE address = ?",
            (
                last.status,
                last.remains,
                last.start_count,
                charge,
                last.currency,
                last.checked_at,
                last.error,
                address,
            ),
        )
        before = None if row is None else (row[0], row[1], row[2], row[3])
        after = (last.status, last.remains, charge, last.error)
        if before != after:
            self.changed = True
            self.event(address, "status", last.to_json())

    def refill(self, address: str, record: RefillRecord) -> None:
        self.db.execute(
            "INSERT INTO refills (address, refill_id, requested_at, error, status, checked_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                address,
                record.refill_id,
                record.requested_at,
                record.error,
                record.status,
                record.checked_at,
            ),
        )
        self.changed = True
        self.event(address, "refill", record.to_json())

    def refill_status(
        self, address: str, refill_id: int, status: str | None, error: str | None, at: str
    ) -> None:
        row = self.db.execute(
            "SELECT status, error FROM refills WHERE address = ? AND refill_id = ?",
            (address, refill_id),
        ).fetchone()
        self.db.execute(
            "UPDATE refills SET status = ?, error = ?, checked_at = ?"
            " WHERE address = ? AND refill_id = ?",
            (status, error, at, address, refill_id),
        )
        if row is None or (row[0], row[1]) != (status, error):
            self.changed = True
            self.event(
                address, "refill_status", {"refill_id": refill_id, "status": status, "error": error}
            )

    def cancel(self, address: str, record: CancelRecord) -> None:
        self._update(
            address,
            cancel_requested_at=record.requested_at,
            cancel_ok=int(record.ok),
            cancel_error=record.error,
        )
        self.event(address, "cancel", record.to_json())

    def import_order(
        self,
        address: str,
        campaign: str,
        panel: str,
        fingerprint: str,
        spec: Mapping[str, Any],
        order_id: int,
        cost: Decimal | None,
    ) -> None:
        self.db.execute("DELETE FROM orders WHERE address = ?", (address,))
        self.db.execute(
            "INSERT INTO orders (address, campaign, panel, fingerprint, phase, order_id, spec,"
            " estimated_cost, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                address,
                campaign,
                panel,
                fingerprint,
                Phase.PLACED,
                order_id,
                json.dumps(dict(spec), sort_keys=True),
                None if cost is None else str(cost),
                self.at,
                self.at,
            ),
        )
        self.changed = True
        self.event(address, "imported", {"order_id": order_id})

    def withdraw(self, address: str, reason: str) -> None:
        """A ``submitting`` record whose ``add`` was surely never sent: as if never made."""
        cursor = self.db.execute(
            "DELETE FROM orders WHERE address = ? AND phase = ?", (address, Phase.SUBMITTING)
        )
        if cursor.rowcount != 1:
            raise StateError(f"{address}: not being submitted")
        self.changed = True
        self.event(address, "withdrawn", {"reason": reason})

    def retry(self, address: str) -> None:
        self._update(address, phase=Phase.REJECTED, error="declared not placed (state retry)")
        self.event(address, "retry", {})

    def forget(self, address: str) -> None:
        cursor = self.db.execute("DELETE FROM orders WHERE address = ?", (address,))
        if cursor.rowcount != 1:
            raise StateError(f"{address}: not in the state")
        self.db.execute("DELETE FROM refills WHERE address = ?", (address,))
        self.changed = True
        self.event(address, "forgotten", {})

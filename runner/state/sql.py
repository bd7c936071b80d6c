"""What the SQL backends share: reading records and writing a batch, in portable SQL.

Every statement uses ``?`` placeholders and SQL that SQLite and PostgreSQL both accept;
a backend supplies a ``Connection`` (its own, or an adapter) and the transaction around
the writes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Protocol

from runner.errors import StateError
from runner.state.model import (
    CancelRecord,
    Event,
    LastStatus,
    OrderRecord,
    Phase,
    RefillRecord,
    StateInfo,
    now_iso,
)


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


class SQLReads:
    """The reads of ``StateReader``, for a backend that sets ``_db`` and ``_lock``."""

    _db: Connection
    _lock: threading.RLock

    def info(self) -> StateInfo:
        with self._lock:
            rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        return StateInfo(rows.get("lineage"), int(rows.get("serial", 0)))

    def _to_record(self, row: Any, refills: list[RefillRecord]) -> OrderRecord:
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
                ).fetchall()
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


class SQLTransaction:
    """The writes of one batch, as SQL on an open transaction (``?`` placeholders)."""

    def __init__(self, db: Connection) -> None:
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

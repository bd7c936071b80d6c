"""What the SQL backends share: reading records and writing a batch, in portable SQL.

Every statement uses ``?`` placeholders and SQL that SQLite and PostgreSQL both accept;
a backend supplies a ``Connection`` (its own, or an adapter) and the transaction around
the writes, and calls ``SQLTransaction.finish`` just before it commits.
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Protocol

from runner.errors import StateError
from runner.money import json_int, parse_amount, read_integer
from runner.state.model import (
    BalanceSeen,
    CancelRecord,
    Dump,
    Event,
    Evidence,
    LastStatus,
    Observation,
    OrderRecord,
    Phase,
    RefillRecord,
    StateInfo,
)
from runner.state.spectext import StoredSpec

# The columns of each table, in the order a dump carries them (ids are not carried:
# a restored store numbers its rows anew, in the same order).
COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": (
        "address",
        "campaign",
        "panel",
        "fingerprint",
        "phase",
        "order_id",
        "spec",
        "estimated_cost",
        "error",
        "apply_id",
        "status",
        "remains",
        "start_count",
        "charge",
        "currency",
        "checked_at",
        "status_error",
        "cancel_requested_at",
        "cancel_ok",
        "cancel_error",
        "created_at",
        "updated_at",
        "sent_at",
        "gave_up_at",
        "known_below",
    ),
    "refills": ("address", "refill_id", "requested_at", "error", "status", "checked_at"),
    "events": ("at", "address", "kind", "detail"),
    "history": ("address", "at", "status", "remains", "start_count", "charge", "currency"),
    "balances": ("panel", "at", "amount", "currency"),
    "notices": ("key", "event", "claimed_at", "claimed_by", "sent_at", "error", "attempts"),
}


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ..., /) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...


@functools.lru_cache(maxsize=4096)
def _shared_amount(value: str) -> Decimal:
    """Equal amounts read from many rows (an estimate, a charge) as one object."""
    return Decimal(value)


def _amount(value: Any) -> Decimal | None:
    return (
        None
        if value is None
        else _shared_amount(value)
        if isinstance(value, str)
        else parse_amount(value)
    )


def _name(value: Any) -> Any:
    """A name many rows repeat (campaign, panel, status, currency) kept once in memory."""
    return sys.intern(value) if type(value) is str else value


# An order with no evidence recorded (imported, or placed before evidence was kept).
_NO_EVIDENCE = Evidence()
# Rows read from a cursor at a time: a large state is never all in memory as rows.
BATCH = 500
# Meta keys holding what a catalog said about a service (``saw_services``): SEEN panel:id.
SEEN = "service:"


def _int(value: Any) -> int | None:
    """An integer column's value, or None; anything else is damage."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected an integer, found {str(value)[:20]!r}")


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, found {type(value).__name__}")
    return value


@contextmanager
def _damaged(what: str) -> Iterator[None]:
    """A value of the wrong kind in the state is one line naming what is damaged."""
    try:
        yield
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        raise StateError(
            f"the state's {what} is damaged ({type(exc).__name__}: {str(exc)[:80]}); "
            "restore the state from a backup"
        ) from None


def campaign_of(address: str) -> str:
    """Addresses are ``<campaign>/<order id>``; neither part holds a slash."""
    return address.split("/", 1)[0]


def _refill(r: Any) -> RefillRecord:
    return RefillRecord(r["requested_at"], r["refill_id"], r["error"], r["status"], r["checked_at"])


class SQLReads:
    """The reads of ``StateReader``, for a backend that sets ``_db`` and ``_lock``."""

    _db: Connection
    _lock: threading.RLock

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _each(self, sql: str, params: Sequence[Any] = ()) -> Iterator[Any]:
        """The rows of a query, a batch at a time."""
        with self._lock:
            cursor = self._db.execute(sql, params)
            while rows := cursor.fetchmany(BATCH):
                yield from rows

    def info(self) -> StateInfo:
        with _damaged("serial"):
            meta = {r["key"]: r["value"] for r in self._rows("SELECT key, value FROM meta")}
            campaigns = {
                r["name"]: read_integer(str(r["serial"]), low=0)
                for r in self._rows("SELECT * FROM campaigns")
            }
            serial = read_integer(str(meta.get("serial", 0)), low=0)
            return StateInfo(meta.get("lineage"), serial, campaigns)

    def _to_record(self, row: Any, refills: list[RefillRecord]) -> OrderRecord:
        try:
            return self._convert(row, refills)
        except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
            raise StateError(
                f"the state's record of {row['address']!r} is damaged ({type(exc).__name__}: "
                f"{str(exc)[:80]}); smm state forget it, or restore the state from a backup"
            ) from None

    def _convert(self, row: Any, refills: list[RefillRecord]) -> OrderRecord:
        last = None
        if row["checked_at"] is not None:
            last = LastStatus(
                status=_name(row["status"] or ""),
                remains=row["remains"],
                start_count=row["start_count"],
                charge=_amount(row["charge"]),
                currency=_name(row["currency"]),
                checked_at=row["checked_at"],
                error=row["status_error"],
            )
        cancel = None
        if row["cancel_requested_at"] is not None:
            cancel = CancelRecord(
                row["cancel_requested_at"], bool(row["cancel_ok"]), row["cancel_error"]
            )
        evidence = _NO_EVIDENCE
        if not (
            row["sent_at"] is None and row["gave_up_at"] is None and row["known_below"] is None
        ):
            evidence = Evidence(row["sent_at"], row["gave_up_at"], _int(row["known_below"]))
        return OrderRecord(
            address=row["address"],
            campaign=_name(row["campaign"]),
            panel=_name(row["panel"]),
            fingerprint=row["fingerprint"],
            phase=Phase(row["phase"]),
            spec=StoredSpec(row["spec"], row["address"]),
            order_id=_int(row["order_id"]),
            estimated_cost=_amount(row["estimated_cost"]),
            error=row["error"],
            last=last,
            refills=tuple(refills),
            cancel=cancel,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            evidence=evidence,
        )

    def records(self, campaigns: set[str] | None = None) -> dict[str, OrderRecord]:
        return {record.address: record for record in self.each_record(campaigns)}

    def each_record(self, campaigns: set[str] | None = None) -> Iterator[OrderRecord]:
        """The records of ``records``, in address order, one at a time: a caller that
        keeps what it needs of each never holds them all."""
        refills: dict[str, list[RefillRecord]] = {}
        for r in self._rows("SELECT * FROM refills ORDER BY id"):
            refills.setdefault(r["address"], []).append(_refill(r))
        for row in self._each("SELECT * FROM orders ORDER BY address"):
            if campaigns is None or row["campaign"] in campaigns:
                yield self._to_record(row, refills.get(row["address"], []))

    def record(self, address: str) -> OrderRecord | None:
        rows = self._rows("SELECT * FROM orders WHERE address = ?", (address,))
        if not rows:
            return None
        refills = self._rows("SELECT * FROM refills WHERE address = ? ORDER BY id", (address,))
        return self._to_record(rows[0], [_refill(r) for r in refills])

    def holder_of(self, panel: str, order_id: int) -> str | None:
        rows = self._rows(
            "SELECT address FROM orders WHERE panel = ? AND order_id = ? ORDER BY address",
            (panel, order_id),
        )
        return rows[0]["address"] if rows else None

    def highest_order_ids(self) -> dict[str, int]:
        rows = self._rows(
            "SELECT panel, MAX(order_id) AS top FROM orders WHERE order_id IS NOT NULL"
            " GROUP BY panel"
        )
        with _damaged("order ids"):
            return {r["panel"]: _int(r["top"]) or 0 for r in rows}

    def apply_id(self, address: str) -> str | None:
        rows = self._rows("SELECT apply_id FROM orders WHERE address = ?", (address,))
        return None if not rows else rows[0]["apply_id"]

    def events(self, address: str | None = None) -> list[Event]:
        if address is None:
            rows = self._rows("SELECT * FROM events ORDER BY id")
        else:
            rows = self._rows("SELECT * FROM events WHERE address = ? ORDER BY id", (address,))
        with _damaged("history of events"):
            return [
                Event(
                    r["at"],
                    r["address"],
                    r["kind"],
                    _object(json.loads(r["detail"], parse_int=json_int)),
                )
                for r in rows
            ]

    def history(self, campaigns: set[str] | None = None) -> list[Observation]:
        with _damaged("history of statuses"):
            return self._history(campaigns)

    def _history(self, campaigns: set[str] | None) -> list[Observation]:
        return [
            Observation(
                r["address"],
                r["at"],
                r["status"] or "",
                _int(r["remains"]),
                _int(r["start_count"]),
                parse_amount(r["charge"]),
                r["currency"],
            )
            for r in self._rows("SELECT * FROM history ORDER BY id")
            if campaigns is None or campaign_of(r["address"]) in campaigns
        ]

    def balances(self) -> list[BalanceSeen]:
        with _damaged("record of balances"):
            return [
                BalanceSeen(r["panel"], r["at"], Decimal(r["amount"]), r["currency"] or "")
                for r in self._rows("SELECT * FROM balances ORDER BY id")
            ]

    def services_seen(self) -> dict[tuple[str, int], dict[str, Any]]:
        out: dict[tuple[str, int], dict[str, Any]] = {}
        rows = self._rows("SELECT key, value FROM meta WHERE key LIKE ?", (SEEN + "%",))
        for row in rows:
            panel, _, ident = row["key"].removeprefix(SEEN).rpartition(":")
            try:
                said = json.loads(row["value"])
                out[(panel, int(ident))] = said if isinstance(said, dict) else {}
            except ValueError:
                continue  # a damaged memory is no memory: the next apply writes it again
        return out

    def dump(self) -> Dump:
        with self._lock:
            info = self.info()
            tables = {
                table: tuple(
                    {name: row[name] for name in names}
                    for row in self._rows(f"SELECT * FROM {table} ORDER BY {_ORDER[table]}")
                )
                for table, names in COLUMNS.items()
            }
        return Dump(
            info.lineage,
            info.serial,
            dict(info.campaigns),
            tables["orders"],
            tables["refills"],
            tables["events"],
            tables["history"],
            tables["balances"],
            tables["notices"],
        )


_ORDER = {
    "orders": "address",
    "refills": "id",
    "events": "id",
    "history": "id",
    "balances": "id",
    "notices": "key",
}


def restore_rows(db: Connection, dump: Dump) -> None:
    """Write a dump into an empty store's tables (inside the backend's transaction)."""
    if db.execute("SELECT COUNT(*) AS n FROM orders").fetchone()["n"]:
        raise StateError("the target state is not empty")
    for table, rows in (
        ("orders", dump.orders),
        ("refills", dump.refills),
        ("events", dump.events),
        ("history", dump.history),
        ("balances", dump.balances),
        ("notices", dump.notices),
    ):
        names = COLUMNS[table]
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        for row in rows:
            db.execute(sql, tuple(row.get(name) for name in names))
    db.execute("DELETE FROM meta")
    db.execute("DELETE FROM campaigns")
    if dump.lineage is not None:
        db.execute("INSERT INTO meta (key, value) VALUES ('lineage', ?)", (dump.lineage,))
    db.execute("INSERT INTO meta (key, value) VALUES ('serial', ?)", (str(dump.serial),))
    for name, serial in sorted(dump.campaigns.items()):
        db.execute("INSERT INTO campaigns (name, serial) VALUES (?, ?)", (name, serial))


def _detail(text: str) -> dict[str, Any]:
    """An event's detail (JSON text): its integers bounded before conversion."""
    return _object(json.loads(text, parse_int=json_int))

"""The simulated panel's behaviour: accounts, orders over time, refills, cancels, errors.

``SimPanel.handle(form)`` takes the decoded POST form of one API request and returns the
HTTP status and JSON body a real panel would send.  Data lives in SQLite (in memory, or a
file for ``sim://NAME`` so orders keep progressing between commands).  Order progress is
a pure function of the creation time, the clock and the speed factor, so reads never
write; balances change on add, cancel, and when a partial order finishes.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from runner.sim import lifecycle
from runner.sim.catalog import BY_ID, CATALOG
from runner.sim.lifecycle import PENDING_SECONDS, Progress
from runner.sim.requests import Refusal, check_add

INCORRECT_ORDER = "Incorrect order ID"
ACTIVE_LINK = "You have active order with this link. Please wait until order being completed."


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY, service INTEGER NOT NULL, link TEXT, quantity INTEGER NOT NULL,
  runs INTEGER NOT NULL, interval INTEGER NOT NULL, units INTEGER NOT NULL,
  charge TEXT NOT NULL, created REAL NOT NULL, start_count INTEGER NOT NULL,
  partial REAL, canceled_at REAL, refunded INTEGER NOT NULL DEFAULT 0, params TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_link ON orders (service, link);
CREATE TABLE IF NOT EXISTS refills (
  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, created REAL NOT NULL
);
"""


def money(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".00" if text != "0" else "0"


class SimPanel:
    """One simulated account on one simulated panel."""

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        speed: float = 60.0,
        seed: int = 0,
        keys: frozenset[str] | None = None,
        balance: Decimal = Decimal("250.00"),
        currency: str = "USD",
        partial_rate: float = 0.0,
        quirks: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.speed = speed
        self.seed = seed
        self.keys = keys
        self.currency = currency
        self.partial_rate = partial_rate
        self.quirks = quirks
        self.clock = clock
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        if str(path) != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.row_factory = sqlite3.Row
        self._db.executescript(_SCHEMA)
        with self._write():
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('balance', ?), ('next_order', ?),"
                " ('next_refill', ?)",
                (str(balance), str(20_000 + seed % 1000 * 7), str(500 + seed % 100)),
            )

    def close(self) -> None:
        self._db.close()

    # --- storage helpers ------------------------------------------------------------

    class _Txn:
        def __init__(self, panel: SimPanel) -> None:
            self.panel = panel

        def __enter__(self) -> None:
            self.panel._lock.acquire()
            self.panel._db.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: object, *rest: object) -> None:
            try:
                self.panel._db.execute("ROLLBACK" if exc_type else "COMMIT")
            finally:
                self.panel._lock.release()

    def _write(self) -> SimPanel._Txn:
        return SimPanel._Txn(self)

    def _meta(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))

    def _next_id(self, key: str) -> int:
        """Ids are global: other customers' orders take some of them (gaps)."""
        current = int(self._meta(key))
        rng = random.Random(f"{self.seed}:{key}:{current}")
        ident = current + 1 + rng.randint(0, 4)
        self._set_meta(key, str(ident))
        return ident

    # --- time and progress --------------------------------------------------------

    def progress(self, row: sqlite3.Row, now: float) -> Progress:
        return lifecycle.progress(row, now, self.speed)

    def _settle(self, now: float) -> None:
        """Refund partial orders that finished since the last look."""
        rows = self._db.execute(
            "SELECT * FROM orders WHERE partial IS NOT NULL AND refunded = 0"
            " AND canceled_at IS NULL"
        ).fetchall()
        for row in rows:
            prog = self.progress(row, now)
            if prog.status == "Partial":
                refund = Decimal(row["charge"]) - prog.charge
                self._set_meta("balance", str(Decimal(self._meta("balance")) + refund))
                self._db.execute("UPDATE orders SET refunded = 1 WHERE id = ?", (row["id"],))

    def _balance(self, now: float) -> Decimal:
        self._settle(now)
        return Decimal(self._meta("balance"))

    # --- requests -----------------------------------------------------------------

    def handle(self, form: Mapping[str, str]) -> tuple[int, Any]:
        """Answer one API request: (HTTP status, JSON-serialisable body)."""
        key = form.get("key", "")
        if not key or (self.keys is not None and key not in self.keys):
            return 200, {"error": "Invalid API key"}
        action = form.get("action", "")
        handler = getattr(self, f"_action_{action}", None)
        if handler is None:
            return 200, {"error": "Incorrect request"}
        try:
            with self._write():
                return 200, handler(form, self.clock())
        except Refusal as refusal:
            return 200, {"error": str(refusal)}

    def _action_services(self, form: Mapping[str, str], now: float) -> Any:
        out = []
        for service in CATALOG:
            if service.disabled:
                continue
            wire = service.wire()
            if self.quirks:
                wire["service"] = str(service.id)
                wire["type"] = service.type.lower()
                wire["rate"] = float(service.rate) if service.id % 2 else wire["rate"]
            out.append(wire)
        return out

    def _action_balance(self, form: Mapping[str, str], now: float) -> Any:
        return {"balance": format(self._balance(now), "f"), "currency": self.currency}

    def _action_add(self, form: Mapping[str, str], now: float) -> Any:
        new = check_add(form)
        service, link, runs = new.service, new.link, new.runs
        charge = service.rate * new.total / 1000
        if charge > self._balance(now):
            raise Refusal("Not enough funds on balance")
        if link and self._active_on_link(service.id, link, now):
            raise Refusal(ACTIVE_LINK)
        ident = self._next_id("next_order")
        rng = random.Random(f"{self.seed}:order:{ident}")
        partial = rng.uniform(0.3, 0.95) if rng.random() < self.partial_rate else None
        params = {k: v for k, v in form.items() if k not in ("key", "action")}
        self._db.execute(
            "INSERT INTO orders (id, service, link, quantity, runs, interval, units, charge,"
            " created, start_count, partial, params) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                ident,
                service.id,
                link or None,
                new.units,
                runs,
                new.interval,
                new.total,
                str(charge),
                now,
                rng.randint(0, 25_000),
                partial,
                json.dumps(params, sort_keys=True),
            ),
        )
        self._set_meta("balance", str(Decimal(self._meta("balance")) - charge))
        return {"order": ident}

    def _active_on_link(self, service: int, link: str, now: float) -> bool:
        rows = self._db.execute(
            "SELECT * FROM orders WHERE service = ? AND link = ?", (service, link)
        ).fetchall()
        return any(self.progress(r, now).status in ("Pending", "In progress") for r in rows)

    def _ids(self, form: Mapping[str, str], many: str, one: str) -> tuple[list[str], bool]:
        if form.get(many) is not None:
            return [x.strip() for x in form[many].split(",") if x.strip()][:100], True
        return [form.get(one, "").strip()], False

    def _order(self, raw: str) -> sqlite3.Row | None:
        try:
            ident = int(raw)
        except ValueError:
            return None
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM orders WHERE id = ?", (ident,)
        ).fetchone()
        return row

    def _status_of(self, row: sqlite3.Row, now: float) -> dict[str, str]:
        prog = self.progress(row, now)
        status = prog.status
        if self.quirks and status == "Canceled":
            status = "Cancelled"
        return {
            "charge": money(prog.charge) if prog.charge else "0",
            "start_count": str(row["start_count"]),
            "status": status,
            "remains": str(prog.remains),
            "currency": self.currency,
        }

    def _item_error(self, message: str) -> Any:
        return message if self.quirks else {"error": message}

    def _action_status(self, form: Mapping[str, str], now: float) -> Any:
        ids, many = self._ids(form, "orders", "order")
        if not many:
            row = self._order(ids[0])
            if row is None:
                raise Refusal(INCORRECT_ORDER)
            return self._status_of(row, now)
        out: dict[str, Any] = {}
        for raw in ids:
            row = self._order(raw)
            out[raw] = (
                self._item_error(INCORRECT_ORDER) if row is None else self._status_of(row, now)
            )
        return out

    def _refill_one(self, raw: str, now: float) -> int:
        row = self._order(raw)
        if row is None:
            raise Refusal(INCORRECT_ORDER)
        if not BY_ID[row["service"]].refill or self.progress(row, now).status not in (
            "Completed",
            "Partial",
        ):
            raise Refusal("Order not eligible for refill.")
        ident = self._next_id("next_refill")
        self._db.execute("INSERT INTO refills VALUES (?, ?, ?)", (ident, row["id"], now))
        return ident

    def _action_refill(self, form: Mapping[str, str], now: float) -> Any:
        ids, many = self._ids(form, "orders", "order")
        if not many:
            return {"refill": str(self._refill_one(ids[0], now))}
        out: list[dict[str, Any]] = []
        for raw in ids:
            try:
                out.append({"order": int(raw), "refill": self._refill_one(raw, now)})
            except (Refusal, ValueError) as exc:
                text = str(exc) if isinstance(exc, Refusal) else INCORRECT_ORDER
                out.append({"order": _int_or(raw), "refill": {"error": text}})
        return out

    def _refill_status(self, raw: str, now: float) -> str:
        try:
            row = self._db.execute("SELECT * FROM refills WHERE id = ?", (int(raw),)).fetchone()
        except ValueError:
            row = None
        if row is None:
            raise Refusal("Refill not found")
        elapsed = lifecycle.elapsed(row["created"], now, self.speed)
        if elapsed < PENDING_SECONDS:
            return "Pending"
        return "In progress" if elapsed < PENDING_SECONDS + 300 else "Completed"

    def _action_refill_status(self, form: Mapping[str, str], now: float) -> Any:
        ids, many = self._ids(form, "refills", "refill")
        if not many:
            return {"status": self._refill_status(ids[0], now)}
        out: list[dict[str, Any]] = []
        for raw in ids:
            try:
                out.append({"refill": int(raw), "status": self._refill_status(raw, now)})
            except (Refusal, ValueError):
                out.append({"refill": _int_or(raw), "status": {"error": "Refill not found"}})
        return out

    def _cancel_one(self, raw: str, now: float) -> None:
        row = self._order(raw)
        if row is None:
            raise Refusal(INCORRECT_ORDER)
        prog = self.progress(row, now)
        if not BY_ID[row["service"]].cancel or prog.status not in (
            "Pending",
            "In progress",
            "Active",
        ):
            raise Refusal("Order not eligible for cancel.")
        self._db.execute("UPDATE orders SET canceled_at = ? WHERE id = ?", (now, row["id"]))
        after = self.progress(self._order(raw), now)  # type: ignore[arg-type]
        refund = Decimal(row["charge"]) - after.charge
        self._set_meta("balance", str(Decimal(self._meta("balance")) + refund))

    def _action_cancel(self, form: Mapping[str, str], now: float) -> Any:
        ids, _ = self._ids(form, "orders", "order")
        out: list[dict[str, Any]] = []
        for raw in ids:
            try:
                self._cancel_one(raw, now)
                out.append({"order": int(raw), "cancel": 1})
            except Refusal as exc:
                out.append({"order": _int_or(raw), "cancel": {"error": str(exc)}})
        return out

    # --- inspection ---------------------------------------------------------------

    def orders(self) -> list[dict[str, Any]]:
        """Every order this account holds, with its current progress (for tests)."""
        with self._lock:
            now = self.clock()
            rows = self._db.execute("SELECT * FROM orders ORDER BY id").fetchall()
            out = []
            for row in rows:
                prog = self.progress(row, now)
                out.append(
                    {
                        "order": row["id"],
                        "service": row["service"],
                        "link": row["link"],
                        "params": json.loads(row["params"]),
                        "units": row["units"],
                        "charge": money(prog.charge) if prog.charge else "0",
                        "status": prog.status,
                        "remains": prog.remains,
                        "created": row["created"],
                    }
                )
            return out

    def set_balance(self, amount: Decimal) -> None:
        with self._write():
            self._set_meta("balance", str(amount))


def _int_or(raw: str) -> int | str:
    try:
        return int(raw)
    except ValueError:
        return raw

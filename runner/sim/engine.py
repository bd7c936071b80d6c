"""The simulated panel's behaviour: accounts, orders over time, refills, cancels, errors.

``SimPanel.handle(form)`` takes the decoded form of one API request and returns the HTTP
status and JSON body a real panel would send.  Each API key is an account of its own
(``accounts``): its balance, its orders, its refills; any other id is an "Incorrect order
ID", whoever placed it.  Order ids are global: other customers order too (``others``), and
take ids in between.  Money is rounded as a PHP panel stores it (``decimals`` places).
Order progress is a pure function of the creation time, the clock and the speed factor,
so reads never change an order; balances change on add, cancel, and when a partial order
finishes.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from runner.sim import lifecycle
from runner.sim.accounts import OTHERS, Accounts, account_id
from runner.sim.catalog import DEFAULT_DECIMALS, SHAPES, LiveCatalog, rounded
from runner.sim.lifecycle import Progress
from runner.sim.others import DEFAULT_RATE, Others
from runner.sim.refills import INCORRECT_ORDER, LIVE, Refills, int_or
from runner.sim.requests import Refusal, check_add
from runner.sim.store import Store

ACTIVE_LINK = "You have active order with this link. Please wait until order being completed."


def money(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".00" if text != "0" else "0"


class SimPanel(Refills):
    """One simulated panel: its accounts (one per API key), their orders, other customers."""

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        speed: float = 60.0,
        seed: int = 0,
        keys: frozenset[str] | None = None,
        balance: Decimal = Decimal("250.00"),
        currency: str | None = None,
        catalog: str = "standard",
        partial_rate: float = 0.0,
        quirks: bool = False,
        others_rate: float = DEFAULT_RATE,
        decimals: int = DEFAULT_DECIMALS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 <= decimals <= 10:
            raise ValueError(f"decimals must be from 0 to 10, not {decimals}")
        if others_rate < 0:
            raise ValueError(
                f"the rate of other customers' orders must be 0 or more: {others_rate}"
            )
        self.speed = speed
        self.seed = seed
        self.keys = keys
        if catalog not in SHAPES:
            raise ValueError(f"catalog must be one of {', '.join(SHAPES)}, not {catalog!r}")
        self.currency = currency or SHAPES[catalog][1]
        self.partial_rate = partial_rate
        self.quirks = quirks
        self.decimals = decimals
        self.clock = clock
        self.store = Store(path, seed)
        self.accounts = Accounts(self.store, balance)
        self.others = Others(self.store, others_rate, seed)
        self.services = LiveCatalog(self.store, SHAPES[catalog][0])
        self._db = self.store.db
        self._lock = self.store.lock

    def close(self) -> None:
        self.store.close()

    # --- time, progress, money ----------------------------------------------------

    def progress(self, row: sqlite3.Row, now: float) -> Progress:
        return lifecycle.progress(row, now, self.speed, self.decimals)

    def _settle(self, owner: str, now: float) -> None:
        """Refund the account's partial orders that finished since the last look."""
        rows = self._db.execute(
            "SELECT * FROM orders WHERE owner = ? AND partial IS NOT NULL AND refunded = 0"
            " AND canceled_at IS NULL",
            (owner,),
        ).fetchall()
        for row in rows:
            prog = self.progress(row, now)
            if prog.status == "Partial":
                self.accounts.add(owner, Decimal(row["charge"]) - prog.charge)
                self._db.execute("UPDATE orders SET refunded = 1 WHERE id = ?", (row["id"],))

    def _balance(self, owner: str, now: float) -> Decimal:
        self._settle(owner, now)
        return self.accounts.balance(owner)

    def _insert(
        self,
        owner: str,
        ident: int,
        values: dict[str, Any],
    ) -> None:
        self._db.execute(
            "INSERT INTO orders (id, owner, service, link, quantity, runs, interval, units,"
            " charge, created, start_count, partial, params)"
            " VALUES (:id, :owner, :service, :link, :quantity, :runs, :interval, :units,"
            " :charge, :created, :start_count, :partial, :params)",
            {"id": ident, "owner": owner, **values},
        )

    def _others_order(self, now: float) -> None:
        """Other customers' orders up to now, in the global id sequence."""
        skipped, arrivals = self.others.arrivals(now)
        if skipped:
            self.store.skip_ids("next_order", skipped)
        for new in arrivals:
            self._insert(
                OTHERS,
                self.store.next_id("next_order", gaps=False),
                {
                    "service": new.service.id,
                    "link": new.link,
                    "quantity": new.quantity,
                    "runs": 1,
                    "interval": 0,
                    "units": new.quantity,
                    "charge": str(rounded(new.service.price(new.quantity), self.decimals)),
                    "created": new.at,
                    "start_count": new.start_count,
                    "partial": None,
                    "params": json.dumps(
                        {
                            "service": str(new.service.id),
                            "link": new.link,
                            "quantity": str(new.quantity),
                        },
                        sort_keys=True,
                    ),
                },
            )

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
            with self.store.write():
                now = self.clock()
                self._others_order(now)
                owner = self.accounts.open(key, now)
                return 200, handler(owner, form, now)
        except Refusal as refusal:
            return 200, {"error": str(refusal)}

    def _action_services(self, owner: str, form: Mapping[str, str], now: float) -> Any:
        out = []
        for service in self.services.now().values():
            if service.disabled:
                continue
            wire = service.wire()
            if self.quirks:
                wire["service"] = str(service.id)
                wire["type"] = service.type.lower()
                wire["rate"] = float(service.rate) if service.id % 2 else wire["rate"]
            out.append(wire)
        return out

    def _action_balance(self, owner: str, form: Mapping[str, str], now: float) -> Any:
        return {"balance": format(self._balance(owner, now), "f"), "currency": self.currency}

    def _action_add(self, owner: str, form: Mapping[str, str], now: float) -> Any:
        # An idempotency key seen before answers with the order it made (nothing new).
        key = form.get("request_id", "").strip()[:128]
        if key:
            made = self.store.meta(f"request_id:{owner}:{key}")
            if made is not None:
                return {"order": int(made)}
        new = check_add(form, now, self.services.now())
        service, link = new.service, new.link
        charge = rounded(service.price(new.total), self.decimals)
        if charge > self._balance(owner, now):
            raise Refusal("Not enough funds on balance")
        if link and self._active_on_link(owner, service.id, link, now):
            raise Refusal(ACTIVE_LINK)
        ident = self.store.next_id("next_order")
        rng = random.Random(f"{self.seed}:order:{ident}")
        partial = rng.uniform(0.3, 0.95) if rng.random() < self.partial_rate else None
        params = {k: v for k, v in form.items() if k not in ("key", "action", "request_id")}
        self._insert(
            owner,
            ident,
            {
                "service": service.id,
                "link": link or None,
                "quantity": new.units,
                "runs": new.runs,
                "interval": new.interval,
                "units": new.total,
                "charge": str(charge),
                "created": now,
                "start_count": rng.randint(0, 25_000),
                # A package is delivered whole or not at all.
                "partial": None if service.package else partial,
                "params": json.dumps(params, sort_keys=True),
            },
        )
        self.accounts.add(owner, -charge)
        if key:
            self.store.set_meta(f"request_id:{owner}:{key}", str(ident))
        return {"order": ident}

    def _active_on_link(self, owner: str, service: int, link: str, now: float) -> bool:
        rows = self._db.execute(
            "SELECT * FROM orders WHERE service = ? AND link = ? AND owner = ?",
            (service, link, owner),
        ).fetchall()
        return any(self.progress(r, now).status in LIVE for r in rows)

    def _ids(self, form: Mapping[str, str], many: str, one: str) -> tuple[list[str], bool]:
        if form.get(many) is not None:
            return [x.strip() for x in form[many].split(",") if x.strip()][:100], True
        return [form.get(one, "").strip()], False

    def _order(self, owner: str, raw: str) -> sqlite3.Row | None:
        """The account's order ``raw``; None for an id that is not its own, or no id."""
        try:
            ident = int(raw)
        except ValueError:
            return None
        row: sqlite3.Row | None = self._db.execute(
            "SELECT * FROM orders WHERE id = ? AND owner = ?", (ident, owner)
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

    def _action_status(self, owner: str, form: Mapping[str, str], now: float) -> Any:
        ids, many = self._ids(form, "orders", "order")
        if not many:
            row = self._order(owner, ids[0])
            if row is None:
                raise Refusal(INCORRECT_ORDER)
            return self._status_of(row, now)
        out: dict[str, Any] = {}
        for raw in ids:
            row = self._order(owner, raw)
            out[raw] = (
                self._item_error(INCORRECT_ORDER) if row is None else self._status_of(row, now)
            )
        return out

    def _cancel_one(self, owner: str, raw: str, now: float) -> None:
        row = self._order(owner, raw)
        if row is None:
            raise Refusal(INCORRECT_ORDER)
        prog = self.progress(row, now)
        if not self.services.one(row["service"]).cancel or prog.status not in (*LIVE, "Active"):
            raise Refusal("Order not eligible for cancel.")
        self._db.execute("UPDATE orders SET canceled_at = ? WHERE id = ?", (now, row["id"]))
        after = self.progress(self._order(owner, raw), now)  # type: ignore[arg-type]
        self.accounts.add(owner, Decimal(row["charge"]) - after.charge)

    def _action_cancel(self, owner: str, form: Mapping[str, str], now: float) -> Any:
        ids, _ = self._ids(form, "orders", "order")
        out: list[dict[str, Any]] = []
        for raw in ids:
            try:
                self._cancel_one(owner, raw, now)
                out.append({"order": int(raw), "cancel": 1})
            except Refusal as exc:
                out.append({"order": int_or(raw), "cancel": {"error": str(exc)}})
        return out

    # --- inspection (tests, /_sim/orders) -----------------------------------------

    def orders(self, *, everyone: bool = False, key: str | None = None) -> list[dict[str, Any]]:
        """The orders of every account (of ``key``'s only, if given; other customers' too
        with ``everyone``), with their current progress."""
        with self.store.write():
            now = self.clock()
            self._others_order(now)
            where, args = "owner != ?", [OTHERS]
            if key is not None:
                where, args = "owner = ?", [account_id(key)]
            elif everyone:
                where, args = "1", []
            rows = self._db.execute(f"SELECT * FROM orders WHERE {where} ORDER BY id", args)
            out = []
            for row in rows.fetchall():
                prog = self.progress(row, now)
                out.append(
                    {
                        "order": row["id"],
                        "account": row["owner"],
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

    def set_balance(self, amount: Decimal, key: str | None = None) -> None:
        """One key's balance; without a key, every account's and the next ones'."""
        with self.store.write():
            if key is None:
                self.accounts.set(amount)
            else:
                self.accounts.set(amount, self.accounts.open(key, self.clock()))

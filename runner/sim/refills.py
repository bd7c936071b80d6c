"""The simulated panel's refills: asking for one (or many), and each refill's status over
time; a mixin of ``SimPanel``, whose accounts and orders it reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from runner.sim import lifecycle
from runner.sim.catalog import LiveCatalog
from runner.sim.lifecycle import PENDING_SECONDS, Progress
from runner.sim.requests import Refusal
from runner.sim.store import Store

INCORRECT_ORDER = "Incorrect order ID"
NOT_REFILLABLE = "Order not eligible for refill."
# A refill asked for while the last one is still Pending or In progress.  The text is
# one panels send (public clients of the API match on it).
REFILL_BUSY = "The refill task is not completed for this order"
REFILL_SECONDS = 300.0  # sim-seconds a refill is In progress
LIVE = ("Pending", "In progress")


class Refills:
    """The ``refill`` and ``refill_status`` actions of ``SimPanel``."""

    speed: float
    store: Store
    services: LiveCatalog
    _db: sqlite3.Connection

    def progress(self, row: sqlite3.Row, now: float) -> Progress:
        raise NotImplementedError

    def _order(self, owner: str, raw: str) -> sqlite3.Row | None:
        raise NotImplementedError

    def _ids(self, form: Mapping[str, str], many: str, one: str) -> tuple[list[str], bool]:
        raise NotImplementedError

    def _refill_state(self, row: sqlite3.Row, now: float) -> str:
        elapsed = lifecycle.elapsed(row["created"], now, self.speed)
        if elapsed < PENDING_SECONDS:
            return "Pending"
        return "In progress" if elapsed < PENDING_SECONDS + REFILL_SECONDS else "Completed"

    def _refill_one(self, owner: str, raw: str, now: float) -> int:
        row = self._order(owner, raw)
        if row is None:
            raise Refusal(INCORRECT_ORDER)
        if not self.services.one(row["service"]).refill or self.progress(row, now).status not in (
            "Completed",
            "Partial",
        ):
            raise Refusal(NOT_REFILLABLE)
        earlier = self._db.execute("SELECT * FROM refills WHERE order_id = ?", (row["id"],))
        if any(self._refill_state(r, now) in LIVE for r in earlier):
            raise Refusal(REFILL_BUSY)
        ident = self.store.next_id("next_refill")
        self._db.execute(
            "INSERT INTO refills (id, order_id, created, owner) VALUES (?, ?, ?, ?)",
            (ident, row["id"], now, owner),
        )
        return ident

    def _action_refill(self, owner: str, form: Mapping[str, str], now: float) -> Any:
        ids, many = self._ids(form, "orders", "order")
        if not many:
            return {"refill": str(self._refill_one(owner, ids[0], now))}
        out: list[dict[str, Any]] = []
        for raw in ids:
            try:
                out.append({"order": int(raw), "refill": self._refill_one(owner, raw, now)})
            except (Refusal, ValueError) as exc:
                text = str(exc) if isinstance(exc, Refusal) else INCORRECT_ORDER
                out.append({"order": int_or(raw), "refill": {"error": text}})
        return out

    def _refill_status(self, owner: str, raw: str, now: float) -> str:
        try:
            row = self._db.execute(
                "SELECT * FROM refills WHERE id = ? AND owner = ?", (int(raw), owner)
            ).fetchone()
        except ValueError:
            row = None
        if row is None:
            raise Refusal("Refill not found")
        return self._refill_state(row, now)

    def _action_refill_status(self, owner: str, form: Mapping[str, str], now: float) -> Any:
        ids, many = self._ids(form, "refills", "refill")
        if not many:
            return {"status": self._refill_status(owner, ids[0], now)}
        out: list[dict[str, Any]] = []
        for raw in ids:
            try:
                out.append({"refill": int(raw), "status": self._refill_status(owner, raw, now)})
            except (Refusal, ValueError):
                out.append({"refill": int_or(raw), "status": {"error": "Refill not found"}})
        return out


def int_or(raw: str) -> int | str:
    """An id as the panel echoes it: a number when it is one, else as sent."""
    try:
        return int(raw)
    except ValueError:
        return raw

"""Accounts of the simulated panel: one per API key, each with its own balance and orders.

An account is known by a hash of its key (``account_id``): the key itself is never
stored.  A key the panel accepts gets an account, with the starting balance, the first
time it speaks.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from runner.sim.store import LEGACY_OWNER, Store

OTHERS = "others"  # the owner of other customers' orders (a hash is 16 hex digits)


def account_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Accounts:
    def __init__(self, store: Store, start_balance: Decimal) -> None:
        self.store = store
        self.start_balance = start_balance

    def open(self, key: str, now: float) -> str:
        """The account of ``key`` (created on first use); call inside a write."""
        ident = account_id(key)
        db = self.store.db
        if db.execute("SELECT 1 FROM accounts WHERE id = ?", (ident,)).fetchone() is None:
            legacy = self.store.meta("legacy_balance")
            balance = str(self.start_balance) if legacy is None else legacy
            db.execute("INSERT INTO accounts VALUES (?, ?, ?)", (ident, balance, now))
            if legacy is not None:
                # A panel from before accounts: its one account becomes this key's.
                db.execute("UPDATE orders SET owner = ? WHERE owner = ?", (ident, LEGACY_OWNER))
                db.execute("UPDATE refills SET owner = ? WHERE owner = ?", (ident, LEGACY_OWNER))
                db.execute("DELETE FROM meta WHERE key = 'legacy_balance'")
        return ident

    def balance(self, ident: str) -> Decimal:
        row = self.store.db.execute("SELECT balance FROM accounts WHERE id = ?", (ident,))
        return Decimal(row.fetchone()[0])

    def add(self, ident: str, amount: Decimal) -> None:
        """Credit (or, negative, charge) an account."""
        self.store.db.execute(
            "UPDATE accounts SET balance = ? WHERE id = ?",
            (str(self.balance(ident) + amount), ident),
        )

    def set(self, amount: Decimal, ident: str | None = None) -> None:
        """One account's balance; without ``ident``, every account's and the starting
        balance of accounts to come."""
        if ident is None:
            self.start_balance = amount
            self.store.db.execute("UPDATE accounts SET balance = ?", (str(amount),))
            if self.store.meta("legacy_balance") is not None:
                self.store.set_meta("legacy_balance", str(amount))
        else:
            self.store.db.execute(
                "UPDATE accounts SET balance = ? WHERE id = ?", (str(amount), ident)
            )

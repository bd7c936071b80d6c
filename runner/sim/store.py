"""The simulated panel's storage: one SQLite database (in memory, or a file for
``sim://NAME`` so orders keep progressing between commands), its schema, transactions,
the meta values and the global id sequences.

Accounts are stored by a hash of their API key, never the key itself (the file is on disk).
"""

from __future__ import annotations

import random
import sqlite3
import threading
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY, balance TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY, service INTEGER NOT NULL, link TEXT, quantity INTEGER NOT NULL,
  runs INTEGER NOT NULL, interval INTEGER NOT NULL, units INTEGER NOT NULL,
  charge TEXT NOT NULL, created REAL NOT NULL, start_count INTEGER NOT NULL,
  partial REAL, canceled_at REAL, refunded INTEGER NOT NULL DEFAULT 0, params TEXT NOT NULL,
  owner TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS orders_link ON orders (service, link);
CREATE TABLE IF NOT EXISTS refills (
  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, created REAL NOT NULL,
  owner TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS refills_order ON refills (order_id);
"""

# Orders of a panel made before accounts existed: the first key that speaks to the
# upgraded panel takes them over, with the old balance (see ``Accounts.open``).
LEGACY_OWNER = ""


class Store:
    """The database of one simulated panel.  Thread-safe through one re-entrant lock;
    other processes (``sim://NAME`` is a shared file) are kept out by BEGIN IMMEDIATE."""

    def __init__(self, path: str | Path, seed: int) -> None:
        self.seed = seed
        self.lock = threading.RLock()
        memory = str(path) == ":memory:"
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=30.0
        )
        if not memory:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.row_factory = sqlite3.Row
        with self.write():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            self._migrate()
            # Most reads filter on the owner (indexed once a migration added the column).
            self.db.execute("CREATE INDEX IF NOT EXISTS orders_owner ON orders (owner, id)")
            # Partial orders not yet refunded: looked at on every balance and add.
            self.db.execute(
                "CREATE INDEX IF NOT EXISTS orders_unsettled ON orders (owner)"
                " WHERE partial IS NOT NULL AND refunded = 0 AND canceled_at IS NULL"
            )
            self.db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('next_order', ?), ('next_refill', ?)",
                (str(20_000 + seed % 1000 * 7), str(500 + seed % 100)),
            )

    def _migrate(self) -> None:
        """A panel file written before accounts: give its tables the owner column and keep
        its single balance for the first key that comes (``legacy_balance``)."""
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(orders)")}
        if "owner" in columns:
            return
        self.db.execute("ALTER TABLE orders ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
        self.db.execute("ALTER TABLE refills ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
        old = self.db.execute("SELECT value FROM meta WHERE key = 'balance'").fetchone()
        if old is not None:
            self.db.execute("INSERT INTO meta VALUES ('legacy_balance', ?)", (old[0],))
            self.db.execute("DELETE FROM meta WHERE key = 'balance'")

    def close(self) -> None:
        self.db.close()

    class _Txn:
        def __init__(self, store: Store) -> None:
            self.store = store

        def __enter__(self) -> None:
            self.store.lock.acquire()
            try:
                self.store.db.execute("BEGIN IMMEDIATE")
            except BaseException:
                self.store.lock.release()
                raise

        def __exit__(self, exc_type: object, *rest: object) -> None:
            try:
                self.store.db.execute("ROLLBACK" if exc_type else "COMMIT")
            finally:
                self.store.lock.release()

    def write(self) -> Store._Txn:
        """A write transaction (re-entrant within a thread only through the lock: do not
        nest)."""
        return Store._Txn(self)

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def next_id(self, key: str, gaps: bool = True) -> int:
        """Ids are global and increasing; with ``gaps``, ids taken by other customers in
        between (deterministic for a seed)."""
        current = int(self.meta(key) or 0)
        step = 1
        if gaps:
            step += random.Random(f"{self.seed}:{key}:{current}").randint(0, 4)
        self.set_meta(key, str(current + step))
        return current + step

    def skip_ids(self, key: str, count: int) -> None:
        """``count`` ids taken (by other customers) without a row kept for them."""
        self.set_meta(key, str(int(self.meta(key) or 0) + count))

"""The PostgreSQL state store: the store of record in a database that several runners and
people share, each campaign locked on its own.

The tables (``pgschema``) and the SQL (``runner.state.sqlread``, ``sqltx``, through
``pgconn.Adapter``) are the SQLite store's; the locks are advisory locks per campaign
(``pglock``).  ``locked`` is the one way to write: it takes the locks on a connection of
their own, and every write transaction first checks that they are still held.

At most once, on a network: ``submitting`` commits with ``synchronous_commit`` on before
``add`` is sent (an outcome may commit with it off: lost, it reads as in doubt).  A store
whose connection (or whose locks) went away refuses every later write, so nothing more is
placed; the orders still ``submitting`` are recorded as in doubt as soon as the database
answers again (``locked`` tries for a few seconds as it ends), or by the next apply.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager

import psycopg

from runner.errors import LockHeld, StateError
from runner.state import model
from runner.state.empty import EmptyState
from runner.state.interface import StateReader
from runner.state.location import StateLocation
from runner.state.model import Dump
from runner.state.pgconn import Adapter, PgConnection, cause, connect
from runner.state.pglock import CampaignLocks, held
from runner.state.pgschema import check_version, found_version, prepare
from runner.state.pgwrite import PgTransaction
from runner.state.sqlread import SQLReads, restore_rows

__all__ = ["PostgresStore", "held_by_someone", "locked", "open_readonly"]

# After a lost connection, the tries to record what was in flight as in doubt.
RECOVERY_WAITS = (0.0, 1.0, 2.0)
LOST_REASON = "the connection to the state store was lost while it was being sent"


class _Link:
    """The store's connection and why it stopped, if it did (apart from the store, so no
    reference cycle keeps a forgotten store's connection open)."""

    def __init__(self, location: StateLocation, conn: PgConnection) -> None:
        self.location = location
        self.conn = conn
        self.lost: str | None = None

    def failed(self, exc: psycopg.Error) -> StateError:
        where = f"state store {self.location.display}"
        text = cause(self.location, exc)
        if self.conn.broken or self.conn.closed:
            self.lost = self.lost or f"the connection was lost ({text})"
            return StateError(f"{where}: {self.lost}; this run writes nothing more")
        return StateError(f"{where}: {text}")


class PostgresStore(SQLReads):
    """The state in ``location``'s schema; its tables are made on first use."""

    _db: Adapter

    def __init__(
        self, location: StateLocation, readonly: bool = False, conn: PgConnection | None = None
    ) -> None:
        self.location = location
        self.readonly = readonly
        self.created = False
        self._lock = threading.RLock()
        self._locks: CampaignLocks | None = None
        self._conn = conn if conn is not None else connect(location, "store", readonly)
        self._link = _Link(location, self._conn)
        try:
            if readonly:
                self._check_readable()
            else:
                self.created = prepare(self._conn, location)
        except BaseException:
            self._conn.close()
            raise
        self._db = Adapter(self._conn, self._link.failed)
        self.clock_offset, self.clock_margin = self._clock()

    def _clock(self) -> tuple[float, float]:
        """This machine's clock against the server's: every writer stamps its times on
        the server's clock, so runners on machines whose clocks disagree still agree on
        what came first (the margin covers the measurement's own error)."""
        try:
            before = model.wall()
            row = self._conn.execute(
                "SELECT EXTRACT(EPOCH FROM clock_timestamp()) AS now"
            ).fetchone()
            after = model.wall()
        except psycopg.Error as exc:
            raise self._link.failed(exc) from None
        server = float(row["now"]) if row is not None else (before + after) / 2
        return server - (before + after) / 2, max(0.25, 2 * (after - before))

    @property
    def lost(self) -> str | None:
        """Why this store stopped writing, once it has."""
        return self._link.lost

    def _check_readable(self) -> None:
        try:
            version = found_version(self._conn, self.location)
        except psycopg.Error as exc:
            raise self._link.failed(exc) from None
        if version is None:
            raise StateError(f"state store {self.location.display} holds no smm state yet")
        check_version(version, self.location, readonly=True)

    @property
    def where(self) -> str:
        return self.location.display

    def fenced_by(self, locks: CampaignLocks) -> None:
        """Write only while ``locks`` are held."""
        self._locks = locks

    def close(self) -> None:
        self._conn.close()

    # --- writes -----------------------------------------------------------------

    def _begin(self, durable: bool) -> None:
        if self.lost is not None:
            raise StateError(
                f"state store {self.location.display}: {self.lost}; this run writes nothing more"
            )
        steps = [] if self._locks is None else [self._locks.fence()]
        steps.append("BEGIN")
        if not durable:
            steps.append("SET LOCAL synchronous_commit TO off")
        cursor = self._db.execute("; ".join(steps))
        if self._locks is not None:
            row = cursor.fetchone()
            if row is None or row["n"] != len(self._locks.keys):
                with contextlib.suppress(StateError):
                    self._db.execute("ROLLBACK")
                self._link.lost = "its locks were released (their connection ended)"
                raise StateError(
                    f"state store {self.location.display}: {self.lost}; "
                    "this run writes nothing more"
                )

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[PgTransaction]:
        """One batch of writes, committed together or not at all.  ``durable=False``
        commits without waiting for the server's WAL flush: only for writes whose loss is
        safe, like an outcome after ``submitting``."""
        if self.readonly:
            raise StateError("the state store was opened read-only")
        with self._lock:
            self._begin(durable)
            txn = PgTransaction(self._db, self.clock_offset)
            try:
                yield txn
                status = txn.commit()
            except BaseException:
                if self.lost is None:
                    with contextlib.suppress(StateError):
                        self._db.execute("ROLLBACK")
                raise
            if status != "COMMIT":  # the server rolled back a failed transaction
                raise StateError(
                    f"state store {self.location.display}: the write failed; nothing of it "
                    "was recorded"
                )

    def restore(self, dump: Dump) -> None:
        with self.transaction() as txn:
            restore_rows(txn.db, dump)

    def dump(self) -> Dump:
        """Everything, as of one moment (one snapshot, whatever commits meanwhile)."""
        with self._lock:
            self._db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            try:
                return super().dump()
            finally:
                with contextlib.suppress(StateError):
                    self._db.execute("COMMIT")


@contextmanager
def locked(
    location: StateLocation,
    campaigns: Collection[str] | None,
    timeout: float = 0.0,
    recover: bool = True,
) -> Iterator[PostgresStore]:
    """The store with the locks of ``campaigns`` (every campaign when None) held; if its
    connection is lost meanwhile, what was in flight is recorded as in doubt at the end
    (unless ``recover`` is False)."""
    store = PostgresStore(location)  # first, so the tables (and the holders' one) exist
    try:
        locks = CampaignLocks(location)
        locks.acquire(campaigns, timeout)
        try:
            store.fenced_by(locks)
            yield store
        finally:
            locks.release()
            if store.lost is not None and recover:
                _recover(location, campaigns)
    finally:
        store.close()


def _recover(location: StateLocation, campaigns: Collection[str] | None) -> None:
    """This run's store lost its connection: once the database answers again (and no other
    process holds these campaigns), what is still ``submitting`` is in doubt."""
    for wait in RECOVERY_WAITS:
        time.sleep(wait)
        try:
            with (
                locked(location, campaigns, recover=False) as store,
                store.transaction() as tx,
            ):
                tx.abandon_submitting(LOST_REASON, campaigns=campaigns)
            return
        except LockHeld:
            return  # another run holds them now: its start does this
        except StateError:
            continue


def open_readonly(location: StateLocation) -> StateReader:
    """The state for reading; an empty one when the schema holds none yet."""
    conn = connect(location, "read", readonly=True)
    try:
        version = found_version(conn, location)
    except psycopg.Error as exc:
        conn.close()
        raise StateError(f"state store {location.display}: {cause(location, exc)}") from None
    except BaseException:
        conn.close()
        raise
    if version is None:
        conn.close()
        return EmptyState(location.display)
    return PostgresStore(location, readonly=True, conn=conn)


def held_by_someone(location: StateLocation, campaigns: Collection[str] | None) -> bool:
    """Whether a live process holds the lock of any of these campaigns (of any campaign,
    when None) right now, without taking them."""
    conn = connect(location, "check", readonly=True)
    try:
        return held(conn, location.schema, campaigns)
    except psycopg.Error as exc:
        raise StateError(f"state store {location.display}: {cause(location, exc)}") from None
    finally:
        conn.close()

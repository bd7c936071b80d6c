"""The locks of a PostgreSQL state: one per campaign, so work on different campaigns runs
at once and work on the same campaign never overlaps.

They are session-level advisory locks held by a connection of their own: the server
releases them when that connection ends, even when its process was killed (``kill -9``),
so a dead holder never blocks.  Work on some campaigns takes the schema-wide lock SHARED
and each campaign's lock EXCLUSIVE, in sorted order; work on every campaign takes the
schema-wide lock EXCLUSIVE, which conflicts with them all.  A set is taken whole or not at
all, retried until the timeout.  The holder names itself (host, pid, user, command,
since) in ``lock_holders`` for the message of whoever waits for it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import os
import socket
import sys
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg

from runner.errors import LockHeld, StateError, redact
from runner.state.location import StateLocation
from runner.state.pgconn import PgConnection, cause, connect
from runner.state.pgschema import SCHEMA_KEY, key32, key64

# How long a process that found a lock taken waits for the holder to write its name.
_NAME_GRACE = 1.0
_POLL = 0.1
_EVERY = "every campaign"


@dataclass(frozen=True)
class Key:
    """One advisory lock: a bigint key (a campaign) or a pair of ints (the schema)."""

    what: str
    args: tuple[int, ...]
    shared: bool = False

    def _call(self, function: str) -> str:
        if len(self.args) == 1:
            return f"SELECT {function}(%s::bigint) AS ok"
        return f"SELECT {function}(%s::integer, %s::integer) AS ok"

    @property
    def take(self) -> str:
        return self._call("pg_try_advisory_lock_shared" if self.shared else "pg_try_advisory_lock")

    @property
    def give_back(self) -> str:
        return self._call("pg_advisory_unlock_shared" if self.shared else "pg_advisory_unlock")

    @property
    def row(self) -> tuple[int, int, int]:
        """How ``pg_locks`` shows it: (classid, objid, objsubid)."""
        if len(self.args) == 1:
            (key,) = self.args
            return (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF, 1
        first, second = self.args
        return first & 0xFFFFFFFF, second & 0xFFFFFFFF, 2


def schema_key(schema: str, shared: bool) -> Key:
    return Key(_EVERY, (SCHEMA_KEY, key32(schema)), shared)


def campaign_key(schema: str, name: str) -> Key:
    return Key(f"campaign {name}", (key64(f"{schema}:{name}"),))


def keys(schema: str, campaigns: Collection[str] | None) -> list[Key]:
    """The locks to take, in the one order every process takes them."""
    if campaigns is None:
        return [schema_key(schema, shared=False)]
    return [schema_key(schema, shared=True)] + [
        campaign_key(schema, name) for name in sorted(set(campaigns))
    ]


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    user: str
    command: str
    since: str
    holds: str

    def __str__(self) -> str:
        return (
            f"pid {self.pid} on {self.host} ({self.command}; user {self.user}), "
            f"since {self.since}, for {self.holds}"
        )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


_ADVISORY = (
    "SELECT pid, classid::bigint AS classid, objid::bigint AS objid, objsubid, mode"
    " FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class CampaignLocks:
    """The locks of some campaigns (every campaign when None) of one PostgreSQL state."""

    def __init__(self, location: StateLocation) -> None:
        self.location = location
        self.keys: list[Key] = []
        self._conn: PgConnection | None = None

    @property
    def backend_pid(self) -> int:
        assert self._conn is not None
        return int(self._conn.info.backend_pid)

    def acquire(self, campaigns: Collection[str] | None, timeout: float = 0.0) -> None:
        """Take them all, waiting up to ``timeout`` seconds; ``LockHeld`` names a holder."""
        wanted = keys(self.location.schema, campaigns)
        conn = connect(self.location, "lock")
        try:
            self._acquire(conn, wanted, timeout)
            self._name(conn, wanted)
        except psycopg.Error as exc:
            conn.close()
            where = f"state store {self.location.display}"
            raise StateError(f"{where}: {cause(self.location, exc)}") from None
        except BaseException:
            conn.close()
            raise
        self._conn, self.keys = conn, wanted

    def _acquire(self, conn: PgConnection, wanted: list[Key], timeout: float) -> None:
        start = time.monotonic()
        deadline = start + timeout
        while True:
            busy = _take_all(conn, wanted)
            if busy is None:
                return
            now = time.monotonic()
            if now < deadline:
                time.sleep(min(_POLL, deadline - now))
                continue
            holder = holder_of(conn, busy)
            # The holder names itself just after taking its locks: one that won the race
            # by a hair may not have yet.  Look again for a moment (or take the locks,
            # if they were released meanwhile).
            if holder is None and now - start < _NAME_GRACE:
                time.sleep(0.01)
                continue
            who = str(holder) if holder else f"another process, for {busy.what}"
            hint = "" if timeout else " (wait for it with --lock-timeout)"
            raise LockHeld(f"the state is locked by {who}{hint}")

    def _name(self, conn: PgConnection, wanted: list[Key]) -> None:
        since = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        holds = ", ".join(k.what for k in wanted if not k.shared) or "no campaign"
        conn.execute(
            "INSERT INTO lock_holders (backend_pid, host, pid, username, command, since, holds)"
            " VALUES (pg_backend_pid(), %s, %s, %s, %s, %s, %s) ON CONFLICT (backend_pid) DO"
            " UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, username = EXCLUDED.username,"
            " command = EXCLUDED.command, since = EXCLUDED.since, holds = EXCLUDED.holds",
            (
                socket.gethostname(),
                os.getpid(),
                _user(),
                redact(" ".join(["smm", *sys.argv[1:]]))[:200],
                since,
                holds[:500],
            ),
        )

    def fence(self) -> str:
        """A query whose ``n`` equals ``len(self.keys)`` while the locks are still held."""
        return (
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"
            f" AND pid = {self.backend_pid}"
        )

    def release(self) -> None:
        """Give them back (closing the connection alone would: the name goes too)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            with contextlib.suppress(psycopg.Error):
                conn.execute("DELETE FROM lock_holders WHERE backend_pid = pg_backend_pid()")
        finally:
            conn.close()


def _take_all(conn: PgConnection, wanted: list[Key]) -> Key | None:
    """All of ``wanted``, or none of them and the first that was busy."""
    taken: list[Key] = []
    for key in wanted:
        row = conn.execute(key.take, key.args).fetchone()
        if row is None or not row["ok"]:
            for done in reversed(taken):
                conn.execute(done.give_back, done.args)
            return key
        taken.append(key)
    return None


def holder_of(conn: PgConnection, key: Key) -> Holder | None:
    """Who holds ``key`` now, as it named itself (None: it has not, or nobody holds it)."""
    pids = [r["pid"] for r in conn.execute(_ADVISORY) if _row(r) == key.row]
    if not pids:
        return None
    row = conn.execute(
        "SELECT * FROM lock_holders WHERE backend_pid = ANY(%s) ORDER BY since LIMIT 1", (pids,)
    ).fetchone()
    if row is None:
        return None
    return Holder(
        row["host"], row["pid"], row["username"], row["command"], row["since"], row["holds"]
    )


def _row(r: Mapping[str, Any]) -> tuple[int, int, int]:
    return int(r["classid"]), int(r["objid"]), int(r["objsubid"])


def held(conn: PgConnection, schema: str, campaigns: Collection[str] | None) -> bool:
    """Whether another session holds a lock of these campaigns (any, when None) now."""
    whole = schema_key(schema, shared=False).row
    mine = {campaign_key(schema, name).row for name in campaigns or ()}
    for r in conn.execute(_ADVISORY):
        row = _row(r)
        if row == whole and (campaigns is None or r["mode"] == "ExclusiveLock"):
            return True
        if row in mine:
            return True
    return False

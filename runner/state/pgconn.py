"""Connections to a PostgreSQL state: opening them, and their errors as one line.

Credentials come from the URL or from libpq's variables (``PGPASSWORD``, ``PGUSER``,
``PGPASSFILE``, ...).  A password is never shown: every message names the store by its
``display`` form, and any password text a driver message might carry is replaced.

``Adapter`` lets the portable SQL of ``runner.state.sqlread`` and ``sqltx`` (``?``
placeholders, rows read by column name) run on psycopg unchanged.
"""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row

from runner.errors import StateError, redact, register_secret
from runner.state.location import MIN_SECRET, StateLocation


class PgConnection(psycopg.Connection[DictRow]):
    """A connection that closes itself quietly when nobody closed it (a short command's
    reader): psycopg would warn, and the order in which the garbage collector finalises
    a store and its connection is not ours to choose."""

    def __del__(self, *args: Any) -> None:
        if hasattr(self, "pgconn"):
            with contextlib.suppress(Exception):
                self.close()


# libpq waits for ever on a host that does not answer; a state store that does not
# answer in this long is reported (the URL's connect_timeout or PGCONNECT_TIMEOUT wins).
CONNECT_TIMEOUT = 10


def _secrets(location: StateLocation) -> list[str]:
    found = list(location.credentials)
    if os.environ.get("PGPASSWORD"):
        found.append(os.environ["PGPASSWORD"])
    return found


def cause(location: StateLocation, exc: BaseException) -> str:
    """A driver error as one line, with no password in it."""
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    text = text.removeprefix("connection failed: ") or type(exc).__name__
    for secret in _secrets(location):
        text = text.replace(secret, "***")
    if location.url is not None and location.url in text:
        text = text.replace(location.url, location.display)
    return redact(text)


def connect(location: StateLocation, role: str, readonly: bool = False) -> PgConnection:
    """A connection in autocommit mode (transactions are explicit), rows as dicts, the
    state's schema first on the search path, commits synchronous unless said otherwise.
    ``role`` names it in ``pg_stat_activity`` (``smm-<role>/<pid>``)."""
    assert location.url is not None
    for secret in _secrets(location):
        # so that not even a crash log shows it; a shorter one would be found in every
        # word ("ab" in "kaboom"): it is masked by its place in a URL (``redact``) and in
        # the driver's messages (``cause``)
        if len(secret) >= MIN_SECRET:
            register_secret(secret)
    options: dict[str, Any] = {"application_name": f"smm-{role}/{os.getpid()}"}
    try:
        given = conninfo_to_dict(location.url)
    except psycopg.ProgrammingError as exc:
        raise StateError(
            f"state URL {location.display} is malformed ({cause(location, exc)})"
        ) from None
    if "connect_timeout" not in given and not os.environ.get("PGCONNECT_TIMEOUT"):
        options["connect_timeout"] = CONNECT_TIMEOUT
    try:
        conn = PgConnection.connect(location.url, autocommit=True, row_factory=dict_row, **options)
    except psycopg.Error as exc:
        raise StateError(
            f"state store {location.display}: cannot connect ({cause(location, exc)})"
        ) from None
    try:
        settings = [
            sql.SQL("SET search_path TO {}").format(sql.Identifier(location.schema)),
            sql.SQL("SET synchronous_commit TO on"),
        ]
        if readonly:
            settings.append(sql.SQL("SET default_transaction_read_only TO on"))
        conn.execute(sql.SQL("; ").join(settings))
    except psycopg.Error as exc:
        conn.close()
        raise StateError(f"state store {location.display}: {cause(location, exc)}") from None
    return conn


def _value(value: Any) -> Any:
    # psycopg writes an Enum as its name; the state stores a phase by its value.
    return value.value if isinstance(value, enum.Enum) else value


class Adapter:
    """A psycopg connection seen as ``runner.state.sqlread.Connection``: ``?`` becomes
    ``%s``; every driver error becomes the ``StateError`` that ``failed`` makes of it."""

    def __init__(self, conn: PgConnection, failed: Callable[[psycopg.Error], StateError]):
        self.conn = conn
        self._failed = failed
        self._queries: dict[str, str] = {}

    def _query(self, text: str) -> str:
        query = self._queries.get(text)
        if query is None:
            query = self._queries[text] = text.replace("%", "%%").replace("?", "%s")
        return query

    def script(self, steps: Sequence[sql.Composable]) -> str:
        """Statements without parameters of their own (quoted in), in one round trip; the
        status of the last one."""
        try:
            cursor = self.conn.execute(sql.SQL("; ").join(steps))
            while cursor.nextset():
                pass
            return cursor.statusmessage or ""
        except psycopg.Error as exc:
            raise self._failed(exc) from None

    def execute(self, text: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[DictRow]:
        try:
            if not parameters:
                return self.conn.execute(text)
            values = [_value(p) for p in parameters]
            return self.conn.execute(self._query(text), values)
        except psycopg.Error as exc:
            raise self._failed(exc) from None

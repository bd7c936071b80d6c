"""A batch of writes on PostgreSQL: the shared SQL (``SQLTransaction``), with fewer
round trips to the server.

Every round trip costs the writer thread a wait for the server and then for Python's
interpreter lock, which the apply's senders hold meanwhile; ``submitting`` is on the path
of every order.  So the statements that need no answer ride with the next one: a
savepoint's release goes with the next savepoint (or the commit), and the serials' bumps
go with the commit.  Each such script runs as one simple query, so an error in it is the
error of the step that sent it, never of a later one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from psycopg import sql

from runner.state.pgconn import Adapter
from runner.state.sqlwrite import SQLTransaction

_RELEASE = sql.SQL("RELEASE SAVEPOINT part")


def inline(statement: str, parameters: Sequence[Any]) -> sql.Composable:
    """A ``?`` statement with its parameters quoted in, for a script of several."""
    return sql.SQL(statement.replace("?", "{}")).format(*(sql.Literal(p) for p in parameters))


class PgTransaction(SQLTransaction):
    db: Adapter

    def __init__(self, db: Adapter, offset: float = 0.0) -> None:
        super().__init__(db, offset)
        self._release = False  # a savepoint ended well: release it with the next step

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        changed = set(self.changed)
        steps: list[sql.Composable] = [_RELEASE] if self._release else []
        self._release = False
        self.db.script([*steps, sql.SQL("SAVEPOINT part")])
        try:
            yield
        except BaseException:
            self.db.script([sql.SQL("ROLLBACK TO SAVEPOINT part"), _RELEASE])
            self.changed = changed
            raise
        self._release = True

    def finish(self) -> None:
        """Nothing yet: the serials are bumped by ``commit``, in the same round trip."""

    def commit(self) -> str:
        """Release, bump the serials, commit; the server's word on it (``COMMIT``, or
        ``ROLLBACK`` for a transaction an error had aborted)."""
        steps: list[sql.Composable] = [_RELEASE] if self._release else []
        steps += [inline(statement, parameters) for statement, parameters in self.bumps()]
        return self.db.script([*steps, sql.SQL("COMMIT")])

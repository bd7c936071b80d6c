"""``smm state migrate TARGET``: move the whole state to another store, SQLite or
PostgreSQL, either way.

Everything is copied (records, events, refills, history, balances, the notifications
sent, the lineage and every serial), so plans made before still apply after.  The source
is locked for the copy (no apply may write to it meanwhile) and left as it was; the
target must hold nothing yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from runner.errors import SmmError
from runner.state import Dump, EmptyState, StateLocation, locked, open_readonly
from runner.state.location import parse
from runner.workflows.context import Context


@dataclass(frozen=True)
class Migrated:
    source: str
    target: str
    dump: Dump

    @property
    def counts(self) -> dict[str, int]:
        return {
            "orders": len(self.dump.orders),
            "events": len(self.dump.events),
            "refills": len(self.dump.refills),
            "observations": len(self.dump.history),
            "balances": len(self.dump.balances),
            **({"notifications": len(self.dump.notices)} if self.dump.notices else {}),
        }


def _holds_something(dump: Dump) -> bool:
    rows = (dump.orders, dump.refills, dump.events, dump.history, dump.balances, dump.notices)
    return dump.serial > 0 or any(rows)


def migrate(ctx: Context, target_text: str, lock_timeout: float = 0.0) -> Migrated:
    """Copy the current state into the empty store at ``target_text`` (a path, relative to
    the working folder, or a ``postgresql://`` URL)."""
    source = ctx.state_location
    target = parse(target_text, Path.cwd())
    if target == source:
        raise SmmError(f"{target.display} is the current state already")
    _must_exist(source)
    with locked(source, None, lock_timeout) as store:
        dump = store.dump()
        with locked(target, None, lock_timeout) as into:
            there = into.dump()
            if _holds_something(there):
                raise SmmError(
                    f"{target.display} already holds a state ({len(there.orders)} orders, "
                    f"serial {there.serial}); smm state migrate copies only into an empty one"
                )
            into.restore(dump)
    return Migrated(source.display, target.display, dump)


def _must_exist(source: StateLocation) -> None:
    reader = open_readonly(source)
    try:
        if isinstance(reader, EmptyState):
            raise SmmError(f"there is no state at {source.display} to migrate")
    finally:
        reader.close()

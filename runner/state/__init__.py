"""The state store: what smm knows about every order it ever tried to place.

``runner.state.model`` holds the values and ``runner.state.interface`` the ``StateStore``
interface; this module opens a store (the embedded SQLite backend) and is the one way
to write one: ``locked``.
Everything a caller needs is exported here, so no code reaches past the interface into
a backend.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from runner.errors import StateError
from runner.state.empty import EmptyState
from runner.state.interface import StateReader, StateStore, Transaction
from runner.state.location import StateLocation
from runner.state.model import (
    BalanceSeen,
    CancelRecord,
    Dump,
    Event,
    Evidence,
    LastStatus,
    Observation,
    OrderRecord,
    Phase,
    RefillRecord,
    StateInfo,
    now_iso,
)

__all__ = [
    "BalanceSeen",
    "CancelRecord",
    "Dump",
    "EmptyState",
    "Event",
    "Evidence",
    "LastStatus",
    "Observation",
    "OrderRecord",
    "Phase",
    "RefillRecord",
    "StateError",
    "StateInfo",
    "StateLocation",
    "StateReader",
    "StateStore",
    "Transaction",
    "apply_running",
    "locked",
    "now_iso",
    "open_readonly",
    "open_store",
]


def _located(where: StateLocation | Path) -> StateLocation:
    return where if isinstance(where, StateLocation) else StateLocation(path=where)


def _postgres() -> ModuleType:
    try:
        postgres = importlib.import_module("runner.state.postgres")
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise StateError(
            f"a PostgreSQL state needs the driver: pip install 'smm-runner[postgres]' ({exc})"
        ) from None
    return postgres


def open_store(location: StateLocation | Path) -> StateStore:
    """The store at ``location``, created when missing (a SQLite file mode 0600; a
    PostgreSQL schema)."""
    location = _located(location)
    if location.is_postgres:
        store: StateStore = _postgres().PostgresStore(location)
        return store
    from runner.state.sqlite import SQLiteStore

    return SQLiteStore(location.sqlite_path)


@contextmanager
def locked(
    location: StateLocation, campaigns: Collection[str] | None = None, timeout: float = 0.0
) -> Iterator[StateStore]:
    """The store with the lock held: the one way to write the state.

    A SQLite state has one lock for the whole file; a PostgreSQL state locks each of
    ``campaigns`` (every campaign when None) on its own."""
    if location.is_postgres:
        with _postgres().locked(location, campaigns, timeout) as store:
            yield store
        return
    from runner.state.lock import StateLock

    path = location.sqlite_path
    held = StateLock(path)
    held.acquire(timeout=timeout)
    try:
        store = open_store(location)
        try:
            yield store
        finally:
            store.close()
    finally:
        held.release()


def open_readonly(location: StateLocation | Path) -> StateReader:
    """The store for reading; an empty state when it does not exist yet."""
    location = _located(location)
    if location.is_postgres:
        reader: StateReader = _postgres().open_readonly(location)
        return reader
    path = location.sqlite_path
    if not path.exists():
        return EmptyState(str(path))
    from runner.state.sqlite import SQLiteStore

    return SQLiteStore(path, readonly=True)


def apply_running(location: StateLocation, campaigns: Collection[str] | None = None) -> bool:
    """Whether a live process holds the lock of these campaigns right now."""
    if location.is_postgres:
        running: bool = _postgres().held_by_someone(location, campaigns)
        return running
    from runner.state.lock import held_by_someone

    return held_by_someone(location.sqlite_path)

"""The state store: what smm knows about every order it ever tried to place.

``runner.state.model`` holds the values and the ``StateStore`` interface; this module
opens a store (the embedded SQLite backend) and is the one way to write one: ``locked``.
Everything a caller needs is exported here, so no code reaches past the interface into
a backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from runner.errors import StateError
from runner.state.model import (
    BalanceSeen,
    CancelRecord,
    Dump,
    EmptyState,
    Event,
    Evidence,
    LastStatus,
    Observation,
    OrderRecord,
    Phase,
    RefillRecord,
    StateInfo,
    StateReader,
    StateStore,
    Transaction,
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
    "StateReader",
    "StateStore",
    "Transaction",
    "locked",
    "now_iso",
    "open_readonly",
    "open_store",
]


def open_store(path: Path) -> StateStore:
    """The store at ``path``, created (mode 0600) when missing."""
    from runner.state.sqlite import SQLiteStore

    return SQLiteStore(path)


@contextmanager
def locked(path: Path, timeout: float = 0.0) -> Iterator[StateStore]:
    """The store at ``path`` with the apply lock held: the one way to write the state."""
    from runner.state.lock import StateLock

    held = StateLock(path)
    held.acquire(timeout=timeout)
    try:
        store = open_store(path)
        try:
            yield store
        finally:
            store.close()
    finally:
        held.release()


def open_readonly(path: Path) -> StateReader:
    """The store at ``path`` for reading; an empty state when it does not exist yet."""
    if not path.exists():
        return EmptyState(str(path))
    from runner.state.sqlite import SQLiteStore

    return SQLiteStore(path, readonly=True)

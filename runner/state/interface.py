"""The interface every store backend implements: reads (``StateReader``), a batch of
writes inside ``store.transaction()`` (``Transaction``), and the store (``StateStore``).

The values it speaks of live in ``runner.state.model``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from runner.state.model import (
    BalanceSeen,
    CancelRecord,
    Dump,
    Event,
    Evidence,
    LastStatus,
    Observation,
    OrderRecord,
    RefillRecord,
    StateInfo,
)

if TYPE_CHECKING:
    pass


class Transaction(Protocol):
    """The writes of one batch; all or nothing."""

    def savepoint(self) -> AbstractContextManager[None]:
        """A part of the batch undone alone when it raises."""

    def begin_submit(
        self,
        address: str,
        campaign: str,
        panel: str,
        fingerprint: str,
        spec: Mapping[str, Any],
        cost: Decimal | None,
        apply_id: str,
        known_below: int | None = None,
    ) -> None:
        """Record that ``add`` is about to be sent: only an address never placed (or
        rejected) may be submitted."""
        ...

    def placed(
        self, address: str, order_id: int, how: str = "add", evidence: Evidence | None = None
    ) -> None: ...
    def rejected(
        self,
        address: str,
        reason: str,
        not_sent: bool = False,
        evidence: Evidence | None = None,
    ) -> None: ...
    def in_doubt(self, address: str, reason: str, evidence: Evidence | None = None) -> None: ...
    def withdraw(self, address: str, reason: str) -> None: ...
    def abandon_submitting(
        self,
        reason: str,
        address: str | None = None,
        campaigns: Collection[str] | None = None,
    ) -> list[str]: ...
    def status(self, address: str, last: LastStatus) -> None:
        """The panel's latest answer about the order; a change is kept in its history."""
        ...

    def balance(self, seen: BalanceSeen) -> None:
        """A panel's balance as answered (kept when it differs from the last one)."""
        ...

    def refill(self, address: str, record: RefillRecord) -> None: ...
    def refill_status(
        self, address: str, refill_id: int, status: str | None, error: str | None, at: str
    ) -> None: ...
    def cancel(self, address: str, record: CancelRecord) -> None: ...
    def import_order(
        self,
        address: str,
        campaign: str,
        panel: str,
        fingerprint: str,
        spec: Mapping[str, Any],
        order_id: int,
        cost: Decimal | None,
        how: Mapping[str, Any] | None = None,
    ) -> None: ...
    def retry(self, address: str, reason: str = "declared not placed (state retry)") -> None: ...
    def forget(self, address: str) -> None: ...
    def move(self, old: str, new: str) -> None: ...
    def event(self, address: str, kind: str, detail: Mapping[str, Any]) -> None: ...
    # Notifications, each sent once (runner.notify.send): True when this runner is to send
    # it (never sent, no claim newer than ``stale_before``); then sent, or failed (retried).
    def claim_notice(self, key: str, event: str, holder: str, stale_before: str) -> bool: ...
    def notice_done(self, key: str, error: str | None = None) -> None: ...
    def saw_services(self, panel: str, seen: Mapping[int, Mapping[str, Any]]) -> None:
        """What a panel's catalog said about services orders used (no serial moves)."""
        ...


class StateReader(Protocol):
    """What the planner and the read-only commands need."""

    @property
    def where(self) -> str:
        """Where the store lives, fit to print (a path, or a URL without its password)."""
        ...

    @property
    def clock_offset(self) -> float:
        """Seconds from this machine's clock to the store's: times written into a state
        that several machines share are on one clock (the database server's)."""
        ...

    @property
    def clock_margin(self) -> float:
        """How far two writers' times may still disagree after that correction."""
        ...

    def info(self) -> StateInfo: ...
    def records(self, campaigns: set[str] | None = None) -> dict[str, OrderRecord]: ...
    def each_record(self, campaigns: set[str] | None = None) -> Iterator[OrderRecord]:
        """The records of ``records``, in address order, one at a time."""
        ...

    def record(self, address: str) -> OrderRecord | None: ...
    def events(self, address: str | None = None) -> list[Event]: ...
    def history(self, campaigns: set[str] | None = None) -> list[Observation]:
        """Every observed change of the orders of these campaigns (all when None), oldest
        first."""
        ...

    def balances(self) -> list[BalanceSeen]: ...
    def highest_order_ids(self) -> dict[str, int]:
        """Per panel, the highest order id recorded."""
        ...

    def holder_of(self, panel: str, order_id: int) -> str | None:
        """The address recorded with this panel order id, if any."""
        ...

    def services_seen(self) -> dict[tuple[str, int], dict[str, Any]]:
        """By (panel, service id): what the catalog said when last used (``saw_services``)."""
        ...

    def dump(self) -> Dump: ...
    def close(self) -> None: ...


class StateStore(StateReader, Protocol):
    """A store that can also be written, one transaction at a time."""

    @property
    def created(self) -> bool:
        """Whether opening it started a new, empty state."""
        ...

    def transaction(self, durable: bool = True) -> AbstractContextManager[Transaction]: ...
    def apply_id(self, address: str) -> str | None: ...
    def restore(self, dump: Dump) -> None:
        """Fill an empty store with everything ``dump`` holds (lineage and serials too)."""
        ...

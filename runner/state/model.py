"""The state's values and the interface every store backend implements.

Records are frozen values; writes happen inside ``store.transaction()``, which commits
all of a batch or nothing, and bumps the ``serial`` when the batch changed what is
recorded about orders.
"""

from __future__ import annotations

import datetime as _dt
import enum
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from runner.state.spend import counted, counts_charge

if TYPE_CHECKING:
    from runner.api.models import OrderInfo


def wall() -> float:
    """This machine's clock (seconds since the epoch): the one place smm reads it for the
    times it writes into the state."""
    return time.time()


def now_iso(offset: float = 0.0) -> str:
    """Now, as the state writes times: UTC, milliseconds, a trailing Z.  ``offset``:
    seconds from this machine's clock to the store's (``StateReader.clock_offset``)."""
    now = _dt.datetime.fromtimestamp(wall() + offset, _dt.UTC)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Phase(enum.StrEnum):
    SUBMITTING = "submitting"
    PLACED = "placed"
    REJECTED = "rejected"
    IN_DOUBT = "in_doubt"


@dataclass(frozen=True, slots=True)
class LastStatus:
    status: str
    remains: int | None
    start_count: int | None
    charge: Decimal | None
    currency: str | None
    checked_at: str
    error: str | None = None  # the panel's per-item error, when it answered one

    @classmethod
    def answered(cls, info: OrderInfo, at: str) -> LastStatus:
        """What the panel's ``status`` answer for the order said, at ``at``."""
        return cls(str(info.status), info.remains, info.start_count, info.charge, info.currency, at)

    @classmethod
    def unanswered(cls, previous: LastStatus | None, error: str, at: str) -> LastStatus:
        """What we knew before, and the per-item error the panel answered instead."""
        if previous is None:
            return cls("", None, None, None, None, at, error)
        return replace(previous, checked_at=at, error=error)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "remains": self.remains,
            "start_count": self.start_count,
            "charge": None if self.charge is None else str(self.charge),
            "currency": self.currency,
            "checked_at": self.checked_at,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class RefillRecord:
    requested_at: str
    refill_id: int | None
    error: str | None = None
    status: str | None = None
    checked_at: str | None = None

    @property
    def ok(self) -> bool:
        return self.refill_id is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "requested_at": self.requested_at,
            "refill_id": self.refill_id,
            "error": self.error,
            "status": self.status,
            "checked_at": self.checked_at,
        }


@dataclass(frozen=True, slots=True)
class CancelRecord:
    requested_at: str
    ok: bool
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"requested_at": self.requested_at, "ok": self.ok, "error": self.error}


@dataclass(frozen=True)
class Event:
    at: str
    address: str
    kind: str
    detail: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "address": self.address,
            "kind": self.kind,
            "detail": dict(self.detail),
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known of an ``add`` request in time and id space, for reconciliation.

    Order ids are global and grow with time: an order this request created has an id
    above ``known_below`` and below that of any own order sent after ``gave_up_at`` (plus
    the time a panel may still take to process a request it received)."""

    sent_at: str | None = None  # when the request left (None: between created and gave up)
    gave_up_at: str | None = None  # when the client stopped waiting for the answer
    known_below: int | None = None  # the panel's highest own order id known before sending

    def to_json(self) -> dict[str, Any]:
        return {
            "sent_at": self.sent_at,
            "gave_up_at": self.gave_up_at,
            "known_below": self.known_below,
        }


@dataclass(frozen=True, slots=True)
class Observation:
    """One observed change of an order on its panel (a point of its delivery curve)."""

    address: str
    at: str
    status: str
    remains: int | None
    start_count: int | None
    charge: Decimal | None
    currency: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "at": self.at,
            "status": self.status,
            "remains": self.remains,
            "start_count": self.start_count,
            "charge": None if self.charge is None else str(self.charge),
            "currency": self.currency,
        }


@dataclass(frozen=True)
class BalanceSeen:
    """A panel's balance as it was answered at one moment."""

    panel: str
    at: str
    amount: Decimal
    currency: str

    def to_json(self) -> dict[str, Any]:
        return {
            "panel": self.panel,
            "at": self.at,
            "amount": str(self.amount),
            "currency": self.currency,
        }


@dataclass(frozen=True, slots=True)
class OrderRecord:
    address: str
    campaign: str
    panel: str
    fingerprint: str
    phase: Phase
    spec: Mapping[str, Any]
    order_id: int | None = None
    estimated_cost: Decimal | None = None
    error: str | None = None
    last: LastStatus | None = None
    refills: tuple[RefillRecord, ...] = ()
    cancel: CancelRecord | None = None
    created_at: str = ""
    updated_at: str = ""
    evidence: Evidence = Evidence()

    @property
    def spent(self) -> Decimal:
        """What the order counts against its budget (``state.spend.counted``): the panel's
        charge once finished; before, the larger of it and the estimate made when placing;
        nothing for an order that was never placed.  ``plan``, ``status`` and ``report``
        all count spend with this one definition."""
        if self.phase is Phase.REJECTED:
            return Decimal(0)
        last = self.last
        if last is None:
            return counted(self.estimated_cost, None, None)
        return counted(self.estimated_cost, last.charge, last.status)

    @property
    def spent_is_charge(self) -> bool:
        """Whether ``spent`` is the panel's reported charge (else our estimate)."""
        last = self.last
        if self.phase is Phase.REJECTED or last is None:
            return False
        return counts_charge(self.estimated_cost, last.charge, last.status)

    @property
    def refills_made(self) -> int:
        """Refill requests the panel accepted."""
        return sum(1 for r in self.refills if r.ok)

    @property
    def open_refills(self) -> list[RefillRecord]:
        from runner.api.models import RefillStatus

        return [
            r
            for r in self.refills
            if r.ok and (r.status is None or not RefillStatus(r.status).terminal)
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "campaign": self.campaign,
            "panel": self.panel,
            "phase": str(self.phase),
            "order_id": self.order_id,
            "fingerprint": self.fingerprint,
            "estimated_cost": None if self.estimated_cost is None else str(self.estimated_cost),
            "error": self.error,
            "last_status": self.last.to_json() if self.last else None,
            "refills": [r.to_json() for r in self.refills],
            "cancel": self.cancel.to_json() if self.cancel else None,
            "spec": dict(self.spec),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "evidence": self.evidence.to_json(),
        }


@dataclass(frozen=True)
class StateInfo:
    """The store's identity (``lineage``), its serial, and each campaign's serial (bumped
    whenever what is recorded about that campaign's orders changes)."""

    lineage: str | None
    serial: int
    campaigns: Mapping[str, int] = field(default_factory=dict)

    def serials(self, names: Iterable[str]) -> dict[str, int]:
        return {name: self.campaigns.get(name, 0) for name in sorted(set(names))}


Row = Mapping[str, Any]


@dataclass(frozen=True)
class Dump:
    """Everything a store holds, as backend-neutral rows (column -> value), for moving a
    state from one store to another (``smm state migrate``)."""

    lineage: str | None
    serial: int
    campaigns: Mapping[str, int]
    orders: tuple[Row, ...]
    refills: tuple[Row, ...]
    events: tuple[Row, ...]
    history: tuple[Row, ...]
    balances: tuple[Row, ...]
    notices: tuple[Row, ...] = ()  # the notifications claimed or sent


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

"""The state's values: records, their phases, statuses, events and evidence.

The interface every store backend implements is ``runner.state.interface``.

Records are frozen values; writes happen inside ``store.transaction()``, which commits
all of a batch or nothing, and bumps the ``serial`` when the batch changed what is
recorded about orders.
"""

from __future__ import annotations

import datetime as _dt
import enum
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

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

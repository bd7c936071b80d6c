"""What the panels told the planner: catalogs, balances, fresh statuses, and what a
recorded order has reached and spent as far as they say."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from runner.api.models import Balance, ItemError, OrderInfo, OrderStatus, Service
from runner.state import OrderRecord, Phase
from runner.state.spend import charge_differs, counted


@dataclass(frozen=True)
class PanelFacts:
    """What the panel told us (or why it could not)."""

    name: str
    services: Mapping[int, Service] = field(default_factory=dict)
    balance: Balance | None = None
    statuses: Mapping[int, OrderInfo | ItemError] = field(default_factory=dict)
    error: str | None = None
    known: bool = True  # False: not a panel of the project file
    fetched_at: float | None = field(default=None, compare=False)  # time.monotonic()


def current_status(record: OrderRecord, facts: PanelFacts | None) -> OrderStatus | None:
    if record.order_id is not None and facts is not None:
        fresh = facts.statuses.get(record.order_id)
        if isinstance(fresh, OrderInfo):
            return fresh.status
    if record.last is not None and record.last.status:
        return OrderStatus(record.last.status)
    return None


def _fresh(record: OrderRecord, facts: PanelFacts | None) -> OrderInfo | None:
    """The status the panel answered a moment ago for a placed order, with a charge."""
    if record.phase is Phase.REJECTED or record.order_id is None or facts is None:
        return None
    fresh = facts.statuses.get(record.order_id)
    return fresh if isinstance(fresh, OrderInfo) and fresh.charge is not None else None


def recorded_charge(record: OrderRecord, facts: PanelFacts | None) -> Decimal:
    """What a recorded order counts against its budget: ``OrderRecord.spent`` (the one
    rule, ``state.spend``, shared with status and report: the charge once the order is
    finished, before that the larger of charge and estimate), from the status the panel
    answered a moment ago when it answered one."""
    fresh = _fresh(record, facts)
    if fresh is None:
        return record.spent
    return counted(record.estimated_cost, fresh.charge, str(fresh.status))


def charge_note(record: OrderRecord, facts: PanelFacts | None) -> str | None:
    """Where the panel's charge and our estimate differ by more than a rounding (None
    where they agree, or nothing was charged yet).  May read the record's spec: call it
    before planning releases it."""
    fresh = _fresh(record, facts)
    if fresh is not None:
        return charge_differs(record.estimated_cost, fresh.charge, str(fresh.status), record.spec)
    last = record.last
    if record.phase is Phase.REJECTED or last is None:
        return None
    return charge_differs(record.estimated_cost, last.charge, last.status, record.spec)

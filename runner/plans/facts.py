"""What the panels told the planner: catalogs, balances, fresh statuses, and what a
recorded order has reached and spent as far as they say."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from runner.api.models import Balance, ItemError, OrderInfo, OrderStatus, Service
from runner.state import OrderRecord, Phase


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


def recorded_charge(record: OrderRecord, facts: PanelFacts | None) -> Decimal:
    """What a recorded order has spent: ``OrderRecord.spent`` (the one definition, shared
    with status and report), with the charge the panel answered a moment ago if newer."""
    if record.phase is not Phase.REJECTED and record.order_id is not None and facts is not None:
        fresh = facts.statuses.get(record.order_id)
        if isinstance(fresh, OrderInfo) and fresh.charge is not None:
            return fresh.charge
    return record.spent

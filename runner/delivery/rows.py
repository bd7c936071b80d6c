"""Where each recorded order's delivery stands, as values: what ``smm status`` shows.

The status workflow builds the rows from the state; the renderers print them.
"""

from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from runner.api.models import OrderStatus, RefillStatus
from runner.clock import parse_moment
from runner.state import OrderRecord, Phase, RefillRecord
from runner.state.addresses import base_address
from runner.state.spend import charge_differs


@dataclass(frozen=True, slots=True)
class Row:
    address: str
    campaign: str
    phase: Phase
    order_id: int | None
    status: str
    delivered: int | None
    ordered: int | None
    charge: Decimal | None  # as the panel reported it
    currency: str | None
    spent: Decimal  # OrderRecord.spent: the charge, else the estimate made when placing
    refills: str  # for a table: "1 (Completed)"
    refills_open: bool
    age: str  # for a table: "3m"
    note: str
    # The same facts as values (for JSON): the panel's status (None: not known yet), the
    # refill requests, when the order was recorded and how long ago.
    panel_status: str | None = None
    refill_requests: tuple[RefillRecord, ...] = ()
    created_at: str = ""
    age_seconds: int | None = None
    service_type: str | None = None
    # Top-ups (runner.plans.topups): an order's own, and its delivery counted with them;
    # a top-up names the order it tops up.
    topups: tuple[str, ...] = ()
    delivered_in_all: int | None = None
    topup_of: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Numbers as numbers, times as ISO 8601, money as exact decimal strings."""
        return {
            "address": self.address,
            "campaign": self.campaign,
            "phase": str(self.phase),
            "order_id": self.order_id,
            "status": self.panel_status,
            "delivered": self.delivered,
            "ordered": self.ordered,
            "charge": None if self.charge is None else str(self.charge),
            "currency": self.currency,
            "spent": str(self.spent),
            "refills": [r.to_json() for r in self.refill_requests],
            "refills_open": self.refills_open,
            "created_at": self.created_at,
            "age_seconds": self.age_seconds,
            "note": self.note,
            **self.topup_json(),
        }

    def topup_json(self) -> dict[str, Any]:
        if self.topup_of is not None:
            return {"topup_of": self.topup_of}
        if not self.topups:
            return {}
        return {"topups": list(self.topups), "delivered_with_topups": self.delivered_in_all}

    @property
    def shown_delivered(self) -> int | None:
        """What a table shows as delivered: with the top-ups, when there are some."""
        return self.delivered if not self.topups else self.delivered_in_all


@dataclass(frozen=True)
class Overview:
    """The rows of every recorded order in scope, and each loaded campaign's budget."""

    rows: list[Row]
    budgets: dict[str, Decimal | None] = field(default_factory=dict)
    # What a refresh asked for could not learn (a panel down, a key unset): the rows of
    # those panels are as last recorded.
    not_refreshed: tuple[str, ...] = ()

    @property
    def campaigns(self) -> list[str]:
        return sorted(self._by_campaign)

    @functools.cached_property
    def _by_campaign(self) -> dict[str, list[Row]]:
        grouped: dict[str, list[Row]] = {}
        for r in self.rows:
            grouped.setdefault(r.campaign, []).append(r)
        return grouped

    def of(self, campaign: str) -> list[Row]:
        return list(self._by_campaign.get(campaign, ()))

    def spent(self, campaign: str) -> Decimal:
        """The campaign's spend: ``OrderRecord.spent`` summed, as plan and report count."""
        return sum((r.spent for r in self.of(campaign)), Decimal(0))

    @property
    def running(self) -> list[Row]:
        """Subscriptions running as intended (status Active): they never finish by
        themselves, and that is right."""
        return [
            r
            for r in self.rows
            if r.phase is Phase.PLACED
            and r.service_type == "Subscriptions"
            and r.panel_status == OrderStatus.ACTIVE.value
        ]

    @property
    def under_way(self) -> list[Row]:
        """Placed orders still moving: not in a final status, or with a refill open."""
        running = {r.address for r in self.running}
        return [
            r
            for r in self.rows
            if r.phase is Phase.PLACED
            and r.address not in running
            and (
                r.panel_status is None or not OrderStatus(r.panel_status).terminal or r.refills_open
            )
        ]

    @property
    def finished(self) -> bool:
        """Nothing will change by waiting: every placed order is in a final status (its
        refills answered) or is a running subscription.  Orders in doubt or rejected wait
        for a person, not for time."""
        return not self.under_way

    @property
    def needs_a_person(self) -> list[Row]:
        return [r for r in self.rows if r.phase in (Phase.IN_DOUBT, Phase.REJECTED)]


def age_seconds(created: str, now: _dt.datetime) -> int | None:
    then = parse_moment(created)
    return None if then is None else int((now - then).total_seconds())


def age(created: str, now: _dt.datetime) -> str:
    seconds = age_seconds(created, now)
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d"


_PHASE_STATUS = {
    Phase.IN_DOUBT: "IN DOUBT",
    Phase.REJECTED: "REJECTED",
    Phase.SUBMITTING: "SUBMITTING",
}


def row_of(record: OrderRecord, now: _dt.datetime, currency: str | None = None) -> Row:
    """What status shows of a record; ``currency``: the panel account's (from a recorded
    balance), for an order the panel has not reported a charge for yet."""
    last = record.last
    units = record.spec.get("units")
    ordered = units if isinstance(units, int) else None
    delivered = None
    if last is not None and last.remains is not None and ordered is not None:
        delivered = max(0, ordered - last.remains)
    status = _PHASE_STATUS.get(record.phase) or (last.status if last and last.status else "-")
    note = ""
    if record.phase is Phase.IN_DOUBT:
        note = f"smm state import {record.address} ORDER_ID, or smm state retry {record.address}"
    elif record.phase is Phase.REJECTED:
        note = record.error or ""
    elif record.phase is Phase.PLACED and last is not None and last.error:
        note = f"panel: {last.error}"
    elif record.phase is Phase.PLACED and last is not None:
        # the panel's charge is not our estimate beyond a rounding: say which one counts
        note = charge_differs(record.estimated_cost, last.charge, last.status, record.spec) or ""
    if record.cancel is not None:
        note = (note + "; " if note else "") + (
            "cancel requested" if record.cancel.ok else f"cancel refused: {record.cancel.error}"
        )
    made = [r for r in record.refills if r.ok]
    refills = "-"
    if made:
        refills = f"{len(made)} ({made[-1].status or 'requested'})"
    refills_open = any(r.status is None or not RefillStatus(r.status).terminal for r in made)
    return Row(
        record.address,
        record.campaign,
        record.phase,
        record.order_id,
        status,
        delivered,
        ordered,
        last.charge if last else None,
        (last.currency if last else None) or currency,
        record.spent,
        refills,
        refills_open,
        age(record.created_at, now),
        note,
        panel_status=last.status if last is not None and last.status else None,
        refill_requests=tuple(record.refills),
        created_at=record.created_at,
        age_seconds=age_seconds(record.created_at, now),
        service_type=str(record.spec.get("service_type") or "") or None,
    )


def with_topups(rows: list[Row]) -> list[Row]:
    """The rows, each order's delivery counted across it and its top-ups (a top-up's own
    row says whose it is).  An order Completed counts as fully delivered."""
    mine: dict[str, list[Row]] = {}
    for r in rows:
        found = base_address(r.address)
        if found is not None:
            mine.setdefault(found[0], []).append(r)
    if not mine:
        return rows
    out = []
    present = {r.address for r in rows}
    for r in rows:
        found = base_address(r.address)
        if found is not None and found[0] in present:
            r = replace(r, topup_of=found[0])
        elif r.address in mine:
            extra = sorted(mine[r.address], key=lambda t: t.address)
            parts = [r, *extra]
            total = None
            if all(p.delivered is not None for p in parts):
                total = sum(p.delivered or 0 for p in parts)
            r = replace(r, topups=tuple(t.address for t in extra), delivered_in_all=total)
        out.append(r)
    return out


@dataclass
class Refreshed:
    """What one refresh learned: answers recorded, and what could not be asked."""

    orders: int = 0
    refills: int = 0
    item_errors: int = 0
    panel_errors: list[str] = field(default_factory=list)
    # After it: notifications sent and why some were not; what needs a person (None:
    # not asked for).
    notified: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    attention: list[str] | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "orders": self.orders,
            "refills": self.refills,
            "item_errors": self.item_errors,
            "panel_errors": self.panel_errors,
        }
        if self.notified:
            out["notified"] = self.notified
        if self.warnings:
            out["warnings"] = self.warnings
        if self.attention is not None:
            out["needs_a_person"] = self.attention
        return out

"""The events people hear about, found in the state: pure, so each is found again (under
the same key) at every run until it is sent, and never twice.

Each event has a key naming what it is about, so that the same fact seen by the next run
(or another runner) is recognised: ``partial:<address>:<order id>`` stays one event
whether the panel says Partial, then Completed, then Partial again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from runner.api.models import OrderStatus
from runner.money import format_amount
from runner.state import BalanceSeen, OrderRecord, Phase

BUDGET_SHARE = Decimal("0.9")


@dataclass(frozen=True, order=True)
class Event:
    kind: str  # one of runner.config.receivers.EVENTS
    key: str  # what it is about: the same fact has the same key at every run
    title: str
    body: str
    threshold: Decimal | None = None  # balance_below: the amount it fell under


def _delivered(record: OrderRecord) -> str:
    units = record.spec.get("units")
    last = record.last
    if not isinstance(units, int) or last is None or last.remains is None:
        return ""
    if last.remains > units:  # an answer that cannot be counted: say what it was
        return f", the panel says {last.remains} remain of {units} ordered"
    return f", {units - max(0, last.remains)} of {units} delivered"


def of_orders(records: Iterable[OrderRecord]) -> list[Event]:
    """Orders in doubt, ended Partial or Canceled, refills the panel rejected."""
    found: list[Event] = []
    for record in records:
        address = record.address
        if record.phase is Phase.IN_DOUBT:
            found.append(
                Event(
                    "in_doubt",
                    f"in_doubt:{address}:{record.created_at}",
                    f"smm: {address} is in doubt",
                    f"The answer to its order on {record.panel} was lost; it may or may not "
                    f"exist. If the panel has it: smm state import {address} ORDER_ID; if "
                    f"not: smm state retry {address}",
                )
            )
        last = record.last
        if record.phase is Phase.PLACED and last is not None and last.status and not last.error:
            status = OrderStatus(last.status)
            kind = {OrderStatus.PARTIAL: "partial", OrderStatus.CANCELED: "canceled"}.get(status)
            if kind is not None:
                found.append(
                    Event(
                        kind,
                        f"{kind}:{address}:{record.order_id}",
                        f"smm: {address} ended {status}",
                        f"Order {record.order_id} on {record.panel}{_delivered(record)}.",
                    )
                )
        for refill in record.refills:
            rejected = not refill.ok or (refill.status or "").lower() == "rejected"
            if rejected:
                why = refill.error or "Rejected"
                found.append(
                    Event(
                        "refill_rejected",
                        f"refill_rejected:{address}:{refill.requested_at}",
                        f"smm: a refill of {address} was rejected",
                        f"Order {record.order_id} on {record.panel}: {why}",
                    )
                )
    return found


def of_budgets(spent: Mapping[str, Decimal], budgets: Mapping[str, Decimal | None]) -> list[Event]:
    """Campaigns that have spent 90% of their budget or more (once per budget amount: a
    raised budget is a new one)."""
    found = []
    for name, budget in sorted(budgets.items()):
        used = spent.get(name, Decimal(0))
        if budget is not None and budget > 0 and used >= budget * BUDGET_SHARE:
            share = (used / budget * 100).quantize(Decimal(1))
            found.append(
                Event(
                    "budget",
                    f"budget:{name}:{format_amount(budget)}",
                    f"smm: campaign {name} has spent {share}% of its budget",
                    f"{format_amount(used)} of {format_amount(budget)}.",
                )
            )
    return found


def of_balances(balances: Sequence[BalanceSeen], below: Decimal) -> list[Event]:
    """Panels whose latest balance is under ``below``: one event per fall (the key names
    when the balance went under, so a top-up of the account and a new fall is news)."""
    by_panel: dict[str, list[BalanceSeen]] = {}
    for one in sorted(balances, key=lambda b: b.at):
        by_panel.setdefault(one.panel, []).append(one)
    found = []
    for panel, seen in sorted(by_panel.items()):
        if seen[-1].amount >= below:
            continue
        fell = seen[-1]
        for earlier in reversed(seen):
            if earlier.amount >= below:
                break
            fell = earlier
        last = seen[-1]
        found.append(
            Event(
                "balance_below",
                f"balance_below:{panel}:{format_amount(below)}:{fell.at}",
                f"smm: the balance on {panel} is below {format_amount(below)}",
                f"{format_amount(last.amount)} {last.currency} as of {last.at}.",
                below,
            )
        )
    return found


def apply_summary(apply_id: str, lines: Sequence[str]) -> Event:
    return Event(
        "apply_summary",
        f"apply_summary:{apply_id}",
        "smm: apply finished",
        "\n".join(lines),
    )

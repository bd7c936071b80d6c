"""What a recorded order counts against its campaign's budget, and when the panel's charge
is worth a word.

A panel's reported charge is only final once the order is: some panels answer "0" while an
order is pending and charge it in full later; others round to cents. So until an order is
finished the budget counts the larger of our estimate and the reported charge; after, the
reported charge (the panel's word on what it took, refunds included). ``plan``,
``status`` and ``report`` all count spend with ``counted`` (through ``OrderRecord.spent``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from runner.api.models import OrderStatus
from runner.money import charge_fits, format_amount

_REFUNDED = (OrderStatus.PARTIAL, OrderStatus.CANCELED, OrderStatus.REFUNDED)


def finished(status: str | None) -> bool:
    """Whether an order in this status is over (its charge no longer moves but for a
    refund the panel reports)."""
    return status is not None and OrderStatus(status).terminal


def counted(estimate: Decimal | None, charge: Decimal | None, status: str | None) -> Decimal:
    """What a placed (or possibly placed) order counts: the reported charge once it is
    finished; before, the larger of the estimate and the reported charge."""
    if charge is not None and finished(status):
        return charge
    known = [a for a in (estimate, charge) if a is not None]
    return max(known) if known else Decimal(0)


def counts_charge(estimate: Decimal | None, charge: Decimal | None, status: str | None) -> bool:
    """Whether ``counted`` is the panel's charge (else our estimate): what a report
    splits spend by."""
    if charge is None:
        return False
    return finished(status) or estimate is None or charge >= estimate


def charge_differs(
    estimate: Decimal | None,
    charge: Decimal | None,
    status: str | None,
    spec: Mapping[str, Any],
) -> str | None:
    """Why the panel's charge is not our estimate beyond a rounding (``money.charge_fits``:
    lower is expected of a refunded order, anything up to the worst case of a
    subscription), or None when it is."""
    if estimate is None or charge is None:
        return None
    refunded = status is not None and OrderStatus(status) in _REFUNDED
    if charge_fits(charge, estimate, refunded=refunded, at_most=False):
        return None
    # A subscription's estimate is its worst case: any lower charge fits it.  (The spec is
    # read only here: most records' specs are never parsed.)
    if charge < estimate and spec.get("service_type") == "Subscriptions":
        return None
    side = "above" if charge > estimate else "below"
    what = f"the panel reports a charge of {format_amount(charge)}"
    if finished(status):
        return f"{what}, {side} the estimate {format_amount(estimate)}: counting the charge"
    return (
        f"{what}, {side} the estimate {format_amount(estimate)}, while "
        f"{status or 'unfinished'}: counting {format_amount(max(charge, estimate))} until "
        "it is finished"
    )

"""What a campaign's recorded orders count against its budget, with the statuses a panel
answered a moment ago; and where a panel's charge and our estimate disagree.

The rule itself is the state's (``runner.state.spend``: the charge once an order is
finished, before that the larger of charge and estimate); this module only prefers a
fresh answer to the recorded one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from runner.api.models import ItemError, OrderInfo
from runner.state import OrderRecord, Phase
from runner.state.spend import charge_differs, counted

Statuses = Mapping[int, OrderInfo | ItemError]
CHARGE_NOTES = 5  # orders per campaign whose charge differs, named one by one


def _fresh(record: OrderRecord, statuses: Statuses | None) -> OrderInfo | None:
    if record.phase is Phase.REJECTED or record.order_id is None or statuses is None:
        return None
    fresh = statuses.get(record.order_id)
    return fresh if isinstance(fresh, OrderInfo) and fresh.charge is not None else None


def recorded_charge(record: OrderRecord, statuses: Statuses | None) -> Decimal:
    """What a recorded order counts: ``OrderRecord.spent`` (the one definition, shared
    with status and report), from the status the panel just answered when it did."""
    fresh = _fresh(record, statuses)
    if fresh is None:
        return record.spent
    return counted(record.estimated_cost, fresh.charge, str(fresh.status))


def charge_note(record: OrderRecord, statuses: Statuses | None) -> str | None:
    """Where the panel's charge and our estimate differ by more than a rounding (None
    where they agree, or nothing was charged yet)."""
    fresh = _fresh(record, statuses)
    if fresh is not None:
        return charge_differs(record.estimated_cost, fresh.charge, str(fresh.status), record.spec)
    last = record.last
    if record.phase is Phase.REJECTED or last is None:
        return None
    return charge_differs(record.estimated_cost, last.charge, last.status, record.spec)


def campaign_spend(
    records: Iterable[OrderRecord], statuses_of: Callable[[str], Statuses | None]
) -> tuple[Decimal, list[tuple[str, str]]]:
    """What a campaign's records count (``statuses_of(panel)``: what each panel just
    answered), and each (address, note) where a charge is not the estimate."""
    total = Decimal(0)
    notes = []
    for record in records:
        statuses = statuses_of(record.panel)
        total += recorded_charge(record, statuses)
        note = charge_note(record, statuses)
        if note is not None:
            notes.append((record.address, note))
    return total, notes


def named(campaign: str, notes: list[tuple[str, str]]) -> list[tuple[str | None, str]]:
    """The warnings of a campaign's notes: the first few by address, then one line for
    the rest (a panel that answers "0" while pending does so for every order)."""
    shown: list[tuple[str | None, str]] = [(a, f"{a}: {n}") for a, n in notes[:CHARGE_NOTES]]
    if len(notes) > CHARGE_NOTES:
        rest = len(notes) - CHARGE_NOTES
        shown.append(
            (
                None,
                f"campaign {campaign}: {rest} more not named here (smm status shows every "
                "order whose charge is not the estimate)",
            )
        )
    return shown

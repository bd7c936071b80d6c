"""A plan's summary line, as ``smm plan`` ends and its JSON says it: what it will do, or
that nothing will be applied while it has errors."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from runner.money import format_amount

# What is spent on a panel: its name, the plan's cost there, its balance, its currency.
Spending = tuple[str, Decimal, Decimal | None, str]


def summary_line(
    errors: int, moves: int, creates: int, refills: int, cancels: int, costs: Sequence[Spending]
) -> str:
    if errors:
        return f"Plan: {errors} error{'' if errors == 1 else 's'}; nothing will be applied."
    moving = f"{moves} to move, " if moves else ""
    text = f"Plan: {moving}{creates} to create, {refills} to refill, {cancels} to cancel."
    if len(costs) == 1:
        _name, cost, balance, currency = costs[0]
        of = "" if balance is None else f" of {format_amount(balance)} {currency} balance"
        return text + f" Cost {format_amount(cost)} {currency}{of}."
    parts = [
        f"{format_amount(cost)} {currency} on {name}"
        + ("" if balance is None else f" (balance {format_amount(balance)} {currency})")
        for name, cost, balance, currency in costs
    ]
    return text + (" Cost " + "; ".join(parts) + "." if parts else "")

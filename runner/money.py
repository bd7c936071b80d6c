"""Money is ``Decimal``: costs and how they are shown."""

from __future__ import annotations

from decimal import Decimal

THOUSAND = Decimal(1000)


def cost(rate: Decimal, units: int) -> Decimal:
    """rate is per 1000 units (panel-api.md); exact, never rounded."""
    return rate * units / THOUSAND


def format_amount(amount: Decimal | None) -> str:
    """At least two decimals, and every significant digit beyond: 0.90, 0.012345."""
    if amount is None:
        return "unbounded"
    if amount == amount.quantize(Decimal("0.01")):
        return f"{amount.quantize(Decimal('0.01')):f}"
    return f"{amount.normalize():f}"

"""Money is ``Decimal``: bounds, and how amounts are shown.

Costs are computed per order type (``runner.api.ordertypes.price``); this module only
knows what an amount may be and how to print one, whatever its size.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# No rate, charge, balance or budget smm accepts is larger than this (in any currency).
MAX_AMOUNT = Decimal(10) ** 9


def sane(amount: Decimal) -> bool:
    """Finite and within ``MAX_AMOUNT`` either way."""
    return amount.is_finite() and abs(amount) <= MAX_AMOUNT


def format_amount(amount: Decimal | None) -> str:
    """At least two decimals, and every significant digit beyond: 0.90, 0.012345.
    Never raises: an amount too large or too odd to format is shown as it is."""
    if amount is None:
        return "unbounded"
    try:
        if not amount.is_finite() or abs(amount.adjusted()) > 30:
            return str(amount)
        if amount == amount.quantize(Decimal("0.01")):
            return f"{amount.quantize(Decimal('0.01')):f}"
        return f"{amount.normalize():f}"
    except (InvalidOperation, ValueError):
        return str(amount)

"""Money is ``Decimal``: bounds, and how amounts are shown.

Costs are computed per order type (``runner.api.ordertypes.price``); this module only
knows what an amount may be and how to print one, whatever its size.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# No rate, charge, balance or budget smm accepts is larger than this (in any currency).
MAX_AMOUNT = Decimal(10) ** 9


def parse_amount(value: object) -> Decimal | None:
    """An amount as smm wrote it (a string in the state, a saved plan or JSON), back as a
    ``Decimal``; ``None`` stays ``None``."""
    return None if value is None else Decimal(str(value))


def exact(amount: Decimal | None) -> str | None:
    """An amount for JSON: its exact decimal text (a program reads every digit)."""
    return None if amount is None else str(amount)


# Panels charge, refund and answer money rounded to 5 decimals, halves away from zero (the
# PHP panels' rule; the simulator's default).  Text shows every amount so, whatever it is
# (a plan's cost, a charge, a spend, a balance): plan, apply and status agree to the cent
# and beyond.  JSON keeps the exact value (``exact``).
# A project whose panels say how they round (``decimals:`` in smm.yaml) is shown so.
PANEL_DECIMALS = 5
_shown = {"step": Decimal(1).scaleb(-PANEL_DECIMALS)}


def show_decimals(decimals: int | None) -> None:
    """Show amounts with ``decimals`` places at most from now on (None: the default)."""
    places = PANEL_DECIMALS if decimals is None else max(2, min(int(decimals), 12))
    _shown["step"] = Decimal(1).scaleb(-places)


def format_amount(amount: Decimal | None) -> str:
    """At the panels' precision: at least two decimals, at most as many as the panels
    charge with (``show_decimals``; by default ``PANEL_DECIMALS``: 0.90, 0.012345 ->
    0.01235).  Never raises: an amount too large or too odd to format is shown as it is."""
    if amount is None:
        return "unbounded"
    try:
        if not amount.is_finite() or abs(amount.adjusted()) > 30:
            return str(amount)
        amount = amount.quantize(_shown["step"], rounding=ROUND_HALF_UP)
        if amount == amount.quantize(Decimal("0.01")):
            return f"{amount.quantize(Decimal('0.01')):f}"
        return f"{amount.normalize():f}"
    except (InvalidOperation, ValueError):
        return str(amount)


def charge_fits(
    charge: Decimal,
    cost: Decimal,
    *,
    refunded: bool,
    at_most: bool,
    slack: Decimal | None = None,
) -> bool:
    """Whether a panel's ``charge`` can be an order's ``cost``, allowing for its rounding.

    Panels round a charge to the decimals they answer with (one unit in the last place
    either way covers rounding up, down or to nearest); a partial or cancelled order was
    refunded (it may only be lower); ``at_most`` (a subscription priced at its worst case)
    may be anything up to the cost.  ``slack``: how far this panel's charges are known to
    stray from their costs (learnt from orders whose cost is known); else one unit in the
    last place the charge was written with."""
    if slack is None:
        exponent = charge.as_tuple().exponent
        slack = Decimal(1).scaleb(exponent) if isinstance(exponent, int) else Decimal("0.01")
    # However coarsely a panel writes its charges, a cent (or 1% of a larger cost) is all
    # the rounding that is believed: a charge written as "0" does not fit every cost.
    slack = min(max(slack, Decimal("0.00000001")), max(Decimal("0.01"), abs(cost) / 100))
    if charge > cost + slack:
        return False
    return refunded or at_most or charge >= cost - slack

"""The words every command uses for the same things: counts with their nouns, and money
with its currency."""

from __future__ import annotations

from decimal import Decimal

from runner.money import format_amount
from runner.printable import clean


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 order``, ``2 orders``: a count with its noun."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def amount(value: object) -> str:
    """An amount in a table cell: ``0.27``, or ``-`` where there is none."""
    return format_amount(value) if isinstance(value, Decimal) else "-"


def money(amount: Decimal | None, currency: str | None) -> str:
    """An amount with its currency (when a panel told it): ``0.27 USD``."""
    shown = format_amount(amount)
    return f"{shown} {clean(currency)}" if currency and amount is not None else shown

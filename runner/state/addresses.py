"""Addresses that belong to another: an order's top-ups are ``<address>+1``, ``+2``...

(Order ids never hold a ``+``, so a top-up's address can be no order's own.)
"""

from __future__ import annotations

SEPARATOR = "+"


def topup_address(address: str, number: int) -> str:
    return f"{address}{SEPARATOR}{number}"


def base_address(address: str) -> tuple[str, int] | None:
    """The address a top-up address belongs to, and its number; None for other addresses."""
    head, sep, tail = address.rpartition(SEPARATOR)
    if not sep or not head or not tail.isdigit() or tail.startswith("0"):
        return None
    return head, int(tail)

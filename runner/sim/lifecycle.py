"""How a simulated order progresses with time: pending, delivering run by run, finished.

Pure functions of an order's row, the clock and the speed factor, so reads never write.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal

from runner.sim.catalog import BY_ID, DEFAULT_DECIMALS, rounded

PENDING_SECONDS = 60.0  # sim-seconds an order waits before delivery starts


@dataclass(frozen=True)
class Progress:
    status: str
    delivered: int
    remains: int
    charge: Decimal


def elapsed(since: float, now: float, speed: float) -> float:
    """Simulated seconds between two moments."""
    return max(0.0, (now - since) * speed)


def run_seconds(quantity: int) -> float:
    return max(300.0, quantity * 0.6)


def delivered(row: sqlite3.Row, elapsed: float) -> int:
    runs, quantity, interval = row["runs"], row["quantity"], row["interval"]
    total = 0
    for run in range(runs):
        start = PENDING_SECONDS + run * interval * 60.0
        if elapsed <= start:
            break
        span = run_seconds(quantity)
        if runs > 1:
            span = min(span, max(30.0, interval * 60.0 * 0.8))
        total += min(quantity, int(quantity * (elapsed - start) / span))
    return total


def end_elapsed(row: sqlite3.Row) -> float:
    span = run_seconds(row["quantity"])
    if row["runs"] > 1:
        span = min(span, max(30.0, row["interval"] * 60.0 * 0.8))
    return float(PENDING_SECONDS + (row["runs"] - 1) * row["interval"] * 60.0 + span)


def charged(row: sqlite3.Row, units: int, decimals: int) -> Decimal:
    """What ``units`` of the order cost, rounded as the panel stores money."""
    return rounded(BY_ID[row["service"]].price(units), decimals)


def progress(
    row: sqlite3.Row, now: float, speed: float, decimals: int = DEFAULT_DECIMALS
) -> Progress:
    """Where an order stands at ``now``: a pure function of its row and the clock."""
    units = row["units"]
    charge = Decimal(row["charge"])
    service = BY_ID[row["service"]]
    if service.type == "Subscriptions" and units == 0:
        status = "Pending" if elapsed(row["created"], now, speed) < PENDING_SECONDS else "Active"
        if row["canceled_at"] is not None:
            status = "Canceled"
        return Progress(status, 0, 0, charge)
    cap = units if row["partial"] is None else int(units * row["partial"])
    if row["canceled_at"] is not None:
        got = min(cap, delivered(row, elapsed(row["created"], row["canceled_at"], speed)))
        if got == 0:
            return Progress("Canceled", 0, units, Decimal(0))
        return Progress("Partial", got, units - got, charged(row, got, decimals))
    spent = elapsed(row["created"], now, speed)
    got = min(cap, delivered(row, spent))
    if spent < PENDING_SECONDS:
        return Progress("Pending", 0, units, charge)
    if spent < end_elapsed(row) or got < cap:
        return Progress("In progress", got, units - got, charge)
    if cap < units:
        return Progress("Partial", cap, units - cap, charged(row, cap, decimals))
    return Progress("Completed", units, 0, charge)

"""Scheduled refills (``auto_refill: {every: 7d, for: 30d}``): when the next one is due.

The window opens when the order was placed and lasts ``for``; periods of ``every`` follow
one another from then on, and each period after the first gets one refill request once
the order is Completed.  Any request made in a period (accepted, or rejected by the
panel) is that period's: a rejected refill is not asked again until the next period.
Pure: the planner passes the record, its status and the time.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from runner.api.models import OrderStatus
from runner.clock import parse_moment
from runner.state import OrderRecord


@dataclass(frozen=True)
class Due:
    """Ask for a refill now: the ``period``-th of the window."""

    period: int


@dataclass(frozen=True)
class NotDue:
    reason: str
    waiting: bool = False  # True: time will bring it (a wait action), else nothing to do


def _moment(when: _dt.datetime) -> str:
    return when.isoformat(timespec="minutes").replace("+00:00", "Z")


def scheduled(
    record: OrderRecord,
    status: OrderStatus | None,
    every: _dt.timedelta,
    window: _dt.timedelta,
    now: _dt.datetime,
) -> Due | NotDue:
    start = parse_moment(record.created_at)
    if start is None:
        return NotDue("auto_refill: when the order was placed is not recorded")
    end = start + window
    if now >= end:
        return NotDue(f"auto_refill window ended {_moment(end)}")
    if status is not OrderStatus.COMPLETED:
        if status is not None and status.terminal:
            return NotDue(f"{status}: no scheduled refills")
        return NotDue("scheduled refills start once the order completes", waiting=True)
    if record.open_refills:
        return NotDue("a refill is under way", waiting=True)
    period = int((now - start) / every)
    begins = start + period * every
    if period < 1:
        return NotDue(f"next refill due {_moment(start + every)}", waiting=True)
    asked = [
        r
        for r in record.refills
        if (moment := parse_moment(r.requested_at)) is not None and moment >= begins
    ]
    if asked:
        after = begins + every
        upcoming = f"next due {_moment(after)}" if after < end else "the last of the window"
        last = asked[-1]
        if not last.ok or (last.status or "").lower() == "rejected":
            return NotDue(
                f"refill rejected in this period ({last.error or 'Rejected'}); {upcoming}"
            )
        return NotDue(f"refill asked in this period; {upcoming}")
    return Due(period)

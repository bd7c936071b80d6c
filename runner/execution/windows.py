"""An in-doubt order's window: the ids that hold its order, if the panel made one.

Order ids are global and grow with time: an order a request created has an id above
every own order whose answer had arrived before the request was sent, and below every
own order *sent* after the request surely ended on the panel (smm gave up on it, then
the panel's settle time passed).  Two contradictions make a window worthless, and the
order stays in doubt with the reason: a window whose upper end is not above its lower
end, and an account whose ids were seen to go down (an own order sent after another's
answer arrived, with a lower id).  The records given are those of one account (one
panel URL and key): ids of another account say nothing about this one's.

Surveys (``runner.execution.surveys``) narrow a window further: its order, if it exists,
is among the own orders a survey taken after its request surely ended found, and among
none that a survey answered before it was sent found (``Window.allows``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.api.models import OrderInfo, OrderStatus
from runner.clock import parse_moment
from runner.execution.surveys import Survey, surveys_of
from runner.money import charge_fits
from runner.state import OrderRecord, Phase

BATCH = 100
# Ids probed next to a known bound when the other bound is unknown: the request's order,
# if it exists, was created moments before (or after) that own order.
NEAR = 4 * BATCH


@dataclass(frozen=True)
class Window:
    """The ids that hold an in-doubt order's order, if it exists: ``low < id < high``."""

    address: str
    low: int | None  # None: no own order's answer had arrived before it was sent
    high: int | None  # None: no own order was sent after this request surely ended
    settled: bool  # whether the request has surely finished on the panel
    # No earlier than the request left, and the moment it had surely ended (the give-up
    # time plus the settle time and the clocks' margin): the send order of look-alikes.
    sent: _dt.datetime | None = field(default=None, compare=False)
    ends: _dt.datetime | None = field(default=None, compare=False)
    # Why the evidence around it cannot be trusted (ids that went down), if it cannot.
    contradiction: str | None = field(default=None, compare=False)
    settle: float = field(default=0.0, compare=False)
    # The look-alike this request was sent after, once that one's request had ended.
    after: str | None = field(default=None, compare=False)
    # Surveys taken after this request surely ended (its order, if any, existed then),
    # and the own orders a survey found before this request was sent (none is its).
    existed: tuple[Survey, ...] = field(default=(), compare=False)
    seen_before: frozenset[int] = field(default=frozenset(), compare=False)

    @property
    def bounded(self) -> bool:
        return self.low is not None and self.high is not None and self.contradiction is None

    @property
    def size(self) -> int | None:
        if self.low is None or self.high is None:
            return None
        return max(0, self.high - self.low - 1)

    def contains(self, order_id: int) -> bool:
        return (self.low is None or order_id > self.low) and (
            self.high is None or order_id < self.high
        )

    def allows(self, order_id: int) -> bool:
        """Whether the surveys leave ``order_id`` possible as this request's order."""
        if order_id in self.seen_before:
            return False
        return all(survey.held(order_id) for survey in self.existed)

    def before(self, other: Window) -> bool:
        """Whether ``other`` was sent after this request had surely ended."""
        if other.after == self.address:
            return True
        return self.ends is not None and other.sent is not None and other.sent > self.ends

    def ids(self, limit: int) -> range:
        """The whole window when it is bounded and fits ``limit``; else the ids next to
        its known bound (where a candidate can be found, though absence cannot be)."""
        if self.contradiction is not None:
            return range(0)
        if self.low is not None and self.high is not None:
            if self.high - self.low - 1 <= limit:
                return range(self.low + 1, self.high)
            return range(self.low + 1, self.low + 1 + min(NEAR, limit))
        if self.low is not None:
            return range(self.low + 1, self.low + 1 + min(NEAR, limit))
        if self.high is not None:
            return range(max(1, self.high - min(NEAR, limit)), self.high)
        return range(0)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"low": self.low, "high": self.high, "settle": self.settle}
        if self.contradiction is not None:
            out["contradiction"] = self.contradiction
        return out


_time = parse_moment


def _sent_lower(record: OrderRecord) -> _dt.datetime | None:
    """A moment no later than the request left: when it was sent, else when it was
    recorded as about to be (``submitting`` is committed before sending)."""
    return _time(record.evidence.sent_at) or _time(record.created_at)


def _fresh(record: OrderRecord) -> bool:
    """Whether the order's id was made by the send recorded: not so for an add with an
    idempotency key, which may have been answered with the order of an earlier send."""
    return "request_id" not in record.spec


def ids_going_down(placed: Sequence[OrderRecord], slack: _dt.timedelta) -> str | None:
    """Why this account's ids cannot be trusted to grow, if they cannot: an own order
    sent after another own order's answer arrived, yet with a lower id."""
    answered = sorted(
        (t, r.order_id)
        for r in placed
        if r.order_id is not None and (t := _time(r.evidence.gave_up_at)) is not None
    )
    sent = sorted(
        (t, r.order_id)
        for r in placed
        if r.order_id is not None and (t := _time(r.evidence.sent_at)) is not None and _fresh(r)
    )
    highest: int | None = None
    i = 0
    for moment, order_id in sent:
        while i < len(answered) and answered[i][0] + slack < moment:
            highest = max(highest or 0, answered[i][1])
            i += 1
        if highest is not None and order_id <= highest:
            return (
                f"the panel's ids went down (order {order_id} was sent after order "
                f"{highest} was answered): its windows prove nothing"
            )
    return None


def windows(
    doubtful: Sequence[OrderRecord],
    records: Iterable[OrderRecord],
    settle: float,
    now: _dt.datetime,
    margin: float = 0.0,
) -> dict[str, Window]:
    """Each in-doubt order's window, from the records of the same account.

    ``margin``: how far the clocks that wrote the times may disagree (runners sharing a
    state); every comparison of two times keeps that much room, and none trusts a tie."""
    records = list(records)
    placed = [r for r in records if r.phase is Phase.PLACED and r.order_id is not None]
    slack = _dt.timedelta(seconds=margin)
    down = ids_going_down(placed, slack)
    result: dict[str, Window] = {}
    surveys = surveys_of(records)
    # A lower bound recorded at send time is the highest own id known then: trusted only
    # while an order of this account holds it (not one of another account, same name).
    held = {r.order_id for r in records if r.order_id is not None}
    for record in doubtful:
        low = record.evidence.known_below
        if low is not None and low not in held:
            low = None
        sent = _sent_lower(record)
        if sent is not None:
            # Own orders whose answer (to an add: an import has none) arrived before this
            # request left are older.
            for other in placed:
                answered = _time(other.evidence.gave_up_at)
                if answered is not None and answered + slack < sent and other.order_id:
                    low = max(low or 0, other.order_id)
        gave_up = _time(record.evidence.gave_up_at)
        high = None
        ends = None
        settled = gave_up is not None and now >= gave_up + _dt.timedelta(seconds=settle)
        if gave_up is not None:
            # Own orders sent after this request surely ended are newer.  A recorded
            # send time is taken just before the request leaves, never after.
            ends = gave_up + _dt.timedelta(seconds=settle) + slack
            later = [
                o.order_id
                for o in placed
                if o.order_id is not None
                and (s := _time(o.evidence.sent_at)) is not None
                and s > ends
                and _fresh(o)
            ]
            if later:
                high = min(later)
        contradiction = down
        if contradiction is None and low is not None and high is not None and high <= low:
            contradiction = (
                f"its window runs from {low} down to {high}: the panel's ids went down "
                "(another account under this name, or ids that do not grow)"
            )
        after = record.spec.get("after")
        result[record.address] = Window(
            record.address,
            low,
            high,
            settled,
            sent,
            ends,
            contradiction,
            settle,
            after if isinstance(after, str) else None,
            tuple(v for v in surveys if ends is not None and v.at > ends),
            _seen_before(record, sent, surveys, slack),
        )
    return result


def _seen_before(
    record: OrderRecord, sent: _dt.datetime | None, surveys: list[Survey], slack: _dt.timedelta
) -> frozenset[int]:
    """The own orders a survey found before ``record``'s request left: none is its order.
    Not so for an add with an idempotency key: it may be answered with the order an
    earlier send of it made."""
    if not _fresh(record):
        return frozenset()
    return frozenset(
        i
        for v in surveys
        if v.carrier == record.address or (sent is not None and sent > v.answered + slack)
        for i in v.own
    )


def fits(record: OrderRecord, info: OrderInfo, slack: Decimal | None = None) -> bool:
    """Could this status be the order of ``record``: its charge is the order's cost (as
    the panel rounds it; lower when refunded; up to it for a subscription's worst case)
    and it has no more left to deliver than it ordered (all of it while pending)."""
    cost = record.estimated_cost
    units = record.spec.get("units")
    if cost is not None and info.charge is None:
        return False  # nothing to compare: it cannot be told to be this order
    if info.charge is not None and cost is not None:
        refunded = info.status in (OrderStatus.PARTIAL, OrderStatus.CANCELED, OrderStatus.REFUNDED)
        open_ended = record.spec.get("service_type") == "Subscriptions"
        if not charge_fits(info.charge, cost, refunded=refunded, at_most=open_ended, slack=slack):
            return False
    if info.remains is not None and isinstance(units, int):
        if info.remains > units:
            return False
        if info.status is OrderStatus.PENDING and info.remains != units:
            return False
    return True

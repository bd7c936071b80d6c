"""Reconciliation: what the panel's evidence proves about orders whose answer was lost.

Pure: the workflow gathers records and probe answers; this module decides.  The API has
no way to look an order up, but it leaves evidence:

- ``status`` with many ids answers for the account's own orders and says ``Incorrect
  order ID`` for any other id (other customers', or none);
- order ids are global and grow with time: an order a request created has an id above
  every own order whose answer had arrived before the request was sent, and below every
  own order sent after the request surely finished on the panel (it gave up, then a
  settle time passed);
- a fresh order's ``charge`` is its cost (as the panel rounds it) and ``remains`` is at
  most its units.

So for an in-doubt order D, the ids between those two bounds (its window) hold D's order
if it exists.  Probing them (100 a call) finds the account's own orders there; those no
record claims are candidates:

- exactly one candidate fits D, and no other doubtful order could be it -> it is D's
  order: import it (the evidence goes into the event);
- a window bounded on both sides, fully probed, holds no unclaimed own order -> D was
  never placed: it is proven absent and placed again;
- anything else (no upper bound yet, a budget that ran out, two identical doubtful
  orders for two candidates, a candidate that does not fit) -> it stays in doubt, with
  what was found and the one command that settles it.

A candidate another record claims is never imported; nothing is retried without a
bounded, fully probed window.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.api.models import ItemError, OrderInfo, OrderStatus
from runner.clock import parse_moment
from runner.money import charge_fits
from runner.state import OrderRecord, Phase

BATCH = 100


class Verdict(enum.StrEnum):
    IMPORT = "import"
    ABSENT = "absent"
    UNDECIDED = "undecided"


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

    @property
    def bounded(self) -> bool:
        return self.low is not None and self.high is not None

    @property
    def size(self) -> int | None:
        if self.low is None or self.high is None:
            return None
        return max(0, self.high - self.low - 1)

    def contains(self, order_id: int) -> bool:
        return (self.low is None or order_id > self.low) and (
            self.high is None or order_id < self.high
        )

    def ids(self, limit: int) -> range:
        """The whole window when it is bounded and fits ``limit``; else the ids next to
        its known bound (where a candidate can be found, though absence cannot be)."""
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
        return {"low": self.low, "high": self.high}


@dataclass(frozen=True)
class Decision:
    address: str
    verdict: Verdict
    reason: str
    order_id: int | None = None
    window: Window | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    found: OrderInfo | None = None  # the panel's status of the imported order

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "verdict": str(self.verdict),
            "reason": self.reason,
            "order_id": self.order_id,
            "window": None if self.window is None else self.window.to_json(),
            "evidence": dict(self.evidence),
        }


_time = parse_moment


def _sent_lower(record: OrderRecord) -> _dt.datetime | None:
    """A moment no later than the request left: when it was sent, else when it was
    recorded as about to be (``submitting`` is committed before sending)."""
    return _time(record.evidence.sent_at) or _time(record.created_at)


def windows(
    doubtful: Sequence[OrderRecord],
    records: Iterable[OrderRecord],
    settle: float,
    now: _dt.datetime,
    margin: float = 0.0,
) -> dict[str, Window]:
    """Each in-doubt order's window, from the records of the same panel.

    ``margin``: how far the clocks that wrote the times may disagree (runners sharing a
    state); every comparison of two times keeps that much room, and none trusts a tie."""
    placed = [r for r in records if r.phase is Phase.PLACED and r.order_id is not None]
    slack = _dt.timedelta(seconds=margin)
    result: dict[str, Window] = {}
    for record in doubtful:
        low = record.evidence.known_below
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
        settled = gave_up is not None and now >= gave_up + _dt.timedelta(seconds=settle)
        if gave_up is not None:
            # Own orders sent after this request surely ended are newer.  A recorded
            # send time is taken just before the request leaves, never after.
            after = gave_up + _dt.timedelta(seconds=settle) + slack
            later = [
                o.order_id
                for o in placed
                if o.order_id is not None
                and (s := _time(o.evidence.sent_at)) is not None
                and s > after
            ]
            if later:
                high = min(later)
        result[record.address] = Window(record.address, low, high, settled)
    return result


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


def decide(
    doubtful: Sequence[OrderRecord],
    spans: Mapping[str, Window],
    probed: Mapping[int, OrderInfo | ItemError],
    claimed: Iterable[int],
    slack: Decimal | None = None,
) -> list[Decision]:
    """The verdict for each in-doubt order, given what ``status`` answered for the ids
    probed.  A window is known whole only when every id in it was answered for, each one
    by the panel itself (an id missing from the answer, or an entry that cannot be read,
    proves nothing), and the own orders at its two ends were answered as own orders (a
    panel that does not answer for its known orders proves nothing either).

    Imports come first and settle one another: an order imported claims its id, which
    may leave another doubtful order a single candidate (or none) in the next pass."""
    claimed = set(claimed)
    own = {i: info for i, info in probed.items() if isinstance(info, OrderInfo)}
    complete = {d.address for d in doubtful if _whole(spans[d.address], probed)}
    found: dict[str, Decision] = {}
    open_ = [d for d in doubtful]
    while True:
        unclaimed = {i: info for i, info in own.items() if i not in claimed}
        suitors = _suitors(open_, spans, unclaimed, slack)
        progress = False
        for record in open_:
            span = spans[record.address]
            if not span.settled:
                continue
            matching = [
                i
                for i in unclaimed
                if span.contains(i) and fits(record, unclaimed[i], slack) and i not in claimed
            ]
            if len(matching) == 1 and suitors[matching[0]] == [record.address]:
                order_id = matching[0]
                info = unclaimed[order_id]
                found[record.address] = Decision(
                    record.address,
                    Verdict.IMPORT,
                    f"order {order_id} is the only unclaimed own order that fits, in its window",
                    order_id=order_id,
                    window=span,
                    evidence=_evidence(record, span, complete, unclaimed)
                    | {"charge": None if info.charge is None else str(info.charge)},
                    found=info,
                )
                claimed.add(order_id)
                progress = True
        open_ = [d for d in open_ if d.address not in found]
        if not progress:
            break
    unclaimed = {i: info for i, info in own.items() if i not in claimed}
    suitors = _suitors(open_, spans, unclaimed, slack)
    by_address = {d.address: d for d in doubtful}
    decisions = []
    for record in doubtful:
        if record.address in found:
            decisions.append(found[record.address])
            continue
        span = spans[record.address]
        evidence = _evidence(record, span, complete, unclaimed)
        mine = [i for i in unclaimed if span.contains(i)]
        matching = [i for i in mine if fits(record, unclaimed[i], slack)]
        if not span.settled:
            verdict, reason = (
                Verdict.UNDECIDED,
                "its request may still be in the panel (waiting for the settle time)",
            )
        elif span.bounded and record.address in complete and not mine:
            verdict = Verdict.ABSENT
            reason = f"no own order between {span.low} and {span.high}: it was never placed"
        else:
            verdict = Verdict.UNDECIDED
            reason = _why_undecided(record, span, complete, matching, mine, suitors, by_address)
        decisions.append(Decision(record.address, verdict, reason, window=span, evidence=evidence))
    return decisions


def _whole(span: Window, probed: Mapping[int, OrderInfo | ItemError]) -> bool:
    """Whether the panel answered for every id of the window, and for its two ends."""
    if span.low is None or span.high is None:
        return False
    if span.high - span.low - 1 <= 0:
        return True  # two own orders in a row: nothing can be between them
    for end in (span.low, span.high):
        if not isinstance(probed.get(end), OrderInfo):
            return False
    for ident in range(span.low + 1, span.high):
        answer = probed.get(ident)
        if answer is None or (isinstance(answer, ItemError) and not answer.said):
            return False
    return True


def _suitors(
    open_: Sequence[OrderRecord],
    spans: Mapping[str, Window],
    unclaimed: Mapping[int, OrderInfo],
    slack: Decimal | None,
) -> dict[int, list[str]]:
    """Which doubtful orders each unclaimed own order could be."""
    return {
        i: [d.address for d in open_ if spans[d.address].contains(i) and fits(d, info, slack)]
        for i, info in unclaimed.items()
    }


def _evidence(
    record: OrderRecord, span: Window, complete: set[str], unclaimed: Mapping[int, OrderInfo]
) -> dict[str, Any]:
    return {
        "window": span.to_json(),
        "probed": span.size if record.address in complete else None,
        "own_unclaimed": sorted(i for i in unclaimed if span.contains(i)),
    }


def _why_undecided(
    record: OrderRecord,
    span: Window,
    complete: set[str],
    matching: list[int],
    mine: list[int],
    suitors: Mapping[int, list[str]],
    by_address: Mapping[str, OrderRecord],
) -> str:
    if len(matching) > 1 or (matching and len(suitors[matching[0]]) > 1):
        rivals = sorted({a for i in matching for a in suitors[i]} - {record.address})
        return (
            f"orders {', '.join(map(str, matching))} fit it"
            + (f", and also {', '.join(rivals)}" if rivals else "")
            + ": which is which cannot be told"
        )
    if mine and not matching:
        return f"own orders {', '.join(map(str, mine))} are in its window but do not fit it"
    if span.high is None:
        return "no own order was sent after it surely ended, so its window has no end yet"
    if span.low is None:
        return "no own order was known before it was sent, so its window has no start"
    if record.address not in complete:
        return (
            "its whole window could not be checked (the probe budget ran out, or the panel "
            "did not answer for every id in it)"
        )
    return "the evidence does not settle it"


def rounding(
    records: Iterable[OrderRecord], probed: Mapping[int, OrderInfo | ItemError]
) -> Decimal | None:
    """How far this panel's charges stray from known costs: the largest difference seen
    on orders whose cost is known and that were not refunded (None: nothing to learn
    from).  Charges answered exactly let identical-looking orders be told apart."""
    seen: list[Decimal] = []
    for record in records:
        if record.phase is not Phase.PLACED or record.estimated_cost is None:
            continue
        if record.spec.get("service_type") == "Subscriptions":
            continue
        answer = probed.get(record.order_id or 0)
        info = answer if isinstance(answer, OrderInfo) else None
        charge = info.charge if info is not None else (record.last.charge if record.last else None)
        status = info.status if info is not None else None
        if charge is None or status in (OrderStatus.PARTIAL, OrderStatus.CANCELED):
            continue
        seen.append(abs(charge - record.estimated_cost))
    if len(seen) < 3:
        return None
    worst = max(seen)
    return max(worst * 2, Decimal("0.00000001"))


def probe_plan(spans: Mapping[str, Window], budget_calls: int) -> list[int]:
    """The ids to probe, 100 a call, smallest windows first, within the budget: a window
    whole (with the own orders at its ends, to see that the panel answers for them) when
    it fits, else the ids next to its known bound."""
    order = sorted(spans.values(), key=lambda w: (w.size is None, w.size or 0, w.low or 0))
    chosen: set[int] = set()
    limit = budget_calls * BATCH
    for span in order:
        if not span.settled:
            continue
        wanted = set(span.ids(max(0, limit - len(chosen) - 2)))
        if span.bounded and span.size and len(wanted) == span.size:
            wanted |= {span.low or 0, span.high or 0}
        if len(chosen | wanted) > limit:
            continue
        chosen |= wanted
    return sorted(chosen)

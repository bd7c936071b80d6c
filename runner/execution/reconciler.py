"""Reconciliation: what the panel's evidence proves about orders whose answer was lost.

Pure: the workflow gathers records and probe answers; this module decides.  The API has
no way to look an order up, but it leaves evidence:

- ``status`` with many ids answers for the account's own orders and says ``Incorrect
  order ID`` for any other id (other customers', or none);
- order ids grow with time, so each in-doubt order has a window of ids that holds its
  order if it exists (``runner.execution.windows``);
- a fresh order's ``charge`` is its cost (as the panel rounds it) and ``remains`` is at
  most its units;
- look-alikes (same service, same charge) are never in flight together on one panel:
  each was sent after the previous one's request had ended, so their ids follow their
  send order (``runner.execution.matching`` weighs that);
- a survey taken between a lost look-alike and the next one says which own orders
  existed then (``runner.execution.surveys``): the lost one's order was among them, the
  next one's was not.

Probing the windows (100 ids a call) finds the account's own orders there; those no
record claims are candidates, each the order of some in-doubt request.  Orders in doubt
that could share a candidate are weighed together:

- in every way of giving the candidates to them (each to one that fits it, in send
  order), D owns the same candidate, and D's window is closed and fully probed -> it is
  D's order: import it (the evidence goes into the event);
- D's window, closed and fully probed, holds no unclaimed own order, or D owns nothing
  in every way of giving the candidates out -> D was never placed: proven absent;
- anything else (an open window: never imported from, since an order placed by hand
  would look the same; a budget that ran out; look-alikes sent together; a candidate
  that does not fit; ids that went down) -> it stays in doubt, with the reason.

A candidate another record claims is never imported; nothing is retried without a
closed, fully probed window.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from runner.api.models import ItemError, OrderInfo, OrderStatus
from runner.execution.matching import TooMany, outcomes
from runner.execution.windows import BATCH, Window, fits, windows
from runner.state import OrderRecord, Phase

__all__ = ["Decision", "Verdict", "Window", "decide", "fits", "probe_plan", "rounding", "windows"]


class Verdict(enum.StrEnum):
    IMPORT = "import"
    ABSENT = "absent"
    UNDECIDED = "undecided"
    # Sent to a panel that honours idempotency keys: sent again with the same key.
    RESEND = "resend"


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
    panel that does not answer for its known orders proves nothing either)."""
    taken = set(claimed)
    own = {i: info for i, info in probed.items() if isinstance(info, OrderInfo) and i not in taken}
    complete = {d.address for d in doubtful if _whole(spans[d.address], probed)}
    could = {
        d.address: {i for i in own if _possible(spans[d.address], i) and fits(d, own[i], slack)}
        for d in doubtful
        if spans[d.address].contradiction is None
    }
    decisions = []
    for group in _groups(doubtful, could):
        decisions += _weigh(group, spans, own, could, complete)
    order = {d.address: n for n, d in enumerate(doubtful)}
    return sorted(decisions, key=lambda d: order[d.address])


def _possible(span: Window, order_id: int) -> bool:
    """Whether ``order_id`` may be the order of ``span``'s request, by its window and the
    surveys (fit aside)."""
    return span.contains(order_id) and span.allows(order_id)


def _groups(
    doubtful: Sequence[OrderRecord], could: Mapping[str, set[int]]
) -> list[list[OrderRecord]]:
    """The in-doubt orders that could own a common candidate, together (in send order)."""
    parent = {d.address: d.address for d in doubtful}

    def root(a: str) -> str:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    owner_of: dict[int, str] = {}
    for d in doubtful:
        for i in could.get(d.address, ()):
            if i in owner_of:
                parent[root(d.address)] = root(owner_of[i])
            else:
                owner_of[i] = d.address
    groups: dict[str, list[OrderRecord]] = {}
    for d in doubtful:
        groups.setdefault(root(d.address), []).append(d)
    return list(groups.values())


def _weigh(
    group: list[OrderRecord],
    spans: Mapping[str, Window],
    own: Mapping[int, OrderInfo],
    could: Mapping[str, set[int]],
    complete: set[str],
) -> list[Decision]:
    addresses = [d.address for d in group]
    candidates = set().union(*(could.get(a, set()) for a in addresses))
    sound = all(
        spans[a].settled and spans[a].bounded and a in complete and a in could for a in addresses
    )
    found: dict[str, set[int | None]] | None = None
    if sound:
        before = {(a, b) for a in addresses for b in addresses if spans[a].before(spans[b])}
        for mid in addresses:  # sent after one sent after: the order is transitive
            before |= {(a, c) for a, b in before if b == mid for m, c in before if m == mid}
        try:
            found = outcomes(addresses, candidates, could, before)
        except TooMany:
            found = None
    decisions = []
    for record in group:
        span = spans[record.address]
        evidence = _evidence(record, span, complete, own)
        mine = [i for i in own if _possible(span, i)]
        owns = None if found is None else found[record.address]
        if not span.settled:
            verdict, reason = (
                Verdict.UNDECIDED,
                "its request may still be in the panel (waiting for the settle time, "
                f"{span.settle:g} s after smm gave up on it)",
            )
        elif span.contradiction is not None:
            verdict, reason = Verdict.UNDECIDED, span.contradiction
        elif span.bounded and record.address in complete and not mine:
            verdict = Verdict.ABSENT
            reason = _absent(span, sorted(i for i in own if span.contains(i)))
        elif owns is not None and len(owns) == 1 and None not in owns:
            (order_id,) = owns
            assert order_id is not None
            info = own[order_id]
            rivals = len(group) - 1
            reason = (
                f"order {order_id} is the only unclaimed own order that fits, in its window"
                if not rivals
                else f"order {order_id} is its order in the send order of {len(group)} "
                "look-alikes in doubt"
            )
            if any(order_id in survey.own for survey in span.existed):
                reason += " (and the panel held it before the next look-alike was sent)"
            decisions.append(
                Decision(
                    record.address,
                    Verdict.IMPORT,
                    reason,
                    order_id=order_id,
                    window=span,
                    evidence=evidence
                    | {"charge": None if info.charge is None else str(info.charge)},
                    found=info,
                )
            )
            continue
        elif owns == {None} and set(mine) <= candidates:
            verdict = Verdict.ABSENT
            reason = (
                f"its look-alikes in doubt own every fitting order in its window "
                f"({', '.join(map(str, sorted(set(mine))))}), in the order they were sent: "
                "it was never placed"
            )
        else:
            verdict = Verdict.UNDECIDED
            reason = _why_undecided(record, span, complete, group, could, owns, mine)
        decisions.append(Decision(record.address, verdict, reason, window=span, evidence=evidence))
    return decisions


def _absent(span: Window, surveyed: list[int]) -> str:
    """Why a closed, fully probed window proves the request made no order; ``surveyed``:
    the unclaimed own orders in it that the surveys rule out."""
    if surveyed:
        return (
            f"own orders {', '.join(map(str, surveyed))} in its window between {span.low} "
            f"and {span.high} were made before it was sent or after it surely ended (the "
            "panel's answers between look-alikes; assuming the panel finishes a request "
            f"within {span.settle:g} s of smm giving up on it): it was never placed"
        )
    return (
        f"no own order between {span.low} and {span.high} (sent after it surely ended, "
        f"assuming the panel finishes a request within {span.settle:g} s of smm giving "
        "up on it): it was never placed"
    )


def _whole(span: Window, probed: Mapping[int, OrderInfo | ItemError]) -> bool:
    """Whether the panel answered for every id of the window, and for its two ends."""
    if span.low is None or span.high is None or span.contradiction is not None:
        return False
    if span.high <= span.low:
        return False
    for end in (span.low, span.high):
        if not isinstance(probed.get(end), OrderInfo):
            return False
    for ident in range(span.low + 1, span.high):
        answer = probed.get(ident)
        if answer is None or (isinstance(answer, ItemError) and not answer.said):
            return False
    return True


def _evidence(
    record: OrderRecord, span: Window, complete: set[str], unclaimed: Mapping[int, OrderInfo]
) -> dict[str, Any]:
    return {
        "window": span.to_json(),
        "probed": span.size if record.address in complete else None,
        "own_unclaimed": sorted(i for i in unclaimed if span.contains(i)),
        "ruled_out_by_surveys": sorted(
            i for i in unclaimed if span.contains(i) and not span.allows(i)
        ),
    }


def _why_undecided(
    record: OrderRecord,
    span: Window,
    complete: set[str],
    group: list[OrderRecord],
    could: Mapping[str, set[int]],
    owns: set[int | None] | None,
    mine: list[int],
) -> str:
    matching = sorted(could.get(record.address, set()))
    rivals = sorted(d.address for d in group if d.address != record.address)
    if span.high is None:
        return (
            "no own order was sent after it surely ended, so its window has no end yet "
            "(never imported from: the next order placed on this panel closes it)"
        )
    if span.low is None:
        return "no own order was known before it was sent, so its window has no start"
    if record.address not in complete:
        return (
            "its whole window could not be checked (the probe budget ran out, or the panel "
            "did not answer for every id in it)"
        )
    if mine and not matching:
        return f"own orders {', '.join(map(str, mine))} are in its window but do not fit it"
    if any(d.address not in complete or not span.bounded for d in group):
        return (
            f"look-alikes in doubt ({', '.join(rivals)}) could own the same orders, and "
            "not all of their windows are closed and checked"
        )
    if owns is not None and not owns:
        return (
            f"orders {', '.join(map(str, matching))} fit it"
            + (f", and also {', '.join(rivals)}" if rivals else "")
            + ": more fitting orders than orders in doubt, which is whose cannot be told"
        )
    if matching and owns is not None and None in owns:
        return (
            f"orders {', '.join(map(str, matching))} fit it, and also "
            f"{', '.join(rivals)}: look-alikes lost in a row made fewer orders than "
            "requests, and which of them made none cannot be told"
        )
    if matching:
        return (
            f"orders {', '.join(map(str, matching))} fit it"
            + (f", and also {', '.join(rivals)}" if rivals else "")
            + ": which is which cannot be told (look-alikes sent together)"
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
        if span.bounded and len(wanted) == span.size:
            wanted |= {span.low or 0, span.high or 0}
        if len(chosen | wanted) > limit:
            continue
        chosen |= wanted
    return sorted(chosen)

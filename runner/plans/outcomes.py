"""The planner's actions about outcomes: top-ups of an order's shortfall and its
scheduled refills, built from the pure decisions of ``topups`` and ``refills``.

The planner hands in what it knows (records, the panel's catalog and statuses) and how it
makes an ordinary action (``order``: a spec to its create, in-doubt... action), so that a
top-up is planned, checked and priced exactly as an order written in a file.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from runner.api.models import OrderStatus, Service
from runner.config.campaign import OrderSpec
from runner.plans import refills, topups
from runner.plans.plan import Action, Kind
from runner.state import OrderRecord, Phase

StatusOf = Callable[[OrderRecord], tuple[OrderStatus | None, int | None]]


def topup_spec(spec: OrderSpec, number: int, quantity: int) -> OrderSpec:
    """The order that tops ``spec`` up: the same service, link and fields, ``quantity``
    at once (no drip-feed), itself never topped up, refilled or canceled."""
    params = tuple(
        (k, quantity if k == "quantity" else v) for k, v in spec.params if k != "drip_feed"
    )
    return replace(
        spec,
        id=f"{spec.id}{topups.SEPARATOR}{number}",
        params=params,
        refills=0,
        cancel=False,
        on_partial="report",
        auto_refill=None,
    )


def topup_service(spec: OrderSpec, services: Mapping[int, Service] | None) -> Service | None:
    """The service a top-up is placed with: the order's own.  (The seam for service
    selectors: a selector may choose another fitting service here.)"""
    return None if services is None else services.get(spec.service)


@dataclass(frozen=True)
class TopUps:
    """The actions of an order's top-ups, and the note when its shortfall is not ordered."""

    actions: list[Action]
    note: topups.NoTopUp | None = None


def chain_of(
    spec: OrderSpec, records: Mapping[str, OrderRecord], status_of: StatusOf
) -> tuple[topups.Chain, list[OrderRecord | None], int]:
    """The order's chain as recorded: the chain, the top-up records (by number - 1), and
    the number the next top-up would take."""
    first = records.get(spec.address)
    recorded: list[OrderRecord | None] = []
    number = 1
    while (found := records.get(topups.topup_address(spec.address, number))) is not None:
        recorded.append(found)
        number += 1
    if first is None or first.phase is not Phase.PLACED:
        return topups.Chain(None, None, len(recorded), True, None), recorded, 1
    # The order's units from its file (its record's spec is not read again once it is
    # known unchanged); each top-up's from its record.
    ordered = spec.quantity_units
    parts = [topups.counted(first, *status_of(first), ordered)]
    parts += [topups.counted(r, *status_of(r), topups.recorded_units(r)) for r in recorded if r]
    rejected = [
        i + 1 for i, r in enumerate(recorded) if r is not None and r.phase is Phase.REJECTED
    ]
    following = rejected[0] if rejected else len(recorded) + 1
    return topups.chain(ordered, parts, len(recorded)), recorded, following


def plan_topups(
    spec: OrderSpec,
    records: Mapping[str, OrderRecord],
    services: Mapping[int, Service] | None,
    status_of: StatusOf,
    order: Callable[[OrderSpec], Action],
) -> TopUps:
    chained, recorded, following = chain_of(spec, records, status_of)
    decision = None
    if spec.on_partial == "reorder":
        decision = topups.decide(chained, spec.max_topups, following, topup_service(spec, services))
    actions: list[Action] = []
    for number, record in enumerate(recorded, start=1):
        assert record is not None
        if isinstance(decision, topups.TopUp) and decision.number == number:
            continue
        existing = topup_spec(spec, number, topups.recorded_units(record) or 0)
        if record.phase is Phase.PLACED:
            status, _ = status_of(record)
            actions.append(
                Action(
                    address=existing.address,
                    kind=Kind.NOOP,
                    panel=record.panel,
                    campaign=record.campaign,
                    service=spec.service,
                    link=spec.link,
                    order_id=record.order_id,
                    status=None if status is None else str(status),
                    fingerprint=record.fingerprint,
                    reason=f"top-up {number} of {spec.address}",
                    location=spec.location,
                )
            )
        elif record.phase is Phase.REJECTED:
            actions.append(
                Action(
                    address=existing.address,
                    kind=Kind.NOOP,
                    panel=record.panel,
                    campaign=record.campaign,
                    service=spec.service,
                    reason=f"top-up {number} was rejected: {record.error or 'refused'}",
                    location=spec.location,
                )
            )
        else:
            actions.append(order(existing))
    if isinstance(decision, topups.TopUp):
        made = order(topup_spec(spec, decision.number, decision.quantity))
        reason = f"top-up {decision.number} of {spec.address}: {decision.quantity} missing"
        if made.kind is Kind.CREATE:
            made = replace(made, reason=reason)
        actions.append(made)
    note = decision if isinstance(decision, topups.NoTopUp) else None
    return TopUps(actions, note)


def scheduled_refill(
    spec: OrderSpec,
    action: Action,
    record: OrderRecord,
    status: OrderStatus | None,
    service: Service | None,
    now: _dt.datetime,
) -> tuple[Action, str | None]:
    """An ordinary no-op of an order with ``auto_refill``: a refill when one is due, a
    wait when time will bring one, else the no-op with the reason.  The second value is
    an error to report (a service without refill)."""
    assert spec.auto_refill is not None
    every, window = spec.auto_refill
    if service is not None and not service.refill:
        return replace(action, reason="cannot refill"), (
            f"{spec.address}: service {spec.service} does not support refills (auto_refill)"
        )
    decided = refills.scheduled(record, status, every, window, now)
    if isinstance(decided, refills.Due):
        return replace(
            action, kind=Kind.REFILL, reason=f"scheduled refill (period {decided.period})"
        ), None
    return replace(action, reason=decided.reason), None

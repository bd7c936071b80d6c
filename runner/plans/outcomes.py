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
from decimal import Decimal
from typing import Protocol

from runner.api.models import OrderInfo, OrderStatus, Service
from runner.config.campaign import CampaignSpec, OrderSpec
from runner.config.outcome import NO_OUTCOME
from runner.errors import Location
from runner.money import format_amount
from runner.plans import refills, topups
from runner.plans.budgets import campaign_cost
from runner.plans.facts import PanelFacts, current_status
from runner.plans.plan import Action, Check, Kind
from runner.plans.selection import Exchange
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
        outcome=NO_OUTCOME,
    )


def topup_service(spec: OrderSpec, services: Mapping[int, Service] | None) -> Service | None:
    """The service a top-up is placed with: the order's own (an order with a selector has
    its top-up chosen like any create: ``chosen_later``)."""
    if services is None or spec.service is None:
        return None
    return services.get(spec.service)


def chosen_later(spec: OrderSpec, services: Mapping[int, Service] | None) -> bool:
    """Whether the service of a top-up is only known when the plan chooses it (a
    selector), or the catalog is not at hand: then the shortfall alone decides, and the
    plan's own checks say whether a service fits it."""
    return spec.selector is not None or services is None


def ordered_units(spec: OrderSpec) -> int | None:
    """The units of an order with a quantity (times its runs with drip-feed)."""
    params = dict(spec.params)
    drip = dict(params.get("drip_feed") or ())
    quantity, runs = params.get("quantity"), drip.get("runs", 1)
    return quantity * runs if isinstance(quantity, int) and isinstance(runs, int) else None


@dataclass(frozen=True)
class TopUps:
    """The actions of an order's top-ups, and the note when its shortfall is not ordered."""

    actions: list[Action]
    note: str | None = None  # why the shortfall is not ordered


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
    ordered = ordered_units(spec)
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
    if spec.outcome.reorder:
        service = topup_service(spec, services)
        known = not chosen_later(spec, services)
        decision = topups.decide(chained, spec.outcome.max_topups, following, service, known)
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
    note = decision.reason if isinstance(decision, topups.NoTopUp) else None
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
    assert spec.outcome.auto_refill is not None
    every, window = spec.outcome.auto_refill
    if service is not None and not service.refill:
        return replace(action, reason="cannot refill"), (
            f"{spec.address}: service {action.service} does not support refills (auto_refill)"
        )
    decided = refills.scheduled(record, status, every, window, now)
    if isinstance(decided, refills.Due):
        return replace(
            action, kind=Kind.REFILL, reason=f"scheduled refill (period {decided.period})"
        ), None
    return replace(action, reason=decided.reason), None


def refill_due(
    spec: OrderSpec,
    action: Action,
    record: OrderRecord,
    facts: PanelFacts | None,
    now: _dt.datetime,
) -> tuple[Action, str | None]:
    """``scheduled_refill`` with what the panel said (its catalog, the fresh status)."""
    usable = facts is not None and facts.error is None
    # The service it was placed with (a selector's choice is on the action).
    service = facts.services.get(action.service or 0) if facts is not None and usable else None
    status = current_status(record, facts)
    action, problem = scheduled_refill(spec, action, record, status, service, now)
    if action.kind is Kind.REFILL and not usable:
        return replace(action, kind=Kind.NOOP, reason="panel unavailable"), problem
    return action, problem


def topups_for(
    spec: OrderSpec,
    records: Mapping[str, OrderRecord],
    facts: Mapping[str, PanelFacts],
    order: Callable[[OrderSpec], Action],
) -> TopUps:
    """``plan_topups`` with what the panels said (the fresh statuses win)."""

    def status_of(record: OrderRecord) -> tuple[OrderStatus | None, int | None]:
        said = facts.get(record.panel)
        fresh = said.statuses.get(record.order_id or 0) if said is not None else None
        if isinstance(fresh, OrderInfo):
            return fresh.status, fresh.remains
        return current_status(record, said), record.last.remains if record.last else None

    said = facts.get(spec.panel)
    services = said.services if said is not None and said.error is None else None
    return plan_topups(spec, records, services, status_of, order)


def within_budget(
    campaign: CampaignSpec, actions: list[Action], used: Decimal
) -> tuple[list[Action], Decimal, list[tuple[Action, str]]]:
    """The top-ups the budget leaves room for (and their cost); a top-up beyond it is a
    warning (a person decides), never an error that would stop the campaign's other
    orders."""
    planned = Decimal(0)
    kept: list[Action] = []
    notes: list[tuple[Action, str]] = []
    budget = campaign.budget
    for action in actions:
        cost = action.cost if action.kind is Kind.CREATE else None
        if cost is not None and budget is not None and used + planned + cost > budget:
            notes.append(
                (
                    action,
                    f"{action.address}: the top-up would cost {format_amount(cost)}, beyond "
                    f"campaign {campaign.name}'s budget of {format_amount(budget)}; not ordered",
                )
            )
            action = replace(action, kind=Kind.NOOP, reason="top-up beyond the budget")
            cost = None
        kept.append(action)
        planned += cost or Decimal(0)
    return kept, planned, notes


# --- the planner's part ---------------------------------------------------------------


class Planning(Protocol):
    """What of the planner the outcome steps use (runner.plans.planner._Planner)."""

    @property
    def records(self) -> Mapping[str, OrderRecord]: ...
    @property
    def facts(self) -> Mapping[str, PanelFacts]: ...
    @property
    def now(self) -> _dt.datetime: ...
    @property
    def exchange(self) -> Exchange: ...
    @property
    def of_campaign(self) -> Mapping[str, list[OrderRecord]]: ...
    @property
    def checks(self) -> list[Check]: ...
    @property
    def actions(self) -> list[Action]: ...
    def order(self, spec: OrderSpec, waiting: bool, campaign: CampaignSpec) -> Action: ...
    def error(self, message: str, location: Location | None, address: str | None = ...) -> None: ...
    def warning(
        self, message: str, location: Location | None, address: str | None = ...
    ) -> None: ...


def follow(plan: Planning, spec: OrderSpec, waiting: bool, campaign: CampaignSpec) -> list[Action]:
    """Plan an order (its action, with its scheduled refill); the actions of its top-ups
    are returned, to be added within the budget (``budgeted``)."""
    action = plan.order(spec, waiting, campaign)
    if spec.outcome.auto_refill is not None and action.kind is Kind.NOOP:
        record = plan.records[spec.address]
        facts = plan.facts.get(record.panel)
        action, problem = refill_due(spec, action, record, facts, plan.now)
        if problem is not None:
            plan.error(problem, spec.where("auto_refill"), spec.address)
    plan.actions.append(action)
    if not spec.outcome.reorder and topups.topup_address(spec.address, 1) not in plan.records:
        return []  # no top-up asked for, none recorded
    found = topups_for(spec, plan.records, plan.facts, placing(plan, campaign))
    if found.note is not None:
        plan.warning(f"{spec.address}: {found.note}", spec.location, spec.address)
    return found.actions


def budgeted(plan: Planning, campaign: CampaignSpec, later: list[Action], first: int) -> None:
    """Add the top-ups the campaign's budget leaves room for (as ``budgets`` counts it);
    the campaign's actions are ``plan.actions[first:]``."""
    if not later:
        return
    mine = plan.of_campaign.get(campaign.name, ())
    own = plan.actions[first:]
    so_far, _ = campaign_cost(campaign, own, mine, plan.facts, plan.exchange)
    kept, _, notes = within_budget(campaign, later, so_far.spent + so_far.cost)
    plan.actions.extend(kept)
    for action, note in notes:
        plan.warning(note, action.location, action.address)


def placing(plan: Planning, campaign: CampaignSpec) -> Callable[[OrderSpec], Action]:
    """How a top-up becomes its action: as an order of the campaign, except that one
    that cannot be placed (no service fits) is a warning, never an error that would stop
    the campaign's other orders."""
    waiting = campaign.not_before is not None and campaign.not_before > plan.now

    def place(spec: OrderSpec) -> Action:
        before = len(plan.checks)
        action = plan.order(spec, waiting, campaign)
        if action.kind is Kind.INVALID:
            said = plan.checks[before:]
            plan.checks[before:] = [replace(c, level="warning") for c in said]
            action = replace(action, kind=Kind.NOOP, reason=f"no top-up: {action.reason}")
        return action

    return place

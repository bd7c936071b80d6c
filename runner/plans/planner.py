"""The planner: a pure function from desired orders, state and panel facts to a Plan.
No I/O happens here: the caller fetches catalogs, balances and statuses (``facts``) and
reads the state; ``make_plan`` only decides."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from runner.api.models import OrderStatus
from runner.config.campaign import CampaignSpec, OrderSpec
from runner.errors import Location
from runner.money import format_amount
from runner.plans import crosschecks, outcomes, repeats, topups
from runner.plans.budgets import campaign_cost, charge_warnings
from runner.plans.facts import PanelFacts, current_status
from runner.plans.fit import Misfit, fit
from runner.plans.plan import (
    Action,
    Change,
    Check,
    Kind,
    PanelSummary,
    Plan,
    spec_changes,
)
from runner.plans.selection import Exchange, choose, offers_of
from runner.state import OrderRecord, Phase, StateInfo
from runner.state.spectext import StoredSpec


class _Planner:
    def __init__(
        self,
        campaigns: Sequence[CampaignSpec],
        records: Mapping[str, OrderRecord],
        facts: Mapping[str, PanelFacts],
        now: _dt.datetime,
        apply_running: bool,
        exchange: Exchange,
        in_scope: Callable[[str], bool],
    ) -> None:
        self.in_scope = in_scope
        self.exchange = exchange
        self.campaigns = campaigns
        self.records = records
        self.facts = facts
        self.now = now
        self.apply_running = apply_running
        self.kept: set[str] = set()  # recorded instances of repeating orders, not orphans
        self.actions: list[Action] = []
        self.checks: list[Check] = []
        self.reported_panels: set[tuple[str, str]] = set()
        self.rates: dict[str, dict[str, str]] = {}
        # Each campaign's records, in the records' order (a campaign looks only at its own).
        self.of_campaign: dict[str, list[OrderRecord]] = {}
        for record in records.values():
            self.of_campaign.setdefault(record.campaign, []).append(record)

    def error(self, message: str, location: Location | None, address: str | None = None) -> None:
        self.checks.append(Check("error", message, location, address))

    def warning(self, message: str, location: Location | None, address: str | None = None) -> None:
        self.checks.append(Check("warning", message, location, address))

    def run(self, state: StateInfo) -> Plan:
        campaign_costs = []
        for campaign in self.campaigns:
            records = self.of_campaign.get(campaign.name, ())  # before the orders release specs
            self.checks += charge_warnings(campaign.name, records, self.facts)
            waiting = campaign.not_before is not None and campaign.not_before > self.now
            first = len(self.actions)  # from here on, the campaign's own actions
            later: list[Action] = []
            for spec in campaign.orders:
                later += outcomes.follow(self, spec, waiting, campaign)
            outcomes.budgeted(self, campaign, later, first)
            cost, checks = campaign_cost(
                campaign,
                self.actions[first:],
                self.of_campaign.get(campaign.name, ()),
                self.facts,
                self.exchange,
            )
            self.checks += checks
            campaign_costs.append(cost)
        self.orphans()
        self.same_link_twice()
        self.shared_order_ids()
        panels = self.balances()
        return Plan(
            actions=tuple(self.actions),
            checks=tuple(self.checks),
            campaigns=tuple(campaign_costs),
            panels=tuple(panels),
            lineage=state.lineage,
            serial=state.serial,
            serials=state.serials(c.name for c in self.campaigns),
            rates=self.rates,
            created_at=self.now.isoformat().replace("+00:00", "Z"),
        )

    # --- one order ----------------------------------------------------------------

    def order(self, spec: OrderSpec, waiting: bool, campaign: CampaignSpec) -> Action:
        record = self.records.get(spec.address)
        # A recorded order keeps the panel and service it was placed with, forever (a
        # number's are in its fingerprint; a selector's choice is read from the record).
        kept = record is not None and record.phase is not Phase.REJECTED
        panel = record.panel if kept and record is not None else spec.panel
        service = spec.service
        if kept and record is not None and spec.selector is not None:
            service = recorded_service(record)
        facts = self.facts.get(panel)
        base = Action(
            address=spec.address,
            kind=Kind.NOOP,
            panel=panel,
            campaign=spec.campaign,
            service=service,
            link=spec.link,
            location=spec.origin,
            fingerprint=spec.fingerprint(),
        )
        if record is not None and record.phase in (Phase.SUBMITTING, Phase.IN_DOUBT):
            if record.phase is Phase.SUBMITTING and self.apply_running:
                return replace(base, kind=Kind.WAIT, reason="an apply is placing this order now")
            self.warning(
                f"{spec.address}: the answer to its order was lost; it may or may not exist. "
                f"If the panel has it: smm state import {spec.address} ORDER_ID; if not: "
                f"smm state retry {spec.address}",
                spec.location,
                spec.address,
            )
            return replace(base, kind=Kind.IN_DOUBT, reason=record.error or "outcome unknown")
        if record is None or record.phase is Phase.REJECTED:
            return self.create(spec, facts, base, waiting, campaign, record)
        return self.placed(spec, record, facts, base)

    def panel_usable(self, spec: OrderSpec, facts: PanelFacts | None) -> str | None:
        """None when the panel answered; else why not (reported once per campaign)."""
        if facts is not None and facts.error is None:
            return None
        message = f"unknown panel '{spec.panel}'"
        if facts is not None and facts.error is not None:
            message = facts.error
        key = (spec.panel, spec.campaign)
        if key not in self.reported_panels:
            self.reported_panels.add(key)
            self.error(message, spec.where("panel"), spec.address)
        return message

    def invalid(self, base: Action, spec: OrderSpec, misfits: list[Misfit]) -> Action:
        """An order that cannot be placed: every reason is an error at its field, and the
        action is listed as an error, never as a create."""
        for misfit in misfits:
            where = spec.where(misfit.field) if misfit.field else spec.origin
            self.error(f"{spec.address}: {misfit.message}", where, spec.address)
        return replace(base, kind=Kind.INVALID, reason=misfits[0].message)

    def create(
        self,
        spec: OrderSpec,
        facts: PanelFacts | None,
        base: Action,
        waiting: bool,
        campaign: CampaignSpec,
        record: OrderRecord | None,
    ) -> Action:
        if spec.cancel:
            return replace(base, kind=Kind.NOOP, reason="cancel: true, and never placed")
        if spec.selector is not None:
            base = self.choose(spec, base)
            if base.kind is Kind.INVALID:
                return base
            facts = self.facts[base.panel]
        trouble = self.panel_usable(spec, facts)
        if trouble is not None or facts is None:
            return replace(base, kind=Kind.INVALID, reason=trouble or "panel unavailable")
        service = facts.services.get(base.service or 0)
        if service is None:
            gone = f"service {spec.service} is not in {spec.panel}'s catalog (unknown or disabled)"
            return self.invalid(base, spec, [Misfit(gone, "service")])
        fitted = fit(spec, service)
        if isinstance(fitted, list):
            return self.invalid(base, spec, fitted)
        self.rates.setdefault(spec.panel, {})[str(service.id)] = str(service.rate)
        currency = facts.balance.currency if facts.balance else None
        kind = Kind.WAIT if waiting else Kind.CREATE
        reason = ""
        if waiting:
            assert campaign.not_before is not None
            reason = f"not before {campaign.not_before.isoformat().replace('+00:00', 'Z')}"
        elif record is not None:
            reason = f"previous attempt rejected: {record.error}"
        return replace(
            base,
            kind=kind,
            reason=reason,
            service_name=service.name,
            service_type=str(service.type),
            units=fitted.units,
            cost=fitted.cost,
            currency=currency,
            spec=spec.to_json()
            if spec.selector is None
            else {**spec.to_json(), "panel": base.panel, "service": base.service}
            | {"selector": spec.selector.to_json()},
        )

    def choose(self, spec: OrderSpec, base: Action) -> Action:
        """The cheapest fitting candidate of a selector, as the action's panel and service
        (the choice is kept in the action for the output, and for a failover)."""
        assert spec.selector is not None
        offers = offers_of(spec.panels, self.facts)
        unknown = [o.error for o in offers if not o.known]
        if unknown:
            failed = self.invalid(base, spec, [Misfit(f"panels: {unknown[0]}", "service")])
            return replace(failed, panel="")
        choice = choose(spec, spec.selector, offers, self.exchange)
        selection = choice.to_json(spec.selector)
        if choice.chosen is None:
            failed = self.invalid(base, spec, [Misfit(choice.error or "no candidate", "service")])
            return replace(failed, panel="", selection=selection)
        return replace(
            base, panel=choice.chosen.panel, service=choice.chosen.service, selection=selection
        )

    def placed(
        self,
        spec: OrderSpec,
        record: OrderRecord,
        facts: PanelFacts | None,
        base: Action,
    ) -> Action:
        status = current_status(record, facts)
        shown = None if status is None else str(status)

        def out(**changes: Any) -> Action:  # what the record says, in one replace
            return replace(base, order_id=record.order_id, status=shown, **changes)

        changes: tuple[Change, ...] = ()
        moved = record.fingerprint != base.fingerprint
        if moved:
            changes = spec_changes(record.spec, spec.to_json())
            if spec.selector is not None:  # chosen when placed: only parameters count
                changes = tuple(c for c in changes if c.field not in ("panel", "service"))
            # A selector's order now named by the number it was placed with is the same.
            moved = bool(changes) or (spec.selector is None and "selector" not in record.spec)
        if moved:
            what = ", ".join(c.field for c in changes) or "its parameters"
            self.error(
                f"{spec.address}: order {record.order_id} was placed with other parameters "
                f"({what} changed) and placed orders cannot change; revert the change, or "
                "give the order a new id to place a new one",
                spec.origin,
                spec.address,
            )
            return out(
                kind=Kind.CONFLICT,
                reason="parameters changed after placing",
                changes=changes,
            )
        if isinstance(record.spec, StoredSpec):
            record.spec.release()  # unchanged: its recorded spec is not needed again
        service = facts.services.get(base.service or 0) if facts and not facts.error else None
        if spec.cancel:
            if record.cancel is not None and record.cancel.ok:
                return out(kind=Kind.NOOP, reason="cancel requested")
            if status is not None and status.terminal:
                return out(kind=Kind.NOOP, reason=f"already {status}; nothing to cancel")
            if service is not None and not service.cancel:
                self.error(
                    f"{spec.address}: service {base.service} does not support cancel",
                    spec.where("cancel"),
                    spec.address,
                )
                return out(kind=Kind.NOOP, reason="cannot cancel")
            if self.panel_usable(spec, facts) is not None:
                return out(kind=Kind.NOOP, reason="panel unavailable")
            return out(kind=Kind.CANCEL, reason=f"status {status or 'unknown'}")
        wanted = spec.refills - record.refills_made
        if wanted > 0:
            if service is not None and not service.refill:
                self.error(
                    f"{spec.address}: service {base.service} does not support refills",
                    spec.where("refills"),
                    spec.address,
                )
                return out(kind=Kind.NOOP, reason="cannot refill")
            if status in (OrderStatus.COMPLETED, OrderStatus.PARTIAL):
                if self.panel_usable(spec, facts) is not None:
                    return out(kind=Kind.NOOP, reason="panel unavailable")
                return out(
                    kind=Kind.REFILL,
                    reason=f"refill {record.refills_made + 1} of {spec.refills}",
                )
            if status is not None and status.terminal:
                return out(kind=Kind.NOOP, reason=f"{status}: cannot be refilled")
            return out(kind=Kind.WAIT, reason="refill waits for the order to complete")
        return out(kind=Kind.NOOP)

    # --- plan-wide checks -----------------------------------------------------------

    def orphans(self) -> None:
        loaded = {c.name: c for c in self.campaigns}
        desired = {o.address for c in self.campaigns for o in c.orders}
        gone = [
            (address, record)
            for address, record in self.records.items()
            if record.campaign in loaded
            and address not in desired
            and address not in self.kept
            and self.in_scope(address)
            and not topups.belongs(address, desired)
        ]
        del desired
        for address, record in sorted(gone):
            campaign = loaded[record.campaign]
            self.actions.append(
                Action(
                    address=address,
                    kind=Kind.ORPHAN,
                    panel=record.panel,
                    campaign=record.campaign,
                    order_id=record.order_id,
                    reason=f"recorded as {record.phase} but no longer in {campaign.file}",
                    location=campaign.location,
                )
            )
            self.warning(
                f"{address}: recorded in the state ({record.phase}"
                + (f", order {record.order_id}" if record.order_id else "")
                + f") but no longer in {campaign.file}; smm never deletes orders (renamed? "
                f"say so with moved: in the file, or smm state mv {address} NEW_ADDRESS)",
                campaign.location,
                address,
            )

    def shared_order_ids(self) -> None:
        self.checks += crosschecks.shared_order_ids(self.records, self.campaigns)

    def same_link_twice(self) -> None:
        self.checks += crosschecks.same_link_twice(self.actions)

    def balances(self) -> list[PanelSummary]:
        costs: dict[str, Decimal] = {}
        for action in self.actions:
            if action.kind is Kind.CREATE:
                costs.setdefault(action.panel, Decimal(0))
                costs[action.panel] += action.cost or Decimal(0)
        panels = []
        for name in sorted(self.facts):
            facts = self.facts[name]
            if facts.error is not None:
                continue
            total = costs.get(name, Decimal(0))
            bal = facts.balance
            panels.append(
                PanelSummary(name, bal.amount if bal else None, bal.currency if bal else "", total)
            )
            if bal is not None and total > bal.amount:
                first = next(a for a in self.actions if a.kind is Kind.CREATE and a.panel == name)
                self.error(
                    f"panel {name}: the plan costs {format_amount(total)} {bal.currency}, "
                    f"above the balance of {format_amount(bal.amount)} {bal.currency}",
                    first.location,
                )
        return panels


def make_plan(
    campaigns: Sequence[CampaignSpec],
    records: Mapping[str, OrderRecord],
    facts: Mapping[str, PanelFacts],
    *,
    now: _dt.datetime,
    state: StateInfo,
    apply_running: bool = False,
    exchange: Exchange | None = None,
    in_scope: Callable[[str], bool] = lambda address: True,
) -> Plan:
    """Decide, per address, what to do.  Pure: same inputs, same plan.  ``in_scope``:
    the addresses ``--target`` leaves in (the campaigns hold only their orders)."""
    unfolded = repeats.unfold(campaigns, records, now)
    planner = _Planner(
        unfolded.campaigns, records, facts, now, apply_running, exchange or Exchange(), in_scope
    )
    planner.kept = unfolded.kept
    planner.actions.extend(unfolded.waits)
    return planner.run(state)


def recorded_service(record: OrderRecord) -> int | None:
    """The service an order was placed with (as its record keeps it)."""
    service = record.spec.get("service") if isinstance(record.spec, Mapping) else None
    return service if isinstance(service, int) and not isinstance(service, bool) else None

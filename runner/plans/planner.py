"""The planner: a pure function from desired orders, state and panel facts to a Plan.

No I/O happens here: the caller fetches catalogs, balances and statuses (``facts``) and
reads the state; ``make_plan`` only decides.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from runner.api.models import Balance, ItemError, OrderInfo, OrderStatus, Service
from runner.config.campaign import CampaignSpec, OrderSpec
from runner.errors import Location
from runner.money import format_amount
from runner.plans import repeats
from runner.plans.fit import Misfit, fit
from runner.plans.plan import Action, CampaignCost, Check, Kind, PanelSummary, Plan, spec_changes
from runner.state import OrderRecord, Phase, StateInfo
from runner.state.spectext import StoredSpec


@dataclass(frozen=True)
class PanelFacts:
    """What the panel told us (or why it could not)."""

    name: str
    services: Mapping[int, Service] = field(default_factory=dict)
    balance: Balance | None = None
    statuses: Mapping[int, OrderInfo | ItemError] = field(default_factory=dict)
    error: str | None = None
    fetched_at: float | None = field(default=None, compare=False)  # time.monotonic()


def current_status(record: OrderRecord, facts: PanelFacts | None) -> OrderStatus | None:
    if record.order_id is not None and facts is not None:
        fresh = facts.statuses.get(record.order_id)
        if isinstance(fresh, OrderInfo):
            return fresh.status
    if record.last is not None and record.last.status:
        return OrderStatus(record.last.status)
    return None


def recorded_charge(record: OrderRecord, facts: PanelFacts | None) -> Decimal:
    """What a recorded order has spent: ``OrderRecord.spent`` (the one definition, shared
    with status and report), with the charge the panel answered a moment ago if newer."""
    if record.phase is not Phase.REJECTED and record.order_id is not None and facts is not None:
        fresh = facts.statuses.get(record.order_id)
        if isinstance(fresh, OrderInfo) and fresh.charge is not None:
            return fresh.charge
    return record.spent


class _Planner:
    def __init__(
        self,
        campaigns: Sequence[CampaignSpec],
        records: Mapping[str, OrderRecord],
        facts: Mapping[str, PanelFacts],
        now: _dt.datetime,
        apply_running: bool,
    ) -> None:
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
            planned = Decimal(0)
            waiting = campaign.not_before is not None and campaign.not_before > self.now
            for spec in campaign.orders:
                action = self.order(spec, waiting, campaign)
                self.actions.append(action)
                if action.kind is Kind.CREATE and action.cost is not None:
                    planned += action.cost
            spent = sum(
                (
                    recorded_charge(r, self.facts.get(r.panel))
                    for r in self.of_campaign.get(campaign.name, ())
                ),
                Decimal(0),
            )
            currency = self.budget(campaign, planned, spent)
            campaign_costs.append(
                CampaignCost(campaign.name, planned, campaign.budget, spent, currency)
            )
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
        facts = self.facts.get(spec.panel)
        record = self.records.get(spec.address)
        base = Action(
            address=spec.address,
            kind=Kind.NOOP,
            panel=spec.panel,
            campaign=spec.campaign,
            service=spec.service,
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
        trouble = self.panel_usable(spec, facts)
        if trouble is not None or facts is None:
            return replace(base, kind=Kind.INVALID, reason=trouble or "panel unavailable")
        service = facts.services.get(spec.service)
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
            spec=spec.to_json(),
        )

    def placed(
        self,
        spec: OrderSpec,
        record: OrderRecord,
        facts: PanelFacts | None,
        base: Action,
    ) -> Action:
        status = current_status(record, facts)
        base = replace(
            base, order_id=record.order_id, status=None if status is None else str(status)
        )
        if record.fingerprint != base.fingerprint:
            changes = spec_changes(record.spec, spec.to_json())
            what = ", ".join(c.field for c in changes) or "its parameters"
            self.error(
                f"{spec.address}: order {record.order_id} was placed with other parameters "
                f"({what} changed) and placed orders cannot change; revert the change, or "
                "give the order a new id to place a new one",
                spec.origin,
                spec.address,
            )
            return replace(
                base,
                kind=Kind.CONFLICT,
                reason="parameters changed after placing",
                changes=changes,
            )
        if isinstance(record.spec, StoredSpec):
            record.spec.release()  # unchanged: its recorded spec is not needed again
        service = facts.services.get(spec.service) if facts and not facts.error else None
        if spec.cancel:
            if record.cancel is not None and record.cancel.ok:
                return replace(base, kind=Kind.NOOP, reason="cancel requested")
            if status is not None and status.terminal:
                return replace(base, kind=Kind.NOOP, reason=f"already {status}; nothing to cancel")
            if service is not None and not service.cancel:
                self.error(
                    f"{spec.address}: service {spec.service} does not support cancel",
                    spec.where("cancel"),
                    spec.address,
                )
                return replace(base, kind=Kind.NOOP, reason="cannot cancel")
            if self.panel_usable(spec, facts) is not None:
                return replace(base, kind=Kind.NOOP, reason="panel unavailable")
            return replace(base, kind=Kind.CANCEL, reason=f"status {status or 'unknown'}")
        wanted = spec.refills - record.refills_made
        if wanted > 0:
            if service is not None and not service.refill:
                self.error(
                    f"{spec.address}: service {spec.service} does not support refills",
                    spec.where("refills"),
                    spec.address,
                )
                return replace(base, kind=Kind.NOOP, reason="cannot refill")
            if status in (OrderStatus.COMPLETED, OrderStatus.PARTIAL):
                if self.panel_usable(spec, facts) is not None:
                    return replace(base, kind=Kind.NOOP, reason="panel unavailable")
                return replace(
                    base,
                    kind=Kind.REFILL,
                    reason=f"refill {record.refills_made + 1} of {spec.refills}",
                )
            if status is not None and status.terminal:
                return replace(base, kind=Kind.NOOP, reason=f"{status}: cannot be refilled")
            return replace(base, kind=Kind.WAIT, reason="refill waits for the order to complete")
        return replace(base, kind=Kind.NOOP)

    # --- plan-wide checks -----------------------------------------------------------

    def budget(self, campaign: CampaignSpec, planned: Decimal, spent: Decimal) -> str | None:
        """Check the campaign's spend against its budget; the campaign's one currency.

        A budget is one amount in one currency: a campaign whose orders are priced in
        several currencies (panels with different account currencies) cannot be held to
        it, so that is an error rather than a sum of unlike amounts."""
        currencies = {
            self.facts[o.panel].balance.currency  # type: ignore[union-attr]
            for o in campaign.orders
            if o.panel in self.facts and self.facts[o.panel].balance is not None
        }
        currencies |= {
            r.last.currency
            for r in self.of_campaign.get(campaign.name, ())
            if r.last is not None and r.last.currency
        }
        currencies.discard("")
        if len(currencies) > 1:
            self.error(
                f"campaign {campaign.name}: its orders are priced in "
                f"{' and '.join(sorted(currencies))}; a campaign's spend must be in one "
                "currency (split it by panel currency)",
                campaign.budget_location or campaign.location,
            )
        currency = next(iter(currencies)) if len(currencies) == 1 else None
        if campaign.budget is None:
            return currency
        total = spent + planned
        if total > campaign.budget:
            unit = f" {currency}" if currency else ""
            self.error(
                f"campaign {campaign.name}: spend {format_amount(total)}{unit} (recorded "
                f"{format_amount(spent)}{unit} + planned {format_amount(planned)}{unit}) is "
                "above its "
                f"budget {format_amount(campaign.budget)}{unit}",
                campaign.budget_location or campaign.location,
            )
        return currency

    def orphans(self) -> None:
        loaded = {c.name: c for c in self.campaigns}
        desired = {o.address for c in self.campaigns for o in c.orders}
        gone = [
            (address, record)
            for address, record in self.records.items()
            if record.campaign in loaded and address not in desired and address not in self.kept
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
        """Two addresses recorded with one panel order: one of them is wrong."""
        # (No tuple or list per record: this runs over every record of a large state.)
        first: dict[str, dict[int, str]] = {}
        shared: dict[tuple[str, int], list[str]] = {}
        for address, record in self.records.items():
            if record.order_id is not None and record.phase is Phase.PLACED:
                holders = first.setdefault(record.panel, {})
                holder = holders.setdefault(record.order_id, address)
                if holder != address:
                    shared.setdefault((record.panel, record.order_id), [holder]).append(address)
        if not shared:
            return
        locations = {o.address: o.location for c in self.campaigns for o in c.orders}
        for (panel, order_id), addresses in sorted(shared.items()):
            addresses.sort()
            self.warning(
                f"{', '.join(addresses)} are all recorded as order {order_id} on {panel}; "
                "one panel order belongs to one address: smm state forget the wrong one",
                locations.get(addresses[-1]),
                addresses[-1],
            )

    def same_link_twice(self) -> None:
        # (Nested, the first action kept alone: no tuple or list per action.)
        first: dict[str, dict[int, dict[str, Action]]] = {}
        twice: dict[tuple[str, int, str], list[Action]] = {}
        for action in self.actions:
            if action.link is None or action.service is None:
                continue
            live = action.kind in (Kind.CREATE, Kind.WAIT)
            if action.kind in (Kind.NOOP, Kind.REFILL, Kind.CANCEL) and action.status:
                live = not OrderStatus(action.status).terminal
            if live:
                links = first.setdefault(action.panel, {}).setdefault(action.service, {})
                earlier = links.setdefault(action.link, action)
                if earlier is not action:
                    key = (action.panel, action.service, action.link)
                    twice.setdefault(key, [earlier]).append(action)
        active = {key: [a.address for a in acts] for key, acts in twice.items()}
        locations = {a.address: a.location for acts in twice.values() for a in acts}
        for (panel, service, link), addresses in sorted(active.items()):
            if len(addresses) > 1:
                later = addresses[1]
                self.warning(
                    f"{', '.join(addresses)}: two active orders for service {service} and "
                    f"{link} on {panel}; many panels refuse the second or under-deliver",
                    locations[later],
                    later,
                )

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
) -> Plan:
    """Decide, per address, what to do.  Pure: same inputs, same plan."""
    unfolded = repeats.unfold(campaigns, records, now)
    planner = _Planner(unfolded.campaigns, records, facts, now, apply_running)
    planner.kept = unfolded.kept
    planner.actions.extend(unfolded.waits)
    return planner.run(state)

"""A campaign's spend and planned cost against its budget, in its one currency.

A budget is one amount in one currency.  A campaign whose orders are priced in several
currencies (selectors across panels with different account currencies) is held to it
through the project's ``exchange:`` (everything in the project currency); without rates
for every currency it is an error rather than a sum of unlike amounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from runner.config.campaign import CampaignSpec
from runner.money import format_amount
from runner.plans.facts import PanelFacts, charge_note, recorded_charge
from runner.plans.plan import Action, CampaignCost, Check, Kind
from runner.plans.selection import Exchange
from runner.state import OrderRecord


def campaign_cost(
    campaign: CampaignSpec,
    actions: Iterable[Action],
    records: Iterable[OrderRecord],
    facts: Mapping[str, PanelFacts],
    exchange: Exchange,
) -> tuple[CampaignCost, list[Check]]:
    """What the campaign has spent and what the plan adds, and the checks on them."""

    def of_panel(panel: str) -> str | None:
        found = facts.get(panel)
        return found.balance.currency if found is not None and found.balance else None

    mine = [a for a in actions if a.campaign == campaign.name]
    planned = [
        (a.cost, a.currency or of_panel(a.panel))
        for a in mine
        if a.kind is Kind.CREATE and a.cost is not None
    ]
    spent = [
        (
            recorded_charge(r, facts.get(r.panel)),
            r.last.currency if r.last is not None and r.last.currency else of_panel(r.panel),
        )
        for r in records
    ]
    found = {of_panel(a.panel) for a in mine} | {c for _, c in spent}
    currencies: set[str] = {c for c in found if c}
    checks: list[Check] = []
    where = campaign.budget_location or campaign.location
    unit = next(iter(currencies)) if len(currencies) == 1 else None
    convert = False
    if len(currencies) > 1:
        if exchange.currency and all(exchange.convert(Decimal(1), c) for c in currencies):
            unit, convert = exchange.currency, True
        else:
            checks.append(
                Check(
                    "error",
                    f"campaign {campaign.name}: its orders are priced in "
                    f"{' and '.join(sorted(currencies))}; a campaign's spend must be in one "
                    "currency (split it by panel currency, or set currency: and exchange: "
                    "in smm.yaml)",
                    where,
                )
            )

    def total(amounts: list[tuple[Decimal, str | None]]) -> Decimal:
        out = Decimal(0)
        for amount, currency in amounts:
            out += (exchange.convert(amount, currency) or amount) if convert else amount
        return out

    cost, charged = total(planned), total(spent)
    if campaign.budget is not None and charged + cost > campaign.budget:
        u = f" {unit}" if unit else ""
        checks.append(
            Check(
                "error",
                f"campaign {campaign.name}: spend {format_amount(charged + cost)}{u} (recorded "
                f"{format_amount(charged)}{u} + planned {format_amount(cost)}{u}) is above "
                f"its budget {format_amount(campaign.budget)}{u}",
                where,
            )
        )
    return CampaignCost(campaign.name, cost, campaign.budget, charged, unit), checks


CHARGE_NOTES = 5  # orders per campaign whose charge differs, named one by one


def charge_warnings(
    campaign: str, records: Iterable[OrderRecord], facts: Mapping[str, PanelFacts]
) -> list[Check]:
    """A warning for each recorded order whose charge is not our estimate beyond a
    rounding (``facts.charge_note``): the first few by address, then one line for the
    rest (a panel that answers "0" while pending does so for every order)."""
    notes = [
        (r.address, note)
        for r in records
        if (note := charge_note(r, facts.get(r.panel))) is not None
    ]
    shown = [Check("warning", f"{a}: {n}", None, a) for a, n in notes[:CHARGE_NOTES]]
    if len(notes) > CHARGE_NOTES:
        shown.append(
            Check(
                "warning",
                f"campaign {campaign}: {len(notes) - CHARGE_NOTES} more not named here (smm "
                "status shows every order whose charge is not the estimate)",
            )
        )
    return shown

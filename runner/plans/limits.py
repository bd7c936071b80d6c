"""The plan's limits: the scope ``--target`` gives it, and the safety limits it must keep.

``Targets`` narrows the campaigns to addresses or whole campaigns; ``check_safety`` adds
an error per limit a campaign's creates go beyond (octoDNS's thresholds), or a warning
when the person passed ``--allow-over-limits``.  Pure, on the Plan value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from runner.config.campaign import CampaignSpec
from runner.config.safety import Safety
from runner.errors import CampaignError
from runner.money import format_amount
from runner.plans.plan import Check, Kind, Plan


@dataclass(frozen=True)
class Targets:
    """``--target`` values: order addresses (``campaign/id``) or campaign names.  None
    given: everything is in scope."""

    names: tuple[str, ...] = ()

    def covers(self, address: str) -> bool:
        if not self.names:
            return True
        return address in self.names or address.split("/", 1)[0] in self.names

    def restrict(self, campaigns: Sequence[CampaignSpec]) -> list[CampaignSpec]:
        """The campaigns with only the orders in scope (campaigns with none are left out);
        a target naming nothing loaded is a usage error."""
        if not self.names:
            return list(campaigns)
        known = {c.name for c in campaigns} | {o.address for c in campaigns for o in c.orders}
        for name in self.names:
            if name not in known:
                raise CampaignError(
                    f"--target {name}: no campaign or order address of that name in the "
                    "campaign files"
                )
        out = []
        for campaign in campaigns:
            orders = tuple(o for o in campaign.orders if self.covers(o.address))
            if orders:
                out.append(dataclasses.replace(campaign, orders=orders))
        return out


def check_safety(
    plan: Plan,
    campaigns: Sequence[CampaignSpec],
    project: Safety | None,
    allow_over: bool,
) -> Plan:
    """The plan with a check for each safety limit it goes beyond."""
    checks: list[Check] = []
    costs = {c.name: c for c in plan.campaigns}
    for campaign in campaigns:
        limits = campaign.safety or project
        if limits is None:
            continue
        creates = [a for a in plan.actions if a.kind is Kind.CREATE and a.campaign == campaign.name]
        spend = sum((a.cost or Decimal(0) for a in creates), Decimal(0))
        cost = costs.get(campaign.name)
        unit = f" {cost.currency}" if cost is not None and cost.currency else ""
        over = []
        if limits.max_creates is not None and len(creates) > limits.max_creates:
            over.append(f"it creates {len(creates)} orders, above max_creates {limits.max_creates}")
        if limits.max_spend is not None and spend > limits.max_spend:
            over.append(
                f"it spends {format_amount(spend)}{unit}, above max_spend "
                f"{format_amount(limits.max_spend)}{unit}"
            )
        for text in over:
            where = "" if campaign.safety else " (safety: in smm.yaml)"
            if allow_over:
                checks.append(
                    Check(
                        "warning",
                        f"campaign {campaign.name}: {text}{where}; allowed by --allow-over-limits",
                        limits.location,
                    )
                )
            else:
                checks.append(
                    Check(
                        "error",
                        f"campaign {campaign.name}: {text}{where}; check the plan, then pass "
                        "--allow-over-limits to go ahead",
                        limits.location,
                    )
                )
    if not checks:
        return plan
    return dataclasses.replace(plan, checks=(*plan.checks, *checks))

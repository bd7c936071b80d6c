"""A saved plan applies only as it was planned: made against this state and the serials
of the campaigns it covers, and equal to what planning now gives on everything that
reaches a panel or a bill."""

from __future__ import annotations

import json
from pathlib import Path

from runner.errors import StalePlan
from runner.plans.plan import Plan
from runner.state import StateStore


def check_fresh(plan: Plan, store: StateStore, path: Path) -> None:
    """A saved plan belongs to one state, and to the serials of the campaigns it covers."""
    info = store.info()
    if plan.lineage is None or plan.lineage != info.lineage:
        raise StalePlan(
            f"{path} was made against another state (lineage {plan.lineage or 'none'}, "
            f"this one is {info.lineage}); run smm plan again against this state"
        )
    moved = {
        name: (serial, info.campaigns.get(name, 0))
        for name, serial in sorted(plan.serials.items())
        if info.campaigns.get(name, 0) != serial
    }
    if moved:
        what = ", ".join(f"{n} (serial {a} -> {b})" for n, (a, b) in moved.items())
        raise StalePlan(
            f"{path} is stale: since it was made, the state of {what} changed; run smm plan again"
        )


def _changes(plan: Plan) -> list[str]:
    """Everything about the plan's changing actions that reaches a panel or a bill."""
    return sorted(
        json.dumps(
            [
                a.address,
                str(a.kind),
                a.panel,
                a.fingerprint,
                a.service,
                a.service_type,
                a.link,
                a.units,
                str(a.cost),
                a.currency,
                a.order_id,
                a.spec,
            ],
            sort_keys=True,
            default=str,
        )
        for a in plan.actions
        if a.kind.changes
    ) + [json.dumps(["move", m.source, m.target]) for m in plan.moves]


def check_same(saved: Plan, fresh: Plan, path: Path) -> None:
    """The saved plan must be what planning now produces: same actions, same rates."""
    for panel, rates in sorted(saved.rates.items()):
        for service, rate in sorted(rates.items()):
            now = fresh.rates.get(panel, {}).get(service)
            if now is not None and now != rate:
                raise StalePlan(
                    f"{path} is stale: service {service} on {panel} now costs {now} "
                    f"(the plan used {rate}); run smm plan again"
                )
    if set(saved.serials) != set(fresh.serials) or _changes(saved) != _changes(fresh):
        raise StalePlan(
            f"{path} no longer matches what the campaign files and the state ask for "
            "(or it was altered); run smm plan again"
        )

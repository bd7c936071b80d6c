"""Checks across a plan's orders: one panel order recorded under two addresses, two live
orders for one service and link.  Pure, over the records and the actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from runner.api.models import OrderStatus
from runner.config.campaign import CampaignSpec
from runner.plans.plan import Action, Check, Kind
from runner.state import OrderRecord, Phase


def shared_order_ids(
    records: Mapping[str, OrderRecord], campaigns: Sequence[CampaignSpec]
) -> list[Check]:
    """Two addresses recorded with one panel order: one of them is wrong."""
    checks: list[Check] = []
    # (No tuple or list per record: this runs over every record of a large state.)
    first: dict[str, dict[int, str]] = {}
    shared: dict[tuple[str, int], list[str]] = {}
    for address, record in records.items():
        if record.order_id is not None and record.phase is Phase.PLACED:
            holders = first.setdefault(record.panel, {})
            holder = holders.setdefault(record.order_id, address)
            if holder != address:
                shared.setdefault((record.panel, record.order_id), [holder]).append(address)
    if not shared:
        return checks
    locations = {o.address: o.location for c in campaigns for o in c.orders}
    for (panel, order_id), addresses in sorted(shared.items()):
        addresses.sort()
        checks.append(
            Check(
                "warning",
                f"{', '.join(addresses)} are all recorded as order {order_id} on {panel}; "
                "one panel order belongs to one address: smm state forget the wrong one",
                locations.get(addresses[-1]),
                addresses[-1],
            )
        )
    return checks


def same_link_twice(actions: Sequence[Action]) -> list[Check]:
    """Two live orders for one service and link on one panel."""
    # (Nested, the first action kept alone: no tuple or list per action.)
    checks: list[Check] = []
    first: dict[str, dict[int, dict[str, Action]]] = {}
    twice: dict[tuple[str, int, str], list[Action]] = {}
    for action in actions:
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
            checks.append(
                Check(
                    "warning",
                    f"{', '.join(addresses)}: two active orders for service {service} and "
                    f"{link} on {panel}; many panels refuse the second or under-deliver",
                    locations[later],
                    later,
                )
            )
    return checks

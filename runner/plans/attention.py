"""What needs a person after a refresh (``smm refresh --detailed-exitcode`` exits 2):
an order in doubt; one that ended Partial or Canceled short with no top-up to come; a
refill the panel rejected (and none accepted since); an order Pending past
``stuck_after``.  Pure: the workflow passes the campaigns, records and catalogs.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping

from runner.api.models import OrderStatus, Service
from runner.clock import parse_moment
from runner.config.campaign import CampaignSpec
from runner.plans import outcomes, topups
from runner.state import OrderRecord, Phase

DEFAULT_STUCK_AFTER = _dt.timedelta(hours=24)


def _status(record: OrderRecord) -> tuple[OrderStatus | None, int | None]:
    last = record.last
    if last is None or not last.status:
        return None, None
    return OrderStatus(last.status), last.remains


def _refill_rejected(record: OrderRecord) -> str | None:
    for refill in reversed(record.refills):
        rejected = not refill.ok or (refill.status or "").lower() == "rejected"
        if rejected:
            return f"refill rejected ({refill.error or 'Rejected'})"
        if refill.ok:
            return None
    return None


def needs_a_person(
    campaigns: Iterable[CampaignSpec],
    records: Mapping[str, OrderRecord],
    catalogs: Mapping[str, Mapping[int, Service] | None],
    now: _dt.datetime,
    stuck_after: _dt.timedelta = DEFAULT_STUCK_AFTER,
) -> list[str]:
    """One line per thing a person must look at, in address order."""
    return [
        f"{address}: {why}"
        for address, why in reasons(campaigns, records, catalogs, now, stuck_after)
    ]


def reasons(
    campaigns: Iterable[CampaignSpec],
    records: Mapping[str, OrderRecord],
    catalogs: Mapping[str, Mapping[int, Service] | None],
    now: _dt.datetime,
    stuck_after: _dt.timedelta = DEFAULT_STUCK_AFTER,
) -> list[tuple[str, str]]:
    """Each address a person must look at, and why, in address order."""
    found: list[tuple[str, str]] = []
    specs = {o.address: o for c in campaigns for o in c.orders}
    for address, record in sorted(records.items()):
        if record.phase is Phase.IN_DOUBT:
            found.append((address, "in doubt (smm state import or smm state retry)"))
            continue
        rejected = _refill_rejected(record)
        if rejected is not None:
            found.append((address, rejected))
        status, _ = _status(record)
        if status is OrderStatus.PENDING and record.phase is Phase.PLACED:
            since = parse_moment(record.created_at)
            if since is not None and now - since > stuck_after:
                found.append((address, f"Pending since {record.created_at}"))
        spec = specs.get(address)
        short = status in (OrderStatus.PARTIAL, OrderStatus.CANCELED)
        if spec is None or not short:
            if spec is None and short and topups.base_address(address) is None:
                found.append((address, f"ended {status}"))
            continue
        chained, _, following = outcomes.chain_of(spec, records, _status)
        if not spec.outcome.reorder:
            if chained.missing > 0 or chained.problem:
                found.append((address, f"ended {status}, {chained.missing} missing"))
            continue
        catalog = catalogs.get(spec.panel)
        service = outcomes.topup_service(spec, catalog)
        known = not outcomes.chosen_later(spec, catalog)
        decided = topups.decide(chained, spec.outcome.max_topups, following, service, known)
        if isinstance(decided, topups.NoTopUp):
            found.append((address, decided.reason))
    return found

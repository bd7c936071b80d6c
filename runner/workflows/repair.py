"""``smm state import / retry / forget``: a person settles what smm cannot know alone.

Each asks its question through ``confirm`` (which returns to go on and raises
``Declined`` to stop) before it writes, and writes under the state lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from runner.api.models import OrderInfo, OrderStatus, Service
from runner.config.campaign import OrderSpec
from runner.errors import SmmError
from runner.money import charge_fits, format_amount
from runner.plans.fit import fit
from runner.plans.outcomes import topup_spec
from runner.plans.topups import recorded_units
from runner.render.words import plural
from runner.state import LastStatus, OrderRecord, Phase, locked, now_iso
from runner.state.addresses import base_address
from runner.state.sqlread import campaign_of
from runner.workflows import campaigns
from runner.workflows.context import Context

Confirm = Callable[[str], None]


def import_order(
    ctx: Context,
    address: str,
    order_id: int,
    paths: Sequence[Path],
    confirm: Confirm,
    lock_timeout: float = 0.0,
    force: bool = False,
) -> OrderInfo:
    """Adopt an order that exists on the panel as the order of ADDRESS.

    Refused: an order id another address already holds (two addresses must never share
    one order), and an order whose charge does not fit the order's cost (it is likely
    someone else's order) unless ``force``."""
    loaded = campaigns.load(paths, ctx)
    spec = next((o for o in loaded.orders if o.address == address), None)
    topup = base_address(address)
    if spec is None and topup is None:
        raise SmmError(f"{address}: no such order in the campaign files")
    with locked(ctx.state_location, {campaign_of(address)}, lock_timeout) as store:
        record = store.record(address)
        if spec is None and topup is not None:  # a top-up: the order it tops up, resized
            base = next((o for o in loaded.orders if o.address == topup[0]), None)
            units = recorded_units(record) if record is not None else None
            if base is None or units is None:
                raise SmmError(f"{address}: no such order, nor a recorded top-up of one")
            spec = topup_spec(base, topup[1], units)
        assert spec is not None
        if record is not None and record.phase is Phase.PLACED and record.order_id != order_id:
            raise SmmError(
                f"{address} is already recorded as order {record.order_id}; "
                "smm state forget it first if that is wrong"
            )
        panel, service, recorded = chosen(spec, record)
        holder = store.holder_of(panel, order_id)
        if holder is not None and holder != address:
            raise SmmError(
                f"order {order_id} on {panel} is already recorded as {holder}; "
                "one panel order cannot be two addresses"
            )
        with ctx.client(panel) as client:
            info = client.status(order_id)
            expected = expected_cost(spec, client.services(), service)
        open_ended = any(str(t) == "Subscriptions" for t in spec.types)
        mismatch = charge_mismatch(info, expected, open_ended)
        if mismatch and not force:
            raise SmmError(
                f"order {order_id} does not look like {address}: {mismatch}; if you are "
                "sure it is, run again with --force"
            )
        note = f" ({mismatch}; imported with --force)" if mismatch else ""
        confirm(f"Record panel order {order_id} ({info.status}) as {address}?{note}")
        with store.transaction() as tx:
            tx.import_order(
                address,
                spec.campaign,
                panel,
                spec.fingerprint(),
                recorded,
                order_id,
                expected,
                {"by": "person", "forced": bool(mismatch)},
            )
            tx.status(address, LastStatus.answered(info, now_iso()))
    return info


def chosen(spec: OrderSpec, record: OrderRecord | None) -> tuple[str, int, dict[str, Any]]:
    """The panel and service of the order to import, and its spec as the state keeps it:
    a selector's choice is the one recorded when it was sent."""
    if spec.selector is None:
        assert spec.service is not None
        return spec.panel, spec.service, spec.to_json()
    service = record.spec.get("service") if record is not None else None
    if record is None or not isinstance(service, int) or isinstance(service, bool):
        raise SmmError(
            f"{spec.address} chooses its service by selector, and no choice of it is "
            "recorded: there is no panel and service to import it against"
        )
    kept = {"panel": record.panel, "service": service, "selector": spec.selector.to_json()}
    return record.panel, service, {**spec.to_json(), **kept}


def expected_cost(
    spec: OrderSpec, catalog: Sequence[Service], ident: int | None = None
) -> Decimal | None:
    """What the order costs at today's rate (None when the service is gone)."""
    ident = spec.service if ident is None else ident
    service = next((s for s in catalog if s.id == ident), None)
    if service is None:
        return None
    fitted = fit(spec, service)
    return None if isinstance(fitted, list) else fitted.cost


def charge_mismatch(info: OrderInfo, expected: Decimal | None, open_ended: bool) -> str | None:
    """Why the panel's charge does not fit the expected cost, or None when it does (the
    same rule reconciliation uses: ``money.charge_fits``)."""
    if expected is None or info.charge is None:
        return None
    refunded = info.status in (OrderStatus.PARTIAL, OrderStatus.CANCELED, OrderStatus.REFUNDED)
    if charge_fits(info.charge, expected, refunded=refunded, at_most=open_ended):
        return None
    charge, cost = format_amount(info.charge), format_amount(expected)
    side = "above" if info.charge > expected else "below"
    return f"its charge {charge} is {side} the order's cost {cost}"


def retry(ctx: Context, address: str, confirm: Confirm, lock_timeout: float = 0.0) -> None:
    """Declare an in-doubt order as not placed: the next apply places it."""
    with locked(ctx.state_location, {campaign_of(address)}, lock_timeout) as store:
        with store.transaction() as tx:
            tx.abandon_submitting("an earlier apply stopped while sending it", address)
        record = store.record(address)
        if record is None:
            raise SmmError(f"{address}: not in the state")
        if record.phase is not Phase.IN_DOUBT:
            raise SmmError(f"{address} is {record.phase}, not in doubt; nothing to retry")
        confirm(
            f"Declare that {address} was never placed? If the panel has it after all, the "
            "next apply orders it a second time."
        )
        with store.transaction() as tx:
            tx.retry(address)


def forget(ctx: Context, address: str, confirm: Confirm, lock_timeout: float = 0.0) -> OrderRecord:
    """Drop the record of ADDRESS (the panel's order, if any, is not touched).

    Refused while the panel has (or may have) charged for it: a campaign's spend counts
    what its panel charged, recorded or not, so forgetting must not take money out of the
    budget.  What may go: a rejected order, one charged nothing (cancelled and refunded),
    and one the panel says it does not know (``Incorrect order ID``, after the panel's
    data was reset)."""
    with locked(ctx.state_location, {campaign_of(address)}, lock_timeout) as store:
        record = store.record(address)
        if record is None:
            raise SmmError(f"{address}: not in the state")
        refusal = _charged(record)
        if refusal is not None:
            raise SmmError(refusal)
        order = f", order {record.order_id}" if record.order_id else ""
        confirm(f"Forget {address} ({record.phase}{order})?")
        with store.transaction() as tx:
            tx.forget(address)
    return record


def _charged(record: OrderRecord) -> str | None:
    """Why ``record`` cannot be forgotten (money would leave its campaign's spend)."""
    if record.phase in (Phase.IN_DOUBT, Phase.SUBMITTING):
        return (
            f"{record.address} is in doubt: the panel may have it and have charged for it; "
            f"settle it first (smm state import {record.address} ORDER_ID, or smm state "
            f"retry {record.address})"
        )
    if record.phase is not Phase.PLACED or record.spent <= 0:
        return None
    if record.last is not None and record.last.error:
        return None  # the panel says it does not know the order: no charge of it stands
    currency = f" {record.last.currency}" if record.last and record.last.currency else ""
    how = "charged" if record.last and record.last.charge is not None else "estimated at"
    return (
        f"{record.address}: order {record.order_id} was {how} "
        f"{format_amount(record.spent)}{currency}; forgetting it would take that out of "
        f"campaign {record.campaign}'s spend, which counts what the panel charged. It stays "
        f"recorded; to give it another address: smm state mv {record.address} NEW_ADDRESS"
    )


def move(
    ctx: Context, source: str, target: str, confirm: Confirm, lock_timeout: float = 0.0
) -> list[tuple[str, str, int | None]]:
    """Give recorded orders new addresses (``smm state mv``): an address and its
    instances (``@period``) and top-ups (``+n``), or every order of a campaign when both
    names are campaigns.  Nothing is asked of a panel and nothing is ordered; the
    campaign files must say the new names too, or the next plan orders the old ones
    again.  Returns (old, new, order id) for each record moved."""
    whole = "/" not in source and "/" not in target
    if not whole and ("/" not in source or "/" not in target):
        raise SmmError(
            "smm state mv moves an address to an address (campaign/order) or a campaign to "
            f"a campaign; got {source} and {target}"
        )
    if source == target:
        raise SmmError(f"{source} and {target} are the same")
    campaigns = {campaign_of(source), campaign_of(target)} if not whole else {source, target}
    with locked(ctx.state_location, campaigns, lock_timeout) as store:
        records = store.records({campaign_of(source)} if not whole else {source})
        pairs = _renames(records, source, target, whole)
        if not pairs:
            raise SmmError(f"{source}: not in the state")
        taken = store.records({campaign_of(new) for _, new in pairs})
        clash = next((new for _, new in pairs if new in taken), None)
        if clash is not None:
            raise SmmError(f"{clash} is recorded already; smm state mv never replaces a record")
        what = plural(len(pairs), "record")
        confirm(f"Move {what} from {source} to {target}? Nothing is ordered or sent.")
        with store.transaction() as tx:
            for old, new in pairs:
                tx.move(old, new)
    return [(old, new, records[old].order_id) for old, new in pairs]


def _renames(
    records: Mapping[str, OrderRecord], source: str, target: str, whole: bool
) -> list[tuple[str, str]]:
    """(old, new) for each record that moves."""
    pairs = []
    for address in sorted(records):
        if whole:
            pairs.append((address, f"{target}/{address.split('/', 1)[1]}"))
        elif address == source or (
            address.startswith(source) and address[len(source) : len(source) + 1] in ("@", "+")
        ):
            pairs.append((address, target + address[len(source) :]))
    return pairs

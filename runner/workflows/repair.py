"""``smm state import / retry / forget``: a person settles what smm cannot know alone.

Each asks its question through ``confirm`` (which returns to go on and raises
``Declined`` to stop) before it writes, and writes under the state lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from runner.api.models import OrderInfo
from runner.errors import SmmError
from runner.state import LastStatus, OrderRecord, Phase, locked, now_iso
from runner.state.sql import campaign_of
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
) -> OrderInfo:
    """Adopt an order that exists on the panel as the order of ADDRESS."""
    loaded = campaigns.load(paths)
    spec = next((o for o in loaded.orders if o.address == address), None)
    if spec is None:
        raise SmmError(f"{address}: no such order in the campaign files")
    with locked(ctx.state_location, {campaign_of(address)}, lock_timeout) as store:
        record = store.record(address)
        if record is not None and record.phase is Phase.PLACED and record.order_id != order_id:
            raise SmmError(
                f"{address} is already recorded as order {record.order_id}; "
                "smm state forget it first if that is wrong"
            )
        with ctx.client(spec.panel) as client:
            info = client.status(order_id)
        confirm(f"Record panel order {order_id} ({info.status}) as {address}?")
        with store.transaction() as tx:
            tx.import_order(
                address,
                spec.campaign,
                spec.panel,
                spec.fingerprint(),
                spec.to_json(),
                order_id,
                None,
            )
            tx.status(address, LastStatus.answered(info, now_iso()))
    return info


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
    """Drop the record of ADDRESS (the panel's order, if any, is not touched)."""
    with locked(ctx.state_location, {campaign_of(address)}, lock_timeout) as store:
        record = store.record(address)
        if record is None:
            raise SmmError(f"{address}: not in the state")
        order = f", order {record.order_id}" if record.order_id else ""
        confirm(f"Forget {address} ({record.phase}{order})?")
        with store.transaction() as tx:
            tx.forget(address)
    return record
